"""``tenantry dev-cert`` makes a development CA and a server certificate that a client trusting
only that CA accepts from ``tenantry serve --http2``: Python's ssl, and the official Python SDK
(in a subprocess: gRPC reads ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` once per process)."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.http_support import cli, serve

SDK_SCRIPT = """
import sys
from scalekit import ScalekitClient
from scalekit.v1.organizations.organizations_pb2 import CreateOrganization

url, client_id, secret = sys.argv[1:]
client = ScalekitClient(url, client_id, secret)
made, _ = client.organization.create_organization(CreateOrganization(display_name="Dev cert"))
found, _ = client.organization.get_organization(made.organization.id)
print(found.organization.display_name)
"""


def dev_cert(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli("dev-cert", "--out", str(out), *args)


def made(out: Path, *args: str) -> dict[str, Any]:
    done = dev_cert(out, "--json", *args)
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def test_a_client_trusting_only_the_dev_ca_reaches_the_server_and_the_sdk_works(
    tmp_path: Path,
) -> None:
    files = made(tmp_path / "certs")
    ca = files["ca_certificate"]
    assert files["env"] == {
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": ca,
        "REQUESTS_CA_BUNDLE": ca,
        "NODE_EXTRA_CA_CERTS": ca,
    }
    tls = (Path(files["certificate"]), Path(files["key"]))
    with serve(f"sqlite:///{tmp_path / 'dev.db'}", tls=tls, args=("--http2",)) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        only_the_ca = ssl.create_default_context(cafile=ca)  # with a cafile: no system roots
        for name in ("localhost", "127.0.0.1"):
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                only_the_ca.wrap_socket(raw, server_hostname=name) as tls_socket,
            ):
                assert tls_socket.version() in ("TLSv1.2", "TLSv1.3")
        health = httpx.get(f"https://localhost:{port}/healthz", verify=only_the_ca)
        assert health.status_code == 200
        sdk = subprocess.run(
            [sys.executable, "-c", SDK_SCRIPT, server.base_url, server.client_id,
             server.client_secret],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, **files["env"]},
        )  # fmt: skip
        assert sdk.returncode == 0, sdk.stderr
        assert sdk.stdout.strip() == "Dev cert"


def test_a_client_trusting_another_ca_is_refused(tmp_path: Path) -> None:
    files, other = made(tmp_path / "certs"), made(tmp_path / "other")
    tls = (Path(files["certificate"]), Path(files["key"]))
    with serve(f"sqlite:///{tmp_path / 'dev.db'}", tls=tls) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        wrong = ssl.create_default_context(cafile=other["ca_certificate"])
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://localhost:{port}/healthz", verify=wrong)


def test_the_keys_are_private_and_the_lines_to_trust_it_are_printed(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    done = dev_cert(out, "--host", "dev.example.test")
    assert done.returncode == 0, done.stderr
    for name in ("ca.key", "server.key"):
        assert (out / name).stat().st_mode & 0o777 == 0o600
    for name in ("ca.pem", "server.pem"):
        assert (out / name).stat().st_mode & 0o077 != 0o077  # certificates are not secret
    ca = out.resolve() / "ca.pem"
    lines = done.stdout.splitlines()
    for variable in (
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
        "REQUESTS_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
    ):
        assert f"  export {variable}={ca}" in lines
    serve_line = (
        f"  tenantry serve --http2 --tls-cert {out.resolve() / 'server.pem'} "
        f"--tls-key {out.resolve() / 'server.key'}"
    )
    assert serve_line in lines
    assert "dev.example.test" in done.stdout


def test_existing_files_are_kept_and_named_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    first = made(out)
    before = Path(first["ca_certificate"]).read_bytes()
    again = dev_cert(out)
    assert again.returncode == 3
    assert f"{out.resolve() / 'ca.pem'} exists" in again.stderr
    assert "--force" in again.stderr
    assert Path(first["ca_certificate"]).read_bytes() == before
    forced = made(out, "--force")
    assert Path(forced["ca_certificate"]).read_bytes() != before
    assert Path(forced["key"]).stat().st_mode & 0o777 == 0o600


def test_a_host_that_is_no_name_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "certs"
    done = dev_cert(out, "--host", "not a host")
    assert done.returncode == 3
    assert "error [invalid_field]: host: 'not a host'" in done.stderr
    assert not out.exists()
