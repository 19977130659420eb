"""``tenantry serve --http2 --workers 2``: Hypercorn's worker processes share the port; the REST
API and the official Python SDK work whichever worker answers, and SIGTERM stops every process
(workers and projection follower) cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from scalekit.common.exceptions import ScalekitNotFoundException
from scalekit.v1.organizations.organizations_pb2 import CreateOrganization

from tests.e2e.http_support import Server, serve
from tests.e2e.sdk_support import answer, made_client

ORGS = "/api/v1/organizations"


@pytest.fixture(scope="module")
def workers_server(
    tmp_path_factory: pytest.TempPathFactory, sdk_certificate: tuple[Path, Path]
) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("workers")
    url = f"sqlite:///{directory / 'workers.db'}"
    with serve(url, workers=2, tls=sdk_certificate, args=("--http2",)) as server:
        yield server


def test_two_worker_processes_serve_the_port_beside_one_follower(workers_server: Server) -> None:
    children = psutil.Process(workers_server.process.pid).children(recursive=True)
    workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2
    followers = [c for c in children if "projections.follower" in " ".join(c.cmdline())]
    assert len(followers) == 1  # beside the workers, not one per worker


def test_rest_calls_work_on_every_worker(workers_server: Server) -> None:
    with workers_server.client() as api:
        for n in range(6):  # new connections each time: spread over the workers
            created = api.post(
                ORGS, json={"display_name": f"Worker {n}"}, headers={"Connection": "close"}
            )
            assert created.status_code == 201, created.text
            org = created.json()["organization"]
            got = api.get(f"{ORGS}/{org['id']}", headers={"Connection": "close"})
            assert got.json()["organization"] == org


def test_the_sdk_works_on_every_worker(workers_server: Server) -> None:
    made = []
    for n in range(3):  # a client (a channel) each: connections spread over the workers
        sdk = made_client(workers_server)
        for m in range(2):
            org = answer(
                sdk.organization.create_organization(
                    CreateOrganization(display_name=f"SDK {n}-{m}")
                )
            ).organization
            assert answer(sdk.organization.get_organization(org.id)).organization.id == org.id
            made.append(org.id)
        with pytest.raises(ScalekitNotFoundException):
            sdk.organization.get_organization_by_external_id("no-such-external-id")
    assert len(set(made)) == 6


def test_sigterm_stops_the_workers_and_the_follower(workers_server: Server) -> None:
    children = psutil.Process(workers_server.process.pid).children(recursive=True)
    assert len(children) >= 3  # two workers and the projection follower
    assert workers_server.stop() == 0
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []
