"""Building blocks shared by tenantry's aggregates.

Events are pydantic models: frozen, unknown fields forbidden, validated when loaded, stored as
readable JSON. Every event records who did it (``actor``) and may carry a ``reason``.

An aggregate keeps its whole state in one pydantic model (``self.state``), so a snapshot is that
model dumped to JSON and loading a snapshot is one ``model_validate`` — no per-class transcoding.
"""

from __future__ import annotations

import base64
from array import array
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast
from uuid import UUID

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
)
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
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


class DomainEvent(BaseModel):
    """Base of every persisted event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: str
    reason: str | None = None

    @staticmethod
    def create_timestamp() -> datetime:  # only used if a command forgets to pass its `now`
        return datetime.now(UTC)


class ExpiryLedger:
    """The pending invitations of an organization: (expiry, user id) pairs sorted by expiry.

    It is what the seat rule needs of pending invitations — how many expire after a given moment
    (a binary search) — and what the expiry sweep needs — which are due. Stored packed (24 bytes
    an entry), 10,000 pending invitations cost 320 kB in a snapshot and load in microseconds.
    """

    __slots__ = ("_t", "_u")

    def __init__(self, times: array[int] | None = None, users: bytearray | None = None) -> None:
        self._t: array[int] = times if times is not None else array("q")
        self._u: bytearray = users if users is not None else bytearray()

    def add(self, at: datetime, user_id: UUID) -> None:
        v = micros(at)
        i = bisect_right(self._t, v)
        self._t.insert(i, v)
        self._u[16 * i : 16 * i] = user_id.bytes

    def discard(self, at: datetime, user_id: UUID) -> None:
        v = micros(at)
        b = user_id.bytes
        i = bisect_left(self._t, v)
        while i < len(self._t) and self._t[i] == v:
            if self._u[16 * i : 16 * i + 16] == b:
                del self._t[i]
                del self._u[16 * i : 16 * i + 16]
                return
            i += 1

    def count_after(self, now: datetime) -> int:
        """How many expire strictly after ``now`` (one expiring at ``now`` has expired)."""
        return len(self._t) - bisect_right(self._t, micros(now))

    def due(self, now: datetime, limit: int | None = None) -> list[UUID]:
        """User ids of the invitations that have expired at ``now``, oldest first."""
        n = bisect_right(self._t, micros(now))
        if limit is not None:
            n = min(n, limit)
        return [UUID(bytes=bytes(self._u[16 * i : 16 * i + 16])) for i in range(n)]

    def __len__(self) -> int:
        return len(self._t)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpiryLedger) and self._t == other._t and self._u == other._u

    def __deepcopy__(self, memo: dict[int, Any]) -> ExpiryLedger:
        return ExpiryLedger(array("q", self._t), bytearray(self._u))

    def __repr__(self) -> str:
        return f"ExpiryLedger(n={len(self._t)})"

    def to_b64(self) -> str:
        return base64.b64encode(self._t.tobytes() + bytes(self._u)).decode("ascii")

    @classmethod
    def from_b64(cls, value: str) -> ExpiryLedger:
        raw = base64.b64decode(value)
        n = len(raw) // 24
        t = array("q")
        t.frombytes(raw[: 8 * n])
        return cls(t, bytearray(raw[8 * n :]))

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
    """Base of an aggregate's state model (mutable; only events assign to it)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


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

    def _trigger(self, event_class: type[Any], now: datetime, actor: str, **kwargs: Any) -> None:
        self.trigger_event(event_class, timestamp=now, actor=actor, **kwargs)
