"""tenantry's refusals as SCIM errors (RFC 7644 §3.12): one table, by error class, then by kind.

A seat limit answers 409 without ``scimType`` and names the limit; an invalid field 400
``invalidValue`` naming the field and its rule; a stale ``If-Match`` 412; a directory that is
disabled (or whose organization turned ``dir_sync`` off) 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from scim2_models import (
    ConflictException,
    ForbiddenException,
    InvalidValueException,
    MutabilityException,
    NotFoundException,
    PreconditionFailedException,
    SCIMException,
    UnauthorizedException,
    UniquenessException,
)

from tenantry.domain.directory_errors import DirectoryNotActive
from tenantry.domain.errors import (
    ConcurrentModification,
    ErrorKind,
    InvalidField,
    SeatLimitReached,
    TenantryError,
)
from tenantry.domain.provisioning_errors import (
    ScimMutability,
    ScimUniquenessConflict,
    ScimVersionMismatch,
)


def _seat_limit(e: TenantryError) -> SCIMException:
    assert isinstance(e, SeatLimitReached)
    return ConflictException(
        detail=f"the seat limit is reached: {e.in_use} of {e.limit} seats are in use "
        f"(max_allowed_users {e.limit}); free a seat or raise the limit"
    )


def _invalid_field(e: TenantryError) -> SCIMException:
    assert isinstance(e, InvalidField)
    return InvalidValueException(detail=f"{e.field}: {e.rule}")


_BY_CLASS: Final[dict[type[TenantryError], Callable[[TenantryError], SCIMException]]] = {
    SeatLimitReached: _seat_limit,
    ConcurrentModification: lambda e: ConflictException(detail=f"{e.message}; retry"),
    ScimUniquenessConflict: lambda e: UniquenessException(detail=e.message),
    ScimVersionMismatch: lambda e: PreconditionFailedException(detail=e.message),
    ScimMutability: lambda e: MutabilityException(detail=e.message),
    DirectoryNotActive: lambda e: ForbiddenException(detail=e.message),
}
_BY_KIND: Final[dict[ErrorKind, Callable[[TenantryError], SCIMException]]] = {
    ErrorKind.NOT_FOUND: lambda e: NotFoundException(detail=e.message),
    ErrorKind.CONFLICT: lambda e: ConflictException(detail=e.message),
    ErrorKind.INVALID_ARGUMENT: lambda e: InvalidValueException(detail=e.message),
    ErrorKind.FAILED_PRECONDITION: lambda e: ConflictException(detail=e.message),
    ErrorKind.UNAUTHENTICATED: lambda _: UnauthorizedException(detail="invalid bearer token"),
    ErrorKind.PERMISSION_DENIED: lambda e: ForbiddenException(detail=e.message),
}


def scim_error(e: TenantryError) -> SCIMException:
    """The SCIM error that answers ``e``."""
    for cls in type(e).__mro__:
        translate = _BY_CLASS.get(cls)
        if translate is not None:
            return translate(e)
    if isinstance(e, InvalidField):
        return _invalid_field(e)
    return _BY_KIND[e.kind](e)


@contextmanager
def translated() -> Iterator[None]:
    """Raises the SCIM error of any tenantry error raised in the block."""
    try:
        yield
    except TenantryError as e:
        raise scim_error(e) from e
