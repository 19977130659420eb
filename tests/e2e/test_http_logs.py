"""Secrets never reach the server's log: credentials sent in a query string are refused by the
token endpoint and redacted from the access log wherever they are sent."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx

from tenantry.adapters.http.logs import RedactSecrets, redact
from tests.e2e.http_support import create_client, free_port
from tests.e2e.test_cli_every_command import _healthy, running


def test_credentials_in_a_query_string_never_reach_the_access_log(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'logs.db'}"
    client_id, secret = create_client(database_url)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    command = ["serve", "-d", database_url, "--port", str(port)]
    with running(command, log, lambda: _healthy(base_url)):
        r = httpx.post(
            f"{base_url}/oauth/token",
            params={"client_id": client_id, "client_secret": secret},
            data={"grant_type": "client_credentials"},
        )
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_request"
        httpx.get(f"{base_url}/healthz", params={"access_token": "tok-in-the-query"})
        httpx.get(f"{base_url}/api/v1/organizations", params={"client_secret": secret})
    logs = log.read_text()
    assert "/oauth/token?client_id=" in logs  # the request is logged…
    assert "client_secret=[redacted]" in logs
    assert secret not in logs  # …its secret is not
    assert "tok-in-the-query" not in logs


def test_redaction_keeps_other_parameters_and_covers_message_and_arguments() -> None:
    assert redact("/x?a=1&client_secret=s3&b=2") == "/x?a=1&client_secret=[redacted]&b=2"
    assert redact("/x?Password=p&api_key=k") == "/x?Password=[redacted]&api_key=[redacted]"
    assert redact("/x?page_token=t&Token=u") == "/x?page_token=t&Token=[redacted]"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s "%s"', ("a", "/p?secret=x"), None
    )
    assert RedactSecrets().filter(record)
    assert record.args == ("a", "/p?secret=[redacted]")
