"""The official Python SDK's domain and connection calls against a real ``tenantry serve
--http2`` over TLS: the SDK's own methods where it has one (``create_domain``,
``list_connections_by_domain``…), and its stubs through its own ``grpc_exec`` (token, retries,
exceptions) for the calls it has no method for (``VerifyDomain``, ``UpdateConnection``).

Domains are verified by a real DNS lookup: the server asks the test's UDP DNS server
(``TENANTRY_DNS_NAMESERVERS``), which answers the TXT records a test publishes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import grpc
import pytest
from cryptography.fernet import Fernet
from google.protobuf.wrappers_pb2 import Int32Value, StringValue
from scalekit import ScalekitClient
from scalekit.common.exceptions import (
    ScalekitBadRequestException,
    ScalekitConflictException,
    ScalekitForbiddenException,
    ScalekitNotFoundException,
    ScalekitNotImplementedException,
)
from scalekit.v1.connections import connections_pb2 as cpb
from scalekit.v1.domains import domains_pb2 as dpb
from scalekit.v1.organizations.organizations_pb2 import CreateOrganization

from tenantry.domain import ids
from tests.dns_server import DnsServer, dns_server
from tests.e2e.http_support import Server, serve
from tests.e2e.sdk_support import answer, made_client
from tests.sso_support import make_certificate, pem

SECRET = "s3cret-never-answered"


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with dns_server() as server:
        yield server


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sdk_certificate: tuple[Path, Path], dns: DnsServer
) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("sdk-sso")
    env = {
        "TENANTRY_DNS_NAMESERVERS": dns.address,
        "TENANTRY_SSO_SECRET_KEY": Fernet.generate_key().decode(),
    }
    with serve(
        f"sqlite:///{directory / 'sso.db'}",
        tls=sdk_certificate,
        args=("--http2",),
        env=env,
        log=directory / "server.log",
    ) as s:
        yield s


@pytest.fixture(scope="module")
def client(server: Server) -> ScalekitClient:
    return ScalekitClient(server.base_url, server.client_id, server.client_secret)


def _org(client: ScalekitClient, name: str, **more: Any) -> str:
    made = answer(
        client.organization.create_organization(CreateOrganization(display_name=name, **more))
    )
    org_id: str = made.organization.id
    return org_id


def _sso_on(server: Server, org_id: str) -> None:
    with server.client() as api:
        done = api.patch(
            f"/api/v1/organizations/{org_id}/settings",
            json={"features": [{"name": "sso", "enabled": True}]},
        )
    assert done.status_code == 200, done.text


def _verify(client: ScalekitClient, org_id: str, domain_id: str) -> bool:
    """``VerifyDomain`` (no SDK method) through the SDK's stub and its ``grpc_exec``."""
    done = client.core_client.grpc_exec(
        client.domain.domain_service.VerifyDomain.with_call,
        dpb.VerifyDomainRequest(organization_id=org_id, id=domain_id),
    )
    verified: bool = answer(done).verified
    return verified


def _update(client: ScalekitClient, org_id: str, conn_id: str, **fields: Any) -> cpb.Connection:
    done = client.core_client.grpc_exec(
        client.connection.connection_service.UpdateConnection.with_call,
        cpb.UpdateConnectionRequest(
            organization_id=org_id, id=conn_id, connection=cpb.UpdateConnection(**fields)
        ),
    )
    conn: cpb.Connection = answer(done).connection
    return conn


def _verified_domain(client: ScalekitClient, dns: DnsServer, org_id: str, name: str) -> str:
    made = answer(client.domain.create_domain(org_id, name)).domain
    dns.publish(made.txt_record_key, made.txt_record_secret)
    assert _verify(client, org_id, made.id)
    domain_id: str = made.id
    return domain_id


def _saml_settings() -> cpb.SAMLConnectionConfigRequest:
    now = datetime.now(UTC)
    cert = make_certificate(not_before=now - timedelta(days=1), not_after=now + timedelta(days=365))
    return cpb.SAMLConnectionConfigRequest(
        idp_entity_id=StringValue(value="https://idp.example.com/metadata"),
        idp_sso_url=StringValue(value="https://idp.example.com/sso"),
        idp_certificate=StringValue(value=pem(cert)),
    )


