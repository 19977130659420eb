"""The organization at a moment, on every backend: found by a binary search over the stored
events (one read per step), equal to a replay up to that moment across snapshots, equal
timestamps, a clock that steps back, a deletion and a restore."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from tenantry.application.app import Tenantry
from tests.support import FakeClock
from tests.unit.test_as_of_search import assert_search_equals_replay

MakeApp = Callable[..., Tenantry]


def _long_history(app: Tenantry, clock: FakeClock) -> str:
    """An organization of 130-odd events: past two snapshots, with runs of equal timestamps."""
    org = app.create_organization("Acme").id
    for i in range(120):
        if i % 3:  # two of every three events at the time of the one before
            clock.advance(timedelta(seconds=1))
        if i == 70:
            clock.advance(-timedelta(minutes=5))  # a clock that steps back
        app.update_organization(org, display_name=f"Acme {i}")
    app.delete_organization(org)
    clock.advance(timedelta(hours=1))
    app.restore_organization(org)
    clock.advance(timedelta(hours=1))
    for i in range(10):
        app.invite_member(org, f"u{i}@acme.example")
    return org


def test_as_of_every_moment_equals_a_replay_up_to_it(
    make_app: MakeApp, database_url: str, clock: FakeClock
) -> None:
    app = make_app(database_url)
    assert_search_equals_replay(app, _long_history(app, clock))


class _CountingReads:
    """Counts the stored events an application reads."""

    def __init__(self, app: Tenantry) -> None:
        self.events = 0
        self._get = app.events.get
        app.events.get = self.get  # type: ignore[method-assign]

    def get(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for event in self._get(*args, **kwargs):
            self.events += 1
            yield event


def test_a_moment_is_found_reading_a_logarithmic_number_of_events(
    make_app: MakeApp, database_url: str, clock: FakeClock
) -> None:
    app = make_app(database_url)
    org = app.create_organization("Acme").id
    for i in range(1, 512):
        clock.advance(timedelta(seconds=1))
        app.update_organization(org, display_name=f"Acme {i}")
    reads = _CountingReads(app)
    start = clock() - timedelta(seconds=511)

    for version in (1, 2, 200, 301, 511, 512):
        moment = start + timedelta(seconds=version - 1, milliseconds=500)
        assert app.get_organization_as_of(org, at=moment).display_name == (
            "Acme" if version == 1 else f"Acme {version - 1}"
        )

    # Per lookup: the last event, ten search steps, and at most a snapshot's interval of
    # events after the snapshot the version is loaded from (512 events in all).
    assert reads.events <= 6 * (1 + 10 + 50)
