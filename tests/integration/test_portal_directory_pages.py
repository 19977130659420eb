"""The portal's SCIM directory pages, in process (``create_app`` behind a ``TestClient`` holding a
portal session's cookie): creating a directory shows its endpoint and its token once, and the
token works; enabling completes the step the framing page is told about; rotating (with a grace
period), revoking, mapping groups to roles, paging through what the directory synced. A form
without the session's token, a session whose link does not grant ``dir_sync``, or a bad value
is refused — the error next to the field it names — and nothing is recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.adapters.web import WebSettings
from tenantry.application.app import Tenantry
from tenantry.errors import DirectoryTokenInvalid
from tests.integration.portal_support import (
    csrf_of,
    dashboard_client,
    portal_client,
)
from tests.provisioning_support import scim_group, scim_user
from tests.unit.helpers import stored

FRAMER = "https://app.vendor.example"
ENDPOINT = re.compile(r'<code id="c-scim-base-url">([^<]+)</code>')
TOKEN = re.compile(r'<code id="c-bearer-token">([^<]+)</code>')
DIRECTORY = re.compile(r"/portal/directories/(dir_[0-9a-z]+)")


@dataclass
class Portal:
    app: FastAPI
    t: Tenantry
    org: str
    client: TestClient
    actor: str
    csrf: str

    def recorded(self) -> int:
        return self.t.recorder.max_notification_id() or 0

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> Any:
        form = {"csrf_token": self.csrf} if csrf else {}
        return self.client.post(f"/portal{path}", data={**form, **(data or {})})

    def create(self, provider: str = "OKTA", name: str = "Okta") -> tuple[str, str]:
        page = self.post("/directories", {"provider": provider, "name": name})
        assert page.status_code == 201, page.text
        found, token = DIRECTORY.search(page.text), TOKEN.search(page.text)
        assert found is not None
        assert token is not None
        return found.group(1), token.group(1)


@pytest.fixture
def served() -> Iterator[tuple[FastAPI, Tenantry]]:
    app = create_app("memory://", web=WebSettings(frame_ancestors=(FRAMER,)))
    with TestClient(app):
        yield app, app.state.tenantry


def _portal(
    served: tuple[FastAPI, Tenantry],
    features: tuple[str, ...] = ("dir_sync",),
    *,
    dir_sync: bool = True,
) -> Portal:
    app, t = served
    org = t.create_organization("Acme").id
    if dir_sync:
        t.update_organization_settings(org, {"dir_sync": True})
    client, actor = portal_client(app, org, features)
    page = client.get("/portal/directories")
    csrf = csrf_of(page.text) if page.status_code == 200 else ""
    return Portal(app, t, org, client, actor, csrf)


@pytest.fixture
def portal(served: tuple[FastAPI, Tenantry]) -> Portal:
    return _portal(served)


def test_creating_a_directory_shows_its_endpoint_and_a_token_that_works(portal: Portal) -> None:
    page = portal.post("/directories", {"provider": "OKTA", "name": "Okta production"})
    assert page.status_code == 201
    assert page.headers["cache-control"] == "no-store"
    assert 'data-completed-step="dir_sync.created"' in page.text
    directory_id = DIRECTORY.search(page.text).group(1)  # type: ignore[union-attr]
    endpoint, token = ENDPOINT.search(page.text), TOKEN.search(page.text)
    assert endpoint is not None
    assert token is not None
    assert endpoint.group(1) == f"http://localhost:8000/scim/v2/{directory_id}"
    assert 'data-copy="c-bearer-token"' in page.text
    assert 'data-copy="c-scim-base-url"' in page.text
    actors = {s["actor"] for _, topic, s in stored(portal.t) if "directory" in topic.lower()}
    assert actors == {portal.actor}
    directory = portal.t.get_directory(portal.org, directory_id)
    assert (directory.name, directory.directory_provider) == ("Okta production", "OKTA")
    portal.t.enable_directory(portal.org, directory_id)
    principal = portal.t.authenticate_directory(directory_id, token.group(1))
    assert principal.organization_id == portal.org


def test_the_token_is_never_shown_again(portal: Portal) -> None:
    directory_id, token = portal.create()
    for path in ("", f"/{directory_id}", f"/{directory_id}/users", f"/{directory_id}/groups"):
        page = portal.client.get(f"/portal/directories{path}")
        assert page.status_code == 200, path
        assert token not in page.text, path
    detail = portal.client.get(f"/portal/directories/{directory_id}")
    assert f"…{token[-4:]}" in detail.text  # the token is known by its last four characters
    assert TOKEN.search(detail.text) is None


def test_a_provider_that_is_not_one_is_shown_next_to_its_field_and_nothing_is_recorded(
    portal: Portal,
) -> None:
    before = portal.recorded()
    page = portal.post("/directories", {"provider": "NOVELL", "name": "Old one"})
    assert page.status_code == 400
    error = re.search(r'<p class="error" id="e-provider">([^<]+)</p>', page.text)
    assert error is not None
    assert "must be one of OKTA" in error.group(1)
    assert 'value="Old one"' in page.text  # what was typed stays
    assert portal.recorded() == before
    assert portal.t.list_directories(portal.org) == []


def test_a_form_without_the_sessions_token_is_refused_and_nothing_is_recorded(
    portal: Portal,
) -> None:
    before = portal.recorded()
    missing = portal.post("/directories", {"provider": "OKTA"}, csrf=False)
    assert missing.status_code == 403
    assert "form_token_invalid" in missing.text
    forged = portal.client.post(
        "/portal/directories", data={"csrf_token": "0" * 40, "provider": "OKTA"}
    )
    assert forged.status_code == 403
    directory_id = portal.t.create_directory(portal.org, "OKTA").id
    before = portal.recorded()
    for action in ("enable", "secrets", "mapping", "delete"):
        path = f"/directories/{directory_id}/{action}"
        assert portal.post(path, csrf=False).status_code == 403, action
    assert portal.recorded() == before


def test_a_session_without_dir_sync_sees_no_directory_page_and_writes_nothing(
    served: tuple[FastAPI, Tenantry],
) -> None:
    portal = _portal(served, ("sso", "domain_verification"))
    page = portal.client.get("/portal/directories")
    assert page.status_code == 403
    assert "feature_not_in_scope" in page.text
    csrf = csrf_of(portal.client.get("/portal/domains").text)
    before = portal.recorded()
    created = portal.client.post(
        "/portal/directories", data={"csrf_token": csrf, "provider": "OKTA"}
    )
    assert created.status_code == 403
    assert portal.recorded() == before


def test_another_organizations_directory_is_not_found_from_this_portal(
    served: tuple[FastAPI, Tenantry], portal: Portal
) -> None:
    other = portal.t.create_organization("Other").id
    theirs = portal.t.create_directory(other, "OKTA").id
    assert portal.client.get(f"/portal/directories/{theirs}").status_code == 404
    before = portal.recorded()
    assert portal.post(f"/directories/{theirs}/enable").status_code == 404
    assert portal.recorded() == before


def test_enabling_completes_the_step_and_disabling_stops_the_token(portal: Portal) -> None:
    directory_id, token = portal.create()
    enabled = portal.post(f"/directories/{directory_id}/enable")
    assert enabled.status_code == 303
    before = portal.recorded()
    twice = portal.post(f"/directories/{directory_id}/enable")  # a second click: as it is
    assert twice.status_code == 303
    assert portal.recorded() == before
    page = portal.client.get(enabled.headers["location"])
    assert 'data-completed-step="dir_sync.enabled"' in page.text
    assert f'data-parent-origins="{FRAMER}"' in page.text
    assert portal.t.authenticate_directory(directory_id, token).directory_id == directory_id
    disabled = portal.post(f"/directories/{directory_id}/disable")
    assert disabled.status_code == 303
    page = portal.client.get(disabled.headers["location"])
    assert "data-completed-step" not in page.text
    assert not portal.t.get_directory(portal.org, directory_id).enabled
    # the step is only claimed when it is true: a hand-made ?done=enabled claims nothing
    again = portal.client.get(f"/portal/directories/{directory_id}?done=enabled")
    assert "data-completed-step" not in again.text


def test_enabling_while_dir_sync_is_off_says_why_and_records_nothing(
    served: tuple[FastAPI, Tenantry],
) -> None:
    portal = _portal(served, dir_sync=False)
    directory_id, _ = portal.create()
    before = portal.recorded()
    page = portal.post(f"/directories/{directory_id}/enable")
    assert page.status_code == 422
    alert = re.search(r'class="alert" role="alert">([^<]+)<', page.text)
    assert alert is not None
    assert "Directory sync is turned off for this organization" in alert.group(1)
    assert "Ask tenantry to turn it on" in alert.group(1)
    assert portal.recorded() == before


def test_rotating_with_a_grace_period_keeps_the_old_token_for_a_while(portal: Portal) -> None:
    directory_id, first = portal.create()
    portal.t.enable_directory(portal.org, directory_id)
    page = portal.post(f"/directories/{directory_id}/secrets", {"grace_period": "3600"})
    assert page.status_code == 201
    assert page.headers["cache-control"] == "no-store"
    second = TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
    assert second != first
    for token in (first, second):
        assert portal.t.authenticate_directory(directory_id, token).directory_id == directory_id
    old = portal.t.get_directory(portal.org, directory_id).secrets[0]
    assert old.expire_time is not None
    assert old.expire_time > old.create_time + timedelta(minutes=59)
    page = portal.post(f"/directories/{directory_id}/secrets", {"grace_period": ""})
    third = TOKEN.search(page.text).group(1)  # type: ignore[union-attr]
    for token in (first, second):
        with pytest.raises(DirectoryTokenInvalid):
            portal.t.authenticate_directory(directory_id, token)
    assert portal.t.authenticate_directory(directory_id, third).directory_id == directory_id


@pytest.mark.parametrize(
    ("grace", "rule"), [("forever", "whole number"), (str(31 * 86400), "30 days")]
)
def test_a_grace_period_out_of_bounds_is_shown_next_to_its_field(
    portal: Portal, grace: str, rule: str
) -> None:
    directory_id, _token = portal.create()
    before = portal.recorded()
    page = portal.post(f"/directories/{directory_id}/secrets", {"grace_period": grace})
    assert page.status_code == 400
    error = re.search(r'<p class="error" id="e-grace_period">([^<]+)</p>', page.text)
    assert error is not None
    assert rule in error.group(1)
    assert TOKEN.search(page.text) is None
    assert portal.recorded() == before
    assert len(portal.t.get_directory(portal.org, directory_id).secrets) == 1


def test_revoking_a_token_stops_it_at_once(portal: Portal) -> None:
    directory_id, token = portal.create()
    portal.t.enable_directory(portal.org, directory_id)
    secret_id = portal.t.get_directory(portal.org, directory_id).secrets[0].id
    page = portal.client.get(f"/portal/directories/{directory_id}")
    action = f"/portal/directories/{directory_id}/secrets/{secret_id}/revoke"
    assert f'action="{action}"' in page.text
    revoked = portal.post(f"/directories/{directory_id}/secrets/{secret_id}/revoke")
    assert revoked.status_code == 303
    with pytest.raises(DirectoryTokenInvalid):
        portal.t.authenticate_directory(directory_id, token)
    page = portal.client.get(revoked.headers["location"])
    assert "The token is revoked" in page.text
    assert action not in page.text


def test_groups_are_mapped_to_roles_from_the_form(portal: Portal) -> None:
    directory_id, _ = portal.create()
    portal.t.create_organization_role(portal.org, "billing", display_name="Billing")
    page = portal.client.get(f"/portal/directories/{directory_id}")
    for role in ("admin", "member", "billing"):
        assert f'<option value="{role}"' in page.text
    form = {
        "group_0": "Engineering",
        "role_0": "admin",
        "group_1": " Finance ",
        "role_1": "billing",
    }
    saved = portal.post(
        f"/directories/{directory_id}/mapping", {**form, "group_2": "", "role_2": ""}
    )
    assert saved.status_code == 303
    mapping = portal.t.get_directory(portal.org, directory_id).mapping.group_roles
    assert mapping == {"Engineering": "admin", "Finance": "billing"}
    page = portal.client.get(saved.headers["location"])
    assert 'value="Engineering"' in page.text
    assert "The group mapping is saved" in page.text
    before = portal.recorded()
    again = portal.post(f"/directories/{directory_id}/mapping", form)  # saved as it was
    assert again.status_code == 303
    assert portal.recorded() == before
    cleared = portal.post(f"/directories/{directory_id}/mapping", {"group_0": "", "role_0": ""})
    assert cleared.status_code == 303
    assert portal.t.get_directory(portal.org, directory_id).mapping.group_roles == {}


@pytest.mark.parametrize(
    ("form", "field", "rule"),
    [
        ({"group_0": "Eng", "role_0": "admin", "group_1": "Ops", "role_1": ""}, "role_1", "choose"),
        ({"group_0": "", "role_0": "admin"}, "group_0", "name the group"),
        (
            {"group_0": "Eng", "role_0": "admin", "group_1": "Ops", "role_1": "ghost"},
            "role_1",
            "'ghost' is not defined",
        ),
        (
            {"group_0": "Eng", "role_0": "admin", "group_1": "ENG", "role_1": "member"},
            "group_roles",
            "named twice",
        ),
    ],
)
def test_a_bad_mapping_row_is_shown_next_to_it_and_nothing_is_recorded(
    portal: Portal, form: dict[str, str], field: str, rule: str
) -> None:
    directory_id, _ = portal.create()
    portal.t.create_organization_role(portal.org, "billing")  # roles are enforced from now on
    before = portal.recorded()
    page = portal.post(f"/directories/{directory_id}/mapping", form)
    assert page.status_code == 400
    error = re.search(rf'id="e-{field}">([^<]+)<', page.text)
    assert error is not None, page.text
    assert rule in error.group(1).replace("&#39;", "'")
    assert 'value="Eng"' in page.text or field == "group_0"  # the rows typed stay
    assert portal.recorded() == before


def test_synced_users_and_groups_are_shown_a_page_at_a_time(portal: Portal) -> None:
    directory_id, _ = portal.create()
    portal.t.enable_directory(portal.org, directory_id)
    users = [
        portal.t.scim_create(directory_id, "User", scim_user(f"u{i:02}@acme.example")).id
        for i in range(27)
    ]
    portal.t.scim_create(directory_id, "Group", scim_group("Engineering", users[:2]))
    portal.t.update_directory(
        portal.org, directory_id, mapping={"group_roles": {"engineering": "admin"}}
    )
    first = portal.client.get(f"/portal/directories/{directory_id}/users")
    assert "27 users" in first.text
    assert "u00@acme.example" in first.text
    assert "u24@acme.example" in first.text
    assert "u25@acme.example" not in first.text
    after = re.search(r'href="\?page_token=([^"]+)">Next page', first.text)
    assert after is not None
    second = portal.client.get(
        f"/portal/directories/{directory_id}/users", params={"page_token": after.group(1)}
    )
    assert "u25@acme.example" in second.text
    assert "u26@acme.example" in second.text
    assert "u00@acme.example" not in second.text
    assert "Next page" not in second.text
    assert "First page" in second.text
    groups = portal.client.get(f"/portal/directories/{directory_id}/groups")
    row = re.search(r"<td>Engineering</td>\s*<td>2</td>\s*<td>admin</td>", groups.text)
    assert row is not None, groups.text


def test_a_page_token_that_is_not_one_is_refused_as_a_page(portal: Portal) -> None:
    directory_id, _ = portal.create()
    page = portal.client.get(
        f"/portal/directories/{directory_id}/users", params={"page_token": "nonsense"}
    )
    assert page.status_code == 400
    assert "page_token" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_the_dashboard_shows_the_same_pages_unframed_with_its_operators_actor(
    served: tuple[FastAPI, Tenantry],
) -> None:
    app, t = served
    org = t.create_organization("Acme").id
    client = dashboard_client(app, "ops")
    base = f"/dashboard/organizations/{org}/directories"
    page = client.get(base)
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    created = client.post(base, data={"csrf_token": csrf_of(page.text), "provider": "GOOGLE"})
    assert created.status_code == 201
    assert f'href="{base}/dir_' in created.text
    (directory,) = t.list_directories(org)
    assert directory.directory_provider == "GOOGLE"
    actors = {s["actor"] for _, topic, s in stored(t) if "directory" in topic.lower()}
    assert actors == {"dashboard:ops"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/directories/nonsense"),
        ("GET", "/directories/dir_00000000000000000000000000"),
        ("GET", "/directories/nonsense/users"),
        ("GET", "/directories?done=" + "x" * 100),
        ("POST", "/directories/nonsense/enable"),
        ("POST", "/directories/nonsense/secrets"),
        ("POST", "/directories/nonsense/mapping"),
        ("POST", "/directories/nonsense/delete"),
        ("POST", "/directories/{dir}/secrets/nonsense/revoke"),
        ("POST", "/directories/{dir}/secrets/dsec_00000000000000000000000000/revoke"),
    ],
)
def test_an_id_or_value_that_is_not_one_is_a_refusal_page_never_a_500(
    portal: Portal, method: str, path: str
) -> None:
    directory_id, _ = portal.create()
    before = portal.recorded()
    path = path.replace("{dir}", directory_id)
    if method == "GET":
        page = portal.client.get(f"/portal{path}")
    else:
        page = portal.post(path, {"name": "\x00", "grace_period": "-1", "group_0": "x" * 300})
    assert 400 <= page.status_code < 500, (page.status_code, page.text)
    assert page.headers["content-type"].startswith("text/html")
    assert portal.recorded() == before


def test_deleting_a_directory_stops_its_token_and_lists_it_no_more(portal: Portal) -> None:
    directory_id, token = portal.create()
    portal.t.enable_directory(portal.org, directory_id)
    deleted = portal.post(f"/directories/{directory_id}/delete")
    assert deleted.status_code == 303
    page = portal.client.get(deleted.headers["location"])
    assert "The directory is deleted" in page.text
    assert directory_id not in page.text
    with pytest.raises(DirectoryTokenInvalid):
        portal.t.authenticate_directory(directory_id, token)
    assert portal.client.get(f"/portal/directories/{directory_id}").status_code == 404
