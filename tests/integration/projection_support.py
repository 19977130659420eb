"""Helpers for the projection tests: a store per test and the pure fold of the log."""

from __future__ import annotations

from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry
from tenantry.domain.base import DomainEvent
from tenantry.projections import Tables, fold


def log(app: Tenantry) -> list[tuple[int, DomainEvent]]:
    out: list[tuple[int, DomainEvent]] = []
    start = 0
    while True:
        notes = app.recorder.select_notifications(start=start, limit=1000, inclusive_of_start=False)
        out += [(n.id, app.mapper.to_domain_event(n)) for n in notes]  # type: ignore[misc]
        if len(notes) < 1000:
            return out
        start = notes[-1].id


def expected(store: ProjectionStore, name: str) -> Tables:
    return fold(store.view(name).projection, log(store.app))


def assert_views_equal_the_fold(store: ProjectionStore) -> None:
    events = log(store.app)
    for name, view in store.views.items():
        assert store.dump(name) == fold(view.projection, events), name
