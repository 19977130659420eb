"""The projection framework: a projection is a plug-in made of pure functions.

A projection has a ``name``, a ``version`` (raised when its rows change shape, which makes the next
catch-up rebuild it beside the live tables), the event classes it ``handles``, the logical
``tables`` it keeps (each keyed by one column) and two pure functions:

* :meth:`Projection.reads` — the rows an event needs to see (``(table, key)`` references), and
* :meth:`Projection.apply` — given the event, its log position and those rows, the rows to write
  (a row, or ``None`` to delete it).

A :class:`Projection` is fed the events as their pydantic models. A :class:`RecordedProjection`
is fed them as the log records them (:class:`Recorded`: class, aggregate, version and the stored
fields as JSON values, upcast but not validated into the model), which skips most of what
decoding an event costs: for projections that copy what was recorded, like the audit log.

Rows are plain dicts of JSON-friendly values (times are integer microseconds since the epoch, so
comparisons are exact on every database). Nothing here touches a database: :func:`fold` runs a
projection over events in memory, which is what the unit tests and the property tests compare
the stored views against. The storage side lives in :mod:`tenantry.adapters.projections`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, ClassVar, Generic, NamedTuple, TypeAlias, TypeVar
from uuid import UUID

from tenantry.application.serialization import JSONTranscoder, PydanticMapper
from tenantry.domain import ids
from tenantry.domain.base import DomainEvent

Row: TypeAlias = dict[str, Any]
RowRef: TypeAlias = tuple[str, Hashable]
"""A row's address: the logical table name and the value of its key column."""
Writes: TypeAlias = dict[RowRef, Row | None]
"""Rows to write: a full row (insert or replace), or ``None`` (delete)."""
Tables: TypeAlias = dict[str, dict[Hashable, Row]]
"""A projection's whole state: rows by key, by logical table."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# Fifteen bits at a time (three base32 characters, from a table of all 32,768): fewer steps
# than ten bits at a time, and far fewer than ids.encode's loop, which matters when a rebuild
# names many ids it has not seen yet (every new user's). A unit test holds it equal to
# ids.encode.
_DIGITS = "".join(ids.encode("x", UUID(int=i))[-1] for i in range(32))
_TRIPLES = tuple([a + b + c for a in _DIGITS for b in _DIGITS for c in _DIGITS])
_PAIRS = tuple(t[1:] for t in _TRIPLES[:1024])  # the top ten bits (two of them always zero)
_MICROSECOND = timedelta(microseconds=1)


def public_id(prefix: str, value: UUID) -> str:
    """:func:`tenantry.domain.ids.encode`, faster and cached: a batch names the same ids often."""
    return _encode(prefix, value.int)  # cached by the int: a UUID hashes in Python, an int in C


def public_id_of_text(prefix: str, value: str) -> str:
    """:func:`public_id` of a UUID in its text form (as JSON records it), without making the
    UUID."""
    return _encode(prefix, int(value.replace("-", ""), 16))


@lru_cache(maxsize=65_536)
def _encode(prefix: str, n: int) -> str:
    t = _TRIPLES
    return (
        f"{prefix}_{_PAIRS[n >> 120]}{t[(n >> 105) & 32767]}{t[(n >> 90) & 32767]}"
        f"{t[(n >> 75) & 32767]}{t[(n >> 60) & 32767]}{t[(n >> 45) & 32767]}"
        f"{t[(n >> 30) & 32767]}{t[(n >> 15) & 32767]}{t[n & 32767]}"
    )


def to_micros(dt: datetime) -> int:
    """:func:`tenantry.domain.base.micros` (microseconds since the epoch), in one C call."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


class Recorded(NamedTuple):
    """An event as the log records it: what a :class:`RecordedProjection` is fed."""

    event_type: type[DomainEvent]
    originator_id: UUID
    originator_version: int
    state: Mapping[str, Any]
    """The stored fields as JSON values (times as ISO 8601 strings, ids as strings), upcast to
    the class's current version, without ``originator_id`` and ``originator_version``."""

    @classmethod
    def of(cls, event: DomainEvent) -> Recorded:
        """What the log records of ``event``: it goes through the application's mapper."""
        stored = _MAPPER.to_stored_event(event)
        kind, state = _MAPPER.to_state(stored)
        return cls(kind, event.originator_id, event.originator_version, state)


_MAPPER = PydanticMapper(JSONTranscoder())

E = TypeVar("E", DomainEvent, Recorded)


class BaseProjection(ABC, Generic[E]):
    """A read model fed by events: subclass :class:`Projection` or :class:`RecordedProjection`,
    then give its view to the store (see README, "Writing a new projection")."""

    name: ClassVar[str]
    version: ClassVar[int]
    handles: ClassVar[tuple[type[DomainEvent], ...]]
    tables: ClassVar[dict[str, str]]
    """Logical table name → name of its key column."""

    @abstractmethod
    def reads(self, event: E) -> Iterable[RowRef]:
        """The rows :meth:`apply` needs to see for ``event``."""

    @abstractmethod
    def apply(self, event: E, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        """The rows ``event`` (at log ``position``) writes, given the rows it :meth:`reads`
        (``None`` for a row that does not exist). Must be pure: same input, same output."""

    def accepts(self, event: DomainEvent) -> bool:
        return isinstance(event, self.handles)

    @abstractmethod
    def fed(self, event: DomainEvent) -> E:
        """``event`` as this kind of projection is fed it (used by :func:`fold`)."""


class Projection(BaseProjection[DomainEvent]):
    """A projection fed the events as their pydantic models."""

    def fed(self, event: DomainEvent) -> DomainEvent:
        return event


class RecordedProjection(BaseProjection[Recorded]):
    """A projection fed the events as the log records them (:class:`Recorded`)."""

    def fed(self, event: DomainEvent) -> Recorded:
        return Recorded.of(event)


def fold_event(
    projection: BaseProjection[Any], state: Tables, event: DomainEvent, position: int
) -> None:
    """Applies one event to an in-memory ``state`` (the reference the stores must equal)."""
    if not projection.accepts(event):
        return
    fed = projection.fed(event)
    rows = {ref: state.get(ref[0], {}).get(ref[1]) for ref in projection.reads(fed)}
    for (table, key), row in projection.apply(fed, position, rows).items():
        if row is None:
            state.get(table, {}).pop(key, None)
        else:
            state.setdefault(table, {})[key] = row


def fold(projection: BaseProjection[Any], events: Iterable[tuple[int, DomainEvent]]) -> Tables:
    """The state a projection reaches from scratch over ``(position, event)`` pairs."""
    state: Tables = {t: {} for t in projection.tables}
    for position, event in events:
        fold_event(projection, state, event, position)
    return state
