"""The official Python SDK (scalekit-sdk-python, from PyPI) against a real ``tenantry serve
--http2`` over TLS with a self-signed certificate, trusted the way its users trust one
(``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` for gRPC, ``REQUESTS_CA_BUNDLE`` for its token request).

The SDK posts ``/oauth/token`` (HTTP/1.1) at construction, then calls gRPC over HTTP/2 on the same
port. The guide's organization samples run as printed, only the URL and the credentials (and the
placeholder organization id) being this server's."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import status_pb2
from grpc_status import rpc_status
from scalekit import ScalekitClient
from scalekit.common.exceptions import (
    ScalekitBadRequestException,
    ScalekitConflictException,
    ScalekitForbiddenException,
    ScalekitNotFoundException,
    ScalekitNotImplementedException,
)
from scalekit.v1.errdetails.errdetails_pb2 import ErrorInfo
from scalekit.v1.organizations.organizations_pb2 import (
    CreateOrganization,
    GetOrganizationBrandingRequest,
    GetOrganizationRequest,
    SearchOrganizationsRequest,
    UpdateOrganization,
)
from scalekit.v1.organizations.organizations_pb2_grpc import OrganizationServiceStub

from tests.e2e.http_support import Server, serve
from tests.e2e.sdk_support import answer, made_client

# The guide's Python samples (seed-organizations-guide.md, "Create an organization" and "Update
# organization details"), verbatim.
CREATE_SAMPLE = """
from scalekit.v1.organizations.organizations_pb2 import CreateOrganization

organization = scalekit_client.organization.create_organization(
    CreateOrganization(
        display_name='Acme Corporation',
        external_id='acme-corp-123',
        metadata={
            'plan': 'enterprise',
            'industry': 'technology'
        }
    )
)

