"""The command kernel every capability of :class:`~tenantry.application.app.Tenantry` runs on:
storage (transcoding, snapshots), the command loop (one save per command, retried when it loses an
optimistic-concurrency race), the clock, loading aggregates and the ids of new ones.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Concatenate, Final, ParamSpec, TypeVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Mapper,
    OperationalError,
    Recording,
    Transcoder,
)
from eventsourcing.utils import Environment, EnvType, get_topic

from tenantry.application.serialization import JSONTranscoder, PydanticMapper
from tenantry.domain import ids, values
from tenantry.domain.base import Act, Aggregate, utc
from tenantry.domain.directory_group import DirectoryGroup
from tenantry.domain.directory_roster import DirectoryRoster
from tenantry.domain.errors import ConcurrentModification, OrganizationNotFound
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization
from tenantry.domain.policies import ApplicationPolicy
from tenantry.domain.user import User

T = TypeVar("T")
P = ParamSpec("P")
K = TypeVar("K", bound="Kernel")
Clock = Callable[[], datetime]


class Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()
"""Marks an argument of ``update_organization`` that is not to change."""

DEFAULT_INVITATION_LIFETIME: Final = timedelta(days=15)


def utc_now() -> datetime:
    return datetime.now(UTC)


def fold(aggregate: Any, events: Iterable[Any]) -> Any:
    """Folds events into an aggregate (eventsourcing's default also asserts a Protocol per event,
    which costs more than applying the event on Python 3.11)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def command(use_case: Callable[Concatenate[K, P], T]) -> Callable[Concatenate[K, P], T]:
    """Marks a use case that records events (its first argument is the application). It clears
    :attr:`Kernel.last_position` before anything else, before the arguments are checked: a
    command refused at any point has recorded nothing, so it leaves ``None``, not the position
    of an earlier command.

    It also takes the use case's ``on_behalf_of`` keyword (the end user the actor acts for),
    checks it, and has every event the command saves record it (see :meth:`Kernel.save`)."""

    @functools.wraps(use_case)
    def run(app: K, /, *args: P.args, **kwargs: P.kwargs) -> T:
        app._local.position = None
        outer = getattr(app._local, "on_behalf_of", None)  # set: run inside another command
        given = values.on_behalf_of(cast(str | None, kwargs.get("on_behalf_of")))
        app._local.on_behalf_of = outer if given is None else given
        try:
            return use_case(app, *args, **kwargs)
        finally:
            app._local.on_behalf_of = outer

    return run


