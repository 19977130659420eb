"""A commit whose answer is lost is resolved by asking the store for the command's id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from eventsourcing.persistence import (
    IntegrityError,
    OperationalError,
    PersistenceError,
)

from tenantry.application.app import Tenantry
from tests.support import CommitsThenFails


def _topics(app: Tenantry) -> list[str]:
    return [n.topic.rsplit(":", 1)[1] for n in app.recorder.select_notifications(None, 1000)]


@pytest.fixture
def sqlite_app(make_app: Callable[..., Tenantry], tmp_path: Path) -> Tenantry:
    return make_app(f"sqlite:///{tmp_path / 't.db'}")


@pytest.mark.parametrize(
    "error",
    [IntegrityError("duplicate key (the retried insert)"), OperationalError("server closed")],
)
def test_a_create_that_committed_is_answered_as_created_once(
    sqlite_app: Tenantry, monkeypatch: pytest.MonkeyPatch, error: PersistenceError
) -> None:
    monkeypatch.setattr(sqlite_app.recorder, "insert_events", CommitsThenFails(sqlite_app, error))

    org = sqlite_app.create_organization("Megasoft")

    assert _topics(sqlite_app) == ["Organization.Created"]
    assert sqlite_app.get_organization(org.id).display_name == "Megasoft"
    assert sqlite_app.last_position is not None


def test_a_create_with_an_external_id_that_committed_is_not_a_conflict(
    sqlite_app: Tenantry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sqlite_app.recorder,
        "insert_events",
        CommitsThenFails(sqlite_app, IntegrityError("retried")),
    )

    org = sqlite_app.create_organization("Megasoft", external_id="megasoft-001")

    assert sqlite_app.get_organization_by_external_id("megasoft-001").id == org.id


def test_an_update_that_committed_is_answered_with_its_result(
    sqlite_app: Tenantry, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = sqlite_app.create_organization("Megasoft")
    monkeypatch.setattr(
        sqlite_app.recorder,
        "insert_events",
        CommitsThenFails(sqlite_app, IntegrityError("retried")),
    )

    updated = sqlite_app.update_organization(org.id, display_name="Megasoft Inc.")

    assert updated.display_name == "Megasoft Inc."
    assert _topics(sqlite_app) == ["Organization.Created", "Organization.Renamed"]


def test_a_connection_error_before_the_commit_reaches_the_caller_and_records_nothing(
    sqlite_app: Tenantry, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = CommitsThenFails(sqlite_app, OperationalError("connection refused"), commit=False)
    monkeypatch.setattr(sqlite_app.recorder, "insert_events", fault)

    with pytest.raises(OperationalError, match="connection refused"):
        sqlite_app.create_organization("Megasoft")

    assert _topics(sqlite_app) == []
    assert sqlite_app.last_position is None


def test_every_event_of_a_command_carries_its_command_id(sqlite_app: Tenantry) -> None:
    org = sqlite_app.create_organization("Megasoft", external_id="megasoft-001")
    sqlite_app.update_organization(org.id, display_name="Megasoft Inc.")

    events = sqlite_app.recorder.select_notifications(None, 100)
    ids = [getattr(sqlite_app.mapper.to_domain_event(e), "command_id", None) for e in events]
    assert None not in ids
    assert len(set(ids)) == 2  # the create (organization and claim) and the update
