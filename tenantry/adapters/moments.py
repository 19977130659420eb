"""Times as the HTTP API and the command line take them: RFC 3339, never a bare number (pydantic
would read one as a Unix time). :data:`Moment` takes one without an offset as UTC, as the audit
and history routes always have; :data:`OffsetMoment` needs the offset RFC 3339 requires."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BeforeValidator, TypeAdapter, ValidationError, WithJsonSchema

from tenantry.domain.errors import InvalidField

_NUMBER: Final = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")
_SCHEMA: Final = WithJsonSchema({"type": "string", "format": "date-time", "maxLength": 64})


def _rfc3339(value: object) -> object:
    """Refuses a bare number: pydantic would read it as a Unix time, which is not RFC 3339."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        raise ValueError("must be an RFC 3339 time, e.g. 2026-11-01T12:00:00Z")
    return value


Moment = Annotated[datetime, BeforeValidator(_rfc3339), _SCHEMA]
"""An RFC 3339 time as a query parameter (its length bounded in the schema, as every field's)."""
OffsetMoment = Annotated[AwareDatetime, BeforeValidator(_rfc3339), _SCHEMA]
"""A :data:`Moment` that must carry its offset (``Z`` or ``+02:00``), as RFC 3339 says."""

_OFFSET_MOMENT: Any = TypeAdapter(OffsetMoment)


def offset_moment(value: str, field: str) -> datetime:
    """``value`` read as an :data:`OffsetMoment` (a command-line option's, say); refused as
    :class:`InvalidField` naming ``field``."""
    try:
        moment: datetime = _OFFSET_MOMENT.validate_python(value)
    except ValidationError:
        raise InvalidField(
            field, "must be an RFC 3339 time with its offset, e.g. 2026-11-01T12:00:00Z"
        ) from None
    return moment
