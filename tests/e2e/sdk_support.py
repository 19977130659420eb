"""What the tests of the official SDKs share: one TLS certificate for the whole test session,
trusted the way the SDK's users trust one (``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` for gRPC, which
reads its roots once a process, and ``REQUESTS_CA_BUNDLE`` for the token request), and a client
made with ``tenantry clients create``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scalekit import ScalekitClient

from tests.e2e.http_support import Server, cli
from tests.e2e.tls_support import server_certificate

TRUST = ("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "REQUESTS_CA_BUNDLE")


@contextmanager
def trusted_certificate(directory: Path) -> Iterator[tuple[Path, Path]]:
    """A server certificate trusted by this process's SDK calls while the context lasts."""
    tls = server_certificate(directory)
    before = {name: os.environ.get(name) for name in TRUST}
    os.environ.update({name: str(tls[0]) for name in TRUST})
    try:
        yield tls
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def made_client(server: Server, *args: str) -> ScalekitClient:
    """An SDK client for a new API client, ``tenantry clients create sdk <args>``."""
    out = cli("clients", "create", "sdk", *args, "--database-url", server.database_url)
    assert out.returncode == 0, out.stderr
    fields = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    return ScalekitClient(server.base_url, fields["client_id"], fields["client_secret"])


def answer(response: Any) -> Any:
    """The message of an SDK answer: most SDK calls return grpc's (response, call) pair."""
    message, _call = response
    return message
