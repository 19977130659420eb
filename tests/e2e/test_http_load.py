"""A bounded load test on loopback: 16 concurrent clients mixing creates, updates, invitations
against seat limits and reads, for ``TENANTRY_HTTP_LOAD_SECONDS`` (default 5; the issue's full
run is 30). Zero 5xx, every acknowledged create present afterwards, no seat limit exceeded."""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import pytest

from tests.e2e.http_support import Server, serve, served_database  # noqa: F401 - fixture

ORGS = "/api/v1/organizations"
CLIENTS = 16
SEATS = 3
LIMITED_ORGS = 4
SECONDS = float(os.environ.get("TENANTRY_HTTP_LOAD_SECONDS", "5"))


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.created: list[str] = []
        self.statuses: Counter[int] = Counter()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.server_errors: list[str] = []

    def record(self, op: str, r: httpx.Response, seconds: float) -> None:
        with self.lock:
            self.statuses[r.status_code] += 1
            self.latencies[op].append(seconds)
            if r.status_code >= 500:
                self.server_errors.append(f"{op}: {r.status_code} {r.text[:200]}")


def worker(server: Server, token: str, limited: list[str], tally: Tally, seed: int) -> None:
    rnd = random.Random(seed)
    mine: list[str] = []
    deadline = time.monotonic() + SECONDS
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as c:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            op = rnd.choices(
                ["create", "update", "invite", "remove", "read", "list"], [3, 2, 3, 1, 2, 1]
            )[0]
            start = time.perf_counter()
            if op == "create" or not mine:
                op = "create"
                r = c.post(ORGS, json={"display_name": f"load {seed}-{n}"})
                if r.status_code == 201:
                    org_id = r.json()["organization"]["id"]
                    mine.append(org_id)
                    with tally.lock:
                        tally.created.append(org_id)
            elif op == "update":
                r = c.patch(f"{ORGS}/{rnd.choice(mine)}", json={"display_name": f"renamed {n}"})
            elif op == "invite":
                org = rnd.choice(limited)
                email = f"u{rnd.randrange(40)}@load.example"
                r = c.post(f"{ORGS}/{org}/users", json={"email": email})
            elif op == "remove":
                org = rnd.choice(limited)
                email = f"u{rnd.randrange(40)}@load.example"
                r = c.delete(f"/api/v1/memberships/organizations/{org}/users/{email}")
            elif op == "list":
                r = c.get(ORGS, params={"page_size": 10})
            else:
                r = c.get(f"{ORGS}/{rnd.choice(mine)}")
            tally.record(op, r, time.perf_counter() - start)


@pytest.mark.slow
def test_concurrent_clients_get_no_server_error_and_no_limit_is_overrun(
    served_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    tally = Tally()
    with serve(served_database, log=tmp_path / "server.log") as server:
        token = server.token()
        with server.client() as api:
            limited = []
            for i in range(LIMITED_ORGS):
                org = api.post(ORGS, json={"display_name": f"limited {i}"}).json()["organization"]
                api.patch(
                    f"{ORGS}/{org['id']}/settings/usermanagement",
                    json={"settings": {"max_allowed_users": SEATS}},
                )
                limited.append(org["id"])
            threads = [
                threading.Thread(target=worker, args=(server, token, limited, tally, seed))
                for seed in range(CLIENTS)
            ]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert tally.server_errors == []
            missing = [o for o in tally.created if api.get(f"{ORGS}/{o}").status_code != 200]
            assert missing == []
            for org_id in limited:
                usage = api.get(f"{ORGS}/{org_id}/seat-usage").json()
                assert usage["seats_in_use"] <= SEATS
    assert tally.statuses[201] > 0
    assert tally.statuses[422] > 0  # the seat limits were hit, and held
    lines = [
        f"{served_database.split(':')[0]} {SECONDS:.0f}s, {CLIENTS} clients: {dict(tally.statuses)}"
    ]
    for op, values in sorted(tally.latencies.items()):
        q = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        lines.append(
            f"  {op:7} n={len(values):5}  p50={q[49] * 1000:7.1f} ms  p99={q[98] * 1000:7.1f} ms"
        )
    print("\n".join(lines))