def test_a_domain_is_created_listed_verified_by_dns_and_deleted(
    client: ScalekitClient, dns: DnsServer
) -> None:
    org_id = _org(client, "Domains Inc", external_id="domains-inc")
    made = answer(client.domain.create_domain(org_id, "Domains.example"))
    domain = made.domain
    assert domain.id.startswith("dom_")
    assert domain.domain == "domains.example"
    assert domain.organization_id == org_id
    assert domain.verification_status == dpb.PENDING
    assert domain.domain_type == dpb.ORGANIZATION_DOMAIN
    assert domain.txt_record_key.endswith("domains.example")
    assert domain.txt_record_secret

    assert answer(client.domain.get_domain(org_id, domain.id)).domain == domain
    listed = answer(client.domain.list_domains(org_id, domain_type="ORGANIZATION_DOMAIN"))
    assert [d.id for d in listed.domains] == [domain.id]

    assert _verify(client, org_id, domain.id) is False  # nothing published yet
    dns.publish(domain.txt_record_key, domain.txt_record_secret)
    assert _verify(client, org_id, domain.id) is True
    assert domain.txt_record_key.lower() in dns.asked
    verified = answer(client.domain.get_domain(org_id, domain.id)).domain
    assert verified.verification_status == dpb.VERIFIED
    assert verified.verification_method == dpb.DNS
    assert _verify(client, org_id, domain.id) is True  # already verified: still true

    # The organization by its external id (the requests' `identities` oneof).
    by_external = client.core_client.grpc_exec(
        client.domain.domain_service.ListDomains.with_call,
        dpb.ListDomainRequest(external_id="domains-inc"),
    )
    assert [d.id for d in answer(by_external).domains] == [domain.id]

    client.domain.delete_domain(org_id, domain.id)
    with pytest.raises(ScalekitNotFoundException) as gone:
        client.domain.get_domain(org_id, domain.id)
    assert gone.value.error_code == "domain_not_found"
    assert answer(client.domain.list_domains(org_id)).domains == []


def test_list_domains_pages_by_page_number(client: ScalekitClient) -> None:
    org_id = _org(client, "Paged domains")
    for i in range(3):
        client.domain.create_domain(org_id, f"p{i}.example")
    pages = [
        answer(
            client.core_client.grpc_exec(
                client.domain.domain_service.ListDomains.with_call,
                dpb.ListDomainRequest(
                    organization_id=org_id,
                    page_size=Int32Value(value=2),
                    page_number=Int32Value(value=n),
                ),
            )
        )
        for n in (1, 2)
    ]
    assert [[d.domain for d in p.domains] for p in pages] == [
        ["p0.example", "p1.example"],
        ["p2.example"],
    ]
    assert (pages[1].page_size, pages[1].page_number) == (2, 2)


def test_domain_refusals_carry_their_status_and_error_code(
    client: ScalekitClient, dns: DnsServer
) -> None:
    org_id = _org(client, "Refusals")
    client.domain.create_domain(org_id, "twice.example")
    with pytest.raises(ScalekitConflictException) as twice:
        client.domain.create_domain(org_id, "twice.example")
    assert twice.value.grpc_status == grpc.StatusCode.ALREADY_EXISTS
    assert twice.value.error_code == "domain_already_added"

    with pytest.raises(ScalekitBadRequestException) as bad:
        client.domain.create_domain(org_id, "not a domain")
    assert bad.value.grpc_status == grpc.StatusCode.INVALID_ARGUMENT
    assert bad.value.error_code == "invalid_field"
    assert bad.value.message.startswith("domain:")

    # tenantry has organization domains only: another type is refused, not misfiled.
    with pytest.raises(ScalekitBadRequestException) as allowed:
        client.domain.create_domain(org_id, "allowed.example", "ALLOWED_EMAIL_DOMAIN")
    assert "domain.domain_type" in allowed.value.message
    with pytest.raises(ScalekitBadRequestException) as listed:
        client.domain.list_domains(org_id, domain_type="ALLOWED_EMAIL_DOMAIN")
    assert listed.value.message.startswith("domain_type:")

    with pytest.raises(ScalekitNotFoundException) as org:
        client.domain.list_domains(ids.encode(ids.ORG, uuid4()))
    assert org.value.error_code == "organization_not_found"
    with pytest.raises(ScalekitNotFoundException) as unknown:
        client.domain.get_domain(org_id, ids.encode(ids.DOMAIN, uuid4()))
    assert unknown.value.error_code == "domain_not_found"

    # A domain another organization verified cannot be verified again.
    _verified_domain(client, dns, _org(client, "Holder"), "held.example")
    other = answer(client.domain.create_domain(org_id, "held.example")).domain
    dns.publish(other.txt_record_key, other.txt_record_secret)  # its own record is there too
    with pytest.raises(ScalekitConflictException) as taken:
        _verify(client, org_id, other.id)
    assert taken.value.error_code == "domain_taken"