print(f'Organization created: {organization.id}')
"""

UPDATE_SAMPLE = """
updated_organization = scalekit_client.organization.update_organization(
    organization_id='org_12345',
    organization= UpdateOrganization(
            display_name='Acme Corporation Ltd',
            metadata={
                'plan': 'enterprise',
                'payment_method': 'stripe',
                'custom_field': 'custom-value'
            }
        )
)
"""


@pytest.fixture(scope="module")
def server(sdk_server: Server) -> Server:
    return sdk_server


@pytest.fixture(scope="module")
def scalekit_client(server: Server) -> ScalekitClient:
    return ScalekitClient(server.base_url, server.client_id, server.client_secret)


def _org(response: Any) -> Any:
    return answer(response).organization


def test_the_guides_python_samples_run_as_printed(scalekit_client: ScalekitClient) -> None:
    scope: dict[str, Any] = {"scalekit_client": scalekit_client}
    # The SDK returns (response, call), so the sample's last line cannot print `.id` — with
    # the hosted service as with tenantry; the organization is created all the same.
    with pytest.raises(AttributeError, match="'tuple' object has no attribute 'id'"):
        exec(CREATE_SAMPLE, scope)
    created = _org(scope["organization"])
    assert created.display_name == "Acme Corporation"
    assert created.external_id == "acme-corp-123"
    assert dict(created.metadata) == {"plan": "enterprise", "industry": "technology"}

    scope["UpdateOrganization"] = UpdateOrganization
    exec(UPDATE_SAMPLE.replace("org_12345", created.id), scope)
    updated = _org(scope["updated_organization"])
    assert updated.id == created.id
    assert updated.display_name == "Acme Corporation Ltd"
    assert updated.metadata["payment_method"] == "stripe"
    fetched = _org(scalekit_client.organization.get_organization_by_external_id("acme-corp-123"))
    assert fetched.display_name == "Acme Corporation Ltd"


def test_create_get_update_and_delete_by_id_and_external_id(
    scalekit_client: ScalekitClient,
) -> None:
    orgs = scalekit_client.organization
    made = _org(
        orgs.create_organization(
            CreateOrganization(display_name="Globex", external_id="globex-1", slug="globex")
        )
    )
    assert made.id.startswith("org_")
    assert made.slug == "globex"
    assert made.create_time.seconds > 0
    assert _org(orgs.get_organization(made.id)).external_id == "globex-1"
    assert _org(orgs.get_organization_by_external_id("globex-1")).id == made.id

    renamed = _org(
        orgs.update_organization_by_external_id(
            "globex-1", UpdateOrganization(display_name="Globex Corp")
        )
    )
    assert renamed.display_name == "Globex Corp"
    assert renamed.slug == "globex"  # fields not set are left as they are
    moved = _org(orgs.update_organization(made.id, UpdateOrganization(external_id="globex-2")))
    assert moved.external_id == "globex-2"
    same = _org(orgs.update_organization(made.id, UpdateOrganization(external_id="globex-2")))
    assert same.update_time == moved.update_time  # asking for what already is changes nothing

    orgs.delete_organization(made.id)
    with pytest.raises(ScalekitNotFoundException) as gone:
        orgs.get_organization(made.id)
    assert gone.value.error_code == "organization_not_found"
    assert gone.value.grpc_status == grpc.StatusCode.NOT_FOUND


def test_list_organization_pages_through_every_organization(
    scalekit_client: ScalekitClient,
) -> None:
    orgs = scalekit_client.organization
    made = {
        _org(orgs.create_organization(CreateOrganization(display_name=f"Paged {i}"))).id
        for i in range(12)
    }
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page, _ = orgs.list_organizations(page_size=10, page_token=token)
        assert len(page.organizations) <= 10
        seen += [o.id for o in page.organizations]
        pages += 1
        if not page.next_page_token:
            break
        token = page.next_page_token
    assert pages >= 2
    assert len(seen) == len(set(seen)) == page.total_size
    assert made <= set(seen)
    first, _ = orgs.list_organizations()  # no page size: the server's default
    assert first.total_size == page.total_size


def test_search_organization_finds_by_name_and_pages(scalekit_client: ScalekitClient) -> None:
    """SearchOrganization (the Python SDK has no method for it; the Node SDK calls it)."""
    orgs = scalekit_client.organization
    made = {
        _org(orgs.create_organization(CreateOrganization(display_name=f"Zyxwv {i}"))).id
        for i in range(12)
    }
    _org(orgs.create_organization(CreateOrganization(display_name="Unrelated")))
    call = orgs.organization_service.SearchOrganization.with_call
    found: list[str] = []
    token = ""
    while True:
        request = SearchOrganizationsRequest(query="zyxwv", page_size=10, page_token=token)
        page = answer(scalekit_client.core_client.grpc_exec(call, request))
        found += [o.id for o in page.organizations]
        assert page.total_size == 12
        if not page.next_page_token:
            break
        token = page.next_page_token
    assert sorted(found) == sorted(made)
    with pytest.raises(ScalekitBadRequestException) as short:
        scalekit_client.core_client.grpc_exec(call, SearchOrganizationsRequest(query="z"))
    assert short.value.error_code == "invalid_field"
    assert "query" in short.value.message


def test_refusals_carry_their_status_and_error_code(scalekit_client: ScalekitClient) -> None:
    orgs = scalekit_client.organization
    orgs.create_organization(CreateOrganization(display_name="Initech", external_id="initech"))
    with pytest.raises(ScalekitConflictException) as taken:
        orgs.create_organization(CreateOrganization(display_name="Other", external_id="initech"))
    assert taken.value.grpc_status == grpc.StatusCode.ALREADY_EXISTS
    assert taken.value.error_code == "external_id_taken"
    assert "initech" in taken.value.message

    with pytest.raises(ScalekitBadRequestException) as blank:
        orgs.create_organization(CreateOrganization(display_name=""))
    assert blank.value.grpc_status == grpc.StatusCode.INVALID_ARGUMENT
    assert blank.value.error_code == "invalid_field"
    assert "display_name" in blank.value.message

    with pytest.raises(ScalekitBadRequestException) as size:
        orgs.list_organizations(page_size=500)
    assert size.value.error_code == "invalid_field"
    assert "page_size" in size.value.message

    with pytest.raises(ScalekitNotFoundException) as unknown:
        orgs.get_organization_by_external_id("no-such-external-id")
    assert unknown.value.error_code == "organization_not_found"


def test_calls_not_served_yet_answer_unimplemented_naming_the_method(
    scalekit_client: ScalekitClient,
) -> None:
    org = _org(
        scalekit_client.organization.create_organization(CreateOrganization(display_name="U"))
    )
    orgs = scalekit_client.organization
    with pytest.raises(ScalekitNotImplementedException) as branding:  # a method of a service
        scalekit_client.core_client.grpc_exec(
            orgs.organization_service.GetOrganizationBranding.with_call,
            GetOrganizationBrandingRequest(organization_id=org.id),
        )
    assert branding.value.error_code == "unimplemented"
    assert "OrganizationService.GetOrganizationBranding" in branding.value.message
    with pytest.raises(ScalekitNotImplementedException) as clients:  # a whole service
        scalekit_client.m2m_client.list_organization_clients(org.id)
    assert clients.value.error_code == "unimplemented"
    assert "ClientService.ListOrganizationClients" in clients.value.message
    with pytest.raises(ScalekitNotImplementedException) as apps:
        scalekit_client.connection.list_app_connections()
    assert "ConnectionService.ListAppConnections" in apps.value.message


def test_a_call_without_a_valid_token_is_unauthenticated(server: Server) -> None:
    target = server.base_url.removeprefix("https://")
    with grpc.secure_channel(target, grpc.ssl_channel_credentials()) as channel:
        stub = OrganizationServiceStub(channel)
        for metadata in ((), (("authorization", "Bearer not-a-token"),)):
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetOrganization(
                    GetOrganizationRequest(external_id="acme"), metadata=metadata, timeout=10
                )
            error: Any = refused.value
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED
            status: status_pb2.Status | None = rpc_status.from_call(error)
            assert status is not None
            assert status.message == error.details()
            info = ErrorInfo()
            assert status.details[0].Unpack(info)
            assert info.error_code == "unauthenticated"


def test_the_rest_api_answers_on_the_same_port_over_http_1_1(server: Server) -> None:
    with server.client() as api:
        made = api.post("/api/v1/organizations", json={"display_name": "Over REST"})
        assert made.status_code == 201, made.text
        assert made.http_version == "HTTP/1.1"


def test_h2c_in_plain_text_serves_grpc_beside_rest(tmp_path: Path) -> None:
    """Without TLS the same port speaks HTTP/1.1 and h2c with prior knowledge (what the Node
    SDK uses for an ``http://`` URL)."""
    with serve(f"sqlite:///{tmp_path / 'h2c.db'}", args=("--http2",)) as plain:
        token = plain.token()  # HTTP/1.1
        target = plain.base_url.removeprefix("http://")
        with grpc.insecure_channel(target) as channel:
            stub = OrganizationServiceStub(channel)
            with pytest.raises(grpc.RpcError) as missing:
                stub.GetOrganization(
                    GetOrganizationRequest(external_id="none"),
                    metadata=(("authorization", f"Bearer {token}"),),
                    timeout=10,
                )
            error: Any = missing.value
            assert error.code() == grpc.StatusCode.NOT_FOUND
        assert plain.stop() == 0  # SIGTERM: a graceful stop


def test_grpc_over_http_1_1_is_refused_saying_it_needs_http_2(server: Server) -> None:
    with server.client() as api:
        answer = api.post(
            "/scalekit.v1.organizations.OrganizationService/GetOrganization",
            content=b"\x00\x00\x00\x00\x00",
            headers={"content-type": "application/grpc"},
        )
    assert answer.status_code == 505
    assert "HTTP/2" in answer.text


def test_a_client_without_the_scope_is_permission_denied(server: Server) -> None:
    client = made_client(server, "--scope", "organizations:read")
    assert client.organization.list_organizations()[0].total_size >= 0
    with pytest.raises(ScalekitForbiddenException) as denied:
        client.organization.create_organization(CreateOrganization(display_name="Nope"))
    assert denied.value.grpc_status == grpc.StatusCode.PERMISSION_DENIED
    assert denied.value.error_code == "permission_denied"
    assert "organizations:write" in denied.value.message


def test_the_sdk_gets_a_new_token_when_its_token_expired(
    sdk_certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    """The SDK keeps its first token on its channel and sends its current one in each call's
    metadata: after an UNAUTHENTICATED it fetches a new one and retries."""
    database = f"sqlite:///{tmp_path / 'expiry.db'}"
    with serve(database, tls=sdk_certificate, args=("--http2", "--token-ttl", "1")) as short:
        client = ScalekitClient(short.base_url, short.client_id, short.client_secret)
        first = client.core_client.access_token
        time.sleep(2.5)  # the token (and the channel's) expired
        made = _org(
            client.organization.create_organization(CreateOrganization(display_name="Late"))
        )
        assert _org(client.organization.get_organization(made.id)).display_name == "Late"
        assert client.core_client.access_token != first  # refreshed after UNAUTHENTICATED


def test_a_client_restricted_to_organizations_sees_only_them(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    orgs = scalekit_client.organization
    mine = _org(orgs.create_organization(CreateOrganization(display_name="Mine", external_id="m")))
    other = _org(orgs.create_organization(CreateOrganization(display_name="Other")))
    restricted = made_client(server, "--organization", mine.id)
    assert _org(restricted.organization.get_organization_by_external_id("m")).id == mine.id
    page, _ = restricted.organization.list_organizations()
    assert [o.id for o in page.organizations] == [mine.id]
    with pytest.raises(ScalekitNotFoundException):  # as if it did not exist
        restricted.organization.get_organization(other.id)
    with pytest.raises(ScalekitNotFoundException):
        restricted.organization.delete_organization(other.id)
    with pytest.raises(ScalekitForbiddenException) as create:
        restricted.organization.create_organization(CreateOrganization(display_name="New"))
    assert create.value.error_code == "permission_denied"
