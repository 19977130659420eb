"""The identity-provider guides of the SSO pages: each says where our values go, in its protocol's
terms, and every connection (whatever provider the API gave it) finds a guide of its type."""

from __future__ import annotations

import pytest

from tenantry.adapters.web.portal_sso_providers import (
    GUIDES,
    Guide,
    guide_by_key,
    guide_for,
    providers,
)
from tenantry.domain.connection_values import ConnectionType, Provider
from tenantry.domain.errors import InvalidField

NEEDED = {
    ConnectionType.SAML: {"acs_url", "sp_entity_id"},
    ConnectionType.OIDC: {"redirect_uri"},
}
ALLOWED = {
    ConnectionType.SAML: {"acs_url", "sp_entity_id", "sp_metadata"},
    ConnectionType.OIDC: {"redirect_uri"},
}


@pytest.mark.parametrize("guide", GUIDES, ids=lambda g: g.key)
def test_a_guide_places_each_value_its_protocol_needs_and_no_other(guide: Guide) -> None:
    named = {value for step in guide.steps for value in step.values}
    assert NEEDED[guide.type] <= named
    assert named <= ALLOWED[guide.type]


def test_the_issues_providers_each_have_a_guide() -> None:
    names = [name for name, _ in providers()]
    for name in ("Okta", "Microsoft Entra ID", "Google Workspace", "JumpCloud", "OneLogin"):
        assert name in names
    assert {g.type for g in GUIDES if g.provider is Provider.CUSTOM} == set(ConnectionType)
    assert len({g.key for g in GUIDES}) == len(GUIDES)


@pytest.mark.parametrize("provider", list(Provider))
@pytest.mark.parametrize("kind", list(ConnectionType))
def test_every_connection_finds_a_guide_of_its_own_type(
    provider: Provider, kind: ConnectionType
) -> None:
    guide = guide_for(provider, kind)
    assert guide.type is kind
    assert guide.provider in (provider, Provider.CUSTOM)


def test_an_unknown_guide_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidField) as refused:
        guide_by_key("acme-idp")
    assert refused.value.field == "guide"
    assert guide_by_key("okta-saml").provider is Provider.OKTA


@pytest.mark.parametrize("guide", GUIDES, ids=lambda g: g.key)
def test_a_guide_names_the_vendors_app(guide: Guide) -> None:
    texts = [step.said("Vendorly") for step in guide.steps]
    assert not any("{vendor}" in text for text in texts)
    assert any("“Vendorly”" in text for text in texts)
