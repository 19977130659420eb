"""The projection follower is restarted when it dies, says why, and readiness shows it: an
exception, SQLite's write lock held by another process, PostgreSQL connections terminated."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import tenantry
from tenantry.adapters.http import create_app
from tenantry.adapters.projections.supervision import FollowerHealth, supervise
from tests.support import postgres_schema


def _until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_a_follower_that_raises_is_restarted_with_the_reason_recorded(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'h.db'}")
    health = FollowerHealth(engine)
    stop = threading.Event()
    runs: list[int] = []

    def run(stop: threading.Event) -> None:
        runs.append(1)
        if len(runs) <= 2:
            raise RuntimeError(f"boom {len(runs)}")
        stop.set()

    supervise(run, stop, health, min_backoff=0.01, max_backoff=0.02)

    state = health.read()
    assert len(runs) == 3
    assert state is not None
    assert (state.restarts, state.last_error) == (2, "RuntimeError: boom 2")
    engine.dispose()


def _ready(client: TestClient) -> tuple[int, Any]:
    r = client.get("/readyz")
    return r.status_code, r.json()


def test_readiness_reports_lag_and_is_ready_when_caught_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    app = create_app(url, ready_max_lag=0)
    with TestClient(app) as client:
        app.state.tenantry.create_organization("Megasoft")
        _until(lambda: _ready(client)[0] == 200)
        body = _ready(client)[1]
    assert body["ready"] is True
    assert body["reasons"] == []
    assert {p["name"]: p["lag"] for p in body["projections"]} == {
        "organizations": 0,
        "seats": 0,
        "memberships": 0,
        "audit": 0,
        "users": 0,
    }
    assert body["follower"]["alive"] is True


def test_a_follower_stopped_by_a_held_sqlite_lock_restarts_once_it_is_released(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.db"
    url = f"sqlite:///{path}?timeout=0.2"
    app = create_app(url, ready_stale_after=4.0)
    with TestClient(app) as client, caplog.at_level(logging.ERROR, "tenantry.follower"):
        app.state.tenantry.create_organization("Megasoft")
        _until(lambda: _ready(client)[0] == 200)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            _until(lambda: any("database is locked" in r.getMessage() for r in caplog.records))
            _until(lambda: _ready(client)[0] == 503)  # no heartbeat while it cannot write
            _, body = _ready(client)
            assert "heartbeat" in " ".join(body["reasons"])
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        _until(lambda: _ready(client)[1]["follower"]["restarts"] >= 1)
        _until(lambda: _ready(client)[0] == 200)
        follower = _ready(client)[1]["follower"]
        assert "database is locked" in follower["last_error"]
        app.state.tenantry.create_organization("Later")
        _until(
            lambda: app.state.projections.position("organizations") == app.state.projections.head()
        )


@pytest.fixture
def pg_app_url(pg_url: str) -> Iterator[tuple[str, str]]:
    with postgres_schema(pg_url) as url:
        name = "tn_" + url.rsplit("schema=", 1)[1]
        yield f"{url}&application_name={name}", name


def test_a_follower_whose_postgres_connections_are_terminated_restarts_and_catches_up(
    pg_app_url: tuple[str, str], pg_url: str
) -> None:
    url, name = pg_app_url
    app = create_app(url)
    with TestClient(app) as client:
        t: tenantry.Tenantry = app.state.tenantry
        store = app.state.projections
        t.create_organization("Megasoft")
        _until(lambda: _ready(client)[0] == 200)
        dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (name,),
            ).fetchone()
        assert killed is not None
        assert killed[0] >= 1
        _until(lambda: _ready(client)[1]["follower"]["restarts"] >= 1)
        for i in range(5):
            t.create_organization(f"Org {i}")
        _until(lambda: store.position("organizations") == store.head())
        _until(lambda: _ready(client)[0] == 200)
