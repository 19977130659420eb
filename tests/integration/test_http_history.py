"""History, time travel and the audit log over HTTP, on every backend: an organization's
history (its members' role and metadata changes too) paged and filtered, the organization as it
was, what changed between two points, the environment-wide audit log; bad points are 400
``invalid_field`` naming the parameter; public ids in the recorded data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tests.integration.http_support import ORGS, Api, assert_error, authorized, token

AUDIT = "/api/v1/audit"
MEMBERSHIP = "/api/v1/memberships/organizations/{org}/users/{user}"


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    app = create_app(database_url)
    with TestClient(app) as client:
        yield authorized(app, client)


def _story(api: Api) -> tuple[str, str]:
    """An organization renamed, with a member whose roles and metadata changed (the last two
    for an end user): ``(organization id, user id)``."""
    org = api.create_org(display_name="Before")
    r = api.call("PATCH", f"{ORGS}/{org['id']}", json={"display_name": "After"})
    assert r.status_code == 200, r.text
    r = api.call(
        "POST",
        f"{ORGS}/{org['id']}/users",
        params={"send_invitation_email": "false"},
        json={"email": "ada@history.example"},
    )
    assert r.status_code == 201, r.text
    user = r.json()["user"]["id"]
    path = MEMBERSHIP.format(org=org["id"], user=user)
    for body in ({"roles": ["admin"]}, {"metadata": {"team": "core"}}):
        r = api.call("PATCH", path, json=body, headers={"X-Tenantry-On-Behalf-Of": "usr_ada"})
        assert r.status_code == 200, r.text
    return org["id"], user


def _all(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every entry of a paged log, two at a time."""
    out: list[dict[str, Any]] = []
    token = ""
    while True:
        r = api.call("GET", path, params={**params, "page_size": 2, "page_token": token})
        assert r.status_code == 200, r.text
        out += r.json()["entries"]
        token = r.json()["next_page_token"]
        if not token:
            return out


def test_history_holds_organization_and_member_changes_paged_and_filtered(api: Api) -> None:
    org, _ = _story(api)
    entries = _all(api, f"{ORGS}/{org}/history")
    events = [e["event"] for e in entries]
    for event in ("Organization.Created", "Organization.Renamed"):
        assert event in events
    assert "Membership.RolesChanged" in events
    assert "Membership.MetadataChanged" in events
    assert [e["position"] for e in entries] == sorted(e["position"] for e in entries)
    assert {e["organization_id"] for e in entries} == {org}
    roles = _all(api, f"{ORGS}/{org}/history", event_type="Membership.RolesChanged")
    assert [e["data"]["roles"] for e in roles] == [["admin"]]
    for_ada = _all(api, f"{ORGS}/{org}/history", on_behalf_of="usr_ada")
    assert [e["event"] for e in for_ada] == [
        "Organization.MemberRolesChanged",
        "Membership.RolesChanged",
        "Organization.MemberMetadataChanged",
        "Membership.MetadataChanged",
    ]
    actor = entries[0]["actor"]
    assert actor.startswith("client:")
    assert len(_all(api, f"{ORGS}/{org}/history", actor=actor)) == len(entries)
    assert _all(api, f"{ORGS}/{org}/history", actor="client:nobody") == []
    renamed = next(e for e in entries if e["event"] == "Organization.Renamed")
    since = _all(api, f"{ORGS}/{org}/history", **{"from": renamed["timestamp"]})
    moment = datetime.fromisoformat(renamed["timestamp"])
    assert since == [e for e in entries if datetime.fromisoformat(e["timestamp"]) >= moment]
    until = _all(api, f"{ORGS}/{org}/history", to=entries[0]["timestamp"])
    assert until == []


def test_recorded_data_names_public_ids_not_uuids(api: Api) -> None:
    org, user = _story(api)
    entries = _all(api, f"{ORGS}/{org}/history")
    added = next(e for e in entries if e["event"].startswith("Membership.") and e["version"] == 1)
    assert added["data"]["organization_id"] == org
    assert added["data"]["user_id"] == user
    seat = next(e for e in entries if "user_id" in e["data"] and e["aggregate"] == "Organization")
    assert seat["data"]["user_id"] == user
    for e in entries:
        for key, value in e["data"].items():
            if key.endswith("_id") and isinstance(value, str) and value:
                assert value.startswith(("org_", "usr_", "inv_")), (e["event"], key, value)


def test_history_of_an_unknown_organization_is_not_found(api: Api) -> None:
    org = api.create_org()["id"]
    unknown = org[:-1] + ("0" if org[-1] != "0" else "1")
    assert_error(api.call("GET", f"{ORGS}/{unknown}/history"), 404, "organization_not_found")


