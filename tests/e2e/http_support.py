"""A real ``tenantry serve`` process for end-to-end tests, and a way to get a token from it."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from tests.integration.oidc_provider import FakeOidcProvider
from tests.support import database

TENANTRY = str(Path(sys.executable).with_name("tenantry"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TENANTRY, *args], capture_output=True, text=True, check=False)


def create_client(database_url: str, name: str = "e2e") -> tuple[str, str]:
    """``tenantry clients create`` → (client_id, client_secret) read from its output."""
    out = cli("clients", "create", name, "--database-url", database_url)
    assert out.returncode == 0, out.stderr
    fields = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    return fields["client_id"], fields["client_secret"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    base_url: str
    database_url: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[bytes]
    verify: ssl.SSLContext | bool = True
    """What TLS trusts: the test's own certificate when served over HTTPS."""

    def token(self) -> str:
        r = httpx.post(
            f"{self.base_url}/oauth/token",
            verify=self.verify,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        assert r.status_code == 200, r.text
        access: str = r.json()["access_token"]
        return access

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
            verify=self.verify,
            **kwargs,  # type: ignore[arg-type]
        )

    def stop(self) -> int:
        """SIGTERM, then wait for the graceful shutdown; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


@contextmanager
def serve(
    database_url: str,
    *,
    workers: int = 1,
    log: Path | None = None,
    port: int | None = None,
    log_level: str = "warning",
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    tls: tuple[Path, Path] | None = None,
) -> Iterator[Server]:
    """Starts ``tenantry serve`` on ``port`` (a free loopback port by default); stops it with
    SIGTERM afterwards. ``args``: more options; ``env``: more environment (web settings, say);
    ``tls``: (certificate, key) to serve HTTPS with (the certificate is then the one trusted)."""
    client_id, secret = create_client(database_url)
    port = port or free_port()
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            TENANTRY,
            "serve",
            "--database-url",
            database_url,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            log_level,
            *(("--tls-cert", str(tls[0]), "--tls-key", str(tls[1])) if tls else ()),
            *args,
        ],
        stdout=out,
        stderr=out,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    scheme = "https" if tls else "http"
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=tls[0]) if tls else True
    server = Server(
        f"{scheme}://127.0.0.1:{port}", database_url, client_id, secret, process, verify
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"tenantry serve exited with {process.returncode}")
            try:
                health = httpx.get(f"{server.base_url}/healthz", timeout=1, verify=verify)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("tenantry serve did not start")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def serve_app(app: ASGIApp, port: int) -> Iterator[None]:
    """Serves an ASGI app (a test IdP, an application's page) over HTTP on a loopback port, in
    a thread, until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    try:
        yield
    finally:
        running.should_exit = True
        thread.join(timeout=10)


# --- fixtures (imported by the tests/e2e/test_http*.py modules) ---


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for a served API: a SQLite file, or a fresh PostgreSQL schema."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def server(served_database: str, tmp_path: Path) -> Iterator[Server]:
    """``tenantry serve`` running on the test's database."""
    with serve(served_database, log=tmp_path / "server.log") as s:
        yield s


@pytest.fixture
def oidc_provider() -> Iterator[FakeOidcProvider]:
    """The test OIDC provider served over real HTTP on a loopback port."""
    port = free_port()
    provider = FakeOidcProvider(lambda: datetime.now(UTC), issuer=f"http://127.0.0.1:{port}")
    with serve_app(provider.app(), port):
        yield provider
