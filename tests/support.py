"""Test support shared by every suite: a controllable clock and the backends under test."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import PersistenceError, StoredEvent

from tenantry.application.app import Tenantry

POSTGRES_URL_ENV = "TENANTRY_TEST_POSTGRES_URL"
BACKENDS = ("memory", "sqlite", "postgres")


class FakeClock:
    """A clock the test moves by hand; thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema for one test; yields the tenantry URL that uses it, drops it after."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}schema={schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL of one kind of :data:`BACKENDS`: ``memory://``, a SQLite file in
    ``tmp_path``, or a new PostgreSQL schema (the test is skipped when none is configured)."""
    if kind == "memory":
        yield "memory://"
    elif kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'tenantry.db'}"
    else:
        base = postgres_url()
        if base is None:
            pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_ENV}")
        with postgres_schema(base) as url:
            yield url


class CommitsThenFails:
    """Wraps a recorder's insert: the next insert commits (unless ``commit=False``) and then
    raises ``error``, as a dropped connection does after the server committed (or as the
    recorder's own retry of that insert does: a lost race against itself)."""

    def __init__(self, app: Tenantry, error: PersistenceError, *, commit: bool = True) -> None:
        self.insert = app.recorder.insert_events
        self.error = error
        self.commit = commit
        self.armed = True

    def __call__(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        if not self.armed:
            return self.insert(stored_events, **kwargs)
        self.armed = False
        if self.commit:
            self.insert(stored_events, **kwargs)
        raise self.error