class Kernel(Application[UUID]):
    """What every use case of tenantry runs on (see the module's docstring)."""

    name = "tenantry"
    snapshotting_intervals = {Organization: 50, Membership: 50}
    snapshotting_projectors = {Organization: fold, Membership: fold}
    # A directory's roster and a large group change with every SCIM push to them.
    snapshotting_intervals.update({DirectoryRoster: 200, DirectoryGroup: 200})
    snapshotting_projectors.update({DirectoryRoster: fold, DirectoryGroup: fold})
    env = {"AGGREGATE_CACHE_MAXSIZE": "1000"}

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        clock: Clock = utc_now,
        id_factory: Callable[[], UUID] = ids.new_id,
        invitation_lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
        # Each race round lets at least one contender commit, so under heavy contention on one
        # organization a command may need many rounds: the bound only stops a runaway.
        max_attempts: int = 32,
        policy: ApplicationPolicy | None = None,
    ) -> None:
        self.clock = clock
        self.policy = ApplicationPolicy() if policy is None else policy
        """The host application's own policies: restore period, session policy, sign-in methods."""
        self.id_factory = id_factory
        self.invitation_lifetime = invitation_lifetime
        self.max_attempts = max_attempts
        self._local = threading.local()
        # Ids of users known to exist (live or deleted): bounded below; only ever a shortcut.
        self._known_users: set[UUID] = set()
        self.database_url: str | None = None
        """The URL this application was built on (set by ``tenantry.connect``): the adapters
        that store beside its events (projections, API clients) build their engines from it."""
        super().__init__(env)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the class defaults and what the composition root passes: a stray variable in
        # os.environ (PERSISTENCE_MODULE, TENANTRY_*) must never switch the backend silently.
        merged = dict(type(self).env)
        merged["IS_SNAPSHOTTING_ENABLED"] = "y"
        merged.update(env or {})
        return Environment(name, merged)

    def construct_transcoder(self) -> Transcoder:
        return JSONTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=PydanticMapper
        )

    @property
    def last_position(self) -> int | None:
        """Log position (notification id) of the last event this thread's last command recorded;
        ``None`` if that command recorded nothing (it was refused, or changed nothing)."""
        return cast(int | None, getattr(self._local, "position", None))

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Saves the aggregates' new events in one transaction (and takes due snapshots)."""
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        stamp = self._stamp()
        command_only = {"command_id": stamp["command_id"]}  # an event naming its own end user
        for obj in objs:
            if obj is None:
                continue
            # Collected directly: eventsourcing's generic path checks runtime Protocols per
            # object, which is slow on Python 3.11.
            processing.events.extend(
                e.model_copy(update=stamp if e.on_behalf_of is None else command_only)
                for e in obj.collect_events()
            )
            processing.aggregates[obj.id] = obj
        processing.saved_kwargs.update(kwargs)
        recordings = self._record_resolved(processing)
        for aggregate in processing.aggregates.values():
            if isinstance(aggregate, User):  # committed: it exists
                self._remember_user(aggregate.id)
        self._snapshot(processing)
        self._notify(recordings)
        return recordings

    def _record_resolved(self, processing: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Records the events; when the store's answer is lost, asks it what happened.

        A connection that drops during the commit leaves its outcome unknown, and the recorder's
        own retry of an insert that had in fact committed fails as a lost race. Either way the
        store is asked whether this command's id was recorded: if it was, the command succeeded
        (its position is then the log's head, at or after its own events); if not, the error
        stands (a lost race is retried, a connection error reaches the caller: nothing was
        recorded)."""
        try:
            return self._record(processing)
        except (IntegrityError, OperationalError, InterfaceError):
            if not self._was_recorded(processing):
                raise
        self._local.resolved_position = self.recorder.max_notification_id()
        return []

    def _was_recorded(self, processing: ProcessingEvent[UUID]) -> bool:
        if not processing.events:
            return False
        first = processing.events[0]
        version = first.originator_version
        try:
            stored = list(self.events.get(first.originator_id, gt=version - 1, lte=version))
        except (OperationalError, InterfaceError):
            return False  # still unknown: the caller's error stands
        ours = getattr(first, "command_id", None)
        return bool(stored) and getattr(stored[0], "command_id", None) == ours

    def _stamp(self) -> dict[str, Any]:
        """What each event of this save records beside its own fields, in one copy: the running
        command's id, and the end user it acts for, if any."""
        stamp: dict[str, Any] = {"command_id": getattr(self._local, "command_id", None) or uuid4()}
        for_whom = getattr(self._local, "on_behalf_of", None)
        if for_whom is not None:
            stamp["on_behalf_of"] = for_whom
        return stamp

    def _snapshot(self, processing: ProcessingEvent[UUID]) -> None:
        """Snapshots every aggregate whose save recorded a version its
        :meth:`~tenantry.domain.base.Aggregate.snapshot_due` says (a multiple of its interval,
        by default), from the aggregate in hand (eventsourcing's default reloads it from the
        store first)."""
        if self.snapshots is None:
            return
        for event in processing.events:
            aggregate = cast(Aggregate | None, processing.aggregates.get(event.originator_id))
            interval = self.snapshotting_intervals.get(type(aggregate))  # type: ignore[arg-type]
            if aggregate is None or not interval:
                continue
            if aggregate.snapshot_due(event.originator_version, interval):
                self.snapshots.put([aggregate.Snapshot.take(aggregate)])
                processing.aggregates.pop(event.originator_id)  # once per save is enough

    def _save(self, *aggregates: Aggregate | None) -> None:
        self._local.resolved_position = None
        recordings = self.save(*aggregates)
        if recordings:
            self._local.position = recordings[-1].notification.id
        elif self._local.resolved_position is not None:
            self._local.position = self._local.resolved_position

    def run_command(self, command: Callable[[], T]) -> T:
        """Runs a command (load, change, save), again on freshly loaded state each time it loses
        an optimistic-concurrency race, at most ``max_attempts`` times; then
        :class:`ConcurrentModification`."""
        self._local.position = None  # a command that records nothing has no position
        # One id for every attempt: only one attempt can commit, and the id tells which did.
        self._local.command_id = uuid4()
        try:
            for attempt in range(1, self.max_attempts + 1):
                self._local.retrying = attempt > 1
                self._local.live_user = None
                try:
                    result = command()
                except IntegrityError:
                    # Lost a race (same aggregate version or same key claim): reload and retry.
                    if attempt == self.max_attempts:
                        break
                    time.sleep(random.uniform(0, min(0.05, 0.0005 * 2**attempt)))
                else:
                    self._bring_back_if_deleted()
                    return result
        finally:
            self._local.command_id = None
        raise ConcurrentModification(self.max_attempts)

    def _get(self, aggregate_id: UUID, cls: type[T], *, for_update: bool = True) -> T | None:
        try:
            agg: object = self.repository.get(
                aggregate_id, deepcopy_from_cache=for_update, projector_func=fold
            )
        except AggregateNotFoundError:
            return None
        return agg if isinstance(agg, cls) else None

    def _find_membership(self, membership_id: UUID) -> Membership | None:
        """Like ``_get``, but a membership that does not exist (the usual case when admitting
        someone new) costs one query instead of a snapshot lookup and an event read."""
        if not any(True for _ in self.events.get(membership_id, limit=1)):
            return None
        return self._get(membership_id, Membership)

    def _org(self, organization_id: str, *, for_update: bool = True) -> Organization:
        uid = ids.decode(ids.ORG, organization_id, "organization_id")
        org = self._get(uid, Organization, for_update=for_update)
        if org is None or org.is_deleted:
            raise OrganizationNotFound(organization_id)
        return org

    def now(self, *aggregates: Aggregate | None) -> datetime:
        """The command's time: the clock, but never before what an aggregate already recorded,
        so each aggregate's history is in time order even if clocks step back."""
        now = utc(self.clock())
        for a in aggregates:
            if a is not None and a.modified_on > now:
                now = a.modified_on
        return now

    def _new_id(self) -> UUID:
        return self.id_factory()

    def _ensure_user(
        self, user_id: UUID, email: str, now: datetime, actor: str, *, registered: bool = False
    ) -> User | None:
        """Returns a User to save (new, or a deleted one brought back), or None if the user
        exists and is live.

        A user that exists is read from the store (one read, from the aggregate cache fast
        forwarded to the store's head): whether it is live is never taken from memory, since
        another process on the same database may have deleted it. What this process remembers
        is only that a user id exists (true for good: a deleted user keeps its history). An id
        not known to exist is registered optimistically, without a read, unless it is likely
        ``registered`` already (it has a membership): if it did exist, the save fails as a
        lost race and the retry (``_local.retrying``) reads it.
        """
        retrying = getattr(self._local, "retrying", False)
        if registered or retrying or user_id in self._known_users:
            user = self._get(user_id, User)
            if user is not None:
                if not user.is_deleted:
                    self._remember_user(user_id)
                    self._local.live_user = (user_id, actor)  # checked again once committed
                    return None
                user.reregister(Act(now, actor))
                return user
        return User.register(email, now, actor)

    def _bring_back_if_deleted(self) -> None:
        """After a command that admitted a user it read as live: if another process deleted
        the user between that read and this commit (too late for its deletion to find the new
        membership), the user is brought back (``Reregistered``), as an admission after the
        deletion does."""
        pending = getattr(self._local, "live_user", None)
        self._local.live_user = None
        if pending is None:
            return
        user_id, actor = pending
        for _ in range(self.max_attempts):
            user = self._get(user_id, User)
            if user is None or not user.is_deleted:
                return
            user.reregister(Act(self.now(user), actor))
            try:
                self._save(user)
            except IntegrityError:
                continue  # brought back (or changed) meanwhile: read it again
            return

    def _remember_user(self, user_id: UUID) -> None:
        if len(self._known_users) >= 100_000:
            self._known_users.clear()
        self._known_users.add(user_id)

    def _all_organization_ids(self) -> Iterator[UUID]:
        """Every organization ever created (deleted ones too), oldest first, from the log."""
        topic = get_topic(Organization.Created)
        start: int | None = None
        while True:
            page = self.recorder.select_notifications(
                start=start, limit=1000, topics=[topic], inclusive_of_start=start is None
            )
            for n in page:
                yield (
                    n.originator_id
                    if isinstance(n.originator_id, UUID)
                    else UUID(str(n.originator_id))
                )
            if len(page) < 1000:
                return
            start = page[-1].id
