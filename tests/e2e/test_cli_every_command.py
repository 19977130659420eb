"""Every command of the installed ``tenantry`` takes ``-d`` and ``--json``, and with ``--json``
prints exactly one JSON document on stdout. The commands are found by walking the command tree,
so a new command fails this test until it is run here too."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main

from tenantry.adapters.cli import app
from tests.e2e.http_support import free_port
from tests.e2e.test_cli import COMMAND, Cli
from tests.sso_support import make_certificate, pem

CommandPath = tuple[str, ...]


def _walk(command: Any, path: CommandPath) -> Iterator[CommandPath]:
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path
        return
    for name, sub in subcommands.items():
        yield from _walk(sub, (*path, name))


EVERY_COMMAND = frozenset(_walk(typer.main.get_command(app), ()))
GROUPS = frozenset(path[0] for path in EVERY_COMMAND if len(path) > 1)


def _one_document(out: str, what: str) -> Any:
    """``out`` parsed as JSON: json.loads refuses anything after the first document."""
    assert out.strip(), f"{what}: nothing on stdout"
    try:
        return json.loads(out)
    except json.JSONDecodeError as e:
        raise AssertionError(f"{what}: stdout is not one JSON document ({e}):\n{out}") from None


@contextmanager
def running(
    args: list[str], log: Path, ready: Callable[[], bool], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """``tenantry ARGS`` started (stderr into ``log``) and awaited until ``ready()``; stopped with
    SIGTERM afterwards (the caller reads the rest of stdout with ``communicate``)."""
    with open(log, "wb") as err:
        process = subprocess.Popen(
            [*COMMAND, *args],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=log.parent,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60  # a bound on a hang, not a speed requirement
            while not ready():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"{args} did not start: {log.read_text()}"
                time.sleep(0.1)
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(60)


class Runner:
    """Runs commands with ``--json -d URL`` while the environment names a database that cannot
    be opened: a command that ignored ``-d`` would fail."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.cli = Cli(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}", tmp_path)
        self.ran: set[CommandPath] = set()

    def path_of(self, args: tuple[str, ...]) -> CommandPath:
        return args[:2] if args[0] in GROUPS else args[:1]

    def __call__(self, *args: str, url: str | None = None) -> Any:
        self.ran.add(self.path_of(args))
        result = self.cli(*args, "--json", "-d", url or self.url)
        return _one_document(result.out, " ".join(args))

    def until_stopped(self, *args: str, ready: Callable[[str], bool]) -> Any:
        """A command that runs until SIGTERM: started, awaited until ``ready(its stderr)``,
        stopped."""
        self.ran.add(self.path_of(args))
        log = self.cli.cwd / f"{'-'.join(args[:2])}.log"
        command = [*args, "--json", "-d", self.url]
        env = {**os.environ, "TENANTRY_DATABASE_URL": self.cli.database_url}
        with running(command, log, lambda: ready(log.read_text()), env) as process:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=60)
        return _one_document(out, " ".join(args))


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _sso_commands(run: Runner, org: str, tmp_path: Path) -> None:
    """``tenantry connections …`` and ``tenantry domains …``."""
    cert = tmp_path / "idp.pem"
    cert.write_text(pem(make_certificate("idp.every.example")))
    conn = run("connections", "create", org, "--type", "SAML", "--provider", "OKTA")["id"]
    run("connections", "saml", org, conn, "--idp-entity-id", "https://idp.every.example")
    run("connections", "saml", org, conn, "--sso-url", "https://idp.every.example/sso")
    run("connections", "saml", org, conn, "--certificate", str(cert))
    run("connections", "mapping", org, conn, "--group-role", "Admins=admin")
    assert run("connections", "enable", org, conn)["active"] is True
    domain = run("domains", "add", org, "every.example")["id"]
    assert run("domains", "verify", org, domain, "--method", "ADMIN")["verification_method"]
    assert [d["id"] for d in run("domains", "list", org)] == [domain]
    assert run("domains", "get", org, domain)["domain"] == "every.example"
    assert run("connections", "discover", "ann@every.example")["id"] == conn
    assert run("connections", "metadata", org, conn).startswith("<?xml")
    # Without the host's SSO settings (tests/e2e/test_cli_sso.py has them): refused, by name.
    run.ran |= {("connections", "test"), ("connections", "authorize-url")}
    no_key = run.cli("connections", "test", org, conn, "--json", "-d", run.url, expect=6)
    assert "sso_secret_key_missing" in no_key.err
    hosted = ("authorize-url", "--client-id", "c", "--redirect-uri", "https://app.every.example/cb")
    refused = run.cli("connections", *hosted, "--domain", "x.example", "-d", run.url, expect=3)
    assert "redirect_uri_not_allowed" in refused.err
    assert (
        run("connections", "test-result", org, conn, "--failure", "clock skew")["test_connection"][
            "reason"
        ]
        == "clock skew"
    )
    run("connections", "disable", org, conn)
    assert [c["id"] for c in run("connections", "list", org)] == [conn]
    assert run("connections", "get", org, conn)["enabled"] is False
    oidc = run("connections", "create", org, "--type", "OIDC")["id"]
    run("connections", "oidc", org, oidc, "--issuer", "https://idp.every.example")
    assert run("connections", "delete", org, oidc)["action"] == "deleted"
    assert run("domains", "delete", org, domain)["action"] == "deleted"


