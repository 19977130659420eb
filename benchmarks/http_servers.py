"""Which server to serve the REST API with: the same app under uvicorn (``tenantry serve``, the
default) and under Hypercorn (``tenantry serve --http2``) over HTTP/1.1, and under Hypercorn over
HTTP/2 (h2c with prior knowledge), side by side in one run; ratios Hypercorn / uvicorn.

    python -m benchmarks.http_servers                          # SQLite, 3 rounds x 5 s
    python -m benchmarks.http_servers --seconds 2 --rounds 1   # a quick look
    python -m benchmarks.http_servers --backends sqlite,postgres

Two load generators, each measuring both servers, so each ratio compares the servers under one
client: ``wrk`` (as benchmarks.http, its Lua scripts) over HTTP/1.1, and ``h2load`` (nghttp2's;
``apt-get install wrk nghttp2-client``) with uvicorn over HTTP/1.1 beside Hypercorn over HTTP/2.
(h2load cannot measure Hypercorn's HTTP/1.1: it counts a response without a reason phrase,
``HTTP/1.1 201``, as failed.) 8 connections, one request in flight on each; a create (POST of a
new organization) and a get (GET of created organizations, cycled). The two servers run at once
on their own databases of the same backend; the phases alternate (the four rows of create, then
of get) for ``--rounds`` rounds, so a busy neighbour slows each alike; rates are pooled over the
rounds. The ratios are the figures to compare between machines, not the absolute rates.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.http import ORGS, Http, Tally, backend, created_ids, served

SIDES = (
    ("uvicorn", "h1", "wrk"),
    ("hypercorn", "h1", "wrk"),
    ("uvicorn", "h1", "h2load"),
    ("hypercorn", "h2", "h2load"),
)
"""(server, protocol, load generator): each pair of rows compares the servers with one client."""
LABELS = {"h1": "HTTP/1.1", "h2": "HTTP/2"}
JSON = {"Content-Type": "application/json"}
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_h2load(out: str) -> tuple[int, float, float]:
    """(succeeded requests, seconds, mean latency ms) from ``h2load`` output; refuses a run
    with failed, errored or non-2xx requests."""
    finished = re.search(r"finished in ([\d.]+)(ms|s),", out)
    requests = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, "
                         r"(\d+) failed, (\d+) errored", out)  # fmt: skip
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    latency = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    if finished is None or requests is None or codes is None or latency is None:
        raise RuntimeError(f"unexpected h2load output:\n{out}")
    if int(requests[2]) or int(requests[3]) or int(codes[3]) or int(codes[4]):
        raise RuntimeError(f"h2load saw failed requests:\n{out}")
    seconds = float(finished[1]) * (0.001 if finished[2] == "ms" else 1.0)
    return int(requests[1]), seconds, float(latency[1]) * _UNITS[latency[2]]


@dataclass
class Target:
    """One served app, and the files h2load sends to it."""

    base: str
    token: str
    body: Path
    uris: Path

    def load(
        self, protocol: str, op: str, seconds: float, connections: int
    ) -> tuple[int, float, float]:
        """(requests, seconds, mean latency ms) of one phase."""
        command = [
            *("h2load", f"-c{connections}", "-m1", f"-t{min(2, connections)}"),
            *(f"-D{max(1, round(seconds))}", "-H", f"authorization: Bearer {self.token}"),
            *(("--h1",) if protocol == "h1" else ()),
        ]
        if op == "create":
            command += ["-H", "content-type: application/json", "-d", str(self.body)]
            command.append(f"{self.base}{ORGS}")
        else:
            command += ["-i", str(self.uris)]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        return parse_h2load(out)

    def warm(self) -> None:
        """A few untimed calls: the first ones of a new server are slow (imports, caches)."""
        with httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60
        ) as c:
            for _ in range(20):
                made = c.post(ORGS, content=self.body.read_bytes(), headers=JSON).raise_for_status()
                c.get(f"{ORGS}/{made.json()['organization']['id']}").raise_for_status()

    def collect_ids(self) -> None:
        """The URIs of created organizations, for the get phases."""
        ids = created_ids(self.base, self.token)
        self.uris.write_text("".join(f"{self.base}{ORGS}/{i}\n" for i in ids))


def done_rate(t: Tally) -> str:
    return f"{t.ops} in {t.seconds:.1f} s"


def compare(name: str, tmp: Path, args: argparse.Namespace) -> list[str]:
    tallies = {(side, op): Tally() for side in SIDES for op in ("create", "get")}
    with ExitStack() as stack:
        wrk: dict[str, Http] = {}
        h2: dict[str, Target] = {}
        for server, options in (("uvicorn", ()), ("hypercorn", ("--http2",))):
            url = stack.enter_context(backend(name, tmp))
            if url is None:
                return []
            base, token = stack.enter_context(served(url, args=options))
            folder = tmp / f"{server}-{name}"
            folder.mkdir()
            wrk[server] = Http(base, token, args.connections, folder)
            body = folder / "body.json"
            body.write_text('{"display_name": "h2load organization"}')
            h2[server] = Target(base, token, body, folder / "uris.txt")
            h2[server].warm()
        for _ in range(args.rounds):
            for op in ("create", "get"):
                for side in SIDES:
                    server, protocol, client = side
                    if client == "wrk":
                        tallies[side, op].add(*getattr(wrk[server], op)(args.seconds))
                    else:
                        done, elapsed, mean = h2[server].load(
                            protocol, op, args.seconds, args.connections
                        )
                        tallies[side, op].add(done, elapsed, mean, mean)
                    print(
                        f"  {op} {' '.join(side)}: {done_rate(tallies[side, op])}", file=sys.stderr
                    )
                if op == "create":
                    for target in h2.values():
                        target.collect_ids()
    rows = []
    for op in ("create", "get"):
        for uvicorn, hypercorn in ((SIDES[0], SIDES[1]), (SIDES[2], SIDES[3])):
            u, h = tallies[uvicorn, op], tallies[hypercorn, op]
            rows.append(
                f"| {name} | {op} | {uvicorn[2]} | HTTP/1.1 {u.rate:.0f} "
                f"| {LABELS[hypercorn[1]]} {h.rate:.0f} | {h.rate / u.rate:.2f} "
                f"| {max(u.p50):.2f} | {max(h.p50):.2f} |"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="per phase and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--backends", default="sqlite")
    args = parser.parse_args()
    for tool, package in (("wrk", "wrk"), ("h2load", "nghttp2-client")):
        if shutil.which(tool) is None:
            sys.exit(f"this benchmark needs {tool}: apt-get install {package}")
    print(
        f"{args.connections} connections, one request in flight on each; {args.rounds} rounds x "
        f"{args.seconds:g} s per phase; latency (ms, the worst round's): p50 with wrk, mean "
        "with h2load"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends.split(","):
            rows += compare(name, Path(tmp), args)
    print(
        "| backend | op | client | uvicorn /s | Hypercorn /s | Hypercorn / uvicorn "
        "| uvicorn ms | Hypercorn ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
