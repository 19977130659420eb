"""The projections of one application, stored in its database: the public
:class:`ProjectionStore`, which composes the bookkeeping (:mod:`.generations`) and the runner
(:mod:`.runner`) with the views' queries.

Readers use the live generation of a projection's tables; a query may first wait, bounded, until
those tables include a log position (read your writes). See README, "Projections (read models)".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar, Unpack

import sqlalchemy as sa

from tenantry.adapters.database import database_of
from tenantry.adapters.projections import failures
from tenantry.adapters.projections.engine import projections_engine, reader, writer
from tenantry.adapters.projections.generations import Generation, Generations
from tenantry.adapters.projections.read_options import ReadOptions as ReadOptions
from tenantry.adapters.projections.runner import DEFAULT_BATCH_SIZE, Progress, Runner
from tenantry.adapters.projections.secrets import database_secret
from tenantry.adapters.projections.user_queries import UserQueries
from tenantry.adapters.projections.views import (
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
from tenantry.domain import arguments
from tenantry.domain.base import utc
from tenantry.domain.errors import InvalidField, ProjectionBehind, ProjectionFailed
from tenantry.projections import dto as pdto
from tenantry.projections.base import Tables

T = TypeVar("T")
V = TypeVar("V", bound=View)

_ALIGN_ATTEMPTS = 3
"""Tries to read the projections a view joins at one log position (see ``_snapshot``)."""


class ProjectionStore(UserQueries):
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
        page_token_secret: bytes | None = None,
    ) -> None:
        self.app = app
        self.engine = projections_engine(database_of(app))
        self._write = writer(self.engine)
        self._read = reader(self.engine)
        chosen = list(views) if views is not None else builtin_views()
        self.views: dict[str, View] = {v.name: v for v in chosen}
        if len(self.views) != len(chosen):
            raise InvalidField("views", "projection names must be unique")
        for v in chosen:
            missing = [each for each in v.joins if each not in self.views]
            if missing:
                raise InvalidField("views", f"{v.name} joins {', '.join(missing)}: add its view")
        # Page tokens are signed with the database's own secret unless one is given.
        self.secret = page_token_secret or database_secret(self._write)
        self._generations = Generations(self.engine)
        self._runner = Runner(
            app, self.views, self._generations, self.engine, batch_size=batch_size
        )
        self._generations.create_bookkeeping()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def batch_size(self) -> int:
        """Log positions per batch (one transaction) of a catch-up or rebuild."""
        return self._runner.batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._runner.batch_size = value

    @property
    def before_commit(self) -> Callable[[str, int], None] | None:
        """Test hook: called inside each batch's transaction, before it commits."""
        return self._runner.before_commit

    @before_commit.setter
    def before_commit(self, hook: Callable[[str, int], None] | None) -> None:
        self._runner.before_commit = hook

    def view(self, name: str) -> View:
        view = self.views.get(name) if isinstance(name, str) else None
        if view is None:
            known = ", ".join(self.views)
            raise InvalidField("projection", f"must be one of {known}; got {name!r}")
        return view

    def _live_generation(self, view: View) -> Generation:
        gen = self._generations.live(view)
        if gen is None:
            # Not built yet, or built by another version of this projection: build it.
            self.catch_up(view.name, retry_failed=False)
            gen = self._generations.live(view)
            if gen is None:  # its build failed
                raise ProjectionFailed(view.name, self._failure(view.name, building=True))
        return gen

    # --- running ----------------------------------------------------------------------------

    def head(self) -> int:
        """The newest position of the log."""
        return self._runner.head()

    def catch_up(
        self,
        name: str | None = None,
        *,
        progress: Progress | None = None,
        retry_failed: bool = True,
    ) -> int:
        """Brings one projection (or all, in one pass over the log) up to the head of the log;
        returns how many log positions were processed (summed over projections). A projection
        that has no tables yet, or whose code version differs from its live tables, is built
        like a rebuild: beside the live tables, without secondary indexes until its bulk load is
        done, then swapped in. A projection that failed on an event (see :meth:`status`) is tried
        again from it unless ``retry_failed`` is false: once its cause is fixed, it resumes."""
        views = [self.view(name)] if name is not None else list(self.views.values())
        return self._runner.catch_up(
            views,
            arguments.callback(progress, "progress"),
            retry_failed=arguments.flag(retry_failed, "retry_failed"),
        )

    def rebuild(self, name: str, *, progress: Progress | None = None) -> int:
        """Replays the whole log into fresh tables while readers keep the live ones, then swaps.
        An interrupted rebuild resumes where it stopped. Returns log positions processed."""
        return self._runner.build([self.view(name)], arguments.callback(progress, "progress"))

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
        if stop is not None and not isinstance(stop, threading.Event):
            raise InvalidField("stop", "must be a threading.Event (or None)")
        self._runner.follow(
            interval=arguments.seconds(interval, "interval"),
            stop=stop,
            on_progress=arguments.callback(on_progress, "on_progress"),
            on_idle=arguments.callback(on_idle, "on_idle"),
        )

    def position(self, name: str) -> int:
        """The log position the live tables of ``name`` include (0 before the first run)."""
        with self._read.connect() as conn:
            tr = self._generations.live_tracking(conn, self.view(name))
        return int(tr.position) if tr is not None else 0

    @property
    def retry_interval(self) -> float:
        """Seconds between :meth:`follow`'s retries of a failed projection."""
        return self._runner.retry_interval

    @retry_interval.setter
    def retry_interval(self, seconds: float) -> None:
        self._runner.retry_interval = arguments.seconds(seconds, "retry_interval")

    def status(self) -> list[pdto.ProjectionStatus]:
        """Position and lag of every projection, and the failure that stopped one (the event's
        log position and the error)."""
        head = self.head()
        out = []
        gens = self._generations
        with self._read.connect() as conn:
            failed = failures.all_failures(conn)
            for name, view in self.views.items():
                reg = gens.registry(conn, name)
                live = reg.live_generation if reg is not None else None
                building = reg.building_generation if reg is not None else None
                tr = gens.tracking(conn, name, live) if live is not None else None
                br = gens.tracking(conn, name, building) if building is not None else None
                position = int(tr.position) if tr is not None else 0
                failure = failed.get((name, live)) if live is not None else None
                if failure is None and building is not None:
                    failure = failed.get((name, building))
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
                        failure=failures.as_status(failure),
                    )
                )
        return out

    def wait_for(self, position: int | None, name: str, *, timeout: float = 5.0) -> None:
        """Returns once the live tables of ``name`` include log ``position`` (catching up in this
        thread if needed); raises :class:`ProjectionBehind` after ``timeout`` seconds."""
        self.view(name)
        timeout = arguments.seconds(timeout, "timeout")
        if position is None:
            return
        position = arguments.whole_number(position, "position")
        deadline = time.monotonic() + timeout
        while True:
            reached = self.position(name)
            if reached >= position:
                return
            self.catch_up(name, retry_failed=False)
            reached = self.position(name)
            if reached >= position:
                return
            failure = self._failure(name)
            if failure is not None and failure.position <= position:
                raise ProjectionFailed(name, failure)  # waiting would not help
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
        now = arguments.moment(at, "at") if at is not None else utc(self.app.clock())
        if min_position is not None:
            arguments.whole_number(min_position, "min_position")
        names = (name, *view.joins)
        for each in names:
            self.wait_for(min_position, each, timeout=timeout)
        with self._snapshot(names) as (conn, tables):
            yield Reading(conn, tables, self.secret, now)

    @contextmanager
    def _snapshot(
        self, names: Sequence[str]
    ) -> Iterator[tuple[sa.Connection, dict[str, sa.Table]]]:
        """A connection and the live tables of the projections ``names``, all at one log
        position: a view that joins another projection's tables must not read the two at
        different points of the log (an organization beside the seats of an earlier one).
        Projections found at different positions are caught up together, which brings them to
        one; under a steady stream of writes that keeps them apart, the last try is read as it
        is."""
        for attempt in range(_ALIGN_ATTEMPTS):
            gens = {each: self._live_generation(self.view(each)) for each in names}
            with self._read.connect() as conn:
                last = attempt == _ALIGN_ATTEMPTS - 1
                if len(names) == 1 or last or self._aligned(conn, gens):
                    yield conn, {t: table for g in gens.values() for t, table in g.tables.items()}
                    return
            self._runner.catch_up([self.view(each) for each in names], retry_failed=False)

    def _failure(self, name: str, *, building: bool = False) -> pdto.ProjectionFailure | None:
        """The recorded failure of the live (or the building) generation of ``name``."""
        with self._read.connect() as conn:
            reg = self._generations.registry(conn, name)
            failed = failures.all_failures(conn)
        number = None
        if reg is not None:
            number = reg.building_generation if building else reg.live_generation
        return failures.as_status(failed.get((name, number))) if number is not None else None

    def _aligned(self, conn: sa.Connection, gens: Mapping[str, Generation]) -> bool:
        """Whether the generations stand at one log position (in ``conn``'s snapshot)."""
        positions = set()
        for name, gen in gens.items():
            tr = self._generations.tracking(conn, name, gen.number)
            if tr is None:  # swapped out meanwhile: read the new live one on the next try
                self._generations.forget_live(name)
                return False
            positions.add(int(tr.position))
        return len(positions) == 1

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
        arguments.function(fn, "fn")
        for attempt in range(2):
            try:
                with self.reading(name, at=at, **read) as r:
                    return fn(r)
            except (sa.exc.OperationalError, sa.exc.ProgrammingError):
                for each in (name, *self.view(name).joins):
                    self._generations.forget_live(each)
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def dump(self, name: str) -> Tables:
        """Every row of the live tables of ``name`` (for tests and checks)."""
        keys = self.view(name).projection.tables

        def read(r: Reading) -> Tables:
            return {
                logical: {
                    row[key]: dict(row)
                    for row in r.conn.execute(sa.select(r.tables[logical])).mappings()
                }
                for logical, key in keys.items()
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
        within: frozenset[str] | None = None,
        **read: Unpack[ReadOptions],
    ) -> pdto.OrganizationPage:
        """Live organizations, oldest first: ``page_size`` 10-100 (default 30), keyset pages;
        only those ``within`` these ids, if given."""
        return self._ask(
            OrganizationsView,
            lambda v, r: v.list(r, page_size, page_token, external_id, within),
            read,
        )

    def search_organizations(
        self,
        query: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        within: frozenset[str] | None = None,
        **read: Unpack[ReadOptions],
    ) -> pdto.OrganizationPage:
        """Case-insensitive search (3-100 characters) over display name, id and external id;
        only organizations ``within`` these ids, if given."""
        return self._ask(
            OrganizationsView,
            lambda v, r: v.search(r, query, page_size, page_token, within),
            read,
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
        """An organization's members (1-100 a page, default 30), optionally of one status;
        ``status="REMOVED"`` lists the revoked invitations, which are left out otherwise."""
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
        on_behalf_of: str | None = None,
        event_type: str | None = None,
        **read: Unpack[ReadOptions],
    ) -> pdto.AuditPage:
        """Every recorded change in log order; filter by organization, actor, the end user it
        was made for, event type (``Membership.RolesChanged``), [since, until)."""
        who = AuditView.Who(actor, on_behalf_of, event_type)
        return self._ask(
            AuditView,
            lambda v, r: v.entries(r, organization_id, who, since, until, page_size, page_token),
            read,
        )