def _directory_commands(run: Runner, org: str) -> None:
    """``tenantry directories …``."""
    run("settings", "features", org, "dir_sync=on")
    directory = run("directories", "create", org, "--provider", "OKTA")["id"]
    run("directories", "update", org, directory, "--group-role", "Admins=admin")
    assert run("directories", "enable", org, directory)["active"] is True
    secret = run("directories", "secret-create", org, directory, "--grace-period", "1h")
    assert secret["plain_secret"].endswith(secret["secret"]["secret_suffix"])
    revoked = run("directories", "secret-revoke", org, directory, secret["secret"]["id"])
    assert revoked["secrets"][0]["status"] == "REVOKED"
    assert run("directories", "users", org, directory)["total_size"] == 0
    assert run("directories", "groups", org, directory)["groups"] == []
    run("directories", "disable", org, directory)
    assert [d["id"] for d in run("directories", "list", org)] == [directory]
    assert run("directories", "get", org, directory)["enabled"] is False
    assert run("directories", "delete", org, directory)["action"] == "deleted"


def _portal_commands(run: Runner, org: str) -> None:
    """``tenantry portal …`` and ``tenantry dashboard login``."""
    link = run("portal", "link", org, "--feature", "sso")
    assert [x["id"] for x in run("portal", "links", org)] == [link["id"]]
    assert run("portal", "revoke", org, link["id"])["revoked"] == [link["id"]]
    assert run("portal", "revoke", org)["revoked"] == []
    assert run("portal", "sweep")["links_expired"] == 0
    assert run("dashboard", "login", "--operator", "ops")["operator"] == "ops"


def test_the_walk_finds_every_command_group() -> None:
    assert {"orgs", "members", "projections", "clients"} <= GROUPS
    assert {("serve",), ("demo",), ("import",), ("clients", "create")} <= EVERY_COMMAND


