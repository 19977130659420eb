"""Every response carries a request id; a database that is unavailable is a 503 and a bug a 500
whose bodies carry no SQL, no bound parameters and no traceback (the log has them, under the
request id)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tests.integration.http_support import ORGS, authorized


def test_every_response_carries_the_callers_sane_request_id_or_a_new_one(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 't.db'}")
    with TestClient(app) as client:
        given = client.get("/healthz", headers={"X-Request-Id": "trace-42:a.b_c"})
        insane = client.get("/healthz", headers={"X-Request-Id": "no spaces\tor tabs"})
        none = client.get("/api/v1/organizations")  # a 401 carries one too
    assert given.headers["X-Request-Id"] == "trace-42:a.b_c"
    assert insane.headers["X-Request-Id"] not in ("", "no spaces\tor tabs")
    assert len(none.headers["X-Request-Id"]) == 32
    assert none.status_code == 401


def test_a_held_sqlite_lock_is_a_503_without_sql_or_parameters_and_logged_with_the_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.db"
    app = create_app(f"sqlite:///{path}?timeout=1")
    with TestClient(app) as client:
        api = authorized(app, client)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with caplog.at_level(logging.WARNING, logger="tenantry.http"):
                r = api.call(
                    "POST",
                    ORGS,
                    json={"display_name": "Megasoft"},
                    headers={"Idempotency-Key": "secret-looking-key-123", "X-Request-Id": "rq-1"},
                )
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        again = api.call(
            "POST",
            ORGS,
            json={"display_name": "Megasoft"},
            headers={"Idempotency-Key": "secret-looking-key-123"},
        )
    assert r.status_code == 503
    assert r.headers["Retry-After"]
    assert r.headers["X-Request-Id"] == "rq-1"
    body = r.json()
    assert body["code"] == "unavailable"
    assert body["details"] == {"request_id": "rq-1"}
    for leak in ("INSERT", "SELECT", "secret-looking-key-123", "[SQL", "parameters", "Traceback"):
        assert leak not in r.text
    assert any("rq-1" in rec.getMessage() for rec in caplog.records)
    assert again.status_code == 201  # the key was released: the retry went through


def test_a_bug_is_a_500_with_a_json_body_naming_only_the_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(f"sqlite:///{tmp_path / 't.db'}")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail: password=hunter2")

    with (
        TestClient(app, raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR, logger="tenantry.http"),
    ):
        r = client.get("/boom", headers={"X-Request-Id": "rq-2"})
    assert r.status_code == 500
    assert r.json()["code"] == "internal"
    assert r.json()["details"] == {"request_id": "rq-2"}
    assert "hunter2" not in r.text
    assert r.headers["X-Request-Id"] == "rq-2"
    assert any("rq-2" in rec.getMessage() for rec in caplog.records)