def test_a_saml_connection_is_configured_enabled_found_by_domain_and_deleted(
    server: Server, client: ScalekitClient, dns: DnsServer
) -> None:
    org_id = _org(client, "SSO Corp")
    _sso_on(server, org_id)
    conns = client.connection
    made = answer(
        conns.create_connection(org_id, cpb.CreateConnection(type=cpb.SAML, provider=cpb.OKTA))
    ).connection
    assert made.id.startswith("conn_")
    assert (made.type, made.provider, made.enabled) == (cpb.SAML, cpb.OKTA, False)
    assert made.status == cpb.DRAFT
    assert made.saml_config.sp_assertion_url
    assert made.saml_config.sp_entity_id

    with pytest.raises(ScalekitBadRequestException) as incomplete:
        conns.enable_connection(org_id, made.id)
    assert incomplete.value.grpc_status == grpc.StatusCode.FAILED_PRECONDITION
    assert incomplete.value.error_code == "connection_incomplete"

    configured = _update(
        client,
        org_id,
        made.id,
        saml_config=_saml_settings(),
        attribute_mapping={"email": "mail"},
    )
    assert configured.status == cpb.COMPLETED
    assert configured.saml_config.idp_entity_id.value == "https://idp.example.com/metadata"
    assert configured.saml_config.idp_sso_url.value == "https://idp.example.com/sso"
    [cert] = configured.saml_config.idp_certificates
    assert cert.certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert cert.expiry_time.ToDatetime() > datetime.now()
    assert configured.attribute_mapping["email"] == "mail"

    assert answer(conns.enable_connection(org_id, made.id)).enabled is True
    assert answer(conns.enable_connection(org_id, made.id)).enabled is True  # as it is
    got = answer(conns.get_connection(org_id, made.id)).connection
    assert (got.enabled, got.status) == (True, cpb.COMPLETED)

    assert [c.id for c in answer(conns.list_connections(org_id)).connections] == [made.id]
    _verified_domain(client, dns, org_id, "ssocorp.example")
    by_domain = answer(conns.list_connections_by_domain("ssocorp.example")).connections
    assert [(c.id, c.organization_id, c.type) for c in by_domain] == [(made.id, org_id, cpb.SAML)]
    assert answer(conns.list_connections_by_domain("nobody.example")).connections == []

    assert answer(conns.disable_connection(org_id, made.id)).enabled is False
    assert answer(conns.list_connections(org_id)).connections == []  # enabled ones by default
    every = answer(conns.list_connections(org_id, include="all")).connections
    assert [(c.id, c.enabled) for c in every] == [(made.id, False)]

    conns.delete_connection(org_id, made.id)
    with pytest.raises(ScalekitNotFoundException) as gone:
        conns.get_connection(org_id, made.id)
    assert gone.value.error_code == "connection_not_found"


def test_an_oidc_connection_never_answers_its_client_secret(client: ScalekitClient) -> None:
    org_id = _org(client, "OIDC Corp")
    made = answer(
        client.connection.create_connection(org_id, cpb.CreateConnection(type=cpb.OIDC))
    ).connection
    assert made.provider == cpb.CUSTOM
    oidc = cpb.OIDCConnectionConfig(
        issuer=StringValue(value="https://login.example.com"),
        client_id=StringValue(value="tenantry-app"),
        client_secret=StringValue(value=SECRET),
        scopes=[cpb.openid, cpb.email],
        token_auth_type=cpb.URL_PARAMS,
    )
    done = client.core_client.grpc_exec(
        client.connection.connection_service.UpdateConnection.with_call,
        cpb.UpdateConnectionRequest(
            organization_id=org_id, id=made.id, connection=cpb.UpdateConnection(oidc_config=oidc)
        ),
    )
    conn = answer(done).connection
    assert conn.status == cpb.COMPLETED
    assert conn.oidc_config.issuer.value == "https://login.example.com"
    assert conn.oidc_config.discovery_endpoint.value == (
        "https://login.example.com/.well-known/openid-configuration"
    )
    assert conn.oidc_config.client_id.value == "tenantry-app"
    assert list(conn.oidc_config.scopes) == [cpb.openid, cpb.email]
    assert conn.oidc_config.token_auth_type == cpb.URL_PARAMS
    assert not conn.oidc_config.HasField("client_secret")
    assert SECRET.encode() not in answer(done).SerializeToString()
    got = answer(client.connection.get_connection(org_id, made.id))
    assert SECRET.encode() not in got.SerializeToString()