def test_every_command_takes_d_and_prints_one_json_document(tmp_path: Path) -> None:
    run = Runner(f"sqlite:///{tmp_path / 'every.db'}", tmp_path)
    signed_up = run("signup", "founder@every.example", "Every Inc", "--slug", "every")
    org = signed_up["organization"]["id"]
    other = run("orgs", "create", "Other")["id"]
    assert run("orgs", "get", org)["id"] == org
    run("orgs", "update", org, "--display-name", "Every Corp")
    assert run("orgs", "list")["total_size"] == 2
    assert run("orgs", "search", "every")["total_size"] == 1
    run("settings", "features", org, "sso=on")
    run("seats", "set", org, "5")
    assert run("seats", "get", org) == {"max_allowed_users": 5}
    run("seats", "usage", org)
    run("session-policy", "set", org, "--absolute", "12", "--absolute-unit", "HOURS")
    run("session-policy", "get", org)
    run("sign-in-methods", "set", org, "sso")
    run("sign-in-methods", "get", org)
    _sso_commands(run, org, tmp_path)
    _directory_commands(run, org)
    _portal_commands(run, org)

    for args in (
        ("invite", "ada@every.example"),
        ("resend", "ada@every.example"),
        ("accept", "ada@every.example"),
        ("add", "cy@every.example"),
        ("roles", "cy@every.example", "member", "auditor"),
        ("metadata", "cy@every.example", "desk=4b"),
        ("deactivate", "cy@every.example"),
        ("reactivate", "cy@every.example"),
        ("get", "cy@every.example"),
        ("invite", "bob@every.example"),
        ("revoke", "bob@every.example"),
        ("remove", "cy@every.example"),
    ):
        run("members", args[0], org, *args[1:])
    assert run("members", "list", org)["total_size"] == 2
    run("users", "get", "cy@every.example")
    run("roles", "create", "viewer", "-p", "users:read", "--display-name", "Viewer")
    run("roles", "create", "billing", "--org", org, "--extends", "viewer")
    run("roles", "update", "viewer", "--description", "Reads users")
    assert [r["name"] for r in run("roles", "list", "--org", org)] == ["billing"]
    assert run("roles", "get", "billing", "--org", org)["effective_permissions"] == ["users:read"]
    run("roles", "set-default", "billing", "--org", org)
    run("members", "add", org, "dee@every.example")
    assert [r["name"] for r in run("roles", "held", org, "dee@every.example")] == ["billing"]
    assert run("roles", "permissions", org, "dee@every.example") == ["users:read"]
    run("roles", "set-default", "member", "--org", org)
    moved = run("roles", "delete", "billing", "--org", org, "--reassign-to", "viewer")
    assert moved["memberships_reassigned"] == 1
    run("users", "update", "cy@every.example", "--external-id", "every-cy")
    assert run("users", "list", "--external-id", "every-cy")["total_size"] == 1
    assert run("users", "search", "every-c")["total_size"] == 1
    run("users", "delete", "cy@every.example")
    assert run("users", "history", "cy@every.example")["entries"][-1]["event"] == "Deleted"
    run("sweep")

    history = run("history", org)
    assert run("show", org, "--version", "1")["version"] == 1
    assert run("diff", org, "--from", "1")["to_version"] == history[-1]["version"]
    audit = run("audit", "list", "--org", org, "--event-type", "Organization.Created")
    assert [e["organization_id"] for e in audit["entries"]] == [org]
    exported = tmp_path / "every.jsonl"
    assert run("export", org, "-o", str(exported))["organization_id"] == org
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    run("roles", "create", "viewer", "-p", "users:read", url=elsewhere)  # the org's roles need it
    assert run("import", str(exported), url=elsewhere)["organization_id"] == org

    assert [s["name"] for s in run("projections", "status")][:1] == ["organizations"]
    assert run("projections", "catch-up")["projections"] == [
        "organizations", "seats", "memberships", "audit", "users",
    ]  # fmt: skip
    assert run("projections", "rebuild", "organizations")["projections"] == ["organizations"]
    followed = run.until_stopped("projections", "follow", ready=lambda err: "following" in err)
    assert followed["processed"] >= 0

    created = run("clients", "create", "every")
    assert set(created) == {"client_id", "name", "client_secret"}
    assert [c["client_id"] for c in run("clients", "list")] == [created["client_id"]]
    rotated = run("clients", "rotate", created["client_id"])
    assert rotated["client_secret"] != created["client_secret"]
    run("clients", "delete", created["client_id"])
    scoped = run("clients", "create", "scoped", "--scope", "organizations:read")
    assert scoped["client_id"] in {c["client_id"] for c in run("clients", "list")}
    signing = run("keys", "list")[0]
    rotated_key = run("keys", "rotate")
    assert rotated_key["signing"]
    assert rotated_key["kid"] != signing["kid"]
    retired = run("keys", "retire", signing["kid"], "--force")
    assert retired["retired_at"] is not None

    certs = run("dev-cert", "--out", str(tmp_path / "certs"))
    assert Path(certs["key"]).stat().st_mode & 0o777 == 0o600

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    served = run.until_stopped("serve", "--port", str(port), ready=lambda _: _healthy(base_url))
    assert served == {"url": base_url}

    assert run("orgs", "delete", other)["action"] == "deleted"
    assert [d["organization"]["id"] for d in run("orgs", "deleted")] == [other]
    assert run("orgs", "restore", other)["id"] == other
    assert run("orgs", "purge")["organizations_purged"] == 0
    demo = run("demo", url=f"sqlite:///{tmp_path / 'demo.db'}")
    assert demo["refused"] == ["barbara@acme.example"]

    assert run.ran == EVERY_COMMAND, f"not run here: {sorted(EVERY_COMMAND - run.ran)}"


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_serve_writes_the_new_clients_secret_to_a_private_file_and_never_logs_it(
    backend: str, tmp_path: Path
) -> None:
    database_url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path / 'served.db'}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    secret_file = tmp_path / "client.json"
    command = ["serve", "-d", database_url, "--port", str(port), "--create-client", "ci"]
    command += ["--client-file", str(secret_file), "--json"]
    with running(command, log, lambda: _healthy(base_url)) as process:
        client = json.loads(secret_file.read_text())
        token = httpx.post(
            f"{base_url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
            },
        )
        assert token.status_code == 200, token.text
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=60)
    assert (set(client), client["name"]) == ({"client_id", "name", "client_secret"}, "ci")
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert _one_document(out, "serve --json") == {"url": base_url}
    logs = log.read_text()
    assert "POST /oauth/token" in logs
    assert client["client_id"] in logs
    assert client["client_secret"] not in out + logs


def test_serve_refuses_to_print_a_new_secret_where_a_log_may_keep_it(tmp_path: Path) -> None:
    cli = Cli(f"sqlite:///{tmp_path / 'refused.db'}", tmp_path)
    refused = cli("serve", "--create-client", "ci", "--json", expect=3)  # stdout is a pipe
    assert json.loads(refused.err)["error"]["details"]["field"] == "client_file"
    listed = cli("clients", "list", "--json")
    assert listed.json() == []
