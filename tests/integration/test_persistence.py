"""What the durable stores keep: readable rows, snapshots that load like a full replay, and
PostgreSQL schemas that keep tenants' installations apart."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import OrganizationNotFound
from tests.support import FakeClock, postgres_schema
from tests.unit.helpers import assert_stored_history_replays, org_uuid

MakeApp = Callable[..., Tenantry]


def busy_organization(app: Tenantry, clock: FakeClock) -> str:
    """An organization past its first snapshots (every 50 events), with pending invitations that
    expire at different times, some before and some after the snapshot."""
    org = app.create_organization("Acme").id
    app.upsert_user_management_settings(org, 200)
    for i in range(90):
        clock.advance(timedelta(hours=1))
        app.invite_member(org, f"u{i}@x.io", expires_in=timedelta(days=5 + i % 5))
    for i in range(0, 90, 3):
        app.accept_invitation(org, f"u{i}@x.io")
    for i in range(1, 90, 7):
        app.remove_member(org, f"u{i}@x.io")
    clock.advance(timedelta(days=4))
    app.invite_member(org, "after-snapshot@x.io")
    return org


@pytest.fixture
def durable_url(database_url: str) -> str:
    if database_url.startswith("memory:"):
        pytest.skip("durability is a property of the SQLite and PostgreSQL stores")
    return database_url


def test_an_organization_loaded_from_its_snapshot_equals_a_full_replay(
    make_app: MakeApp, durable_url: str, clock: FakeClock
) -> None:
    app = make_app(durable_url)
    org = busy_organization(app, clock)
    assert [s.originator_version for s in app.snapshots.get(org_uuid(org))] == [50, 100]  # type: ignore[union-attr]
    again = make_app(durable_url)  # empty cache: loads the snapshot, then later events
    assert_stored_history_replays(again, org)
    for days in range(0, 8):
        at = clock() + timedelta(days=days)
        assert again.get_seat_usage(org, at=at) == app.get_seat_usage(org, at=at)


def test_a_snapshot_is_stored_as_readable_json(
    make_app: MakeApp, durable_url: str, clock: FakeClock
) -> None:
    app = make_app(durable_url)
    org = busy_organization(app, clock)
    assert app.snapshots is not None
    *_, record = app.snapshots.recorder.select_events(org_uuid(org))
    state = json.loads(record.state)
    assert record.topic == "tenantry.domain.base:Snapshot"
    assert state["topic"] == "tenantry.domain.organization:Organization"
    assert state["state"]["display_name"] == "Acme"
    assert state["state"]["max_allowed_users"] == 200
    assert state["state"]["_class_version"] == 1


def test_a_sqlite_file_keeps_readable_rows_after_the_application_closes(
    make_app: MakeApp, tmp_path: Path
) -> None:
    path = tmp_path / "tenantry.db"
    app = make_app(f"sqlite:///{path}")
    org = app.create_organization("Acme", external_id="acme")
    app.close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT topic, state FROM stored_events").fetchall()
    assert [topic for topic, _ in rows] == [
        "tenantry.domain.organization:Organization.Created",
        "tenantry.domain.membership:KeyClaim.Claimed",
    ]
    assert json.loads(rows[0][1])["display_name"] == "Acme"
    assert make_app(f"sqlite:///{path}").get_organization_by_external_id("acme") == org


@pytest.mark.postgres
def test_postgresql_schemas_keep_installations_apart(make_app: MakeApp, pg_url: str) -> None:
    with postgres_schema(pg_url) as first_url, postgres_schema(pg_url) as second_url:
        first, second = make_app(first_url), make_app(second_url)
        org = first.create_organization("Acme", external_id="acme")
        with pytest.raises(OrganizationNotFound):
            second.get_organization(org.id)
        assert second.create_organization("Acme", external_id="acme").id != org.id
        assert first.get_organization_by_external_id("acme") == org
