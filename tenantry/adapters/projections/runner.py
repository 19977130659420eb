"""Runs projections exactly once into their tables: catch-up, rebuild beside the live tables, and
follow the log.

One pass over the log feeds every projection catching up together: each batch of notifications
is read and decoded once, then a single transaction, for each projection, moves its tracking
position with a compare-and-set (``UPDATE … SET position = new WHERE position = old``; no row
updated means another runner got there first, and the whole batch is rolled back), reads the
rows its events need in one ``SELECT … IN``, folds them with the projection's pure functions and
bulk-upserts the result. Rows and positions commit together or not at all, so a crash loses or
repeats nothing; memory is bounded by the batch size.

Each projection's share of a batch runs in its own savepoint. One that cannot apply an event
(its code raises, or the database refuses its rows) is rolled back alone, applied again one event
at a time up to the event that fails, and recorded as failed at that event (:mod:`.failures`);
the others commit their share. A failed projection stays where it stopped until a catch-up
retries it (``retry_failed``): an explicit one, or the follower's, every ``retry_interval``
seconds. Connection and lock errors are not failures of a projection: they end the pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import Notification
from eventsourcing.utils import TopicError, resolve_topic

from tenantry.adapters.projections import failures, rows
from tenantry.adapters.projections.engine import reader, writer
from tenantry.adapters.projections.generations import Generation, Generations
from tenantry.adapters.projections.views import View
from tenantry.application.app import Tenantry
from tenantry.application.serialization import PydanticMapper
from tenantry.domain.base import DomainEvent
from tenantry.projections.base import Recorded, RecordedProjection, Row, RowRef, Writes

Progress = Callable[[int, int], None]
"""Called after each batch with (position reached, head of the log)."""

DEFAULT_BATCH_SIZE = 1000
DEFAULT_RETRY_INTERVAL = 30.0
"""Seconds between a follower's retries of a failed projection."""


class Lost(Exception):
    """Another runner moved a tracking position first (or the generation was swapped out):
    the batch was rolled back. Internal; runners re-read their positions and go on."""


@dataclass
class Lane:
    """One generation of one projection moving along the log in a pass."""

    view: View
    gen: Generation
    position: int
    failed_at: int | None = None
    """Where a recorded failure stopped it (it is being retried)."""
    failed: bool = False
    """It failed in this pass: it goes no further."""


_TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, Lost)
"""Errors of the database or of a race, not of a projection: they end the pass, and are not
recorded as a projection's failure."""

_NOTHING: Mapping[RowRef, Row | None] = MappingProxyType({})

Event = tuple[int, frozenset[str], DomainEvent | None, Recorded | None]
"""A decoded notification: log position, the projections that handle it, the event as its
model (if a :class:`Projection` handles it) and as recorded (if a :class:`RecordedProjection`
does)."""


def _recorded(lane: Lane) -> bool:
    return isinstance(lane.view.projection, RecordedProjection)


