"""Reading the command line's small languages: KEY=VALUE pairs, on/off switches, durations
(``30m``, ``P15D``), moments (ISO 8601) and the seat limit (``off``, ``0``, n). A malformed
value is an :class:`InvalidField` naming the option, like any refusal."""

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from pydantic import TypeAdapter, ValidationError

from tenantry.domain.errors import InvalidField


def pairs(items: Sequence[str] | None, field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidField(field, f"must be KEY=VALUE; got {item!r}")
        out[key.strip()] = value
    return out


_SWITCH: Final = {
    "on": True,
    "true": True,
    "yes": True,
    "1": True,
    "off": False,
    "false": False,
    "no": False,
    "0": False,
}


def switches(items: Sequence[str]) -> list[tuple[str, bool]]:
    out = []
    for name, value in pairs(items, "settings.features").items():
        if value.lower() not in _SWITCH:
            raise InvalidField("settings.features", f"{name}: must be on or off; got {value!r}")
        out.append((name, _SWITCH[value.lower()]))
    return out


_DURATION: Final = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(value: str | None, field: str) -> timedelta | None:
    if value is None:
        return None
    if m := _DURATION.match(value):
        return timedelta(seconds=int(m[1]) * _UNIT_SECONDS[m[2].lower()])
    try:
        return TypeAdapter(timedelta).validate_python(value)
    except ValidationError:
        raise InvalidField(field, "must be like 30m, 12h, 15d, 2w or ISO 8601 (P15D)") from None


def moment(value: str, field: str) -> datetime:
    try:
        return TypeAdapter(datetime).validate_python(value)
    except ValidationError:
        raise InvalidField(field, "must be an ISO 8601 time, e.g. 2026-11-01T12:00:00Z") from None


def limit(value: str) -> int | None:
    if value.lower() in ("off", "none", "unset"):
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidField(
            "max_allowed_users", "must be off, 0 (no limit) or a seat count"
        ) from None
