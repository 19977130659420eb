"""Building blocks shared by tenantry's aggregates.

Events are pydantic models: frozen, unknown fields forbidden, validated when loaded, stored as
readable JSON. Every event records who did it (``actor``) and may carry a ``reason``.

An aggregate keeps its whole state in one pydantic model (``self.state``), so a snapshot is that
model dumped to JSON and loading a snapshot is one ``model_validate`` — no per-class transcoding.
"""

from __future__ import annotations

import base64
import zlib
from array import array
from bisect import bisect_left, bisect_right
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
from pydantic import BaseModel, BeforeValidator, ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema


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
    call back into pydantic on every comparison or subtraction (three times slower). Anything
    else is left to pydantic."""
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


class DomainEvent(BaseModel):
    """Base of every persisted event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: Timestamp
    actor: str
    reason: str | None = None

    @staticmethod
    def create_timestamp() -> datetime:  # only used if a command forgets to pass its `now`
        return datetime.now(UTC)


def whole_seconds(dt: datetime) -> int:
    """``dt`` as whole seconds since the epoch, rounded up (an expiry is never moved earlier)."""
    return -(-micros(dt) // 1_000_000)


class ExpiryLedger:
    """The expiry instants of an organization's pending invitations: a sorted multiset of whole
    seconds since the epoch.

    It is all the seat rule needs of pending invitations — how many expire after a given moment
    (a binary search). Invitations expire on whole seconds (the application rounds them up), so
    the rule stays exact. Stored as zlib-packed 64-bit integers: 10,000 pending invitations take
    some 30 kB in a snapshot and decode in microseconds, so loading an organization does not grow
    with its pending invitations by more than that.
    """

    __slots__ = ("_packed", "_t_")

    def __init__(self, times: array[int] | None = None, packed: str | None = None) -> None:
        # Decoded lazily: loading an organization to read its settings never unpacks the ledger.
        self._t_: array[int] | None = times if times is not None or packed else array("q")
        self._packed: str | None = packed

    @property
    def _t(self) -> array[int]:
        if self._t_ is None:
            t = array("q")
            t.frombytes(zlib.decompress(base64.b64decode(self._packed or "")))
            self._t_, self._packed = t, None
        return self._t_

    def add(self, at: datetime) -> None:
        v = whole_seconds(at)
        self._t.insert(bisect_right(self._t, v), v)

    def discard(self, at: datetime) -> None:
        v = whole_seconds(at)
        i = bisect_left(self._t, v)
        if i < len(self._t) and self._t[i] == v:
            del self._t[i]

    def count_after(self, now: datetime) -> int:
        """How many expire strictly after ``now`` (one expiring at ``now`` has expired)."""
        # For whole seconds t: t > now  <=>  t > floor(now).
        return len(self._t) - bisect_right(self._t, micros(now) // 1_000_000)

    def count_due(self, now: datetime) -> int:
        """How many have expired at ``now`` but are still recorded as pending."""
        return len(self._t) - self.count_after(now)

    def __len__(self) -> int:
        return len(self._t)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpiryLedger) and self._t == other._t

    def __deepcopy__(self, memo: dict[int, Any]) -> ExpiryLedger:
        if self._t_ is None:
            return ExpiryLedger(packed=self._packed)
        return ExpiryLedger(array("q", self._t_))

    def __repr__(self) -> str:
        return f"ExpiryLedger(n={len(self._t)})"

    def to_b64(self) -> str:
        if self._t_ is None and self._packed is not None:
            return self._packed
        return base64.b64encode(zlib.compress(self._t.tobytes(), 1)).decode("ascii")

    @classmethod
    def from_b64(cls, value: str) -> ExpiryLedger:
        return cls(packed=value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_str = core_schema.no_info_plain_validator_function(
            lambda v: v if isinstance(v, ExpiryLedger) else cls.from_b64(v)
        )
        return core_schema.json_or_python_schema(
            json_schema=from_str,
            python_schema=from_str,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: v.to_b64(), when_used="json"
            ),
        )


class AggregateState(BaseModel):
    """Base of an aggregate's state model (mutable; only events assign to it).

    Events *replace* containers (``s.roles = [...]``), never change them in place; the one
    exception, :class:`ExpiryLedger`, is copied by :meth:`copy_for_command`. That keeps copying an
    aggregate out of the cache for a command a shallow copy instead of a deep one.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    def copy_for_command(self) -> Self:
        new = self.model_copy()
        for name, value in new.__dict__.items():
            if isinstance(value, ExpiryLedger):
                new.__dict__[name] = value.__deepcopy__({})
        return new


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

    def _trigger(self, event_class: type[Any], now: datetime, actor: str, **kwargs: Any) -> None:
        self.trigger_event(event_class, timestamp=now, actor=actor, **kwargs)
