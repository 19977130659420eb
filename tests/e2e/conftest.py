from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.http_support import Server, serve
from tests.e2e.sdk_support import install_node_sdk, trusted_certificate


@pytest.fixture(scope="session")
def sdk_certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """One certificate for every SDK test of the session: gRPC reads its trusted roots once."""
    with trusted_certificate(tmp_path_factory.mktemp("sdk-tls")) as tls:
        yield tls


@pytest.fixture(scope="module")
def sdk_server(
    tmp_path_factory: pytest.TempPathFactory, sdk_certificate: tuple[Path, Path]
) -> Iterator[Server]:
    """``tenantry serve --http2`` over TLS on a SQLite file, for one test module."""
    directory = tmp_path_factory.mktemp("sdk")
    with serve(f"sqlite:///{directory / 'sdk.db'}", tls=sdk_certificate, args=("--http2",)) as s:
        yield s


@pytest.fixture(scope="session")
def node_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the official Node SDK installed and the scripts of ``sdk_node/``."""
    return install_node_sdk(tmp_path_factory.mktemp("sdk-node"))
