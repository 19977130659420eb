"""SCIM provisioning: an initial sync of a directory's users over HTTP (``tenantry serve``, 8
concurrent SCIM connections, ``POST /scim/v2/{directory}/Users`` as an IdP sends it) against the
same number of ``add_member`` calls on the library in process (8 threads), side by side in one
run.

    python -m benchmarks.scim                         # 10,000 users a side, SQLite
    python -m benchmarks.scim --users 2000 --backends sqlite,postgres

Each side gets its own fresh database and organization (no seat limit); the SCIM side's
organization has ``dir_sync`` on and an enabled directory whose token the connections send. The
users go in blocks of ``--block``, alternating sides (library block, SCIM block, …), so a busy
neighbour slows both alike; rates are pooled over the blocks, and every request must succeed
(201 / a membership). The SCIM clients are ``httpx`` threads of this process: the client's CPU is
part of the SCIM side's cost, as it is for a real IdP's connections. The ratio (SCIM users/s over
library users/s) is the figure to compare between machines, not the absolute rates.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import tenantry
from benchmarks.http import backend, percentile, served
from tenantry.errors import ConcurrentModification

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


@dataclass
class Tally:
    """Users, seconds and latencies (ms) pooled over the blocks of one side."""

    users: int = 0
    seconds: float = 0.0
    gave_up: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.users / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(sorted(self.latencies), q)


def run_block(threads: int, numbers: range, op: Callable[[int, int], None], tally: Tally) -> None:
    """``op(thread, n)`` for every ``n`` of ``numbers``, spread over ``threads`` threads."""
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        mine: list[float] = []
        try:
            for n in numbers[t::threads]:
                start = time.perf_counter()
                op(t, n)
                mine.append((time.perf_counter() - start) * 1000)
        except BaseException as e:
            errors.append(e)
        with lock:
            tally.latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    tally.seconds += time.perf_counter() - started
    if errors:
        raise errors[0]
    tally.users += len(numbers)


def scim_user(n: int) -> dict[str, object]:
    """A user as Okta pushes one (userName is the e-mail)."""
    email = f"user{n}@bench.example"
    return {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "externalId": f"00u{n:08d}",
        "name": {"givenName": "User", "familyName": f"Number {n}"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "active": True,
    }


def directory_on(url: str) -> tuple[str, str]:
    """An organization with ``dir_sync`` on and an enabled directory: (directory id, token)."""
    app = tenantry.connect(url)
    try:
        org = app.create_organization("SCIM bench")
        app.update_organization_settings(org.id, {"dir_sync": True})
        directory = app.create_directory(org.id, "OKTA", name="bench")
        app.enable_directory(org.id, directory.id)
        _, token = app.create_directory_secret(org.id, directory.id)
        return directory.id, token
    finally:
        app.close()


def compare(name: str, tmp: Path, args: argparse.Namespace) -> str | None:
    lib, scim = Tally(), Tally()
    with backend(name, tmp) as lib_url, backend(name, tmp) as http_url:
        if lib_url is None or http_url is None:
            return None
        directory_id, token = directory_on(http_url)
        library = tenantry.connect(lib_url)
        org = library.create_organization("library bench")
        with served(http_url, args.workers) as (base, _):
            clients = [
                httpx.Client(
                    base_url=f"{base}/scim/v2/{directory_id}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=120,
                )
                for _ in range(args.clients)
            ]

            def add(_: int, n: int) -> None:
                # 8 threads admitting into one organization race for it; a call that lost 32
                # races in a row is made again, and its time counts, as an application would
                while True:
                    try:
                        library.add_member(org.id, f"user{n}@bench.example")
                        return
                    except ConcurrentModification:
                        lib.gave_up += 1

            def post(t: int, n: int) -> None:
                r = clients[t].post(
                    "/Users",
                    json=scim_user(n),
                    headers={"Content-Type": "application/scim+json"},
                )
                if r.status_code != 201:
                    raise RuntimeError(f"POST /Users answered {r.status_code}: {r.text}")

            try:
                for start in range(0, args.users, args.block):
                    block = range(start, min(start + args.block, args.users))
                    run_block(args.clients, block, add, lib)
                    run_block(args.clients, block, post, scim)
            finally:
                for client in clients:
                    client.close()
                library.close()
    if lib.gave_up:
        print(f"{name}: add_member gave up after 32 lost races {lib.gave_up} times (retried)")
    return (
        f"| {name} | {args.users} | {lib.rate:.0f} | {scim.rate:.0f} | {scim.rate / lib.rate:.2f} "
        f"| {lib.p(0.5):.1f} / {lib.p(0.99):.1f} | {scim.p(0.5):.1f} / {scim.p(0.99):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000, help="a side")
    parser.add_argument("--block", type=int, default=1_000, help="users a side per turn")
    parser.add_argument("--clients", type=int, default=8, help="threads / SCIM connections")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="of tenantry serve")
    args = parser.parse_args()
    print(f"{args.clients} clients, blocks of {args.block} users a side; p50 / p99 in ms")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends.split(","):
            row = compare(name, Path(tmp), args)
            if row is not None:
                rows.append(row)
    print(
        "| backend | users | add_member/s | SCIM POST /Users/s | ratio "
        "| add_member p50 / p99 | SCIM p50 / p99 |"
    )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
