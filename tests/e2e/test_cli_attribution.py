"""Who the ``tenantry`` command records: the OS user (``cli:<user>``) or ``--actor``, the end user
of ``--on-behalf-of``, and API clients' lifecycle — never a secret."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import pytest
import typer.main

import tenantry
from tenantry.adapters.cli import app
from tests.e2e.test_cli import Cli

WRITES = {
    ("orgs", "create"),
    ("orgs", "update"),
    ("orgs", "delete"),
    ("settings", "features"),
    ("seats", "set"),
    ("session-policy", "set"),
    ("sign-in-methods", "set"),
    ("signup",),
    ("members", "invite"),
    ("members", "add"),
    ("members", "accept"),
    ("members", "resend"),
    ("members", "revoke"),
    ("members", "remove"),
    ("members", "deactivate"),
    ("members", "reactivate"),
    ("members", "roles"),
    ("members", "metadata"),
    ("clients", "create"),
    ("clients", "rotate"),
    ("clients", "delete"),
    ("connections", "create"),
    ("connections", "saml"),
    ("connections", "oidc"),
    ("connections", "mapping"),
    ("connections", "enable"),
    ("connections", "disable"),
    ("connections", "delete"),
    ("connections", "test-result"),
    ("domains", "add"),
    ("domains", "verify"),
    ("domains", "delete"),
}
"""Every command that records what a person asked for (the sweep and import record as the
system or the importer: they take ``--actor`` only)."""


def _options(*path: str) -> set[str]:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return {opt for p in command.params for opt in getattr(p, "opts", [])}


@pytest.mark.parametrize("path", sorted(WRITES))
def test_every_write_command_takes_actor_and_on_behalf_of(path: tuple[str, ...]) -> None:
    assert {"--actor", "--on-behalf-of"} <= _options(*path)


@pytest.mark.parametrize("path", [("sweep",), ("import",)])
def test_the_sweep_and_import_take_an_actor(path: tuple[str, ...]) -> None:
    assert "--actor" in _options(*path)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'tenantry.db'}", tmp_path)


def test_a_write_records_the_os_user_by_default_and_actor_and_end_user_when_given(
    cli: Cli,
) -> None:
    org = cli.json("orgs", "create", "Acme")
    cli("orgs", "update", org["id"], "--display-name", "Acme 2", "--actor", "ops@vendor.example")
    cli("members", "invite", org["id"], "ada@acme.example", "--on-behalf-of", "ticket-7")
    cli("members", "accept", org["id"], "ada@acme.example")
    history = cli.json("history", org["id"])
    me = f"cli:{getpass.getuser()}"
    assert [(h["event"], h["actor"], h["on_behalf_of"]) for h in history] == [
        ("Created", me, None),
        ("Renamed", "ops@vendor.example", None),
        ("MemberInvited", me, "ticket-7"),
        ("InvitationAccepted", me, None),
    ]
    table = cli("history", org["id"]).out
    assert "for ticket-7" in table


def test_a_bad_on_behalf_of_exits_with_the_invalid_argument_code(cli: Cli) -> None:
    org = cli.json("orgs", "create", "Acme")
    r = cli("orgs", "delete", org["id"], "--on-behalf-of", "a\x1b[31mb", expect=3)
    assert "on_behalf_of" in r.err
    cli("orgs", "get", org["id"])  # still there


def test_client_lifecycle_from_the_cli_is_audited_without_secrets(cli: Cli) -> None:
    created = cli.json("clients", "create", "billing")
    rotated = cli.json("clients", "rotate", created["client_id"], "--on-behalf-of", "ticket-9")
    cli("clients", "delete", created["client_id"], "--actor", "ops@vendor.example")
    t = tenantry.connect(cli.database_url)
    try:
        notes = t.recorder.select_notifications(start=1, limit=100)
        records = [(n.topic.rpartition(".")[2], json.loads(n.state)) for n in notes]
    finally:
        t.close()
    me = f"cli:{getpass.getuser()}"
    assert [(e, s["actor"], s.get("on_behalf_of")) for e, s in records] == [
        ("Created", me, None),
        ("SecretRotated", me, "ticket-9"),
        ("Deleted", "ops@vendor.example", None),
    ]
    log = json.dumps([s for _, s in records])
    assert created["client_secret"] not in log
    assert rotated["client_secret"] not in log
