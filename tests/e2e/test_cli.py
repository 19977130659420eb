"""The installed ``tenantry`` command, run as a subprocess on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import tenantry
from tenantry.adapters.cli import EXIT_CODES
from tenantry.domain.errors import ErrorKind
from tests.support import FakeClock, database, postgres_schema

_EXE = shutil.which("tenantry")
COMMAND = (
    [_EXE] if _EXE else [sys.executable, "-c", "from tenantry.adapters.cli import main; main()"]
)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs ``tenantry`` against one database (given through TENANTRY_DATABASE_URL)."""

    def __init__(self, database_url: str, cwd: Path) -> None:
        self.database_url = database_url
        self.cwd = cwd

    def __call__(self, *args: str, stdin: str | None = None, expect: int = 0) -> Result:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
        env.update(TENANTRY_DATABASE_URL=self.database_url, COLUMNS="200")
        done = subprocess.run(
            [*COMMAND, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.cwd,
            timeout=120,
        )
        result = Result(done.returncode, done.stdout, done.stderr)
        assert result.code == expect, f"tenantry {' '.join(args)} exited {result.code}: {result}"
        return result

    def json(self, *args: str) -> Any:
        return self(*args, "--json").json()


def _sqlite(tmp_path: Path, name: str = "tenantry.db") -> str:
    return f"sqlite:///{tmp_path / name}"


@pytest.fixture(params=["sqlite", "postgres"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    with database(request.param, tmp_path) as url:
        yield Cli(url, tmp_path)


@pytest.fixture
def pg_cli(pg_url: str, tmp_path: Path) -> Iterator[Cli]:
    with postgres_schema(pg_url) as schema_url:
        yield Cli(schema_url, tmp_path)


def _refusal(result: Result, code: str, kind: ErrorKind) -> None:
    """A refusal: its kind's exit code and one line on stderr naming the error's code."""
    assert result.code == EXIT_CODES[kind]
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"error [{code}]: ")
    assert "Traceback" not in result.err
    assert result.out == ""


def test_an_organization_lives_through_every_organization_command(cli: Cli) -> None:
    org = cli.json(
        "orgs", "create", "Megasoft", "--external-id", "mega-1", "--slug", "megasoft",
        "-m", "plan=enterprise", "--region", "EU", "--actor", "ops@vendor.example",
    )  # fmt: skip
    assert org["id"].startswith("org_")
    assert (org["display_name"], org["region_code"], org["metadata"]) == (
        "Megasoft", "EU", {"plan": "enterprise"},
    )  # fmt: skip
    assert cli.json("orgs", "get", org["id"]) == org
    assert cli.json("orgs", "get", "--external-id", "mega-1") == org
    listed = cli.json("orgs", "list", "--external-id", "mega-1")
    assert (listed["total_size"], listed["organizations"]) == (1, [org])
    found = cli.json("orgs", "search", "MEGA")
    assert [o["id"] for o in found["organizations"]] == [org["id"]]
    table = cli("orgs", "get", org["id"]).out
    assert "Megasoft" in table
    assert "plan=enterprise" in table

    updated = cli.json(
        "orgs", "update", org["id"], "--display-name", "Megasoft Inc.", "--slug", "",
        "--reason", "legal rename",
    )  # fmt: skip
    assert (updated["display_name"], updated["slug"], updated["version"]) == (
        "Megasoft Inc.", None, 3,
    )  # fmt: skip
    features = cli.json("settings", "features", org["id"], "sso=on", "dir_sync=on")
    assert {f["name"]: f["enabled"] for f in features["settings"]["features"]} == {
        "sso": True, "dir_sync": True, "domain_verification": False, "session_policy": False,
    }  # fmt: skip

    assert cli.json("seats", "set", org["id"], "25") == {"max_allowed_users": 25}
    assert cli.json("seats", "get", org["id"]) == {"max_allowed_users": 25}
    usage = cli.json("seats", "usage", org["id"])
    assert (usage["seats_in_use"], usage["seats_free"]) == (0, 25)

    policy = cli.json(
        "session-policy", "set", org["id"], "--absolute", "12", "--absolute-unit", "hours",
        "--idle", "30", "--idle-unit", "MINUTES",
    )  # fmt: skip
    assert policy == cli.json("session-policy", "get", org["id"])
    assert (policy["policy_source"], policy["absolute_session_timeout_unit"]) == (
        "CUSTOM", "HOURS",
    )  # fmt: skip
    assert policy["idle_session_timeout_enabled"] is True

    methods = cli.json("sign-in-methods", "set", org["id"], "sso", "passkey")
    assert methods["allowed_sign_in_methods"] == ["passkey", "sso"]
    assert cli.json("sign-in-methods", "get", org["id"]) == methods
    inherited = cli.json("sign-in-methods", "set", org["id"], "--inherit")
    assert inherited["allowed_sign_in_methods"] is None

    assert cli.json("orgs", "delete", org["id"]) == {
        "action": "deleted", "organization_id": org["id"], "user": None,
    }  # fmt: skip
    _refusal(
        cli("orgs", "get", "--external-id", "mega-1", expect=4),
        "organization_not_found", ErrorKind.NOT_FOUND,
    )  # fmt: skip
    # The external id is free again once its organization is deleted.
    assert cli.json("orgs", "create", "Megasoft 2", "--external-id", "mega-1")["version"] == 1


def test_json_output_is_exactly_the_python_apis_data(tmp_path: Path) -> None:
    cli = Cli(_sqlite(tmp_path), tmp_path)
    org = cli.json("orgs", "create", "Initech", "-m", "plan=basic")
    t = tenantry.connect(cli.database_url)
    try:
        assert org == t.get_organization(org["id"]).model_dump(mode="json")
    finally:
        t.close()


def test_members_move_through_every_member_command(tmp_path: Path) -> None:
    cli = Cli(_sqlite(tmp_path), tmp_path)
    signed_up = cli.json("signup", "founder@initech.example", "Initech", "--slug", "initech")
    org_id = signed_up["organization"]["id"]
    assert signed_up["membership"]["status"] == "ACTIVE"
    assert signed_up["membership"]["roles"] == ["admin"]
    cli.json("seats", "set", org_id, "3")

    ada = cli.json(
        "members", "invite", org_id, "Ada@Initech.example", "-r", "admin", "-r", "billing",
        "-m", "team=core", "--inviter-email", "founder@initech.example", "--expires-in", "7d",
    )  # fmt: skip
    assert (ada["email"], ada["status"], ada["roles"]) == (
        "ada@initech.example", "PENDING_INVITE", ["admin", "billing"],
    )  # fmt: skip
    created = datetime.fromisoformat(ada["invitation"]["created_at"])
    expires = datetime.fromisoformat(ada["invitation"]["expires_at"])
    # Invitations expire on a whole second, rounded up.
    assert timedelta(days=7) <= expires - created < timedelta(days=7, seconds=1)
    assert expires.microsecond == 0
    cli.json("members", "invite", org_id, "bob@initech.example")
    _refusal(
        cli("members", "invite", org_id, "cy@initech.example", expect=6),
        "seat_limit_reached", ErrorKind.FAILED_PRECONDITION,
    )  # fmt: skip

    resent = cli.json("members", "resend", org_id, "bob@initech.example", "--expires-in", "P20D")
    assert resent["invitation"]["resent_count"] == 1
    accepted = cli.json("members", "accept", org_id, ada["user_id"])
    assert accepted["status"] == "ACTIVE"
    assert cli.json("members", "revoke", org_id, "bob@initech.example")["action"] == "revoked"

    cy = cli.json("members", "add", org_id, "cy@initech.example", "--provisioning-method",
                  "jit_using_sso")  # fmt: skip
    assert (cy["status"], cy["provisioning_method"]) == ("ACTIVE", "jit_using_sso")
    assert cli.json("members", "roles", org_id, cy["user_id"], "member", "auditor")["roles"] == [
        "auditor", "member",
    ]  # fmt: skip
    assert cli.json("members", "metadata", org_id, cy["email"], "desk=4b")["metadata"] == {
        "desk": "4b"
    }
    assert cli.json("members", "deactivate", org_id, cy["email"])["status"] == "INACTIVE"
    assert cli.json("members", "reactivate", org_id, cy["email"])["status"] == "ACTIVE"
    assert cli.json("members", "get", org_id, cy["email"])["metadata"] == {"desk": "4b"}
    active = cli.json("members", "list", org_id, "--status", "ACTIVE")
    assert sorted(m["email"] for m in active["members"]) == [
        "ada@initech.example", "cy@initech.example", "founder@initech.example",
    ]  # fmt: skip
    assert active["total_size"] == 3
    shown = cli.json("users", "get", "cy@initech.example")
    assert (shown["id"], shown["email"]) == (cy["user_id"], "cy@initech.example")
    removed = cli.json("members", "remove", org_id, cy["email"], "--reason", "left")
    assert removed == {"action": "removed", "organization_id": org_id, "user": cy["email"]}
    usage = cli.json("seats", "usage", org_id)
    assert (usage["active_members"], usage["pending_invitations"]) == (2, 0)


def test_the_sweep_records_invitations_that_have_expired(tmp_path: Path) -> None:
    cli = Cli(_sqlite(tmp_path), tmp_path)
    past = FakeClock(datetime(2020, 1, 1, tzinfo=UTC))
    t = tenantry.connect(cli.database_url, clock=past)
    try:
        org = t.create_organization("Expiring")
        t.invite_member(org.id, "late@expiring.example", expires_in=timedelta(days=1))
    finally:
        t.close()
    swept = cli.json("sweep", org.id)
    assert swept == {"organizations_checked": 1, "invitations_expired": 1}
    assert cli.json("members", "get", org.id, "late@expiring.example")["status"] == (
        "INVITE_EXPIRED"
    )
    last = cli.json("history", org.id)[-1]
    assert (last["event"], last["actor"]) == ("InvitationExpired", "system:expiry-sweep")
    assert "organizations_checked" in cli("sweep").out


def test_history_show_and_diff_reconstruct_a_known_history(cli: Cli) -> None:
    org = cli.json("orgs", "create", "Hooli", "--external-id", "hooli")
    org_id = org["id"]
    cli.json("orgs", "update", org_id, "--display-name", "Hooli XYZ", "--actor", "gavin@hooli")
    cli.json("seats", "set", org_id, "10", "--reason", "pilot")
    cli.json("orgs", "update", org_id, "--display-name", "Nucleus")

    history = cli.json("history", org_id)
    assert [(h["version"], h["event"]) for h in history] == [
        (1, "Created"), (2, "Renamed"), (3, "LimitSet"), (4, "Renamed"),
    ]  # fmt: skip
    assert (history[1]["actor"], history[2]["reason"]) == ("gavin@hooli", "pilot")
    assert history[1]["changes"] == [
        {"field": "display_name", "before": "Hooli", "after": "Hooli XYZ"}
    ]
    table = cli("history", org_id).out
    assert "display_name: Hooli → Hooli XYZ" in table
    assert "gavin@hooli" in table

    at_v2 = cli.json("show", org_id, "--as-of", history[1]["timestamp"])
    assert (at_v2["display_name"], at_v2["version"]) == ("Hooli XYZ", 2)
    at_v3 = cli.json("show", org_id, "--as-of", history[2]["timestamp"])
    assert (at_v3["display_name"], at_v3["version"]) == ("Hooli XYZ", 3)
    assert cli.json("show", org_id, "--version", "1")["display_name"] == "Hooli"
    before = datetime.fromisoformat(history[0]["timestamp"]) - timedelta(seconds=1)
    _refusal(
        cli("show", org_id, "--as-of", before.isoformat(), expect=4),
        "version_not_found", ErrorKind.NOT_FOUND,
    )  # fmt: skip

    diff = cli.json("diff", org_id, "--from", "1", "--to", history[2]["timestamp"])
    assert (diff["from_version"], diff["to_version"]) == (1, 3)
    assert {c["field"]: (c["before"], c["after"]) for c in diff["changes"]} == {
        "display_name": ("Hooli", "Hooli XYZ"),
        "max_allowed_users": (None, 10),
    }
    whole = cli.json("diff", org_id, "--from", "1")
    assert whole["to_version"] == 4
    assert whole["changes"][0] == {"field": "display_name", "before": "Hooli", "after": "Nucleus"}
    assert "Nucleus" in cli("diff", org_id, "--from", "2", "--to", "4").out


def test_refusals_exit_with_the_code_of_their_kind(tmp_path: Path) -> None:
    cli = Cli(_sqlite(tmp_path), tmp_path)
    org = cli.json("orgs", "create", "Pied Piper", "--external-id", "pp")
    _refusal(cli("orgs", "get", "org_nope", expect=3), "invalid_field", ErrorKind.INVALID_ARGUMENT)
    _refusal(
        cli("settings", "features", org["id"], "teleport=on", expect=3),
        "unknown_feature", ErrorKind.INVALID_ARGUMENT,
    )  # fmt: skip
    _refusal(
        cli("orgs", "create", "Copy", "--external-id", "pp", expect=5),
        "external_id_taken", ErrorKind.CONFLICT,
    )  # fmt: skip
    _refusal(
        cli("orgs", "update", org["id"], "--display-name", "Pied Piper", expect=6),
        "nothing_changed", ErrorKind.FAILED_PRECONDITION,
    )  # fmt: skip
    _refusal(
        cli("show", org["id"], "--as-of", "last tuesday", expect=3),
        "invalid_field", ErrorKind.INVALID_ARGUMENT,
    )  # fmt: skip
    as_json = cli("orgs", "get", "--external-id", "nobody", "--json", expect=4)
    assert json.loads(as_json.err) == {
        "error": {
            "code": "organization_not_found",
            "kind": "not_found",
            "message": "organization 'nobody' not found",
            "details": {"organization": "nobody"},
        }
    }
    usage = cli("orgs", "create", expect=2)  # click's usage error keeps its own code
    assert "Missing argument" in usage.err
    assert len(set(EXIT_CODES.values()) | {0, 1, 2}) == len(EXIT_CODES) + 3


def test_a_database_that_cannot_be_opened_is_unavailable_with_a_traceback_only_with_debug(
    tmp_path: Path,
) -> None:
    # A directory where the SQLite file should be: the store itself fails.
    cli = Cli(f"sqlite:///{tmp_path}", tmp_path)
    plain = cli("orgs", "create", "Hooli", expect=EXIT_CODES["unavailable"])
    assert plain.err.startswith("error [unavailable]: the database is unavailable: ")
    assert len(plain.err.strip().splitlines()) == 1
    assert "Traceback" not in plain.err
    debug = cli("orgs", "create", "Hooli", "--debug", expect=1)
    assert "Traceback (most recent call last)" in debug.err


def test_the_database_url_option_wins_over_the_environment(tmp_path: Path) -> None:
    cli = Cli(_sqlite(tmp_path, "env.db"), tmp_path)
    org = cli.json("orgs", "create", "Elsewhere", "--database-url", _sqlite(tmp_path, "flag.db"))
    _refusal(cli("orgs", "get", org["id"], expect=4), "organization_not_found", ErrorKind.NOT_FOUND)
    assert cli.json("orgs", "get", org["id"], "-d", _sqlite(tmp_path, "flag.db")) == org


def _seed(database_url: str) -> str:
    """A source organization with members, in the Python API (the CLI's commands are covered
    above; this test is about moving the history)."""
    t = tenantry.connect(database_url)
    try:
        org = t.create_organization("Acme", external_id="acme-1", slug="acme", actor="ops")
        t.upsert_user_management_settings(org.id, 5)
        t.invite_member(org.id, "ada@acme.example", roles=["admin"])
        t.invite_member(org.id, "bob@acme.example")
        t.accept_invitation(org.id, "ada@acme.example")
        t.remove_member(org.id, "bob@acme.example", reason="left")
        t.update_organization(org.id, display_name="Acme Inc.", reason="rename")
        return org.id
    finally:
        t.close()


def test_an_export_round_trips_sqlite_to_postgresql_to_sqlite_with_identical_histories(
    pg_cli: Cli, tmp_path: Path
) -> None:
    source = Cli(_sqlite(tmp_path, "source.db"), tmp_path)
    back = Cli(_sqlite(tmp_path, "back.db"), tmp_path)
    org_id = _seed(source.database_url)

    exported = source("export", org_id)
    assert "exported" not in exported.out  # the summary goes to stderr, the events to stdout
    lines = exported.out.splitlines()
    assert [json.loads(line)["originator_version"] for line in lines][:1] == [1]
    imported = pg_cli("import", "-", "--json", stdin=exported.out).json()
    assert imported == {
        "organization_id": org_id,
        "events": len(lines),
        "memberships": 2,
        "users": 2,
        "users_skipped": 0,
        "keys_claimed": ["external_id=acme-1", "slug=acme"],
    }
    from_pg = pg_cli("export", org_id, "--output", str(tmp_path / "pg.jsonl"), "--json").json()
    assert from_pg["events"] == len(lines)
    assert (tmp_path / "pg.jsonl").read_text() == exported.out

    assert back.json("import", str(tmp_path / "pg.jsonl"))["organization_id"] == org_id
    assert back("export", org_id).out == exported.out
    histories = [c.json("history", org_id) for c in (source, pg_cli, back)]
    assert histories[0] == histories[1] == histories[2]
    assert back.json("orgs", "get", "--external-id", "acme-1") == source.json("orgs", "get", org_id)
    assert back.json("members", "get", org_id, "ada@acme.example")["status"] == "ACTIVE"

    _refusal(
        pg_cli("import", str(tmp_path / "pg.jsonl"), expect=5),
        "organization_already_exists", ErrorKind.CONFLICT,
    )  # fmt: skip


def test_an_import_is_refused_whole_when_a_live_organization_holds_the_slug(
    tmp_path: Path,
) -> None:
    source = Cli(_sqlite(tmp_path, "source.db"), tmp_path)
    target = Cli(_sqlite(tmp_path, "target.db"), tmp_path)
    org_id = _seed(source.database_url)
    source("export", org_id, "-o", str(tmp_path / "acme.jsonl"))
    target.json("orgs", "create", "Local Acme", "--slug", "acme")
    _refusal(
        target("import", str(tmp_path / "acme.jsonl"), expect=5), "slug_taken", ErrorKind.CONFLICT
    )
    _refusal(target("history", org_id, expect=4), "organization_not_found", ErrorKind.NOT_FOUND)
    _refusal(
        target("import", str(tmp_path / "missing.jsonl"), expect=3),
        "invalid_field", ErrorKind.INVALID_ARGUMENT,
    )  # fmt: skip


def test_the_demo_runs_twice_in_the_same_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    for _ in range(2):
        done = subprocess.run(
            [*COMMAND, "demo"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert "seat_limit_reached" in done.stdout
        assert "Acme Corporation" in done.stdout
    assert "searching 'acme' finds 2" in done.stdout  # the second run sees both runs' orgs
    assert (tmp_path / "tenantry.db").exists()
    status = Cli(_sqlite(tmp_path), tmp_path)("projections", "status")
    assert "organizations" in status.out


def test_organizations_are_listed_a_page_at_a_time(tmp_path: Path) -> None:
    cli = Cli(_sqlite(tmp_path), tmp_path)
    t = tenantry.connect(cli.database_url)
    try:
        created = [t.create_organization(f"Org {i:02}").id for i in range(12)]
    finally:
        t.close()
    first = cli.json("orgs", "list", "--page-size", "10")
    assert (first["total_size"], first["prev_page_token"]) == (12, "")
    assert [o["id"] for o in first["organizations"]] == created[:10]
    second = cli.json("orgs", "list", "--page-size", "10", "--page-token", first["next_page_token"])
    assert [o["id"] for o in second["organizations"]] == created[10:]
    assert second["next_page_token"] == ""
    table = cli("orgs", "list", "--page-size", "10").out
    assert f"--page-token {first['next_page_token']}" in table
    _refusal(
        cli("orgs", "list", "--page-token", "garbage", expect=3),
        "invalid_field", ErrorKind.INVALID_ARGUMENT,
    )  # fmt: skip