def test_connection_refusals_name_the_field_and_the_rule(client: ScalekitClient) -> None:
    org_id = _org(client, "Connection refusals")
    conns = client.connection
    with pytest.raises(ScalekitBadRequestException) as oauth:
        conns.create_connection(org_id, cpb.CreateConnection(type=cpb.OAUTH))
    assert oauth.value.message.startswith("connection.type:")
    with pytest.raises(ScalekitBadRequestException) as github:
        conns.create_connection(org_id, cpb.CreateConnection(type=cpb.SAML, provider=cpb.GITHUB))
    assert github.value.message.startswith("connection.provider:")

    oidc = answer(conns.create_connection(org_id, cpb.CreateConnection(type=cpb.OIDC))).connection
    with pytest.raises(ScalekitBadRequestException) as slo:
        _update(
            client,
            org_id,
            oidc.id,
            saml_config=cpb.SAMLConnectionConfigRequest(idp_slo_url=StringValue(value="x")),
        )
    assert slo.value.error_code == "invalid_field"
    assert slo.value.message.startswith("connection.saml_config.idp_slo_url:")
    with pytest.raises(ScalekitBadRequestException) as wrong:
        _update(client, org_id, oidc.id, saml_config=_saml_settings())
    assert wrong.value.grpc_status == grpc.StatusCode.FAILED_PRECONDITION
    assert wrong.value.error_code == "wrong_connection_type"
    with pytest.raises(ScalekitBadRequestException) as title:
        _update(client, org_id, oidc.id, ui_button_title=StringValue(value="Sign in"))
    assert title.value.message.startswith("connection.ui_button_title:")
    with pytest.raises(ScalekitBadRequestException) as include:
        conns.list_connections(org_id, include="active")
    assert include.value.message.startswith("include:")

    with pytest.raises(ScalekitNotFoundException) as unknown:
        conns.get_connection(org_id, ids.encode(ids.CONNECTION, uuid4()))
    assert unknown.value.error_code == "connection_not_found"
    with pytest.raises(ScalekitNotImplementedException) as app:
        conns.list_app_connections()
    assert "ConnectionService.ListAppConnections" in app.value.message


def test_a_client_without_the_connections_scope_is_permission_denied(
    server: Server, client: ScalekitClient
) -> None:
    org_id = _org(client, "Scoped")
    reader = made_client(server, "--scope", "connections:read")
    assert answer(reader.domain.list_domains(org_id)).domains == []
    assert answer(reader.connection.list_connections(org_id, include="all")).connections == []
    with pytest.raises(ScalekitForbiddenException) as write:
        reader.domain.create_domain(org_id, "scoped.example")
    assert write.value.error_code == "permission_denied"
    assert "connections:write" in write.value.message
    with pytest.raises(ScalekitForbiddenException):
        reader.connection.create_connection(org_id, cpb.CreateConnection(type=cpb.SAML))
    orgs_only = made_client(server, "--scope", "organizations:read")
    with pytest.raises(ScalekitForbiddenException) as read:
        orgs_only.connection.list_connections(org_id)
    assert "connections:read" in read.value.message


def test_a_client_restricted_to_organizations_sees_only_their_domains_and_connections(
    server: Server, client: ScalekitClient, dns: DnsServer
) -> None:
    mine, other = _org(client, "Mine"), _org(client, "Not mine")
    for org_id, name in ((mine, "mine.example"), (other, "theirs.example")):
        _sso_on(server, org_id)
        _verified_domain(client, dns, org_id, name)
        client.connection.create_connection(org_id, cpb.CreateConnection(type=cpb.SAML))
    restricted = made_client(server, "--organization", mine)
    assert [d.domain for d in answer(restricted.domain.list_domains(mine)).domains] == [
        "mine.example"
    ]
    with pytest.raises(ScalekitNotFoundException) as hidden:
        restricted.domain.list_domains(other)
    assert hidden.value.error_code == "organization_not_found"
    with pytest.raises(ScalekitNotFoundException):
        restricted.connection.list_connections(other, include="all")
    with pytest.raises(ScalekitNotFoundException):
        restricted.domain.create_domain(other, "sneaky.example")
    found = restricted.connection.list_connections_by_domain("mine.example", include="all")
    assert [c.organization_id for c in answer(found).connections] == [mine]
    theirs = restricted.connection.list_connections_by_domain("theirs.example", include="all")
    assert answer(theirs).connections == []
