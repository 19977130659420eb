"""``tenantry directories …``: a directory is created, mapped, enabled and given a token the CLI
prints once (with the SCIM endpoint under ``$TENANTRY_SSO_BASE_URL``), rotated with a grace
period and revoked; the token is never stored nor shown again, every change names the CLI's
actor, and a refusal exits with its kind's code, naming the field."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import tenantry
from tests.e2e.cli_support import cli_json, run_cli
from tests.provisioning_support import active_directory, scim_group, scim_user

BASE = "https://scim.cli.example"


def _run(
    url: str, *args: str, expect: int = 0, as_json: bool = True
) -> subprocess.CompletedProcess[str]:
    return run_cli(url, BASE, *args, expect=expect, as_json=as_json)


def _json(url: str, *args: str) -> Any:
    return cli_json(url, BASE, *args)


def test_a_directory_is_set_up_and_its_token_printed_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dirs.db'}"
    org = _json(url, "orgs", "create", "Cli SCIM")["id"]
    _json(url, "settings", "features", org, "dir_sync=on")
    created = _json(url, "directories", "create", org, "--provider", "OKTA", "--name", "Okta")
    dir_id = created["id"]
    assert created["directory_endpoint"] == f"{BASE}/scim/v2/{dir_id}"
    assert created["enabled"] is False
    mapped = _json(
        url,
        "directories",
        "update",
        org,
        dir_id,
        "--email",
        "emails.work",
        "--family-name",
        "none",
        "--metadata",
        "dept=enterprise.department",
        "--group-role",
        "Admins=admin",
    )
    assert mapped["mapping"] == {
        "email": "emails.work",
        "given_name": "name.givenName",
        "family_name": None,
        "metadata": {"dept": "enterprise.department"},
        "group_roles": {"Admins": "admin"},
    }
    assert _json(url, "directories", "enable", org, dir_id)["active"] is True
    first = _json(url, "directories", "secret-create", org, dir_id)
    token = first["plain_secret"]
    assert first["secret"]["secret_suffix"] == token[-4:]
    assert first["directory"]["directory_endpoint"] == f"{BASE}/scim/v2/{dir_id}"
    human = _run(
        url, "directories", "secret-create", org, dir_id, "--grace-period", "1h", as_json=False
    )
    assert "shown once" in human.stdout
    assert f"{BASE}/scim/v2/{dir_id}" in human.stdout
    listed = _json(url, "directories", "list", org)
    assert [d["id"] for d in listed] == [dir_id]
    old, new = listed[0]["secrets"]
    assert (old["status"], new["status"]) == ("ACTIVE", "ACTIVE")
    assert old["expire_time"] is not None
    revoked = _json(url, "directories", "secret-revoke", org, dir_id, old["id"])
    assert revoked["secrets"][0]["status"] == "REVOKED"
    assert _json(url, "directories", "disable", org, dir_id)["enabled"] is False
    assert _json(url, "directories", "get", org, dir_id)["name"] == "Okta"
    shown = _run(url, "directories", "get", org, dir_id).stdout
    shown += _run(url, "directories", "list", org, as_json=False).stdout
    assert token not in shown
    t = tenantry.connect(url)
    try:
        stored = t.recorder.select_notifications(start=None, limit=1000)
        assert not [n for n in stored if token in n.state.decode()]
        ours = [json.loads(n.state) for n in stored if ":Directory." in n.topic]
        assert len(ours) == 7  # created, updated, enabled, 2 secrets, revoked, disabled
        assert {e["actor"] for e in ours} == {"cli:ops"}
    finally:
        t.close()
    deleted = _json(url, "directories", "delete", org, dir_id)
    assert deleted == {"action": "deleted", "organization_id": org, "id": dir_id}


def test_refusals_exit_with_their_kind_naming_the_field(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'refused.db'}"
    org = _json(url, "orgs", "create", "Cli refusals")["id"]
    dir_id = _json(url, "directories", "create", org)["id"]
    off = _run(url, "directories", "enable", org, dir_id, expect=6)  # failed precondition
    assert json.loads(off.stderr)["error"]["code"] == "feature_disabled"
    bad = _run(url, "directories", "update", org, dir_id, "--email", "title", expect=3)
    assert json.loads(bad.stderr)["error"]["details"]["field"] == "mapping.email"
    grace = _run(
        url, "directories", "secret-create", org, dir_id, "--grace-period", "soon", expect=3
    )
    assert json.loads(grace.stderr)["error"]["details"]["field"] == "grace_period"
    missing = _run(url, "directories", "get", org, "dir_" + "0" * 26, expect=4)
    assert json.loads(missing.stderr)["error"]["code"] == "directory_not_found"


def test_the_users_and_groups_a_directory_synced_are_listed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'synced.db'}"
    app = tenantry.connect(url)
    try:
        org, directory = active_directory(app)
        made = [
            app.scim_create(directory, "User", scim_user(f"u{i}@synced.example")).id
            for i in range(3)
        ]
        app.scim_create(directory, "Group", scim_group("Engineers", made[:2]))
    finally:
        app.close()
    first = _json(url, "directories", "users", org, directory, "--page-size", "2")
    assert [u["user_name"] for u in first["users"]] == ["u0@synced.example", "u1@synced.example"]
    assert first["total_size"] == 3
    assert [g["display_name"] for g in first["users"][0]["groups"]] == ["Engineers"]
    rest = _json(
        url, "directories", "users", org, directory, "--page-token", first["next_page_token"]
    )
    assert [u["user_name"] for u in rest["users"]] == ["u2@synced.example"]
    assert rest["next_page_token"] == ""
    groups = _json(url, "directories", "groups", org, directory)["groups"]
    assert [(g["display_name"], g["total_users"]) for g in groups] == [("Engineers", 2)]
    table = _run(url, "directories", "users", org, directory, as_json=False).stdout
    assert rest["users"][0]["id"] in table  # the id column never wraps
    assert "3 of 3" in table


def test_the_listings_take_updated_after_and_refuse_a_bad_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'changed.db'}"
    app = tenantry.connect(url)
    try:
        org, directory = active_directory(app)
        ada, bob = (
            app.scim_create(directory, "User", scim_user(f"{n}@changed.example")).id
            for n in ("ada", "bob")
        )
        app.scim_create(directory, "Group", scim_group("Eng", [ada]))
        since = app.list_directory_groups(org, directory).groups[0].update_time.isoformat()
        app.scim_replace(directory, "User", bob, scim_user("bob@changed.example", active=False))
    finally:
        app.close()
    users = _json(url, "directories", "users", org, directory, "--updated-after", since)
    assert ([u["id"] for u in users["users"]], users["total_size"]) == ([bob], 1)
    groups = _json(url, "directories", "groups", org, directory, "--updated-after", since)
    assert groups["groups"] == []
    for bad in ("1764720000", "2026-11-01T12:00:00", "soon"):
        refused = _run(
            url, "directories", "users", org, directory, "--updated-after", bad, expect=3
        )
        assert json.loads(refused.stderr)["error"]["details"]["field"] == "updated_after", bad
