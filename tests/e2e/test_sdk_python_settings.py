"""The official Python SDK's organization settings and admin-portal calls against a real
``tenantry serve --http2`` over TLS: features, the seat limit, the session policy, and portal
links — generated (the link really opens a portal session), listed and revoked — with their
refusals, scopes and per-client organization restrictions.

The guide's samples ("Enable organization features", "Generate Admin Portal link") run as
printed, only the placeholder organization id being this server's. The server's public base URL
(``TENANTRY_SSO_BASE_URL``) is its own, so a link's location is where an IT admin would go."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.wrappers_pb2 import Int32Value
from scalekit import ScalekitClient
from scalekit.common.exceptions import (
    ScalekitBadRequestException,
    ScalekitForbiddenException,
    ScalekitNotFoundException,
)
from scalekit.v1.commons.commons_pb2 import TimeUnit
from scalekit.v1.organizations.organizations_pb2 import (
    CreateOrganization,
    DeletePortalLinkByIdRequest,
    DeletePortalLinkRequest,
    Feature,
    GeneratePortalLinkRequest,
    GetOrganizationUserManagementSettingsRequest,
    GetPortalLinkRequest,
    SessionPolicyType,
)

import tenantry
from tests.e2e.http_support import Server, free_port, serve
from tests.e2e.sdk_support import answer, made_client

# The guide's Python samples (seed-organizations-guide.md), verbatim.
FEATURES_SAMPLE = """
settings = [
    {"sso": True},
    {"dir_sync": True},
]