@pytest.mark.parametrize("param", ["from", "to"])
def test_a_bad_time_filter_is_invalid_naming_the_parameter(api: Api, param: str) -> None:
    org = api.create_org()["id"]
    for path in (f"{ORGS}/{org}/history", AUDIT):
        body = assert_error(
            api.call("GET", path, params={param: "yesterday"}), 400, "invalid_field"
        )
        assert body["details"]["field"] == param


def test_the_organization_as_it_was_at_a_version_or_a_moment(api: Api) -> None:
    org, user = _story(api)
    entries = _all(api, f"{ORGS}/{org}/history")
    r = api.call("GET", f"{ORGS}/{org}", params={"version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["organization"]["display_name"] == "Before"
    assert r.json()["organization"]["seats_in_use"] == 0
    assert r.json()["members"] == []
    created = entries[0]["timestamp"]
    r = api.call("GET", f"{ORGS}/{org}", params={"as_of": created})
    assert r.status_code == 200, r.text
    assert r.json()["organization"]["display_name"] in ("Before", "After")  # same instant?
    r = api.call("GET", f"{ORGS}/{org}", params={"as_of": entries[-1]["timestamp"]})
    assert r.json()["organization"]["display_name"] == "After"
    assert r.json()["organization"]["seats_in_use"] == 1
    assert r.json()["seat_usage"]["active_members"] == 1
    [member] = r.json()["members"]
    assert (member["user_id"], member["roles"], member["metadata"]) == (
        user,
        ["admin"],
        {"team": "core"},
    )
    added = next(e for e in entries if e["event"] == "Membership.Provisioned")
    r = api.call("GET", f"{ORGS}/{org}", params={"as_of": added["timestamp"]})
    assert [m["roles"] for m in r.json()["members"]] == [["member"]]
    body = assert_error(
        api.call("GET", f"{ORGS}/{org}", params={"as_of": "last week"}), 400, "invalid_field"
    )
    assert body["details"]["field"] == "as_of"
    both = api.call("GET", f"{ORGS}/{org}", params={"as_of": created, "version": 1})
    assert assert_error(both, 400, "invalid_field")["details"]["field"] == "as_of"
    assert_error(api.call("GET", f"{ORGS}/{org}", params={"version": 99}), 404, "version_not_found")


def test_diff_between_versions_and_bad_points(api: Api) -> None:
    org, _ = _story(api)
    r = api.call("GET", f"{ORGS}/{org}/diff", params={"from": 1, "to": 2})
    assert r.status_code == 200, r.text
    diff = r.json()
    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    assert {"field": "display_name", "before": "Before", "after": "After"} in diff["changes"]
    body = assert_error(
        api.call("GET", f"{ORGS}/{org}/diff", params={"from": "soon"}), 400, "invalid_field"
    )
    assert body["details"]["field"] == "from"
    missing = api.call("GET", f"{ORGS}/{org}/diff")
    assert assert_error(missing, 400, "invalid_field")["details"]["field"] == "from"


def test_the_audit_log_spans_organizations_and_filters(api: Api) -> None:
    org, _ = _story(api)
    other = api.create_org(display_name="Other")["id"]
    everything = _all(api, AUDIT)
    assert {org, other} <= {e["organization_id"] for e in everything}
    only = _all(api, AUDIT, organization_id=other)
    assert [e["event"] for e in only] == ["Organization.Created"]
    renamed = _all(api, AUDIT, event_type="Organization.Renamed")
    assert [e["organization_id"] for e in renamed] == [org]
    assert [e["event"] for e in _all(api, AUDIT, on_behalf_of="usr_ada")] == [
        "Organization.MemberRolesChanged",
        "Membership.RolesChanged",
        "Organization.MemberMetadataChanged",
        "Membership.MetadataChanged",
    ]


def test_a_restricted_client_sees_only_its_organizations_audit(database_url: str) -> None:
    app = create_app(database_url)
    with TestClient(app) as client:
        admin = authorized(app, client)
        mine = admin.create_org(display_name="Mine")["id"]
        theirs = admin.create_org(display_name="Theirs")["id"]
        new = app.state.clients.create_client("one", organizations=[mine])
        r = token(client, new.client_id, new.client_secret)
        api = Api(client, {"Authorization": f"Bearer {r.json()['access_token']}"})
        assert_error(api.call("GET", AUDIT), 403, "permission_denied")
        refused = api.call("GET", AUDIT, params={"organization_id": theirs})
        assert_error(refused, 404, "organization_not_found")
        assert_error(api.call("GET", f"{ORGS}/{theirs}/history"), 404, "organization_not_found")
        assert [e["organization_id"] for e in _all(api, AUDIT, organization_id=mine)] == [mine]
