"""``tenantry serve --tls-cert --tls-key`` serves HTTPS: the API, the token endpoint and the pages
over TLS (plain HTTP is then refused on that port)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.http_support import cli, serve
from tests.e2e.tls_support import server_certificate


def test_the_server_answers_over_tls_with_the_given_certificate(tmp_path: Path) -> None:
    tls = server_certificate(tmp_path)
    with serve(f"sqlite:///{tmp_path / 'tls.db'}", tls=tls) as server:
        assert server.base_url.startswith("https://")
        with server.client() as api:
            made = api.post("/api/v1/organizations", json={"display_name": "Over TLS"})
            assert made.status_code == 201, made.text
        with pytest.raises(httpx.TransportError):
            httpx.get(server.base_url.replace("https://", "http://") + "/healthz", timeout=5)


def test_a_key_without_its_certificate_is_refused_naming_the_option(tmp_path: Path) -> None:
    _, key = server_certificate(tmp_path)
    out = cli("serve", "--database-url", "memory://", "--tls-key", str(key))
    assert out.returncode != 0
    assert "tls_cert" in out.stderr
    assert "--tls-cert and --tls-key" in out.stderr
