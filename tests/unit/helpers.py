"""Helpers of the unit, contract and integration suites: what a command recorded, and replays."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import CanInitAggregate
from eventsourcing.utils import get_topic

from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.base import Aggregate, DomainEvent


def last_notification_id(app: Tenantry) -> int:
    return app.recorder.max_notification_id() or 0


@contextmanager
def records_nothing(app: Tenantry) -> Iterator[None]:
    """Fails unless the block leaves the application's log as it found it."""
    before = last_notification_id(app)
    yield
    assert last_notification_id(app) == before, "a refused command recorded events"


def stored(app: Tenantry, after: int = 0) -> list[tuple[int, str, dict[str, Any]]]:
    """The raw stored records after notification id ``after``: (id, topic, JSON state)."""
    out: list[tuple[int, str, dict[str, Any]]] = []
    start: int | None = after
    while True:
        page = app.recorder.select_notifications(start=start, limit=500, inclusive_of_start=False)
        out += [(n.id, n.topic, json.loads(n.state)) for n in page]
        if len(page) < 500:
            return out
        start = page[-1].id


def topics(app: Tenantry, after: int = 0) -> list[str]:
    """Short topics (``Organization.Created``) of the records after ``after``, in order."""
    return [topic.rpartition(":")[2] for _, topic, _ in stored(app, after)]


def replay(events: Iterable[Any]) -> Any:
    """Folds events from nothing, the way a repository rebuilds an aggregate."""
    aggregate: Any = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def assert_replays_to(aggregate: Aggregate, events: Iterable[Any]) -> None:
    """The events, folded from scratch, give the live aggregate's state and version."""
    rebuilt = replay(events)
    assert rebuilt.state == aggregate.state
    assert rebuilt.version == aggregate.version


def org_uuid(organization_id: str) -> UUID:
    return ids.decode(ids.ORG, organization_id)


def assert_stored_history_replays(app: Tenantry, organization_id: str) -> None:
    """The organization as the repository loads it equals a fold of all its stored events."""
    uid = org_uuid(organization_id)
    assert_replays_to(app.repository.get(uid), app.events.get(uid))


def aggregate_topics(*modules: ModuleType) -> list[str]:
    """The topics of the events (and snapshots) of the aggregates the modules define: the
    concrete events, without the ``Created`` eventsourcing derives for an aggregate created by
    an event of its own."""
    found: set[type[Any]] = set()
    for module in modules:
        for aggregate in vars(module).values():
            if not (isinstance(aggregate, type) and issubclass(aggregate, Aggregate)):
                continue
            if aggregate.__module__ != module.__name__:
                continue
            nested = {
                v
                for v in vars(aggregate).values()
                if isinstance(v, type) and issubclass(v, DomainEvent)
            }
            concrete = {
                c for c in nested if not any(o is not c and issubclass(o, c) for o in nested)
            }
            if len({c for c in concrete if issubclass(c, CanInitAggregate)}) > 1:
                concrete.discard(aggregate.Created)
            found |= concrete | {aggregate.Snapshot}
    return sorted(get_topic(c) for c in found)


def expect_outcome(
    app: Tenantry,
    error: type[Exception] | None,
    call: Callable[[], Any],
    *,
    records: bool = True,
) -> Any:
    """Runs a command a model predicted: its result and whether it recorded events (``records``)
    when ``error`` is None; else it must raise ``error`` and record nothing."""
    if error is None:
        result = call()
        assert (app.last_position is not None) == records
        return result
    with pytest.raises(error):
        call()
    assert app.last_position is None
    return None
