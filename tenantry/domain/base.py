"""Building blocks shared by tenantry's aggregates.

Events are pydantic models: frozen, unknown fields forbidden, validated when loaded, stored as
readable JSON. Every event records who did it (``actor``: the authenticated principal) and may
carry a ``reason`` and the end user the principal acted for (``on_behalf_of``).

An aggregate keeps its whole state in one pydantic model (``self.state``), so a snapshot is that
model dumped to JSON and loading a snapshot is one ``model_validate`` — no per-class transcoding.

An aggregate that moves to another module keeps the topics its events were first stored under,
as eventsourcing's explicit ``TOPIC`` on the aggregate and on each of its events: stored bytes do
not follow the code's layout, so the versions before a move still read what is written after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self, cast
from uuid import UUID

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
)
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel, BeforeValidator, ConfigDict


def utc(dt: datetime) -> datetime:
    """Returns ``dt`` as an aware UTC datetime (naive datetimes are taken to be UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def micros(dt: datetime) -> int:
    """Microseconds since the epoch: exact, so expiry comparisons never round."""
    delta = utc(dt) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _iso_utc(value: Any) -> Any:
    """A stored ``…Z`` timestamp parsed by the standard library, so that it carries
    :data:`datetime.UTC`: pydantic's own parse gives it pydantic's ``TzInfo``, whose offset is a
    call back into pydantic on every comparison or subtraction. Anything else is left to
    pydantic."""
    if type(value) is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is UTC:
            return parsed
    return value


Timestamp = Annotated[datetime, BeforeValidator(_iso_utc)]
"""A datetime field whose stored UTC values load with :data:`datetime.UTC`."""


@dataclass(frozen=True, slots=True)
class Act:
    """Who does a command, at what time, and why: what each event of the command records."""

    now: datetime
    actor: str
    reason: str | None = None


class DomainEvent(BaseModel):
    """Base of every persisted event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: Timestamp
    actor: str
    reason: str | None = None
    command_id: UUID | None = None
    """The command that recorded the event (one id for all its events); ``None`` on events
    stored before commands carried ids. After a commit of unknown outcome it tells whether the
    command's events are in the store."""
    on_behalf_of: str | None = None
    """The end user the actor acted for (e.g. the signed-in user of an integrating application),
    if the actor said so; ``None`` on every event recorded before it existed."""

    @staticmethod
    def create_timestamp() -> datetime:  # only used if a command forgets to pass its `now`
        return datetime.now(UTC)


class AggregateState(BaseModel):
    """Base of an aggregate's state model (mutable; only events assign to it).

    Events *replace* containers (``s.roles = [...]``), never change them in place. That keeps
    copying an aggregate out of the cache for a command a shallow copy instead of a deep one; a
    state holding a value that events do change in place (the organization's expiry ledger)
    copies that value in its own :meth:`copy_for_command`. A container that grows with the
    aggregate (a directory roster's users) is a :class:`~tenantry.domain.persistent.PersistentMap`,
    which an event replaces without copying it whole.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    def copy_for_command(self) -> Self:
        return self.model_copy()


class Snapshot(DomainEvent, CanSnapshotAggregate[UUID]):
    """A snapshot: the aggregate's state model dumped to JSON, plus the state's class version."""

    actor: str = "system"
    topic: str
    state: dict[str, Any]

    @classmethod
    def take(cls, aggregate: Any) -> Self:
        agg = cast(Aggregate, aggregate)
        state = agg.state.model_dump(mode="json")
        state["_created_on"] = agg.created_on.isoformat()
        state["_modified_on"] = agg.modified_on.isoformat()
        state["_class_version"] = type(agg).class_version
        return cls(
            originator_id=agg.id,
            originator_version=agg.version,
            timestamp=agg.modified_on,
            topic=get_topic(type(agg)),
            state=state,
        )

    def mutate(self, _: None) -> Any:
        agg_cls = cast(type[Aggregate], resolve_topic(self.topic))
        data = dict(self.state)
        created_on = datetime.fromisoformat(data.pop("_created_on"))
        modified_on = datetime.fromisoformat(data.pop("_modified_on"))
        from_version = data.pop("_class_version", 1)
        while from_version < agg_cls.class_version:
            getattr(agg_cls, f"upcast_v{from_version}_v{from_version + 1}")(data)
            from_version += 1
        agg = object.__new__(agg_cls)
        agg.__base_init__(self.originator_id, self.originator_version, created_on)
        agg._modified_on = modified_on
        agg.state = agg_cls.State.model_validate(data)
        return agg


class Aggregate(BaseAggregate[UUID]):
    """Base of tenantry's aggregates: UUID ids, pydantic events, one state model."""

    # Annotations would turn the aggregate into a dataclass (eventsourcing's declarative syntax),
    # so the attributes are declared for type checkers only.
    if TYPE_CHECKING:
        class_version: ClassVar[int]
        State: ClassVar[type[AggregateState]]
        state: Any
    else:
        class_version = 1

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str

    Snapshot = Snapshot

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        # The repository copies cached aggregates for commands; see AggregateState.
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__["_pending_events"] = []
        new.__dict__["state"] = self.state.copy_for_command()
        return new

    def snapshot_due(self, version: int, interval: int) -> bool:
        """Whether the save that recorded ``version`` snapshots the aggregate, which the
        application snapshots every ``interval`` events (an aggregate whose snapshot grows with
        its state may space them further)."""
        return version % interval == 0

    def _trigger(self, event_class: type[Any], now: datetime, actor: str, **kwargs: Any) -> None:
        self.trigger_event(event_class, timestamp=now, actor=actor, **kwargs)

    def _record(self, event_class: type[Any], act: Act, **kwargs: Any) -> None:
        self._trigger(event_class, act.now, act.actor, reason=act.reason, **kwargs)
