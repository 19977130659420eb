"""The official Python SDK's directory calls against a real ``tenantry serve --http2`` over TLS:
a SCIM directory's life cycle (create, get, list, the primary directory, enable, disable,
delete), its bearer token (made over gRPC, then used by a real SCIM client, regenerated — the old
one refused), the users and groups it provisioned, listed page by page and by what changed after
a time (``updated_after``); and the refusals.

Calls the SDK does not wrap (UpdateDirectory, CreateDirectorySecret, RegenerateDirectorySecret)
go through its own stub and ``grpc_exec``, as its wrapped calls do. So do lists of a directory
that has users or groups: the SDK's ``list_directory_users``/``list_directory_groups`` (2.21) copy
each item into a helper class whose ``users``/``groups`` are never set, and fail on any
non-empty page, whatever the server; they are used here on empty directories (and their
``total_size``/``next_page_token`` read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from scalekit import ScalekitClient
from scalekit.common.exceptions import (
    ScalekitBadRequestException,
    ScalekitForbiddenException,
    ScalekitNotFoundException,
    ScalekitNotImplementedException,
)
from scalekit.v1.directories.directories_pb2 import (
    JUMPCLOUD,
    LDAP,
    MICROSOFT_AD,
    OKTA,
    PING_IDENTITY,
    SCIM,
    CreateDirectory,
    CreateDirectorySecretRequest,
    ListDirectoryGroupsRequest,
    ListDirectoryUsersRequest,
    RegenerateDirectorySecretRequest,
    TriggerDirectorySyncRequest,
    UpdateDirectory,
    UpdateDirectoryRequest,
)
from scalekit.v1.organizations.organizations_pb2 import CreateOrganization

from tests.e2e.http_support import Server, serve
from tests.e2e.scim_support import GROUP, SCIM_JSON, user_body
from tests.e2e.sdk_support import answer, made_client


@pytest.fixture(scope="module")
def server(sdk_server: Server) -> Server:
    return sdk_server


@pytest.fixture(scope="module")
def scalekit_client(server: Server) -> ScalekitClient:
    return ScalekitClient(server.base_url, server.client_id, server.client_secret)


def new_org(client: ScalekitClient, name: str, *, dir_sync: bool, server: Server) -> str:
    org_id: str = answer(
        client.organization.create_organization(CreateOrganization(display_name=name))
    ).organization.id
    if dir_sync:  # over REST: the gRPC settings call is not served here
        with server.client() as api:
            r = api.patch(
                f"/api/v1/organizations/{org_id}/settings",
                json={"features": [{"name": "dir_sync", "enabled": True}]},
            )
            assert r.status_code == 200, r.text
    return org_id


def new_directory(client: ScalekitClient, org_id: str) -> Any:
    made = client.directory.create_directory(
        org_id, CreateDirectory(directory_type=SCIM, directory_provider=OKTA)
    )
    return answer(made).directory


def call(client: ScalekitClient, method: str, request: Any) -> Any:
    """A DirectoryService call the SDK does not wrap, made the way it makes the others."""
    stub = getattr(client.directory.directory_service, method)
    return answer(client.core_client.grpc_exec(stub.with_call, request))


def now() -> Any:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp  # the SDK's signature says str; the request's field is a Timestamp


def scim(server: Server, directory_id: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.base_url}/scim/v2/{directory_id}",
        headers={"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON},
        verify=server.verify,
        timeout=30,
    )


def test_a_directory_lives_its_life_and_its_token_provisions_over_scim(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    dirs = scalekit_client.directory
    org_id = new_org(scalekit_client, "Directory life", dir_sync=True, server=server)
    with pytest.raises(Exception, match="Directory does not exist"):  # the SDK's own message
        dirs.get_primary_directory_by_organization_id(org_id)

    made = new_directory(scalekit_client, org_id)
    assert made.id.startswith("dir_")
    assert (made.organization_id, made.enabled) == (org_id, False)
    assert (made.directory_type, made.directory_provider) == (SCIM, OKTA)
    assert made.directory_endpoint.endswith(f"/scim/v2/{made.id}")
    assert list(made.secrets) == []

    got = answer(dirs.get_directory(org_id, made.id)).directory
    assert got == made
    assert dirs.get_primary_directory_by_organization_id(org_id).id == made.id
    second = new_directory(scalekit_client, org_id)
    listed = answer(dirs.list_directories(org_id)).directories
    assert [d.id for d in listed] == [made.id, second.id]  # oldest first: the primary one
    assert dirs.get_primary_directory_by_organization_id(org_id).id == made.id

    renamed = call(
        scalekit_client,
        "UpdateDirectory",
        UpdateDirectoryRequest(
            organization_id=org_id,
            id=made.id,
            directory=UpdateDirectory(name="Entra", directory_provider=MICROSOFT_AD),
        ),
    ).directory
    assert (renamed.name, renamed.directory_provider) == ("Entra", MICROSOFT_AD)

    empty, _ = dirs.list_directory_users(org_id, made.id)  # the SDK's own call, on no users
    assert (empty.total_size, empty.next_page_token) == (0, "")
    no_groups, _ = dirs.list_directory_groups(org_id, made.id, page_size=5)
    assert (no_groups.total_size, no_groups.next_page_token) == (0, "")

    assert answer(dirs.enable_directory(org_id, made.id)).enabled is True
    assert answer(dirs.enable_directory(org_id, made.id)).enabled is True  # as it is
    created = call(
        scalekit_client,
        "CreateDirectorySecret",
        CreateDirectorySecretRequest(organization_id=org_id, directory_id=made.id),
    )
    token = created.plain_secret
    assert len(token) >= 32
    assert token.endswith(created.secret.secret_suffix)
    assert created.secret.directory_id == made.id
    shown = answer(dirs.get_directory(org_id, made.id)).directory
    assert [s.id for s in shown.secrets] == [created.secret.id]
    assert token not in str(shown)  # the token is shown once, never again

    emails = [f"person{i}@acme.example" for i in range(3)]
    with scim(server, made.id, token) as idp:
        users = []
        for email in emails:
            r = idp.post("/Users", json=user_body(email))
            assert r.status_code == 201, r.text
            users.append(r.json()["id"])
        r = idp.post(
            "/Groups",
            json={"schemas": [GROUP], "displayName": "Engineers", "members": [{"value": users[0]}]},
        )
        assert r.status_code == 201, r.text
        group_id = r.json()["id"]

    seen, token_of_page, pages = [], "", 0
    while True:
        page = call(
            scalekit_client,
            "ListDirectoryUsers",
            ListDirectoryUsersRequest(
                organization_id=org_id, directory_id=made.id, page_size=2, page_token=token_of_page
            ),
        )
        assert page.total_size == 3
        seen += [(u.id, u.email, u.given_name) for u in page.users]
        pages += 1
        token_of_page = page.next_page_token
        if not token_of_page:
            break
    assert pages == 2
    assert seen == [(u, e, e.partition("@")[0].title()) for u, e in zip(users, emails, strict=True)]
    first = call(
        scalekit_client,
        "ListDirectoryUsers",
        ListDirectoryUsersRequest(organization_id=org_id, directory_id=made.id),
    )
    assert [g.display_name for g in first.users[0].groups] == ["Engineers"]
    assert list(first.users[0].emails) == [emails[0]]
    groups = call(
        scalekit_client,
        "ListDirectoryGroups",
        ListDirectoryGroupsRequest(organization_id=org_id, directory_id=made.id, page_size=1),
    )
    assert [(g.id, g.display_name, g.total_users) for g in groups.groups] == [
        (group_id, "Engineers", 1)
    ]
    assert (groups.total_size, groups.next_page_token) == (1, "")

    regenerated = call(
        scalekit_client,
        "RegenerateDirectorySecret",
        RegenerateDirectorySecretRequest(organization_id=org_id, directory_id=made.id),
    )
    assert regenerated.plain_secret != token
    with scim(server, made.id, token) as old:
        assert old.get("/Users").status_code == 401
    with scim(server, made.id, regenerated.plain_secret) as new:
        assert new.get("/Users").status_code == 200

    assert answer(dirs.disable_directory(org_id, made.id)).enabled is False
    with scim(server, made.id, regenerated.plain_secret) as stopped:
        assert stopped.get("/Users").status_code != 200
    dirs.delete_directory(org_id, made.id)
    with pytest.raises(ScalekitNotFoundException) as gone:
        dirs.get_directory(org_id, made.id)
    assert gone.value.error_code == "directory_not_found"
    assert dirs.get_primary_directory_by_organization_id(org_id).id == second.id


def test_updated_after_lists_only_what_changed_since(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    dirs = scalekit_client.directory
    org_id = new_org(scalekit_client, "Directory changes", dir_sync=True, server=server)
    made = new_directory(scalekit_client, org_id)
    answer(dirs.enable_directory(org_id, made.id))
    token = call(
        scalekit_client,
        "CreateDirectorySecret",
        CreateDirectorySecretRequest(organization_id=org_id, directory_id=made.id),
    ).plain_secret
    emails = ["ada@changes.example", "bob@changes.example"]
    with scim(server, made.id, token) as idp:
        ids = [idp.post("/Users", json=user_body(e)).json()["id"] for e in emails]
        r = idp.post("/Groups", json={"schemas": [GROUP], "displayName": "Eng", "members": []})
        assert r.status_code == 201, r.text

        def since_the_group() -> Any:
            groups = call(
                scalekit_client,
                "ListDirectoryGroups",
                ListDirectoryGroupsRequest(organization_id=org_id, directory_id=made.id),
            )
            return groups.groups[0].updated_at

        since = since_the_group()
        off = idp.put(f"/Users/{ids[1]}", json=user_body(emails[1], active=False))
        assert off.status_code == 200, off.text

    def listed(method: str, request: Any) -> tuple[list[str], int]:
        page = call(scalekit_client, method, request)
        items = page.users if method == "ListDirectoryUsers" else page.groups
        return [x.id for x in items], page.total_size

    users = ListDirectoryUsersRequest(
        organization_id=org_id, directory_id=made.id, updated_after=since
    )
    assert listed("ListDirectoryUsers", users) == ([ids[1]], 1)
    groups = ListDirectoryGroupsRequest(
        organization_id=org_id, directory_id=made.id, updated_after=since
    )
    assert listed("ListDirectoryGroups", groups) == ([], 0)
    everyone = ListDirectoryUsersRequest(organization_id=org_id, directory_id=made.id)
    assert listed("ListDirectoryUsers", everyone) == (ids, 2)
    later, _ = dirs.list_directory_users(org_id, made.id, updated_after=now())  # the SDK's call
    assert (later.total_size, later.next_page_token) == (0, "")


def test_refusals_name_the_field_and_carry_their_error_code(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    dirs = scalekit_client.directory
    org_id = new_org(scalekit_client, "Directory refusals", dir_sync=False, server=server)
    made = new_directory(scalekit_client, org_id)

    with pytest.raises(ScalekitBadRequestException) as off:  # dir_sync is off
        dirs.enable_directory(org_id, made.id)
    assert off.value.grpc_status == grpc.StatusCode.FAILED_PRECONDITION
    assert off.value.error_code == "feature_disabled"
    assert "dir_sync" in off.value.message

    deleted = new_directory(scalekit_client, org_id)
    dirs.delete_directory(org_id, deleted.id)
    for gone in (
        lambda: dirs.get_directory(org_id, deleted.id),
        lambda: dirs.enable_directory(org_id, deleted.id),
        lambda: dirs.delete_directory(org_id, deleted.id),
    ):
        with pytest.raises(ScalekitNotFoundException) as unknown:
            gone()
        assert unknown.value.error_code == "directory_not_found"
        assert deleted.id in unknown.value.message
    with pytest.raises(ScalekitNotFoundException) as no_org:
        dirs.list_directories("org_" + "0" * 26)
    assert no_org.value.error_code == "organization_not_found"

    refusals = {
        "directory.directory_provider": lambda: dirs.create_directory(
            org_id, CreateDirectory(directory_type=SCIM, directory_provider=PING_IDENTITY)
        ),
        "directory.directory_provider 99": lambda: dirs.create_directory(  # a newer enum value
            org_id, CreateDirectory(directory_type=SCIM, directory_provider=99)
        ),
        "directory.directory_type": lambda: dirs.create_directory(
            org_id, CreateDirectory(directory_type=LDAP, directory_provider=JUMPCLOUD)
        ),
        "updated_after": lambda: dirs.list_directory_users(
            org_id, made.id, updated_after=Timestamp(seconds=0, nanos=-1)
        ),
        "include_detail": lambda: dirs.list_directory_groups(org_id, made.id, include_detail=True),
        "page_size": lambda: dirs.list_directory_users(org_id, made.id, page_size=500),
        "directory_id": lambda: dirs.list_directory_groups(org_id, "not-a-directory"),
        "directory.enabled": lambda: call(
            scalekit_client,
            "UpdateDirectory",
            UpdateDirectoryRequest(
                organization_id=org_id, id=made.id, directory=UpdateDirectory(enabled=True)
            ),
        ),
    }
    for named, refused_call in refusals.items():
        field = named.split()[0]  # the key: the field, then what tells the cases apart
        with pytest.raises(ScalekitBadRequestException) as invalid:
            refused_call()
        assert invalid.value.grpc_status == grpc.StatusCode.INVALID_ARGUMENT, field
        assert invalid.value.error_code == "invalid_field", field
        assert invalid.value.message.startswith(f"{field}:"), invalid.value.message

    call(
        scalekit_client,
        "CreateDirectorySecret",
        CreateDirectorySecretRequest(organization_id=org_id, directory_id=made.id),
    )
    with pytest.raises(ScalekitBadRequestException) as exists:
        call(
            scalekit_client,
            "CreateDirectorySecret",
            CreateDirectorySecretRequest(organization_id=org_id, directory_id=made.id),
        )
    assert exists.value.grpc_status == grpc.StatusCode.FAILED_PRECONDITION
    assert exists.value.error_code == "directory_secret_exists"

    with pytest.raises(ScalekitNotImplementedException) as sync:
        call(
            scalekit_client,
            "TriggerDirectorySync",
            TriggerDirectorySyncRequest(organization_id=org_id, directory_id=made.id),
        )
    assert "DirectoryService.TriggerDirectorySync" in sync.value.message


def test_a_client_needs_the_directories_scopes(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    org_id = new_org(scalekit_client, "Directory scopes", dir_sync=False, server=server)
    made = new_directory(scalekit_client, org_id)
    reader = made_client(server, "--scope", "directories:read")
    assert [d.id for d in answer(reader.directory.list_directories(org_id)).directories] == [
        made.id
    ]
    for write in (
        lambda: reader.directory.create_directory(org_id, CreateDirectory(directory_type=SCIM)),
        lambda: reader.directory.delete_directory(org_id, made.id),
        lambda: call(
            reader,
            "RegenerateDirectorySecret",
            RegenerateDirectorySecretRequest(organization_id=org_id, directory_id=made.id),
        ),
    ):
        with pytest.raises(ScalekitForbiddenException) as denied:
            write()
        assert denied.value.error_code == "permission_denied"
        assert "directories:write" in denied.value.message
    outsider = made_client(server, "--scope", "organizations:read")
    with pytest.raises(ScalekitForbiddenException) as unseen:
        outsider.directory.list_directories(org_id)
    assert "directories:read" in unseen.value.message


def test_a_client_restricted_to_organizations_sees_only_their_directories(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    mine = new_org(scalekit_client, "Mine", dir_sync=False, server=server)
    other = new_org(scalekit_client, "Other", dir_sync=False, server=server)
    theirs = new_directory(scalekit_client, other)
    restricted = made_client(server, "--organization", mine)
    own = answer(
        restricted.directory.create_directory(mine, CreateDirectory(directory_type=SCIM))
    ).directory
    assert [d.id for d in answer(restricted.directory.list_directories(mine)).directories] == [
        own.id
    ]
    for refused_call in (
        lambda: restricted.directory.list_directories(other),
        lambda: restricted.directory.get_directory(other, theirs.id),
        lambda: restricted.directory.delete_directory(other, theirs.id),
        lambda: restricted.directory.create_directory(other, CreateDirectory()),
    ):
        with pytest.raises(ScalekitNotFoundException) as hidden:  # as if it did not exist
            refused_call()
        assert hidden.value.error_code == "organization_not_found"
    assert answer(scalekit_client.directory.get_directory(other, theirs.id)).directory.id == (
        theirs.id
    )


def test_a_directory_token_is_in_its_answer_and_in_no_log_nor_the_database(
    sdk_certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    database = f"sqlite:///{tmp_path / 'tokens.db'}"
    with serve(
        database, tls=sdk_certificate, args=("--http2",), log=log, log_level="debug"
    ) as logged:
        client = ScalekitClient(logged.base_url, logged.client_id, logged.client_secret)
        org_id = new_org(client, "Logged organization", dir_sync=True, server=logged)
        made = new_directory(client, org_id)
        tokens = [
            call(client, method, request(organization_id=org_id, directory_id=made.id)).plain_secret
            for method, request in (
                ("CreateDirectorySecret", CreateDirectorySecretRequest),
                ("RegenerateDirectorySecret", RegenerateDirectorySecretRequest),
            )
        ]
        with pytest.raises(ScalekitBadRequestException):  # a refusal logs nothing of them either
            call(
                client,
                "CreateDirectorySecret",
                CreateDirectorySecretRequest(organization_id=org_id, directory_id=made.id),
            )
    written = log.read_text()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("tokens.db*"))
    assert b"Logged organization" in stored  # what was stored is readable there
    for token in tokens:  # the last four characters are kept (the secret's suffix)
        assert token[:-4] not in written
        assert token[:-4].encode() not in stored
