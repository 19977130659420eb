"""Fault injection on PostgreSQL: ``tenantry serve`` under a bounded create load with
Idempotency-Keys while the server's database connections are killed every 1-3 s
(``pg_terminate_backend``) and its follower process is killed once. Afterwards: every
acknowledged write is in the store, no answer was wrong (no 409 for a write that committed, a
retry with the same key gets the same answer), no 500, and the projections caught up."""

from __future__ import annotations

import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import pytest

import tenantry
from tests.e2e.http_support import Server, serve
from tests.e2e.test_http_follower import followers_of
from tests.support import postgres_schema

pytestmark = pytest.mark.postgres

ORGS = "/api/v1/organizations"
LOAD_SECONDS = 20.0
WRITERS = 4


def _server_ports(pid: int) -> set[int]:
    """Local ports of the server's (and its children's) connections to PostgreSQL."""
    ports = set()
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    for p in procs:
        try:
            for c in p.net_connections(kind="tcp"):
                if c.raddr and c.raddr.port == 5432:
                    ports.add(c.laddr.port)
        except psutil.Error:
            continue
    return ports


def _killer(server: Server, dsn: str, stop: threading.Event, killed: list[int]) -> None:
    rng = random.Random(12)
    with psycopg.connect(dsn, autocommit=True) as admin:
        while not stop.wait(rng.uniform(1.0, 3.0)):
            ports = list(_server_ports(server.process.pid))
            if not ports:
                continue
            row = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE client_port = ANY(%s) AND pid <> pg_backend_pid()",
                (ports,),
            ).fetchone()
            killed.append(int(row[0]) if row else 0)


def _create(client: httpx.Client, key: str) -> httpx.Response:
    """POSTs one create until it gets an answer that is not 503 (the same key each time)."""
    for _ in range(200):
        try:
            r = client.post(
                ORGS,
                json={"display_name": f"Org {key}", "external_id": key},
                headers={"Idempotency-Key": key},
            )
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if r.status_code != 503:
            return r
        time.sleep(float(r.headers.get("Retry-After", "1")) / 4)
    raise AssertionError(f"no answer for {key}")


def _writer(server: Server, n: int, until: float, answers: dict[str, Any]) -> None:
    with server.client() as client:
        i = 0
        while time.monotonic() < until:
            key = f"w{n}-{i}"
            r = _create(client, key)
            answers[key] = (r.status_code, r.json())
            i += 1


def test_killed_connections_lose_no_acknowledged_write_and_answer_no_wrong_409_or_500(
    pg_url: str, tmp_path: Path
) -> None:
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with postgres_schema(pg_url) as url, serve(url, log=tmp_path / "serve.log") as server:
        answers: dict[str, Any] = {}
        stop = threading.Event()
        killed: list[int] = []
        killer = threading.Thread(target=_killer, args=(server, dsn, stop, killed))
        until = time.monotonic() + LOAD_SECONDS
        writers = [
            threading.Thread(target=_writer, args=(server, n, until, answers))
            for n in range(WRITERS)
        ]
        killer.start()
        for w in writers:
            w.start()
        time.sleep(LOAD_SECONDS / 2)
        for follower in followers_of(server.process.pid):
            follower.send_signal(signal.SIGKILL)  # the follower dies mid-run
        for w in writers:
            w.join()
        stop.set()
        killer.join()

        statuses = {code for code, _ in answers.values()}
        assert statuses == {201}, {k: a for k, a in answers.items() if a[0] != 201}
        assert sum(killed) > 0  # connections were in fact killed
        with server.client() as client:
            for key, (_, body) in answers.items():  # a retry gets the same answer
                again = _create(client, key)
                assert again.status_code == 201
                assert again.json() == body, key
            _wait(lambda: client.get("/readyz").status_code == 200)
            ready = client.get("/readyz").json()
        assert ready["follower"]["restarts"] >= 1
        assert all(p["lag"] == 0 for p in ready["projections"])
        app = tenantry.connect(url)
        try:
            for key, (_, body) in answers.items():  # every acknowledged write is in the store
                org = app.get_organization(body["organization"]["id"])
                assert org.external_id == key
            created = [
                n
                for n in app.recorder.select_notifications(None, 100_000)
                if n.topic.endswith("Organization.Created")
            ]
            assert len(created) == len(answers)  # and none twice
        finally:
            app.close()


def _wait(condition: Any, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.2)
