from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tenantry
from tenantry.application.app import Tenantry
from tests.support import BACKENDS, POSTGRES_URL_ENV, FakeClock, database, postgres_url

# Tests pin their backend: a stray setting in the environment must not change it.
for _var in ("TENANTRY_DATABASE_URL", "PERSISTENCE_MODULE"):
    os.environ.pop(_var, None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pg_url() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_ENV} (e.g. postgresql+psycopg://...)")
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same behaviour, once per backend: in memory, a SQLite file, PostgreSQL."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def make_app(clock: FakeClock) -> Iterator[Callable[..., Tenantry]]:
    """Builds applications and closes them after the test."""
    apps: list[Tenantry] = []

    def make(url: str = "memory://", **kwargs: object) -> Tenantry:
        kwargs.setdefault("clock", clock)
        app = tenantry.connect(url, **kwargs)  # type: ignore[arg-type]
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def app(make_app: Callable[..., Tenantry]) -> Tenantry:
    """An in-memory application on the test's clock."""
    return make_app("memory://")
