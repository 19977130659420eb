"""The expiry ledger: what the seat rule needs to know of an organization's pending invitations."""

from __future__ import annotations

import base64
import zlib
from array import array
from bisect import bisect_left, bisect_right
from datetime import datetime
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from tenantry.domain.base import micros


def whole_seconds(dt: datetime) -> int:
    """``dt`` as whole seconds since the epoch, rounded up (an expiry is never moved earlier)."""
    return -(-micros(dt) // 1_000_000)


class ExpiryLedger:
    """The expiry instants of an organization's pending invitations: a sorted multiset of whole
    seconds since the epoch.

    It is all the seat rule needs of pending invitations — how many expire after a given moment
    (a binary search). Invitations expire on whole seconds (the application rounds them up), so
    the rule stays exact. Stored as zlib-packed 64-bit integers, compact in a snapshot and
    decoded in one call, and only when the seat rule needs it, so that loading an organization
    grows little with its pending invitations.
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

    def copy(self) -> ExpiryLedger:
        if self._t_ is None:
            return ExpiryLedger(packed=self._packed)
        return ExpiryLedger(array("q", self._t_))

    def __deepcopy__(self, memo: dict[int, Any]) -> ExpiryLedger:
        return self.copy()

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
