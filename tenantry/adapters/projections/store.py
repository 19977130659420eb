"""Runs projections exactly once into versioned tables, rebuilds them beside the live ones.

Bookkeeping tables (not versioned): ``proj_registry`` (per projection: the live generation that
readers use and the generation a rebuild is building) and ``proj_tracking`` (per projection and
generation: the projection version, the log position its tables include, and their table
names). A generation's tables are named ``proj_<table>_v<version>_g<generation>``.

One pass over the log feeds every projection catching up together: each batch of notifications
is read and decoded once, then a single transaction, for each projection, moves its tracking
position with a compare-and-set (``UPDATE … SET position = new WHERE position = old``; no row
updated means another runner got there first, and the whole batch is rolled back), reads the
rows its events need in one ``SELECT … IN``, folds them with the projection's pure functions and
bulk-upserts the result. Rows and positions commit together or not at all, so a crash loses or
repeats nothing; memory is bounded by the batch size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypedDict, TypeVar, Unpack, cast
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import Notification
from eventsourcing.utils import TopicError, resolve_topic

from tenantry.adapters.database import database_of
from tenantry.adapters.projections import rows
from tenantry.adapters.projections.engine import projections_engine, reader, writer
from tenantry.adapters.projections.views import (
    NAMING,
    AuditView,
    MembershipsView,
    OrganizationsView,
    Reading,
    SeatsView,
    View,
    builtin_views,
)
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.application.serialization import PydanticMapper
from tenantry.domain.base import DomainEvent, utc
from tenantry.domain.errors import InvalidField, ProjectionBehind
from tenantry.projections import dto as pdto
from tenantry.projections.base import Recorded, RecordedProjection, Row, RowRef, Tables, Writes
from tenantry.projections.tokens import DEFAULT_SECRET

T = TypeVar("T")
V = TypeVar("V", bound=View)
Progress = Callable[[int, int], None]
"""Called after each batch with (position reached, head of the log)."""

DEFAULT_BATCH_SIZE = 1000
SORT_CACHE_KIB = 8192
"""SQLite page cache, in KiB, while a rebuild builds its indexes (see :func:`_sorter_memory`)."""

_meta = sa.MetaData()
registry_table = sa.Table(
    "proj_registry",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("live_generation", sa.Integer),
    sa.Column("building_generation", sa.Integer),
)
tracking_table = sa.Table(
    "proj_tracking",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("generation", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("tables", sa.JSON, nullable=False),
)


_BOOKKEEPING_LOCK = sa.text(
    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.proj_registry'))"
)


class Lost(Exception):
    """Another runner moved a tracking position first (or the generation was swapped out):
    the batch was rolled back. Internal; runners re-read their positions and go on."""


class ReadOptions(TypedDict, total=False):
    """Read your writes, for every query: with ``min_position`` (e.g. ``app.last_position``) the
    answer includes at least that much of the log, waiting for the projection at most
    ``timeout`` seconds (default 5), else :class:`ProjectionBehind`."""

    min_position: int | None
    timeout: float


@dataclass(frozen=True)
class Generation:
    number: int
    version: int
    tables: dict[str, sa.Table]
    io: dict[str, rows.TableIO]


@dataclass
class Lane:
    """One generation of one projection moving along the log in a pass."""

    view: View
    gen: Generation
    position: int


_NOTHING: Mapping[RowRef, Row | None] = MappingProxyType({})

Event = tuple[int, frozenset[str], DomainEvent | None, Recorded | None]
"""A decoded notification: log position, the projections that handle it, the event as its
model (if a :class:`Projection` handles it) and as recorded (if a :class:`RecordedProjection`
does)."""


def _recorded(lane: Lane) -> bool:
    return isinstance(lane.view.projection, RecordedProjection)


@contextmanager
def _sorter_memory(conn: sa.Connection) -> Iterator[None]:
    """On SQLite, a smaller page cache while ``CREATE INDEX`` runs (then the connection's own
    again): SQLite sizes the sort behind it by the page cache (64 MB, ``engine.CACHE_KIB``),
    which would add that much to the rebuild's peak memory on a large table; sorted in 8 MB
    runs instead (merged through temporary files), the peak stays that of the bulk load. (Helper
    threads for the sort, ``PRAGMA threads``, were measured a fifth faster at building the audit
    table's indexes, but each sorts its own 8 MB runs: 32 MB more at the peak of a
    1,000,000-event rebuild, for about 1% of its time. Not used.)"""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


class ProjectionStore:
    """The projections of one tenantry application, stored in its database.

    >>> import tenantry
    >>> from tenantry.adapters.projections import ProjectionStore
    >>> app = tenantry.connect("memory://")
    >>> views = ProjectionStore(app)
    >>> org = app.create_organization("Acme")
    >>> views.list_organizations(min_position=app.last_position).total_size
    1
    """

    def __init__(
        self,
        app: Tenantry,
        *,
        views: Sequence[View] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        page_token_secret: bytes = DEFAULT_SECRET,
    ) -> None:
        self.app = app
        if not isinstance(app.mapper, PydanticMapper):  # pragma: no cover - the application's own
            raise TypeError("projections need the application's PydanticMapper")
        self._mapper = app.mapper
        self.engine = projections_engine(database_of(app))
        self._write = writer(self.engine)
        self._read = reader(self.engine)
        chosen = list(views) if views is not None else builtin_views()
        self.views: dict[str, View] = {v.name: v for v in chosen}
        if len(self.views) != len(chosen):
            raise InvalidField("views", "projection names must be unique")
        self.batch_size = batch_size
        self.secret = page_token_secret
        self._routes: dict[str, frozenset[str]] = {}
        self._gens: dict[tuple[str, int], Generation] = {}
        self._live: dict[str, int] = {}
        self._lock = threading.Lock()
        self.before_commit: Callable[[str, int], None] | None = None
        """Test hook: called inside each batch's transaction, before it commits."""
        self._create_bookkeeping()

    def close(self) -> None:
        self.engine.dispose()

    # --- bookkeeping ------------------------------------------------------------------------

    def _create_bookkeeping(self) -> None:
        for attempt in range(3):
            try:
                with self._write.begin() as conn:
                    _meta.create_all(conn, checkfirst=True)
                return
            except sa.exc.DBAPIError:  # another process created them at the same moment
                if attempt == 2:
                    raise

    def view(self, name: str) -> View:
        try:
            return self.views[name]
        except KeyError:
            raise InvalidField(
                "projection", f"must be one of {', '.join(self.views)}; got {name!r}"
            ) from None

    def _generation(self, view: View, number: int, version: int) -> Generation:
        with self._lock:
            gen = self._gens.get((view.name, number))
            if gen is None or gen.version != version:
                names = {t: f"proj_{t}_v{version}_g{number}" for t in view.projection.tables}
                tables = view.define(sa.MetaData(naming_convention=NAMING), names)
                io = {k: rows.TableIO.of(t, self.engine.dialect) for k, t in tables.items()}
                gen = Generation(number, version, tables, io)
                self._gens[(view.name, number)] = gen
            return gen

    def _registry(
        self, conn: sa.Connection, name: str, *, lock: bool = False
    ) -> sa.Row[Any] | None:
        if lock and conn.dialect.name == "postgresql":
            # Generations are created, swapped and dropped one runner at a time (a row lock
            # cannot guard a registry row that does not exist yet). SQLite's write transactions
            # are serialized already (BEGIN IMMEDIATE).
            conn.execute(_BOOKKEEPING_LOCK)
        q = sa.select(registry_table).where(registry_table.c.name == name)
        return conn.execute(q).first()

    def _tracking(self, conn: sa.Connection, name: str, number: int) -> sa.Row[Any] | None:
        t = tracking_table
        return conn.execute(sa.select(t).where(t.c.name == name, t.c.generation == number)).first()

    def _set_registry(
        self, conn: sa.Connection, name: str, exists: bool, **values: int | None
    ) -> None:
        if exists:
            conn.execute(
                sa.update(registry_table).where(registry_table.c.name == name).values(**values)
            )
        else:
            conn.execute(sa.insert(registry_table).values(name=name, **values))

    def _new_generation(self, conn: sa.Connection, view: View, *, indexes: bool = True) -> int:
        """A new generation's empty tables, at position 0; without their secondary indexes if
        ``indexes`` is false (a rebuild adds them once its bulk load is done)."""
        t = tracking_table
        top = conn.execute(
            sa.select(sa.func.max(t.c.generation)).where(t.c.name == view.name)
        ).scalar()
        number = (top or 0) + 1
        gen = self._generation(view, number, view.projection.version)
        for table in gen.tables.values():
            table.drop(conn, checkfirst=True)  # left over from an abandoned attempt
            if indexes:
                table.create(conn)
            else:
                conn.execute(sa.schema.CreateTable(table))
        conn.execute(
            sa.insert(t).values(
                name=view.name,
                generation=number,
                version=view.projection.version,
                position=0,
                tables=[tb.name for tb in gen.tables.values()],
            )
        )
        return number

    def _live_tracking(self, conn: sa.Connection, view: View) -> sa.Row[Any] | None:
        """The tracking row of the live generation, if there is one."""
        reg = self._registry(conn, view.name)
        if reg is None or reg.live_generation is None:
            return None
        return self._tracking(conn, view.name, reg.live_generation)

    def _live_generation(self, view: View) -> Generation:
        number = self._live.get(view.name)
        if number is None:
            with self._read.connect() as conn:
                tr = self._live_tracking(conn, view)
            if tr is None or tr.version != view.projection.version:
                # Not built yet, or built by another version of this projection: build it.
                self.catch_up(view.name)
                return self._live_generation(view)
            number = int(tr.generation)
            self._live[view.name] = number
        return self._generation(view, number, view.projection.version)

    # --- running ----------------------------------------------------------------------------

    def _lanes(self, views: Sequence[tuple[View, int]]) -> list[Lane]:
        """Lanes for generations (by number) of views, at their recorded positions; a generation
        that no longer exists (swapped out and dropped) gets none."""
        out = []
        with self._read.connect() as conn:
            for view, number in views:
                tr = self._tracking(conn, view.name, number)
                if tr is not None:
                    gen = self._generation(view, number, view.projection.version)
                    out.append(Lane(view, gen, int(tr.position)))
        return out

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

    def _process(self, lanes: Sequence[Lane], notes: Sequence[Notification]) -> None:
        """One batch, one transaction: per lane behind its end, the tracking compare-and-set,
        then its rows. Raises :class:`Lost` (and changes nothing) if any lane was moved."""
        end = notes[-1].id
        behind = [lane for lane in lanes if lane.position < end]
        events = self._decode(notes, behind)  # before the transaction: keep it short
        t = tracking_table
        with self._write.begin() as conn:
            for lane in behind:
                moved = conn.execute(
                    sa.update(t)
                    .where(
                        t.c.name == lane.view.name,
                        t.c.generation == lane.gen.number,
                        t.c.position == lane.position,
                    )
                    .values(position=end)
                )
                if moved.rowcount != 1:
                    raise Lost
                self._fold(conn, lane, events)
            if self.before_commit is not None:
                for lane in behind:
                    self.before_commit(lane.view.name, end)
        for lane in behind:
            lane.position = end

    def _advance(self, targets: Sequence[tuple[View, int]], progress: Progress | None) -> int:
        """Runs the generations ``targets`` (view, generation number) together to the head of
        the log, in one pass; returns how many log positions they moved over in all. A
        generation that disappears (swapped out by another runner) drops out."""
        lanes = self._lanes(targets)
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
                self._process(lanes, notes)
            except Lost:
                time.sleep(0.005)  # a concurrent runner did this batch: re-read and go on
                lanes = self._lanes([(lane.view, lane.gen.number) for lane in lanes])
                continue
            moved += sum(lane.position for lane in lanes) - before
            if progress is not None:
                progress(notes[-1].id, self.head())
        return moved

    def head(self) -> int:
        """The newest position of the log."""
        return int(self.app.recorder.max_notification_id() or 0)

    def catch_up(self, name: str | None = None, *, progress: Progress | None = None) -> int:
        """Brings one projection (or all, in one pass over the log) up to the head of the log;
        returns how many log positions were processed (summed over projections). A projection
        that has no tables yet, or whose code version differs from its live tables, is built
        like a rebuild: beside the live tables, without secondary indexes until its bulk load is
        done, then swapped in."""
        targets: list[tuple[View, int]] = []
        builds: list[View] = []
        for view in [self.view(name)] if name is not None else list(self.views.values()):
            with self._read.connect() as conn:
                tr = self._live_tracking(conn, view)
            if tr is None or tr.version != view.projection.version:
                builds.append(view)
            else:
                targets.append((view, int(tr.generation)))
        total = self._build(builds, progress, unless_live=True) if builds else 0
        return total + self._advance(targets, progress)

    def rebuild(self, name: str, *, progress: Progress | None = None) -> int:
        """Replays the whole log into fresh tables while readers keep the live ones, then swaps.
        An interrupted rebuild resumes where it stopped. Returns log positions processed."""
        return self._build([self.view(name)], progress)

    def _build(
        self, views: Sequence[View], progress: Progress | None, *, unless_live: bool = False
    ) -> int:
        """Builds new generations of ``views`` together in one pass over the log (resuming the
        generations an interrupted build left), adds their indexes and swaps them in. With
        ``unless_live`` (a catch-up that found no live tables of this version), a view whose
        live tables another runner has built and swapped in meanwhile is caught up instead:
        building it again would drop tables that readers have just started to use."""
        building: list[tuple[View, int]] = []
        built: list[tuple[View, int]] = []
        for view in views:
            with self._write.begin() as conn:
                reg = self._registry(conn, view.name, lock=True)
                if unless_live and reg is not None and reg.building_generation is None:
                    live = reg.live_generation
                    tr = self._tracking(conn, view.name, live) if live is not None else None
                    if tr is not None and tr.version == view.projection.version:
                        built.append((view, int(tr.generation)))
                        continue
                number: int | None = reg.building_generation if reg is not None else None
                tr = self._tracking(conn, view.name, number) if number is not None else None
                if number is None or tr is None or tr.version != view.projection.version:
                    number = self._new_generation(conn, view, indexes=False)
                    self._set_registry(conn, view.name, reg is not None, building_generation=number)
            building.append((view, number))
        done = self._advance(building, progress)
        for view, number in building:
            self._add_indexes(view, number)
            self._swap(view, number)
        return done + self._advance(building, progress) + self._advance(built, progress)

    def _add_indexes(self, view: View, number: int) -> None:
        """The secondary indexes of a rebuilt generation, built once from its loaded rows
        (cheaper than keeping them up to date row by row), in their own transaction so that
        the swap's stays short. Readers never see a generation before it has them."""
        gen = self._generation(view, number, view.projection.version)
        with self._write.begin() as conn:
            # Under the bookkeeping lock: two runners finishing the same rebuild add each index
            # once, and none to a generation another runner already swapped in (or dropped).
            reg = self._registry(conn, view.name, lock=True)
            if reg is None or reg.building_generation != number:
                return
            with _sorter_memory(conn):
                for table in gen.tables.values():
                    for index in table.indexes:
                        index.create(conn, checkfirst=True)

    def _swap(self, view: View, number: int) -> None:
        with self._write.begin() as conn:
            reg = self._registry(conn, view.name, lock=True)
            if reg is None or reg.building_generation != number:
                return  # another runner swapped it already
            old = reg.live_generation
            self._set_registry(
                conn, view.name, True, live_generation=number, building_generation=None
            )
            if old is not None:
                self._drop(conn, view.name, int(old))
        with self._lock:
            self._live.pop(view.name, None)

    def _drop(self, conn: sa.Connection, name: str, number: int) -> None:
        tr = self._tracking(conn, name, number)
        if tr is None:
            return
        for table in tr.tables:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
        t = tracking_table
        conn.execute(sa.delete(t).where(t.c.name == name, t.c.generation == number))

    def follow(
        self,
        *,
        interval: float = 0.5,
        stop: threading.Event | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """Keeps every projection caught up until ``stop`` is set. When there is nothing new it
        waits: on PostgreSQL for the NOTIFY that eventsourcing sends on every insert into the
        log (``LISTEN`` on the events table's channel), at most ``interval`` seconds; on SQLite,
        which has no subscribe, ``interval`` seconds (a pull loop). ``on_idle`` is called each
        time it starts waiting."""
        stop = stop or threading.Event()
        with self._wakeups(stop) as wait:
            while not stop.is_set():
                moved = self.catch_up()
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
        if self.engine.dialect.name != "postgresql" or not isinstance(channel, str):

            def poll(seconds: float) -> None:
                stop.wait(seconds)

            yield poll
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # LISTEN before the first catch-up, so nothing inserted after it goes unnoticed.
            quote = self.engine.dialect.identifier_preparer.quote
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

    def position(self, name: str) -> int:
        """The log position the live tables of ``name`` include (0 before the first run)."""
        with self._read.connect() as conn:
            tr = self._live_tracking(conn, self.view(name))
        return int(tr.position) if tr is not None else 0

    def status(self) -> list[pdto.ProjectionStatus]:
        """Position and lag of every projection."""
        head = self.head()
        out = []
        with self._read.connect() as conn:
            for name, view in self.views.items():
                reg = self._registry(conn, name)
                live = reg.live_generation if reg is not None else None
                building = reg.building_generation if reg is not None else None
                tr = self._tracking(conn, name, live) if live is not None else None
                br = self._tracking(conn, name, building) if building is not None else None
                position = int(tr.position) if tr is not None else 0
                out.append(
                    pdto.ProjectionStatus(
                        name=name,
                        version=int(tr.version) if tr is not None else view.projection.version,
                        generation=live,
                        position=position,
                        head=head,
                        lag=max(head - position, 0),
                        rebuilding=br is not None,
                        rebuild_position=int(br.position) if br is not None else None,
                    )
                )
        return out

    def wait_for(self, position: int | None, name: str, *, timeout: float = 5.0) -> None:
        """Returns once the live tables of ``name`` include log ``position`` (catching up in this
        thread if needed); raises :class:`ProjectionBehind` after ``timeout`` seconds."""
        if position is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            reached = self.position(name)
            if reached >= position:
                return
            self.catch_up(name)
            reached = self.position(name)
            if reached >= position:
                return
            if time.monotonic() >= deadline:
                raise ProjectionBehind(name, position, reached, timeout)
            time.sleep(0.01)

    # --- reading ----------------------------------------------------------------------------

    @contextmanager
    def reading(
        self,
        name: str,
        *,
        min_position: int | None = None,
        timeout: float = 5.0,
        at: datetime | None = None,
    ) -> Iterator[Reading]:
        """A snapshot of the live tables of ``name`` (after waiting for ``min_position``), for
        the queries of a view — the built-in ones or your own."""
        view = self.view(name)
        self.wait_for(min_position, name, timeout=timeout)
        gen = self._live_generation(view)
        now = utc(at) if at is not None else utc(self.app.clock())
        with self._read.connect() as conn:
            yield Reading(conn, gen.tables, self.secret, now)

    def query(
        self,
        name: str,
        fn: Callable[[Reading], T],
        *,
        at: datetime | None = None,
        **read: Unpack[ReadOptions],
    ) -> T:
        """``fn`` run on a :meth:`reading` of ``name``; retried once if a rebuild swapped the
        tables out (and dropped them) under it."""
        for attempt in range(2):
            try:
                with self.reading(name, at=at, **read) as r:
                    return fn(r)
            except (sa.exc.OperationalError, sa.exc.ProgrammingError):
                with self._lock:
                    self._live.pop(name, None)
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def dump(self, name: str) -> Tables:
        """Every row of the live tables of ``name`` (for tests and checks)."""
        keys = self.view(name).projection.tables

        def read(r: Reading) -> Tables:
            return {
                logical: {
                    row[keys[logical]]: dict(row)
                    for row in r.conn.execute(sa.select(table)).mappings()
                }
                for logical, table in r.tables.items()
            }

        return self.query(name, read)

    def _ask(
        self,
        cls: type[V],
        fn: Callable[[V, Reading], T],
        read: ReadOptions,
        at: datetime | None = None,
    ) -> T:
        """``fn`` on the built-in view of class ``cls``."""
        view = self.view(cls.projection.name)
        if not isinstance(view, cls):
            raise InvalidField("projection", f"{view.name!r} is not the built-in {cls.__name__}")
        return self.query(view.name, lambda r: fn(view, r), at=at, **read)

    # --- queries of the built-in projections (each takes ReadOptions: read your writes) -------

    def get_organization(
        self, organization_id: str, **read: Unpack[ReadOptions]
    ) -> dto.Organization:
        return self._ask(OrganizationsView, lambda v, r: v.get(r, organization_id), read)

    def list_organizations(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        external_id: str | None = None,
        **read: Unpack[ReadOptions],
    ) -> pdto.OrganizationPage:
        """Live organizations, oldest first: ``page_size`` 10-100 (default 30), keyset pages."""
        return self._ask(
            OrganizationsView, lambda v, r: v.list(r, page_size, page_token, external_id), read
        )

    def search_organizations(
        self,
        query: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        **read: Unpack[ReadOptions],
    ) -> pdto.OrganizationPage:
        """Case-insensitive search (3-100 characters) over display name, id and external id."""
        return self._ask(
            OrganizationsView, lambda v, r: v.search(r, query, page_size, page_token), read
        )

    def get_seat_usage(
        self, organization_id: str, *, at: datetime | None = None, **read: Unpack[ReadOptions]
    ) -> dto.SeatUsage:
        """Seats at ``at`` (default: the application's clock); equal to ``app.get_seat_usage``."""
        return self._ask(SeatsView, lambda v, r: v.usage(r, organization_id), read, at)

    def list_members(
        self,
        organization_id: str,
        *,
        status: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        at: datetime | None = None,
        **read: Unpack[ReadOptions],
    ) -> pdto.MemberPage:
        """An organization's members (1-100 a page, default 30), optionally of one status."""
        return self._ask(
            MembershipsView,
            lambda v, r: v.members(r, organization_id, status, page_size, page_token),
            read,
            at,
        )

    def list_user_memberships(
        self, user: str, *, at: datetime | None = None, **read: Unpack[ReadOptions]
    ) -> list[dto.Membership]:
        """The organizations a user (``usr_`` id or e-mail) belongs to, with status and roles."""
        return self._ask(MembershipsView, lambda v, r: v.of_user(r, user), read, at)

    def list_audit_log(
        self,
        *,
        organization_id: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        **read: Unpack[ReadOptions],
    ) -> pdto.AuditPage:
        """Every recorded change in log order; filter by organization, actor, [since, until)."""
        return self._ask(
            AuditView,
            lambda v, r: v.entries(r, organization_id, actor, since, until, page_size, page_token),
            read,
        )
