"""``tenantry connections oidc`` takes the client secret from a file or standard input (never
the command line), encrypts it with ``$TENANTRY_SSO_SECRET_KEY`` and never prints it; without a
key it refuses, naming the setting."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.fernet import Fernet

import tenantry
from tenantry.adapters.sign_in.pending import open_test_ticket
from tenantry.application.sso_config import SsoConfig
from tests.e2e.test_cli import COMMAND

SECRET = "cli-client-secret-not-for-eyes"


def _run(
    url: str, *args: str, stdin: str = "", key: str | None = None, json_output: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.update(TENANTRY_DATABASE_URL=url, TENANTRY_SSO_BASE_URL="https://sso.cli.example")
    env["TENANTRY_SSO_REDIRECT_URIS"] = "https://app.cli.example/callback"
    if key is not None:
        env["TENANTRY_SSO_SECRET_KEY"] = key
    return subprocess.run(
        [*COMMAND, *args, *(["--json"] if json_output else [])],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_oidc_secret_is_read_from_stdin_encrypted_and_never_printed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sso.db'}"
    key = Fernet.generate_key().decode()
    org = json.loads(_run(url, "orgs", "create", "Cli SSO").stdout)["id"]
    conn = json.loads(_run(url, "connections", "create", org, "--type", "OIDC").stdout)
    assert conn["oidc_config"]["redirect_uri"].startswith("https://sso.cli.example/")
    args = (
        "connections",
        "oidc",
        org,
        conn["id"],
        "--client-id",
        "c-1",
        "--client-secret-file",
        "-",
    )
    refused = _run(url, *args, stdin=SECRET)
    assert refused.returncode == 6, refused.stderr  # failed precondition
    assert json.loads(refused.stderr)["error"]["code"] == "sso_secret_key_missing"
    done = _run(url, *args, stdin=f"{SECRET}\n", key=key)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["oidc_config"]["client_secret_set"] is True
    assert SECRET not in done.stdout + done.stderr
    t = tenantry.connect(url)
    try:
        stored = [n.state.decode() for n in t.recorder.select_notifications(start=None, limit=1000)]
        assert stored
        assert not [s for s in stored if SECRET in s]
        t.configure_sso(secret_keys=[key])
        assert t.oidc_client_secret(org, conn["id"]) == SECRET
    finally:
        t.close()


def test_the_cli_prints_a_test_login_link_and_the_hosted_sign_in_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'links.db'}"
    key = Fernet.generate_key().decode()
    org = json.loads(_run(url, "orgs", "create", "Cli links").stdout)["id"]
    conn = json.loads(_run(url, "connections", "create", org, "--type", "SAML").stdout)["id"]
    test = ("connections", "test", org, conn, "--actor", "admin:ann")
    link = json.loads(_run(url, *test, key=key).stdout)
    assert link["expires_in"] == 600
    base, _, ticket = link["url"].partition("/oauth/authorize?test=")
    assert base == "https://sso.cli.example"
    opened = open_test_ticket(SsoConfig(secret_keys=(key,)), unquote(ticket))
    assert opened is not None
    assert (opened.organization_id, opened.connection_id, opened.actor) == (org, conn, "admin:ann")
    again = json.loads(_run(url, *test, key=key).stdout)["url"]
    assert again != link["url"]  # each link is its own single-use ticket
    plain = _run(url, "connections", "test", org, conn, key=key, json_output=False)
    assert plain.stdout.startswith("https://sso.cli.example/oauth/authorize?test=")
    no_key = _run(url, "connections", "test", org, conn)
    assert json.loads(no_key.stderr)["error"]["code"] == "sso_secret_key_missing"

    app = ("--client-id", "cli-app", "--redirect-uri", "https://app.cli.example/callback")
    hosted = _run(url, "connections", "authorize-url", *app, "--domain", "acme.example")
    query = parse_qs(urlsplit(json.loads(hosted.stdout)["url"]).query)
    assert query == {
        "response_type": ["code"],
        "client_id": ["cli-app"],
        "redirect_uri": ["https://app.cli.example/callback"],
        "domain": ["acme.example"],
    }
    foreign = (
        "--client-id",
        "cli-app",
        "--redirect-uri",
        "https://evil.example/",
        "--domain",
        "a.b",
    )
    refused = _run(url, "connections", "authorize-url", *foreign)
    assert json.loads(refused.stderr)["error"]["code"] == "redirect_uri_not_allowed"
    both = _run(url, "connections", "authorize-url", *app, "--domain", "a.b", "--organization", org)
    assert json.loads(both.stderr)["error"]["code"] == "invalid_field"
