"""Type rules for the public API's arguments that no value rule covers: numbers, moments,
durations, flags, callbacks and plain text filters.

The value rules (:mod:`tenantry.domain.values`, :func:`tenantry.domain.ids.decode`) say what a
field may hold and refuse a wrong type on the way. These do the same for the arguments that are
not fields of an organization or a membership, so that a caller's mistake (``None``, a string
for a number, a number for a moment) is refused with :class:`InvalidField` naming the parameter
and the rule, before anything runs, instead of surfacing later as an ``AttributeError`` or a
``TypeError`` from deep inside - or being taken for a default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from tenantry.domain.base import utc
from tenantry.domain.errors import InvalidField
from tenantry.domain.text import free_text

F = TypeVar("F", bound=Callable[..., Any])


def whole_number(value: int, field: str) -> int:
    """An ``int`` (``True`` and ``2.0`` are not whole numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(field, "must be a whole number")
    return value


def flag(value: bool, field: str) -> bool:
    """``True`` or ``False`` (not ``None``, ``1`` or ``"yes"``)."""
    if not isinstance(value, bool):
        raise InvalidField(field, "must be true or false")
    return value


def seconds(value: float, field: str) -> float:
    """A number of seconds (an ``int`` or a ``float``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidField(field, "must be a number of seconds")
    return float(value)


def moment(value: datetime, field: str) -> datetime:
    """A ``datetime``, as UTC (one without a time zone is taken to be UTC)."""
    if not isinstance(value, datetime):
        raise InvalidField(field, "must be a datetime")
    return utc(value)


def duration(value: timedelta, field: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise InvalidField(field, "must be a duration (a timedelta)")
    return value


def function(value: F, field: str) -> F:
    if not callable(value):
        raise InvalidField(field, "must be a function")
    return value


def callback(value: F | None, field: str) -> F | None:
    """A function to call back, or ``None``."""
    if value is not None and not callable(value):
        raise InvalidField(field, "must be a function (or None)")
    return value


def text(value: str, field: str) -> str:
    """A string under the text rule (:func:`tenantry.domain.text.free_text`), for filters that
    match a recorded value exactly."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    return free_text(value, field)
