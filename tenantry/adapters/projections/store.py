"""Runs projections exactly once into versioned tables, rebuilds them beside the live ones.

Bookkeeping tables (not versioned): ``proj_registry`` (per projection: the live generation that
readers use and the generation a rebuild is building) and ``proj_tracking`` (per projection and
generation: the projection version, the log position its tables include, and their table
names). A generation's tables are named ``proj_<table>_v<version>_g<generation>``.

Exactly once: each batch is one transaction that first moves the tracking position with a
compare-and-set (``UPDATE … SET position = new WHERE position = old``; no row updated means
another runner got there first, and the batch is rolled back), then reads the rows the events
need, folds them with the projection's pure functions and upserts the result. Rows and position
commit together or not at all, so a crash loses or repeats nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from eventsourcing.persistence import Notification
from sqlalchemy.dialects import postgresql, sqlite

from tenantry.adapters.projections.engine import make_engine, reader, writer
from tenantry.adapters.projections.views import (
    AuditView,
    MembershipsView,
    OrganizationsView,
    SeatsView,
    View,
    builtin_views,
)
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.base import DomainEvent, utc
from tenantry.domain.errors import InvalidField, ProjectionBehind
from tenantry.projections import dto as pdto
from tenantry.projections.base import Row, RowRef, Tables, Writes
from tenantry.projections.tokens import DEFAULT_SECRET

T = TypeVar("T")
V = TypeVar("V", bound=View)
Progress = Callable[[int, int], None]
"""Called after each batch with (position reached, head of the log)."""

DEFAULT_BATCH_SIZE = 1000
_LOAD_CHUNK = 500

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


class _Lost(Exception):
    """Another runner moved the tracking position (or the generation was swapped out)."""


@dataclass(frozen=True)
class Generation:
    number: int
    version: int
    tables: dict[str, sa.Table]


class ProjectionStore:
    """The projections of one tenantry application, stored in its database.

    >>> import tenantry
    >>> from tenantry.adapters.projections import ProjectionStore
    >>> app = tenantry.connect("memory://")
    >>> views = ProjectionStore(app, "memory://")
    >>> org = app.create_organization("Acme")
    >>> views.list_organizations(min_position=app.last_position).total_size
    1
    """

    def __init__(
        self,
        app: Tenantry,
        database_url: str,
        *,
        views: Sequence[View] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        page_token_secret: bytes = DEFAULT_SECRET,
    ) -> None:
        self.app = app
        self.engine = make_engine(database_url)
        self._write = writer(self.engine)
        self._read = reader(self.engine)
        chosen = list(views) if views is not None else builtin_views()
        self.views: dict[str, View] = {v.name: v for v in chosen}
        if len(self.views) != len(chosen):
            raise InvalidField("views", "projection names must be unique")
        self.batch_size = batch_size
        self.secret = page_token_secret
        self._topics = {name: v.projection.topics() for name, v in self.views.items()}
        self._gens: dict[int, Generation] = {}
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
            gen = self._gens.get(id(view) * 1_000_003 + number)
            if gen is None or gen.version != version:
                names = {t: f"proj_{t}_v{version}_g{number}" for t in view.projection.tables}
                gen = Generation(number, version, view.define(sa.MetaData(), names))
                self._gens[id(view) * 1_000_003 + number] = gen
            return gen

    def _registry(
        self, conn: sa.Connection, name: str, *, lock: bool = False
    ) -> sa.Row[Any] | None:
        q = sa.select(registry_table).where(registry_table.c.name == name)
        if lock and conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return conn.execute(q).first()

    def _tracking(self, conn: sa.Connection, name: str, number: int) -> sa.Row[Any] | None:
        t = tracking_table
        return conn.execute(sa.select(t).where(t.c.name == name, t.c.generation == number)).first()

    def _new_generation(self, conn: sa.Connection, view: View) -> int:
        t = tracking_table
        top = conn.execute(
            sa.select(sa.func.max(t.c.generation)).where(t.c.name == view.name)
        ).scalar()
        number = (top or 0) + 1
        gen = self._generation(view, number, view.projection.version)
        for table in gen.tables.values():
            table.drop(conn, checkfirst=True)  # left over from an abandoned attempt
            table.create(conn)
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

    def _ensure_live(self, view: View) -> int:
        """The live generation, created empty (position 0) on first use."""
        with self._write.begin() as conn:
            reg = self._registry(conn, view.name, lock=True)
            if reg is not None and reg.live_generation is not None:
                return int(reg.live_generation)
            number = self._new_generation(conn, view)
            if reg is None:
                conn.execute(
                    sa.insert(registry_table).values(name=view.name, live_generation=number)
                )
            else:
                conn.execute(
                    sa.update(registry_table)
                    .where(registry_table.c.name == view.name)
                    .values(live_generation=number)
                )
            return number

    def _live_generation(self, view: View) -> Generation:
        number = self._live.get(view.name)
        if number is None:
            with self._read.connect() as conn:
                reg = self._registry(conn, view.name)
                live = reg.live_generation if reg is not None else None
                tr = self._tracking(conn, view.name, live) if live is not None else None
            if tr is None or tr.version != view.projection.version:
                # Not built yet, or built by another version of this projection: build it.
                self.catch_up(view.name)
                return self._live_generation(view)
            number = int(tr.generation)
            self._live[view.name] = number
        return self._generation(view, number, view.projection.version)

    # --- running ----------------------------------------------------------------------------

    def _load(
        self, conn: sa.Connection, gen: Generation, refs: dict[RowRef, None]
    ) -> dict[RowRef, Row | None]:
        by_table: dict[str, list[Hashable]] = {}
        for logical_name, key in refs:
            by_table.setdefault(logical_name, []).append(key)
        out: dict[RowRef, Row | None] = dict.fromkeys(refs)
        for logical, keys in by_table.items():
            table = gen.tables[logical]
            pk = table.primary_key.columns.values()[0]
            for i in range(0, len(keys), _LOAD_CHUNK):
                chunk = keys[i : i + _LOAD_CHUNK]
                for row in conn.execute(sa.select(table).where(pk.in_(chunk))).mappings():
                    out[(logical, row[pk.name])] = dict(row)
        return out

    def _write_rows(
        self, conn: sa.Connection, gen: Generation, dirty: Writes, present: set[RowRef]
    ) -> None:
        upserts: dict[str, list[Row]] = {}
        deletes: dict[str, list[Hashable]] = {}
        for (name, key), row in dirty.items():
            if row is None:
                if (name, key) in present:
                    deletes.setdefault(name, []).append(key)
            else:
                upserts.setdefault(name, []).append(row)
        for name, keys in deletes.items():
            table = gen.tables[name]
            pk = table.primary_key.columns.values()[0]
            for i in range(0, len(keys), _LOAD_CHUNK):
                conn.execute(sa.delete(table).where(pk.in_(keys[i : i + _LOAD_CHUNK])))
        for name, rows in upserts.items():
            conn.execute(_upsert(conn, gen.tables[name]), rows)

    def _process(
        self, view: View, gen: Generation, start: int, notes: Sequence[Notification]
    ) -> None:
        """One batch, one transaction: tracking compare-and-set, then the rows."""
        projection = view.projection
        topics = self._topics[view.name]
        end = notes[-1].id
        with self._write.begin() as conn:
            t = tracking_table
            moved = conn.execute(
                sa.update(t)
                .where(t.c.name == view.name, t.c.generation == gen.number, t.c.position == start)
                .values(position=end)
            )
            if moved.rowcount != 1:
                raise _Lost
            events: list[tuple[int, DomainEvent, list[RowRef]]] = []
            refs: dict[RowRef, None] = {}
            for n in notes:
                if n.topic in topics:
                    e = self.app.mapper.to_domain_event(n)
                    if isinstance(e, DomainEvent) and projection.accepts(e):
                        reads = list(projection.reads(e))
                        events.append((n.id, e, reads))
                        refs.update(dict.fromkeys(reads))
            cache = self._load(conn, gen, refs) if refs else {}
            present = {ref for ref, row in cache.items() if row is not None}
            dirty: Writes = {}
            for position, e, reads in events:
                rows = {ref: cache.get(ref) for ref in reads}
                written = projection.apply(e, position, rows)
                cache.update(written)
                dirty.update(written)
            self._write_rows(conn, gen, dirty, present)
            if self.before_commit is not None:
                self.before_commit(view.name, end)

    def _advance(self, view: View, number: int, progress: Progress | None) -> int:
        """Runs generation ``number`` to the head of the log; returns how many log positions
        it moved over. Stops early if the generation disappears (swapped out)."""
        gen = self._generation(view, number, view.projection.version)
        moved = 0
        while True:
            with self._read.connect() as conn:
                tr = self._tracking(conn, view.name, number)
            if tr is None:
                return moved
            start = int(tr.position)
            notes = self.app.recorder.select_notifications(
                start=start, limit=self.batch_size, inclusive_of_start=False
            )
            if not notes:
                return moved
            try:
                self._process(view, gen, start, notes)
            except _Lost:
                time.sleep(0.005)  # a concurrent runner did this batch: re-read and go on
                continue
            moved += notes[-1].id - start
            if progress is not None:
                progress(notes[-1].id, self.head())

    def head(self) -> int:
        """The newest position of the log."""
        return int(self.app.recorder.max_notification_id() or 0)

    def catch_up(self, name: str | None = None, *, progress: Progress | None = None) -> int:
        """Brings one projection (or all) up to the head of the log; returns how many log
        positions were processed. A projection whose code version differs from its live tables
        is rebuilt (beside them) first."""
        total = 0
        for view in [self.view(name)] if name is not None else list(self.views.values()):
            number = self._ensure_live(view)
            with self._read.connect() as conn:
                tr = self._tracking(conn, view.name, number)
            if tr is None or tr.version != view.projection.version:
                total += self.rebuild(view.name, progress=progress)
                continue
            total += self._advance(view, number, progress)
        return total

    def rebuild(self, name: str, *, progress: Progress | None = None) -> int:
        """Replays the whole log into fresh tables while readers keep the live ones, then swaps.
        An interrupted rebuild resumes where it stopped. Returns log positions processed."""
        view = self.view(name)
        with self._write.begin() as conn:
            reg = self._registry(conn, name, lock=True)
            building: int | None = reg.building_generation if reg is not None else None
            tr = self._tracking(conn, name, building) if building is not None else None
            if building is None or tr is None or tr.version != view.projection.version:
                building = self._new_generation(conn, view)
                if reg is None:
                    conn.execute(
                        sa.insert(registry_table).values(name=name, building_generation=building)
                    )
                else:
                    conn.execute(
                        sa.update(registry_table)
                        .where(registry_table.c.name == name)
                        .values(building_generation=building)
                    )
        number = building
        done = self._advance(view, number, progress)
        self._swap(view, number)
        return done + self._advance(view, number, progress)

    def _swap(self, view: View, number: int) -> None:
        with self._write.begin() as conn:
            reg = self._registry(conn, view.name, lock=True)
            if reg is None or reg.building_generation != number:
                return  # another runner swapped it already
            old = reg.live_generation
            conn.execute(
                sa.update(registry_table)
                .where(registry_table.c.name == view.name)
                .values(live_generation=number, building_generation=None)
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
    ) -> None:
        """Keeps every projection caught up until ``stop`` is set (a pull loop: it polls the
        log every ``interval`` seconds when there is nothing new)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            moved = self.catch_up()
            if on_progress is not None and moved:
                on_progress(moved)
            if not moved:
                stop.wait(interval)

    def position(self, name: str) -> int:
        """The log position the live tables of ``name`` include (0 before the first run)."""
        with self._read.connect() as conn:
            reg = self._registry(conn, name)
            if reg is None or reg.live_generation is None:
                return 0
            tr = self._tracking(conn, name, reg.live_generation)
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
        self, name: str, min_position: int | None, timeout: float
    ) -> Iterator[tuple[sa.Connection, dict[str, sa.Table]]]:
        view = self.view(name)
        self.wait_for(min_position, name, timeout=timeout)
        gen = self._live_generation(view)
        with self._read.connect() as conn:
            yield conn, gen.tables

    def _query(
        self,
        name: str,
        min_position: int | None,
        timeout: float,
        fn: Callable[[sa.Connection, dict[str, sa.Table]], T],
    ) -> T:
        for attempt in range(2):
            try:
                with self.reading(name, min_position, timeout) as (conn, tables):
                    return fn(conn, tables)
            except (sa.exc.OperationalError, sa.exc.ProgrammingError):
                # The generation was swapped out and dropped under us: look it up again.
                with self._lock:
                    self._live.pop(name, None)
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _now(self, at: datetime | None) -> datetime:
        return utc(at) if at is not None else utc(self.app.clock())

    def dump(self, name: str) -> Tables:
        """Every row of the live tables of ``name`` (for tests and checks)."""
        view = self.view(name)

        def read(conn: sa.Connection, tables: dict[str, sa.Table]) -> Tables:
            out: Tables = {}
            for logical, table in tables.items():
                key = view.projection.tables[logical]
                out[logical] = {r[key]: dict(r) for r in conn.execute(sa.select(table)).mappings()}
            return out

        return self._query(name, None, 0, read)

    # --- queries of the built-in projections ---------------------------------------------------
    # Each takes ``min_position`` (e.g. ``app.last_position``): the answer then includes at least
    # that much of the log (read your writes), or ProjectionBehind after ``timeout`` seconds.

    def _builtin(self, name: str, cls: type[V]) -> V:
        view = self.view(name)
        if not isinstance(view, cls):
            raise InvalidField("projection", f"{name!r} is not the built-in {cls.__name__}")
        return view

    def get_organization(
        self, organization_id: str, *, min_position: int | None = None, timeout: float = 5.0
    ) -> dto.Organization:
        v = self._builtin("organizations", OrganizationsView)
        return self._query(v.name, min_position, timeout, lambda c, t: v.get(c, t, organization_id))

    def list_organizations(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        external_id: str | None = None,
        min_position: int | None = None,
        timeout: float = 5.0,
    ) -> pdto.OrganizationPage:
        """Live organizations, oldest first: ``page_size`` 10-100 (default 30), keyset pages."""
        v = self._builtin("organizations", OrganizationsView)
        return self._query(
            v.name,
            min_position,
            timeout,
            lambda c, t: v.list(
                c,
                t,
                page_size_=page_size,
                page_token=page_token,
                external_id=external_id,
                secret=self.secret,
            ),
        )

    def search_organizations(
        self,
        query: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        min_position: int | None = None,
        timeout: float = 5.0,
    ) -> pdto.OrganizationPage:
        """Case-insensitive search (3-100 characters) over display name, id and external id."""
        v = self._builtin("organizations", OrganizationsView)
        return self._query(
            v.name,
            min_position,
            timeout,
            lambda c, t: v.search(
                c, t, query=query, page_size_=page_size, page_token=page_token, secret=self.secret
            ),
        )

    def get_seat_usage(
        self,
        organization_id: str,
        *,
        at: datetime | None = None,
        min_position: int | None = None,
        timeout: float = 5.0,
    ) -> dto.SeatUsage:
        """Seats at ``at`` (default: the application's clock); equal to ``app.get_seat_usage``."""
        v = self._builtin("seats", SeatsView)
        now = self._now(at)
        return self._query(
            v.name, min_position, timeout, lambda c, t: v.usage(c, t, organization_id, now)
        )

    def list_members(
        self,
        organization_id: str,
        *,
        status: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        at: datetime | None = None,
        min_position: int | None = None,
        timeout: float = 5.0,
    ) -> pdto.MemberPage:
        """An organization's members (1-100 a page, default 30), optionally of one status."""
        v = self._builtin("memberships", MembershipsView)
        now = self._now(at)
        return self._query(
            v.name,
            min_position,
            timeout,
            lambda c, t: v.members(
                c,
                t,
                organization_id,
                status=status,
                page_size_=page_size,
                page_token=page_token,
                now=now,
                secret=self.secret,
            ),
        )

    def list_user_memberships(
        self,
        user: str,
        *,
        at: datetime | None = None,
        min_position: int | None = None,
        timeout: float = 5.0,
    ) -> list[dto.Membership]:
        """The organizations a user (``usr_`` id or e-mail) belongs to, with status and roles."""
        v = self._builtin("memberships", MembershipsView)
        now = self._now(at)
        return self._query(v.name, min_position, timeout, lambda c, t: v.of_user(c, t, user, now))

    def list_audit_log(
        self,
        *,
        organization_id: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        min_position: int | None = None,
        timeout: float = 5.0,
    ) -> pdto.AuditPage:
        """Every recorded change in log order; filter by organization, actor, [since, until)."""
        v = self._builtin("audit", AuditView)
        return self._query(
            v.name,
            min_position,
            timeout,
            lambda c, t: v.entries(
                c,
                t,
                organization_id=organization_id,
                actor=actor,
                since=since,
                until=until,
                page_size_=page_size,
                page_token=page_token,
                secret=self.secret,
            ),
        )


def _upsert(conn: sa.Connection, table: sa.Table) -> Any:
    pk = [c.name for c in table.primary_key.columns]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=pk,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in pk},
    )
