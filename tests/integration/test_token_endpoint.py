"""The token endpoint refuses cheaply: a bounded body, credentials in one place only (RFC 6749
§2.3.1), never in the query string, a bounded number of secret checks at once, and a growing wait
after repeated failures for one client id."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenantry.adapters.http.oauth import TOKEN_BODY_MAX
from tenantry.adapters.http.throttle import FREE_FAILURES, Busy, FailureThrottle, Gate
from tests.integration.http_support import in_process, token

GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def server() -> Iterator[tuple[FastAPI, TestClient]]:
    with in_process() as app_and_client:
        yield app_and_client


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}


def oauth_error(r: Any, status: int, error: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["error"] == error
    return body


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(
    server: tuple[FastAPI, TestClient],
) -> None:
    _, client = server
    big = {**GRANT, "client_id": "cli_x", "client_secret": "s" * TOKEN_BODY_MAX}
    oauth_error(client.post("/oauth/token", data=big), 413, "invalid_request")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b"grant_type=client_credentials&client_secret="
        for _ in range(10):
            yield b"s" * 1024

    r = client.post(
        "/oauth/token",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    oauth_error(r, 413, "invalid_request")


def test_basic_credentials_are_url_decoded(server: tuple[FastAPI, TestClient]) -> None:
    app, client = server
    new = app.state.clients.create_client("basic")
    # the secret's characters need no encoding; an encoded id and secret must decode to them
    pair = f"{new.client_id}:{new.client_secret}".replace("_", "%5F").encode()
    headers = {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
    assert client.post("/oauth/token", data=GRANT, headers=headers).status_code == 200


def test_credentials_both_in_basic_and_in_the_form_are_refused(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    new = app.state.clients.create_client("both")
    form = {**GRANT, "client_id": new.client_id, "client_secret": new.client_secret}
    r = client.post("/oauth/token", data=form, headers=basic(new.client_id, new.client_secret))
    oauth_error(r, 400, "invalid_request")
    r = client.post(
        "/oauth/token",
        data={**GRANT, "client_id": new.client_id},
        headers=basic(new.client_id, new.client_secret),
    )
    oauth_error(r, 400, "invalid_request")


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        ({"client_id": "cli_x", "client_secret": "s"}, "grant_type"),
        ({**GRANT, "client_secret": "s"}, "client_id"),
        ({**GRANT, "client_id": "cli_x"}, "client_secret"),
    ],
)
def test_a_missing_field_is_an_invalid_request_naming_it(
    server: tuple[FastAPI, TestClient], form: dict[str, str], missing: str
) -> None:
    _, client = server
    body = oauth_error(client.post("/oauth/token", data=form), 400, "invalid_request")
    assert missing in body["error_description"]


def test_a_malformed_basic_header_is_an_invalid_request(
    server: tuple[FastAPI, TestClient],
) -> None:
    _, client = server
    headers = {"Authorization": "Basic !!!"}
    oauth_error(client.post("/oauth/token", data=GRANT, headers=headers), 400, "invalid_request")


def test_credentials_in_the_query_string_are_refused(server: tuple[FastAPI, TestClient]) -> None:
    app, client = server
    new = app.state.clients.create_client("query")
    r = client.post(
        "/oauth/token",
        params={"client_id": new.client_id, "client_secret": new.client_secret},
        data=GRANT,
    )
    oauth_error(r, 400, "invalid_request")


def test_repeated_failures_for_a_client_id_must_wait_then_a_success_clears_them(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    new = app.state.clients.create_client("guessed")
    for _ in range(FREE_FAILURES + 1):
        oauth_error(token(client, new.client_id, "wrong"), 401, "invalid_client")
    r = token(client, new.client_id, new.client_secret)  # even the right secret waits
    oauth_error(r, 429, "slow_down")
    assert int(r.headers["retry-after"]) >= 1
    other = app.state.clients.create_client("other")
    assert token(client, other.client_id, other.client_secret).status_code == 200


def test_the_wait_doubles_and_a_success_clears_the_record() -> None:
    now = [0.0]
    throttle = FailureThrottle(monotonic=lambda: now[0])
    for _ in range(FREE_FAILURES):
        throttle.failed("cli_a")
    assert throttle.retry_after("cli_a") is None
    throttle.failed("cli_a")
    assert throttle.retry_after("cli_a") == 1
    now[0] += 1
    throttle.failed("cli_a")
    assert throttle.retry_after("cli_a") == 2
    throttle.succeeded("cli_a")
    assert throttle.retry_after("cli_a") is None


def test_secret_checks_beyond_the_bound_are_refused_as_busy() -> None:
    async def scenario() -> None:
        gate = Gate(limit=1, wait=0.01)
        async with gate.slot():
            with pytest.raises(Busy):
                async with gate.slot():
                    pass
        async with gate.slot():  # free again
            pass

    asyncio.run(scenario())
