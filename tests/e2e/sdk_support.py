"""What the tests of the official SDKs share: one TLS certificate for the whole test session,
trusted the way the SDK's users trust one (``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` for gRPC, which
reads its roots once a process, and ``REQUESTS_CA_BUNDLE`` for the token request), and a client
made with ``tenantry clients create``."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
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


NODE_SDK = "@scalekit-sdk/node@^2.11.0"
NODE_SCRIPTS = Path(__file__).with_name("sdk_node")


def install_node_sdk(folder: Path) -> Path:
    """``folder`` with the Node SDK installed (npm, from the registry) and the test scripts of
    ``tests/e2e/sdk_node`` beside it."""
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm is not None, "npm is needed (Node 20 with npm)"
    assert node is not None, "node is needed (Node 20)"
    (folder / "package.json").write_text('{"name": "tenantry-sdk-node-test", "private": true}')
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", NODE_SDK],
        cwd=folder,
        check=True,
        timeout=600,
    )
    for script in NODE_SCRIPTS.glob("*.js"):
        shutil.copy(script, folder / script.name)
    return folder


def run_node(
    node_sdk: Path, script: str, server: Server, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs ``script`` of the installed SDK folder against ``server``: its URL and credentials
    in ``SCALEKIT_ENVIRONMENT_URL``, ``SCALEKIT_CLIENT_ID``, ``SCALEKIT_CLIENT_SECRET``."""
    return subprocess.run(
        ["node", script],
        cwd=node_sdk,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={
            **os.environ,
            "SCALEKIT_ENVIRONMENT_URL": server.base_url,
            "SCALEKIT_CLIENT_ID": server.client_id,
            "SCALEKIT_CLIENT_SECRET": server.client_secret,
            **(env or {}),
        },
    )
