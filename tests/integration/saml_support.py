"""Fixtures shared by the SAML tests: one test IdP per module, a validator on the test clock."""

from __future__ import annotations

import pytest

from tenantry.adapters.sso.replay import MemoryReplayCache
from tenantry.adapters.sso.saml_response import SamlResponseValidator
from tests.integration.saml_idp import SP, FakeSamlIdp, KeyPair
from tests.support import FakeClock


@pytest.fixture(scope="module")
def idp() -> FakeSamlIdp:
    return FakeSamlIdp()


@pytest.fixture(scope="module")
def stranger() -> KeyPair:
    """Another key and certificate, unknown to the service provider."""
    return KeyPair.generate("Mallory")


@pytest.fixture
def validator(idp: FakeSamlIdp, clock: FakeClock) -> SamlResponseValidator:
    return SamlResponseValidator(idp.config, SP, MemoryReplayCache(), clock)
