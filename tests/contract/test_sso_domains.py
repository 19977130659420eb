"""Organization domains behave the same on every backend: added unverified with the TXT record
to publish, verified by DNS (a resolver object answering from a table) or by an admin, held by
one organization at most once verified, released when deleted; home-realm discovery goes from an
e-mail address to the active connection of the organization that verified its domain."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet

from tenantry.application.app import Tenantry
from tenantry.errors import (
    DomainAlreadyAdded,
    DomainNotFound,
    DomainNotVerified,
    DomainTaken,
    InvalidField,
    NoConnectionForEmail,
    NothingChanged,
)
from tests.sso_support import TableResolver


@pytest.fixture
def dns_table() -> TableResolver:
    return TableResolver()


@pytest.fixture
def sso_app(
    make_app: Callable[..., Tenantry], database_url: str, dns_table: TableResolver
) -> Tenantry:
    app = make_app(database_url)
    app.configure_sso(secret_keys=[Fernet.generate_key().decode()], resolver=dns_table)
    return app


def _org(app: Tenantry) -> str:
    org_id = app.create_organization("Acme").id
    app.update_organization_settings(org_id, [("sso", True)])
    return org_id


def test_a_domain_is_added_unverified_with_the_txt_record_to_publish(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    domain = sso_app.add_domain(org_id, "  Acme.EXAMPLE. ")
    assert domain.id.startswith("dom_")
    assert domain.domain == "acme.example"
    assert (domain.verification_status, domain.verification_method) == ("PENDING", None)
    assert domain.verification.txt_record_name == "_tenantry-verification.acme.example"
    assert domain.verification.txt_record_value.startswith("tenantry-domain-verification=")
    assert sso_app.list_domains(org_id) == [domain]
    assert sso_app.get_domain(org_id, domain.id) == domain


def test_a_domain_is_listed_once_per_organization(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    sso_app.add_domain(org_id, "acme.example")
    with pytest.raises(DomainAlreadyAdded):
        sso_app.add_domain(org_id, "ACME.example")
    with pytest.raises(InvalidField) as caught:
        sso_app.add_domain(org_id, "localhost")
    assert caught.value.field == "domain"


def test_dns_verification_needs_the_txt_record(sso_app: Tenantry, dns_table: TableResolver) -> None:
    org_id = _org(sso_app)
    domain = sso_app.add_domain(org_id, "acme.example")
    name, value = domain.verification.txt_record_name, domain.verification.txt_record_value
    with pytest.raises(DomainNotVerified) as missing:
        sso_app.verify_domain(org_id, domain.id)
    assert (missing.value.record_name, missing.value.found) == (name, "the name does not exist")
    dns_table.records[name] = ["v=spf1 -all"]
    with pytest.raises(DomainNotVerified) as other:
        sso_app.verify_domain(org_id, domain.id)
    assert other.value.found == "1 other TXT record(s)"
    assert sso_app.last_position is None
    dns_table.records[name] = ["v=spf1 -all", value]
    verified = sso_app.verify_domain(org_id, domain.id)
    assert (verified.verification_status, verified.verification_method) == ("VERIFIED", "DNS")
    assert dns_table.queries[-1] == (name, "TXT")
    with pytest.raises(NothingChanged):
        sso_app.verify_domain(org_id, domain.id, method="ADMIN")


def test_a_verified_domain_belongs_to_one_organization_until_deleted(sso_app: Tenantry) -> None:
    first, second = _org(sso_app), _org(sso_app)
    mine = sso_app.add_domain(first, "acme.example")
    theirs = sso_app.add_domain(second, "acme.example")
    sso_app.verify_domain(first, mine.id, method="ADMIN")
    with pytest.raises(DomainTaken) as caught:
        sso_app.verify_domain(second, theirs.id, method="ADMIN")
    assert caught.value.domain == "acme.example"
    assert sso_app.get_domain(second, theirs.id).verification_status == "PENDING"
    sso_app.delete_domain(first, mine.id)
    with pytest.raises(DomainNotFound):
        sso_app.get_domain(first, mine.id)
    assert sso_app.verify_domain(second, theirs.id, method="admin").verification_method == "ADMIN"


def test_discovery_finds_the_active_connection_of_the_verified_domain(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    domain = sso_app.add_domain(org_id, "acme.example")
    with pytest.raises(NoConnectionForEmail):
        sso_app.discover_connection("ann@acme.example")
    conn_id = sso_app.create_connection(org_id, "OIDC").id
    sso_app.configure_oidc_connection(
        org_id, conn_id, issuer="https://idp.acme.example", client_id="c", client_secret="s"
    )
    sso_app.enable_connection(org_id, conn_id)
    with pytest.raises(NoConnectionForEmail):  # the domain is not verified yet
        sso_app.discover_connection("ann@acme.example")
    sso_app.verify_domain(org_id, domain.id, method="ADMIN")
    assert sso_app.discover_connection("Ann@ACME.example").id == conn_id
    sso_app.update_organization_settings(org_id, [("sso", False)])
    with pytest.raises(NoConnectionForEmail) as caught:
        sso_app.discover_connection("ann@acme.example")
    assert caught.value.domain == "acme.example"


def test_discovery_skips_disabled_connections_and_other_domains(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    sso_app.verify_domain(org_id, sso_app.add_domain(org_id, "acme.example").id, method="ADMIN")
    sso_app.create_connection(org_id, "SAML")
    with pytest.raises(NoConnectionForEmail):
        sso_app.discover_connection("ann@acme.example")
    with pytest.raises(NoConnectionForEmail):
        sso_app.discover_connection("ann@other.example")


def test_a_deleted_organizations_verified_domain_can_be_verified_by_another(
    sso_app: Tenantry,
) -> None:
    gone, heir = _org(sso_app), _org(sso_app)
    sso_app.verify_domain(gone, sso_app.add_domain(gone, "acme.example").id, method="ADMIN")
    sso_app.delete_organization(gone)
    domain = sso_app.add_domain(heir, "acme.example")
    assert sso_app.verify_domain(heir, domain.id, method="ADMIN").verification_status == "VERIFIED"


def test_the_audit_log_files_every_sso_event_under_its_organization(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "SAML").id
    sso_app.update_connection(org_id, conn_id, provider="OKTA")
    domain = sso_app.add_domain(org_id, "audit.example")
    sso_app.verify_domain(org_id, domain.id, method="ADMIN")
    sso_app.delete_domain(org_id, domain.id)
    views = sso_app.views  # type: ignore[attr-defined]
    page = views.list_audit_log(
        organization_id=org_id, page_size=100, min_position=sso_app.last_position
    )
    sso_events = {e.event for e in page.entries if not e.event.startswith("Organization.")}
    assert sso_events == {
        "Connection.Created",
        "Connection.Configured",
        "SsoRegistry.Opened",
        "SsoRegistry.ConnectionListed",
        "SsoRegistry.DomainListed",
        "SsoRegistry.DomainUnlisted",
        "OrganizationDomain.Added",
        "OrganizationDomain.Verified",
        "OrganizationDomain.Deleted",
        "DomainClaim.Claimed",
        "DomainClaim.Released",
    }


def test_the_audit_log_shows_sso_ids_as_public_ids(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    conn_id = sso_app.create_connection(org_id, "OIDC").id
    domain = sso_app.add_domain(org_id, "ids.example")
    views = sso_app.views  # type: ignore[attr-defined]
    page = views.list_audit_log(
        organization_id=org_id,
        event_type="SsoRegistry.ConnectionListed",
        min_position=sso_app.last_position,
    )
    assert [e.data["connection_id"] for e in page.entries] == [conn_id]
    listed = views.list_audit_log(organization_id=org_id, event_type="SsoRegistry.DomainListed")
    assert [e.data["domain_id"] for e in listed.entries] == [domain.id]


def test_connections_are_listed_by_a_verified_domain_only(sso_app: Tenantry) -> None:
    org_id = _org(sso_app)
    first = sso_app.create_connection(org_id, "SAML").id
    second = sso_app.create_connection(org_id, "OIDC").id
    domain = sso_app.add_domain(org_id, "listed.example")
    assert sso_app.list_connections_by_domain("listed.example") == []
    sso_app.verify_domain(org_id, domain.id, method="ADMIN")
    found = sso_app.list_connections_by_domain("LISTED.example")
    assert [c.id for c in found] == [first, second]
    assert not any(c.enabled for c in found)
    with pytest.raises(InvalidField):
        sso_app.list_connections_by_domain("nodot")
