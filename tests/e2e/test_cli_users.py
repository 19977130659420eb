"""``tenantry users``: every users command from the shell, with ``--json``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantry.domain.errors import ErrorKind
from tests.e2e.test_cli import Cli, _refusal
from tests.support import database


@pytest.fixture(params=["sqlite", "postgres"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    with database(request.param, tmp_path) as url:
        yield Cli(url, tmp_path)


def test_a_user_lives_through_every_users_command(cli: Cli) -> None:
    org = cli.json("orgs", "create", "Initech")["id"]
    cli.json("members", "add", org, "peter@initech.example")
    cli.json("members", "invite", org, "milton@initech.example")

    updated = cli.json(
        "users", "update", "peter@initech.example", "--external-id", "crm-peter",
        "-m", "desk=4b", "--profile", "given_name=Peter", "--profile", "locale=en-US",
        "--actor", "bill@initech.example",
    )  # fmt: skip
    assert (updated["external_id"], updated["metadata"]) == ("crm-peter", {"desk": "4b"})
    assert updated["user_profile"]["locale"] == "en-US"
    assert cli.json("users", "get", updated["id"]) == updated

    listed = cli.json("users", "list", "--page-size", "1")
    assert (listed["total_size"], len(listed["users"])) == (2, 1)
    assert cli.json("users", "list", "--external-id", "crm-peter")["users"] == [updated]
    found = cli.json("users", "search", "MILTON", "--org", org)
    assert [u["email"] for u in found["users"]] == ["milton@initech.example"]

    deleted = cli.json("users", "delete", "milton@initech.example", "--reason", "fired")
    assert deleted["removed_from"] == [org]
    assert cli.json("seats", "usage", org)["pending_invitations"] == 0
    history = cli.json("users", "history", "milton@initech.example")["entries"]
    assert [(h["aggregate"], h["event"]) for h in history][-2:] == [
        ("Membership", "Removed"),
        ("User", "Deleted"),
    ]
    assert history[-1]["reason"] == "fired"

    _refusal(
        cli("users", "get", "milton@initech.example", expect=4),
        "user_not_found",
        ErrorKind.NOT_FOUND,
    )
    bad = cli("users", "update", "peter@initech.example", "--profile", "phone_number=12", expect=3)
    _refusal(bad, "invalid_field", ErrorKind.INVALID_ARGUMENT)
    assert "user_profile.phone_number" in bad.err


def test_users_history_of_an_unknown_user_is_not_found(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 't.db'}", tmp_path)
    result = cli("users", "history", "nobody@x.example", expect=4)
    _refusal(result, "user_not_found", ErrorKind.NOT_FOUND)