scalekit_client.organization.update_organization_settings(
    'org_12345',
    settings
)
"""

PORTAL_SAMPLE = """
portal_link = scalekit_client.organization.generate_portal_link('org_12345')
print(f'Admin Portal URL: {portal_link}')
"""


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sdk_certificate: tuple[Path, Path]
) -> Iterator[Server]:
    """``tenantry serve --http2`` over TLS whose public base URL is its own address."""
    port = free_port()
    with serve(
        f"sqlite:///{tmp_path_factory.mktemp('sdk-settings') / 'sdk.db'}",
        port=port,
        tls=sdk_certificate,
        args=("--http2",),
        env={"TENANTRY_SSO_BASE_URL": f"https://127.0.0.1:{port}"},
    ) as s:
        yield s


@pytest.fixture(scope="module")
def scalekit_client(server: Server) -> ScalekitClient:
    return ScalekitClient(server.base_url, server.client_id, server.client_secret)


def _new_org(client: ScalekitClient, name: str = "Settings Co") -> str:
    made = answer(client.organization.create_organization(CreateOrganization(display_name=name)))
    org_id: str = made.organization.id
    return org_id


def _enabled(client: ScalekitClient, org_id: str) -> set[str]:
    """The features the organization has on (every known feature is listed, on or off)."""
    org = answer(client.organization.get_organization(org_id)).organization
    return {f.name for f in org.settings.features if f.enabled}


def _call(client: ScalekitClient, method: str, request: Any) -> Any:
    """A call the SDK has no method for, through its own stub and error handling."""
    stub = client.organization.organization_service
    return answer(client.core_client.grpc_exec(getattr(stub, method).with_call, request))


def _actors(server: Server, org_id: str, event: str) -> list[str]:
    history = tenantry.connect(server.database_url).list_history(org_id)
    return [e.actor for e in history if e.event == event]


def _gone_org(client: ScalekitClient) -> str:
    org_id = _new_org(client, "Gone")
    client.organization.delete_organization(org_id)
    return org_id


def test_the_guides_feature_sample_fails_in_the_sdk_and_its_descriptor_shape_works(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    """The sample's ``{"sso": True}`` items are no ``OrganizationSettingsFeature`` (its fields
    are ``name`` and ``enabled``): the SDK refuses to build the request, before any call, with
    the hosted service as with tenantry. The items the descriptor takes turn the features on."""
    org_id = _new_org(scalekit_client)
    scope: dict[str, Any] = {"scalekit_client": scalekit_client}
    with pytest.raises(ValueError, match='OrganizationSettingsFeature has no "sso" field'):
        exec(FEATURES_SAMPLE.replace("org_12345", org_id), scope)
    assert _enabled(scalekit_client, org_id) == set()

    settings = [{"name": "sso", "enabled": True}, {"name": "dir_sync", "enabled": True}]
    updated = answer(scalekit_client.organization.update_organization_settings(org_id, settings))
    on = {f.name for f in updated.organization.settings.features if f.enabled}
    assert on == {"sso", "dir_sync"}
    assert _enabled(scalekit_client, org_id) == {"sso", "dir_sync"}
    again = answer(scalekit_client.organization.update_organization_settings(org_id, settings))
    assert again.organization.update_time == updated.organization.update_time  # nothing new
    off = [{"name": "dir_sync", "enabled": False}]
    scalekit_client.organization.update_organization_settings(org_id, off)
    assert _enabled(scalekit_client, org_id) == {"sso"}
    actor = f"client:{server.client_id}"
    assert _actors(server, org_id, "FeatureToggled") == [actor, actor, actor]


def test_the_guides_portal_sample_prints_a_link_that_opens_the_portal(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    org_id = _new_org(scalekit_client, "Portal Co")
    scope: dict[str, Any] = {"scalekit_client": scalekit_client}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(PORTAL_SAMPLE.replace("org_12345", org_id), scope)
    link = scope["portal_link"]
    assert link.id.startswith("lnk_")
    assert link.location.startswith(f"{server.base_url}/portal/open?token=")
    assert link.location in printed.getvalue()
    assert link.expire_time.seconds > 0

    with httpx.Client(verify=server.verify, timeout=10) as browser:
        door = browser.get(link.location)  # a page whose form posts the token
        assert door.status_code == 200
        token = link.location.partition("token=")[2]
        assert f'value="{token}"' in door.text
        opened = browser.post(f"{server.base_url}/portal/open", data={"token": token})
        assert opened.status_code == 303
        assert opened.headers["location"] == "/portal"
        assert browser.cookies.get("tenantry_portal")
        home = browser.get(f"{server.base_url}/portal")
        assert home.status_code == 200
        assert "Portal Co" in home.text
        assert "Single sign-on" in home.text
        assert "Directory sync" in home.text
        assert "Domains" not in home.text  # the link's default features: sso and dir_sync
    with httpx.Client(verify=server.verify, timeout=10) as other:
        again = other.post(f"{server.base_url}/portal/open", data={"token": token})
        assert again.status_code == 401  # a link opens once
        assert "portal_link_used" in again.text
    assert _actors(server, org_id, "PortalLinkGenerated") == [f"client:{server.client_id}"]


def test_portal_links_are_listed_without_a_secret_and_revoked(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    orgs = scalekit_client.organization
    org_id = _new_org(scalekit_client, "Links Co")
    first = orgs.generate_portal_link(org_id, [Feature.sso])
    second = orgs.generate_portal_link(org_id, [Feature.dir_sync, Feature.sso])
    flagged = _call(  # the request's older flags name features too
        scalekit_client,
        "GeneratePortalLink",
        GeneratePortalLinkRequest(id=org_id, directory_sync=True),
    ).link
    features = {
        k.id: k.features for k in tenantry.connect(server.database_url).list_portal_links(org_id)
    }
    assert features == {first.id: ["sso"], second.id: ["sso", "dir_sync"], flagged.id: ["dir_sync"]}
    listed = _call(scalekit_client, "GetPortalLinks", GetPortalLinkRequest(id=org_id))
    assert [(k.id, k.location) for k in listed.links] == [
        (first.id, ""),
        (second.id, ""),
        (flagged.id, ""),
    ]
    assert listed.links[0].expire_time == first.expire_time

    _call(
        scalekit_client,
        "DeletePortalLinkByID",
        DeletePortalLinkByIdRequest(id=org_id, link_id=first.id),
    )
    _call(  # revoked already: answered all the same
        scalekit_client,
        "DeletePortalLinkByID",
        DeletePortalLinkByIdRequest(id=org_id, link_id=first.id),
    )
    listed = _call(scalekit_client, "GetPortalLinks", GetPortalLinkRequest(id=org_id))
    assert [k.id for k in listed.links] == [second.id, flagged.id]
    with httpx.Client(verify=server.verify, timeout=10) as browser:
        token = first.location.partition("token=")[2]
        refused = browser.post(f"{server.base_url}/portal/open", data={"token": token})
        assert refused.status_code == 401
        assert "portal_link_revoked" in refused.text

    _call(scalekit_client, "DeletePortalLink", DeletePortalLinkRequest(id=org_id))
    assert not _call(scalekit_client, "GetPortalLinks", GetPortalLinkRequest(id=org_id)).links
    assert _actors(server, org_id, "PortalLinkRevoked") == [f"client:{server.client_id}"] * 3


def test_the_seat_limit_is_set_read_and_cleared(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    orgs = scalekit_client.organization
    org_id = _new_org(scalekit_client, "Seats Co")

    def read() -> Any:
        request = GetOrganizationUserManagementSettingsRequest(organization_id=org_id)
        return _call(scalekit_client, "GetOrganizationUserManagementSetting", request).settings

    assert not read().HasField("max_allowed_users")  # off until set
    assert orgs.upsert_user_management_settings(org_id, 25).max_allowed_users.value == 25
    assert read().max_allowed_users == Int32Value(value=25)
    assert orgs.upsert_user_management_settings(org_id, 25).max_allowed_users.value == 25
    assert orgs.upsert_user_management_settings(org_id, 0).max_allowed_users == Int32Value()
    assert read().HasField("max_allowed_users")  # 0: no limit, but set
    assert not orgs.upsert_user_management_settings(org_id).HasField("max_allowed_users")
    assert not read().HasField("max_allowed_users")
    assert _actors(server, org_id, "LimitSet") == [f"client:{server.client_id}"] * 3


def test_the_session_policy_is_set_custom_and_back_to_the_applications(
    scalekit_client: ScalekitClient,
) -> None:
    orgs = scalekit_client.organization
    org_id = _new_org(scalekit_client, "Policy Co")
    policy = answer(orgs.get_organization_session_policy(org_id)).policy
    assert policy.policy_source == SessionPolicyType.APPLICATION
    assert not policy.HasField("absolute_session_timeout")

    custom = answer(
        orgs.update_organization_session_policy(
            org_id,
            SessionPolicyType.CUSTOM,
            absolute_session_timeout=12,
            absolute_session_timeout_unit=TimeUnit.HOURS,
            idle_session_timeout_enabled=True,
            idle_session_timeout=30,
            idle_session_timeout_unit=TimeUnit.MINUTES,
        )
    ).policy
    fetched = answer(orgs.get_organization_session_policy(org_id)).policy
    assert custom == fetched
    assert fetched.policy_source == SessionPolicyType.CUSTOM
    assert fetched.absolute_session_timeout.value == 12
    assert fetched.absolute_session_timeout_unit == TimeUnit.HOURS
    assert fetched.idle_session_timeout_enabled.value is True
    assert fetched.idle_session_timeout.value == 30
    assert fetched.idle_session_timeout_unit == TimeUnit.MINUTES

    back = answer(orgs.update_organization_session_policy(org_id, SessionPolicyType.APPLICATION))
    assert back.policy.policy_source == SessionPolicyType.APPLICATION
    assert not back.policy.HasField("idle_session_timeout")
    assert back.policy.idle_session_timeout_enabled.value is False
    same = answer(orgs.update_organization_session_policy(org_id, SessionPolicyType.APPLICATION))
    assert same.policy == back.policy  # asking for what already is answers it


def _bad(call: Any) -> ScalekitBadRequestException:
    with pytest.raises(ScalekitBadRequestException) as refused:
        call()
    assert refused.value.grpc_status == grpc.StatusCode.INVALID_ARGUMENT
    return refused.value


def test_invalid_settings_are_refused_naming_the_field(scalekit_client: ScalekitClient) -> None:
    orgs = scalekit_client.organization
    org_id = _new_org(scalekit_client, "Invalid Co")
    unknown = _bad(
        lambda: orgs.update_organization_settings(org_id, [{"name": "teleport", "enabled": True}])
    )
    assert unknown.error_code == "unknown_feature"
    assert "settings.features.name" in unknown.message
    assert "teleport" in unknown.message
    assert _bad(lambda: orgs.update_organization_settings(org_id, [])).error_code == (
        "invalid_field"
    )
    negative = _bad(lambda: orgs.upsert_user_management_settings(org_id, -1))
    assert negative.error_code == "invalid_field"
    assert "max_allowed_users" in negative.message

    no_unit = _bad(
        lambda: orgs.update_organization_session_policy(
            org_id, SessionPolicyType.CUSTOM, absolute_session_timeout=5
        )
    )
    assert "absolute_session_timeout" in no_unit.message
    longer_idle = _bad(
        lambda: orgs.update_organization_session_policy(
            org_id,
            SessionPolicyType.CUSTOM,
            absolute_session_timeout=1,
            absolute_session_timeout_unit=TimeUnit.HOURS,
            idle_session_timeout_enabled=True,
            idle_session_timeout=2,
            idle_session_timeout_unit=TimeUnit.HOURS,
        )
    )
    assert "idle_session_timeout" in longer_idle.message
    unspecified = _bad(
        lambda: orgs.update_organization_session_policy(
            org_id, SessionPolicyType.SESSION_POLICY_TYPE_UNSPECIFIED
        )
    )
    assert "policy_source" in unspecified.message
    bad_unit = _bad(
        lambda: orgs.update_organization_session_policy(
            org_id,
            SessionPolicyType.CUSTOM,
            absolute_session_timeout=5,
            absolute_session_timeout_unit=TimeUnit.SESSION_TIME_UNIT_UNSPECIFIED,
        )
    )
    assert "absolute_session_timeout_unit" in bad_unit.message

    feature = _bad(lambda: orgs.generate_portal_link(org_id, [Feature.FEATURE_UNSPECIFIED]))
    assert feature.error_code == "invalid_field"
    assert "features" in feature.message
    link_id = _bad(
        lambda: _call(
            scalekit_client,
            "DeletePortalLinkByID",
            DeletePortalLinkByIdRequest(id=org_id, link_id="nope"),
        )
    )
    assert "link_id" in link_id.message


def test_every_call_on_an_unknown_organization_is_not_found(
    scalekit_client: ScalekitClient,
) -> None:
    orgs = scalekit_client.organization
    gone = _gone_org(scalekit_client)
    calls = {
        "settings": lambda: orgs.update_organization_settings(
            gone, [{"name": "sso", "enabled": True}]
        ),
        "seats": lambda: orgs.upsert_user_management_settings(gone, 3),
        "read seats": lambda: _call(
            scalekit_client,
            "GetOrganizationUserManagementSetting",
            GetOrganizationUserManagementSettingsRequest(organization_id=gone),
        ),
        "policy": lambda: orgs.get_organization_session_policy(gone),
        "set policy": lambda: orgs.update_organization_session_policy(
            gone, SessionPolicyType.APPLICATION
        ),
        "link": lambda: orgs.generate_portal_link(gone),
        "links": lambda: _call(scalekit_client, "GetPortalLinks", GetPortalLinkRequest(id=gone)),
        "revoke all": lambda: _call(
            scalekit_client, "DeletePortalLink", DeletePortalLinkRequest(id=gone)
        ),
    }
    for name, call in calls.items():
        with pytest.raises(ScalekitNotFoundException) as missing:
            call()
        assert missing.value.error_code == "organization_not_found", name
        assert missing.value.grpc_status == grpc.StatusCode.NOT_FOUND, name

    org_id = _new_org(scalekit_client, "Link Lost Co")
    other = orgs.generate_portal_link(_new_org(scalekit_client, "Other Links Co"))
    with pytest.raises(ScalekitNotFoundException) as not_its:  # another organization's link
        _call(
            scalekit_client,
            "DeletePortalLinkByID",
            DeletePortalLinkByIdRequest(id=org_id, link_id=other.id),
        )
    assert not_its.value.error_code == "portal_link_not_found"


def test_portal_links_need_their_scopes(server: Server, scalekit_client: ScalekitClient) -> None:
    org_id = _new_org(scalekit_client, "Scoped Co")
    settings_only = made_client(server, "--scope", "organizations:write")
    settings_only.organization.update_organization_settings(
        org_id, [{"name": "sso", "enabled": True}]
    )
    with pytest.raises(ScalekitForbiddenException) as denied:
        settings_only.organization.generate_portal_link(org_id)
    assert denied.value.error_code == "permission_denied"
    assert "portal_links:write" in denied.value.message

    links_only = made_client(server, "--scope", "portal_links:write")
    made = links_only.organization.generate_portal_link(org_id)
    listed = _call(links_only, "GetPortalLinks", GetPortalLinkRequest(id=org_id))
    assert made.id in [k.id for k in listed.links]  # write implies read
    with pytest.raises(ScalekitForbiddenException) as no_settings:
        links_only.organization.update_organization_settings(
            org_id, [{"name": "sso", "enabled": False}]
        )
    assert "organizations:write" in no_settings.value.message

    reader = made_client(server, "--scope", "organizations:read,portal_links:read")
    assert answer(reader.organization.get_organization_session_policy(org_id)).policy
    assert _call(reader, "GetPortalLinks", GetPortalLinkRequest(id=org_id)).links
    with pytest.raises(ScalekitForbiddenException):
        reader.organization.upsert_user_management_settings(org_id, 5)
    with pytest.raises(ScalekitForbiddenException) as no_revoke:
        _call(reader, "DeletePortalLink", DeletePortalLinkRequest(id=org_id))
    assert "portal_links:write" in no_revoke.value.message


def test_a_client_restricted_to_organizations_reaches_only_theirs(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    mine, other = _new_org(scalekit_client, "Mine"), _new_org(scalekit_client, "Not mine")
    restricted = made_client(server, "--organization", mine)
    restricted.organization.update_organization_settings(mine, [{"name": "sso", "enabled": True}])
    assert restricted.organization.generate_portal_link(mine).location
    for call in (
        lambda: restricted.organization.update_organization_settings(
            other, [{"name": "sso", "enabled": True}]
        ),
        lambda: restricted.organization.upsert_user_management_settings(other, 1),
        lambda: restricted.organization.get_organization_session_policy(other),
        lambda: restricted.organization.generate_portal_link(other),
        lambda: _call(restricted, "DeletePortalLink", DeletePortalLinkRequest(id=other)),
    ):
        with pytest.raises(ScalekitNotFoundException) as hidden:  # as if it did not exist
            call()
        assert hidden.value.error_code == "organization_not_found"
    assert _enabled(scalekit_client, other) == set()
