"""The Connection, OrganizationDomain, DomainClaim and SsoRegistry aggregates: given events, when a
command, then events — each history replays to the live state, and a refused command records
nothing. Their topics are a golden list: stored histories depend on them."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from tenantry.application import saml_documents
from tenantry.domain import connection, org_domain, sso_registry
from tenantry.domain.base import Act
from tenantry.domain.connection import Connection
from tenantry.domain.connection_errors import (
    CertificateExpired,
    ConnectionIncomplete,
    DomainAlreadyAdded,
    DomainTaken,
    WrongConnectionType,
)
from tenantry.domain.connection_values import (
    ConnectionType,
    OidcSettings,
    Provider,
    SamlSettings,
    TestResult,
    VerificationMethod,
)
from tenantry.domain.errors import NothingChanged
from tenantry.domain.feature_errors import FeatureDisabled
from tenantry.domain.org_domain import DomainClaim, OrganizationDomain
from tenantry.domain.sso_registry import SsoRegistry
from tests.sso_support import T0, make_certificate, pem
from tests.unit.helpers import aggregate_topics, assert_replays_to

ACT = Act(T0, "admin@acme.example")

GOLDEN_TOPICS = sorted(
    [
        "tenantry.domain.base:Snapshot",
        "tenantry.domain.connection:Connection.Configured",
        "tenantry.domain.connection:Connection.Created",
        "tenantry.domain.connection:Connection.Deleted",
        "tenantry.domain.connection:Connection.Disabled",
        "tenantry.domain.connection:Connection.Enabled",
        "tenantry.domain.connection:Connection.Tested",
        "tenantry.domain.connection:Connection.SignInRefused",
        "tenantry.domain.org_domain:DomainClaim.Claimed",
        "tenantry.domain.org_domain:DomainClaim.Reclaimed",
        "tenantry.domain.org_domain:DomainClaim.Released",
        "tenantry.domain.org_domain:OrganizationDomain.Added",
        "tenantry.domain.org_domain:OrganizationDomain.Deleted",
        "tenantry.domain.org_domain:OrganizationDomain.Verified",
        "tenantry.domain.sso_registry:SsoRegistry.ConnectionListed",
        "tenantry.domain.sso_registry:SsoRegistry.ConnectionUnlisted",
        "tenantry.domain.sso_registry:SsoRegistry.DomainListed",
        "tenantry.domain.sso_registry:SsoRegistry.DomainUnlisted",
        "tenantry.domain.sso_registry:SsoRegistry.DirectoryListed",
        "tenantry.domain.sso_registry:SsoRegistry.DirectoryUnlisted",
        "tenantry.domain.sso_registry:SsoRegistry.Opened",
    ]
)


def test_the_sso_event_topics_are_the_golden_list() -> None:
    assert aggregate_topics(connection, org_domain, sso_registry) == GOLDEN_TOPICS


def _saml_connection() -> Connection:
    return Connection.create(uuid4(), uuid4(), ConnectionType.SAML, Provider.OKTA, ACT)


def _complete_saml() -> SamlSettings:
    cert = saml_documents.certificate(pem(make_certificate()))
    return SamlSettings(
        idp_entity_id="https://idp", sso_url="https://idp/sso", certificates=(cert,)
    )


def test_a_connection_is_configured_enabled_tested_disabled_and_deleted() -> None:
    conn = _saml_connection()
    conn.configure(ACT, saml=_complete_saml())
    conn.enable(True, ACT)
    conn.record_test(TestResult.FAILURE, "bad signature", ACT)
    conn.disable(ACT)
    conn.delete(ACT)
    events = conn.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Created",
        "Configured",
        "Enabled",
        "Tested",
        "Disabled",
        "Deleted",
    ]
    assert_replays_to(conn, events)
    assert conn.state.test_reason == "bad signature"
    assert conn.state.deleted


def test_refused_connection_commands_record_nothing() -> None:
    conn = _saml_connection()
    conn.collect_events()
    with pytest.raises(ConnectionIncomplete):
        conn.enable(True, ACT)
    with pytest.raises(WrongConnectionType):
        conn.configure(ACT, oidc=OidcSettings(client_id="x"))
    expired = saml_documents.certificate(pem(make_certificate(not_after=T0 - timedelta(days=1))))
    with pytest.raises(CertificateExpired):
        conn.configure(ACT, saml=SamlSettings(certificates=(expired,)))
    with pytest.raises(NothingChanged):
        conn.configure(ACT, provider=Provider.OKTA)
    conn.configure(ACT, saml=_complete_saml())
    conn.collect_events()
    with pytest.raises(FeatureDisabled):
        conn.enable(False, ACT)
    with pytest.raises(NothingChanged):
        conn.disable(ACT)
    assert conn.collect_events() == []
    assert not conn.is_active(True)


def test_a_domain_claim_is_held_by_one_organization_and_released_by_its_domain() -> None:
    mine = OrganizationDomain.add(uuid4(), uuid4(), "acme.example", "t", ACT)
    theirs = OrganizationDomain.add(uuid4(), uuid4(), "acme.example", "u", ACT)
    claim = DomainClaim.claim(mine, ACT)
    assert claim.id == DomainClaim.create_id("acme.example")
    with pytest.raises(DomainTaken):
        claim.claim_for(theirs, ACT, holder_live=True)
    claim.release(theirs, ACT)  # not its holder: nothing
    assert claim.holder == mine.state.organization_id
    claim.release(mine, ACT)
    claim.claim_for(theirs, ACT, holder_live=True)
    events = claim.collect_events()
    assert [type(e).__name__ for e in events] == ["Claimed", "Released", "Reclaimed"]
    assert_replays_to(claim, events)
    mine.verify(VerificationMethod.DNS, ACT)
    with pytest.raises(NothingChanged):
        mine.verify(VerificationMethod.ADMIN, ACT)
    assert_replays_to(mine, mine.collect_events())


def test_the_registry_lists_a_domain_once() -> None:
    registry = SsoRegistry.open(uuid4(), ACT)
    first = uuid4()
    registry.list_domain("acme.example", first, ACT)
    with pytest.raises(DomainAlreadyAdded):
        registry.list_domain("acme.example", uuid4(), ACT)
    registry.list_connection(first, ACT)
    registry.unlist_connection(first, ACT)
    registry.unlist_domain("acme.example", ACT)
    assert_replays_to(registry, registry.collect_events())
    assert registry.state.domains == {}
    assert registry.state.connections == []