class Runner:
    """Moves the generations of a set of views along the log of one application."""

    def __init__(
        self,
        app: Tenantry,
        views: Mapping[str, View],
        generations: Generations,
        engine: sa.Engine,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.app = app
        if not isinstance(app.mapper, PydanticMapper):  # pragma: no cover - the application's own
            raise TypeError("projections need the application's PydanticMapper")
        self._mapper = app.mapper
        self.views = views
        self.generations = generations
        self.engine = engine
        self._write = writer(engine)
        self._read = reader(engine)
        self.batch_size = batch_size
        self.before_commit: Callable[[str, int], None] | None = None
        """Test hook: called inside each batch's transaction, before it commits."""
        self.retry_interval = DEFAULT_RETRY_INTERVAL
        self._routes: dict[str, frozenset[str]] = {}

    def head(self) -> int:
        """The newest position of the log."""
        return int(self.app.recorder.max_notification_id() or 0)

    def catch_up(
        self,
        views: Sequence[View],
        progress: Progress | None = None,
        *,
        retry_failed: bool = True,
    ) -> int:
        """Brings ``views`` up to the head of the log in one pass (see
        :meth:`ProjectionStore.catch_up`); those without live tables of their version are
        built, as by :meth:`build`. A failed projection is tried again only with
        ``retry_failed``."""
        targets: list[tuple[View, int]] = []
        builds: list[View] = []
        for view in views:
            with self._read.connect() as conn:
                tr = self.generations.live_tracking(conn, view)
            if tr is None or tr.version != view.projection.version:
                builds.append(view)
            else:
                targets.append((view, int(tr.generation)))
        total = (
            self.build(builds, progress, unless_live=True, retry_failed=retry_failed)
            if builds
            else 0
        )
        return total + self.advance(targets, progress, retry_failed=retry_failed)

    def build(
        self,
        views: Sequence[View],
        progress: Progress | None,
        *,
        unless_live: bool = False,
        retry_failed: bool = True,
    ) -> int:
        """Builds new generations of ``views`` together in one pass over the log (resuming the
        generations an interrupted build left), adds their indexes and swaps them in. With
        ``unless_live`` (a catch-up that found no live tables of this version), a view whose
        live tables another runner has built and swapped in meanwhile is caught up instead:
        building it again would drop tables that readers have just started to use."""
        gens = self.generations
        building: list[tuple[View, int]] = []
        built: list[tuple[View, int]] = []
        for view in views:
            with self._write.begin() as conn:
                reg = gens.registry(conn, view.name, lock=True)
                if unless_live and reg is not None and reg.building_generation is None:
                    live = reg.live_generation
                    tr = gens.tracking(conn, view.name, live) if live is not None else None
                    if tr is not None and tr.version == view.projection.version:
                        built.append((view, int(tr.generation)))
                        continue
                number: int | None = reg.building_generation if reg is not None else None
                tr = gens.tracking(conn, view.name, number) if number is not None else None
                if number is None or tr is None or tr.version != view.projection.version:
                    number = gens.new(conn, view, indexes=False)
                    gens.set_registry(conn, view.name, reg is not None, building_generation=number)
            building.append((view, number))
        done = self.advance(building, progress, retry_failed=retry_failed)
        with self._read.connect() as conn:
            failed = failures.all_failures(conn)
        building = [
            (view, number) for view, number in building if (view.name, number) not in failed
        ]
        for view, number in building:  # a failed build stays unswapped: a retry resumes it
            gens.add_indexes(view, number)
            gens.swap(view, number)
        return (
            done
            + self.advance(building, progress, retry_failed=retry_failed)
            + self.advance(built, progress, retry_failed=retry_failed)
        )

    def advance(
        self,
        targets: Sequence[tuple[View, int]],
        progress: Progress | None,
        *,
        retry_failed: bool = True,
    ) -> int:
        """Runs the generations ``targets`` (view, generation number) together to the head of
        the log, in one pass; returns how many log positions they moved over in all. A
        generation that disappears (swapped out by another runner) drops out, and so does one
        that fails (or has failed, unless ``retry_failed``)."""
        lanes = self._lanes(targets, retry_failed)
        moved = 0
        while lanes:
            start = min(lane.position for lane in lanes)
            notes = self.app.recorder.select_notifications(
                start=start, limit=self.batch_size, inclusive_of_start=False
            )
            if not notes:
                break
            before = sum(lane.position for lane in lanes)
            try:
                self.process(lanes, notes)
            except Lost:
                time.sleep(0.005)  # a concurrent runner did this batch: re-read and go on
                lanes = self._lanes([(lane.view, lane.gen.number) for lane in lanes], retry_failed)
                continue
            moved += sum(lane.position for lane in lanes) - before
            lanes = [lane for lane in lanes if not lane.failed]
            if progress is not None:
                progress(notes[-1].id, self.head())
        return moved

    def _lanes(self, views: Sequence[tuple[View, int]], retry_failed: bool) -> list[Lane]:
        """Lanes for generations (by number) of views, at their recorded positions; a generation
        that no longer exists (swapped out and dropped) gets none, nor one recorded as failed
        unless ``retry_failed``."""
        out = []
        with self._read.connect() as conn:
            failed = failures.all_failures(conn)
            for view, number in views:
                tr = self.generations.tracking(conn, view.name, number)
                failure = failed.get((view.name, number))
                if tr is not None and (failure is None or retry_failed):
                    gen = self.generations.generation(view, number)
                    at = failure.position if failure is not None else None
                    out.append(Lane(view, gen, int(tr.position), failed_at=at))
        return out

    def process(self, lanes: Sequence[Lane], notes: Sequence[Notification]) -> None:
        """One batch, one transaction: per lane behind its end, the tracking compare-and-set,
        then its rows. Raises :class:`Lost` (and changes nothing) if any lane was moved."""
        end = notes[-1].id
        behind = [lane for lane in lanes if lane.position < end]
        events = self._decode(notes, behind)  # before the transaction: keep it short
        reached: dict[int, int] = {}
        with self._write.begin() as conn:
            for lane in behind:
                reached[id(lane)] = self._lane_batch(conn, lane, events, end)
            if self.before_commit is not None:
                for lane in behind:
                    self.before_commit(lane.view.name, end)
        for lane in behind:
            lane.position = reached[id(lane)]
            lane.failed = lane.position < end

    def _lane_batch(
        self, conn: sa.Connection, lane: Lane, events: Sequence[Event], end: int
    ) -> int:
        """One lane's share of a batch, in a savepoint; where the lane got to (``end`` unless
        an event failed)."""
        name, number = lane.view.name, lane.gen.number
        try:
            with conn.begin_nested():
                if not self.generations.move(conn, name, number, lane.position, end):
                    raise Lost
                self._fold(conn, lane, events)
        except _TRANSIENT:
            raise
        except Exception:
            return self._one_by_one(conn, lane, events, end)
        if lane.failed_at is not None:
            failures.clear(conn, name, number)
        return end

    def _one_by_one(
        self, conn: sa.Connection, lane: Lane, events: Sequence[Event], end: int
    ) -> int:
        """Applies a lane's events of a batch one at a time, each in a savepoint, up to the one
        that fails, which is recorded; returns the position reached."""
        name, number = lane.view.name, lane.gen.number
        position = lane.position
        for event in events:
            at = event[0]
            if at <= position or name not in event[1]:
                continue
            try:
                with conn.begin_nested():
                    self.generations.move(conn, name, number, position, at)
                    self._fold(conn, Lane(lane.view, lane.gen, position), [event])
            except _TRANSIENT:
                raise
            except Exception as e:
                failures.record(conn, name, number, at, e)
                # It includes every event before the one that failed.
                self.generations.move(conn, name, number, position, at - 1)
                return at - 1
            position = at
        # Each event applies alone (the batch failed as a whole): the lane goes on.
        self.generations.move(conn, name, number, position, end)
        if lane.failed_at is not None:
            failures.clear(conn, name, number)
        return end

    def _route(self, topic: str) -> frozenset[str]:
        """The projections (by name) that handle events stored under ``topic``: decided by the
        class the topic resolves to, so a moved class's old topic is routed like its new one."""
        names = self._routes.get(topic)
        if names is None:
            try:
                cls = resolve_topic(topic)
            except TopicError:  # no class of this process: no projection of it either
                cls = None
            names = frozenset(
                name
                for name, view in self.views.items()
                if isinstance(cls, type) and issubclass(cls, view.projection.handles)
            )
            self._routes[topic] = names
        return names

    def _decode(self, notes: Sequence[Notification], lanes: Sequence[Lane]) -> list[Event]:
        """The events some lane needs, each decoded once for all of them: as its model for
        :class:`Projection` lanes, as recorded for :class:`RecordedProjection` lanes."""
        start = min(lane.position for lane in lanes)
        typed = {lane.view.name for lane in lanes if not _recorded(lane)}
        recorded = {lane.view.name for lane in lanes if _recorded(lane)}
        to_state, from_state = self._mapper.to_state, self._mapper.from_state
        routes = self._routes
        out: list[Event] = []
        for n in notes:
            names = routes.get(n.topic)
            if names is None:
                names = self._route(n.topic)
            if n.id <= start or not names:
                continue
            as_model = not typed.isdisjoint(names)
            as_recorded = not recorded.isdisjoint(names)
            if not (as_model or as_recorded):
                continue
            cls, state = to_state(n)
            rec = None
            if as_recorded:
                rec = Recorded(cls, cast(UUID, n.originator_id), n.originator_version, state)
            model = None
            if as_model:
                model = cast(DomainEvent, from_state(n, cls, dict(state) if rec else state))
            out.append((n.id, names, model, rec))
        return out

    def _fold(self, conn: sa.Connection, lane: Lane, events: Sequence[Event]) -> None:
        """Applies a lane's share of a batch: its rows read at once, folded, written at once."""
        projection = lane.view.projection
        name, after = lane.view.name, lane.position
        reads, apply = projection.reads, projection.apply
        mine: list[tuple[int, Any, tuple[RowRef, ...]]] = []
        wanted: list[RowRef] = []
        as_recorded = _recorded(lane)
        for position, names, model, rec in events:
            if position > after and name in names:
                e = rec if as_recorded else model
                refs = tuple(reads(e))
                mine.append((position, e, refs))
                wanted += refs
        loaded = rows.load(conn, lane.gen.io, wanted)
        present = {ref for ref, row in loaded.items() if row is not None}
        dirty: Writes = {}  # the rows written so far: what later events of the batch see
        for position, e, refs in mine:
            seen = (
                {ref: dirty[ref] if ref in dirty else loaded[ref] for ref in refs}
                if refs
                else _NOTHING
            )
            dirty.update(apply(e, position, seen))
        rows.write(conn, lane.gen.io, dirty, present)

    def follow(
        self,
        *,
        interval: float = 0.5,
        stop: threading.Event | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """Keeps every view caught up until ``stop`` is set (see
        :meth:`ProjectionStore.follow`)."""
        stop = stop or threading.Event()
        retry_at = 0.0
        with self._wakeups(stop) as wait:
            while not stop.is_set():
                retry = time.monotonic() >= retry_at
                if retry:
                    retry_at = time.monotonic() + self.retry_interval
                moved = self.catch_up(list(self.views.values()), retry_failed=retry)
                if on_progress is not None and moved:
                    on_progress(moved)
                if not moved:
                    if on_idle is not None:
                        on_idle()
                    wait(interval)

    @contextmanager
    def _wakeups(self, stop: threading.Event) -> Iterator[Callable[[float], None]]:
        """A function that waits up to some seconds, or less when the log may have grown."""
        channel = getattr(self.app.recorder, "channel_name", None)
        engine = self.engine
        if engine.dialect.name != "postgresql" or not isinstance(channel, str):

            def poll(seconds: float) -> None:
                stop.wait(seconds)

            yield poll
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # LISTEN before the first catch-up, so nothing inserted after it goes unnoticed.
            quote = engine.dialect.identifier_preparer.quote
            conn.exec_driver_sql(f"LISTEN {quote(channel)}")
            driver = conn.connection.driver_connection
            assert driver is not None

            def wait(seconds: float) -> None:
                deadline = time.monotonic() + seconds
                while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                    # Short slices, so that setting ``stop`` ends the wait soon.
                    for _ in driver.notifies(timeout=min(left, 0.25), stop_after=1):
                        return

            try:
                yield wait
            finally:
                conn.exec_driver_sql(f"UNLISTEN {quote(channel)}")
