"""Errors over HTTP: one table maps every error kind to a status, one JSON shape for all.

``{"error_code": "seat_limit_reached", "code": "seat_limit_reached", "message": "...", "details":
{...}}`` — ``error_code`` is the stable, machine-readable code of the tenantry error (or of the
HTTP-layer error below), the hosted API's name for it; ``code`` repeats it for the clients written
before; ``details`` holds its typed fields. Request validation errors are ``400 invalid_field``
naming the field, like the core's own :class:`~tenantry.domain.errors.InvalidField`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette import status

from tenantry.domain.errors import (
    ErrorKind,
    ProjectionBehind,
    ProjectionFailed,
    TenantryError,
)

PAYLOAD_TOO_LARGE: Final = "payload_too_large"
UNAVAILABLE: Final = "unavailable"

STATUS_BY_KIND: Final[Mapping[str, int]] = {
    ErrorKind.INVALID_ARGUMENT: status.HTTP_400_BAD_REQUEST,
    ErrorKind.UNAUTHENTICATED: status.HTTP_401_UNAUTHORIZED,
    ErrorKind.PERMISSION_DENIED: status.HTTP_403_FORBIDDEN,
    ErrorKind.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    ErrorKind.CONFLICT: status.HTTP_409_CONFLICT,
    PAYLOAD_TOO_LARGE: status.HTTP_413_CONTENT_TOO_LARGE,
    ErrorKind.FAILED_PRECONDITION: status.HTTP_422_UNPROCESSABLE_CONTENT,
    UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
}
"""The one translation of error kinds into HTTP statuses..."""

STATUS_BY_CODE: Final[Mapping[str, int]] = {
    # A read-your-writes wait that timed out: the write is safe, the read model is late.
    # Not the caller's fault, and a retry soon succeeds.
    ProjectionBehind.code: status.HTTP_503_SERVICE_UNAVAILABLE,
    # A read model stopped at an event it could not apply: the server's fault, shown by
    # /readyz and `projections status`; answered once an operator fixed it.
    ProjectionFailed.code: status.HTTP_503_SERVICE_UNAVAILABLE,
}
"""...with these exceptions, by error code (checked first)."""

RETRY_AFTER_SECONDS: Final = 1
"""``Retry-After`` of every 503."""


def status_for(error: TenantryError | HttpError) -> int:
    return STATUS_BY_CODE.get(error.code) or STATUS_BY_KIND[error.kind]


class ErrorBody(BaseModel):
    """Every error response."""

    model_config = ConfigDict(extra="forbid")

    error_code: str = Field(description="Stable machine-readable code, e.g. seat_limit_reached.")
    code: str = Field(description="The same as error_code (kept for earlier clients).")
    message: str = Field(description="One line for people.")
    details: dict[str, Any] = Field(description="The error's typed fields.")

    @classmethod
    def of(cls, code: str, message: str, details: Mapping[str, Any]) -> ErrorBody:
        return cls(error_code=code, code=code, message=message, details=dict(details))


class HttpError(Exception):
    """Raised by the HTTP layer for what the core does not know about (tokens, body size)."""

    kind: ClassVar[str]
    code: ClassVar[str]

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class PayloadTooLarge(HttpError):
    """Raised when a request body exceeds the configured maximum size."""

    kind = PAYLOAD_TOO_LARGE
    code = "payload_too_large"


class Unavailable(HttpError):
    """Raised when the database cannot be reached or is overloaded; the request may be retried
    (with its Idempotency-Key, safely)."""

    kind = UNAVAILABLE
    code = "unavailable"


class IdempotencyKeyReused(HttpError):
    """Raised when an Idempotency-Key is sent again with a different request."""

    kind = ErrorKind.FAILED_PRECONDITION
    code = "idempotency_key_reused"


class IdempotencyKeyInUse(HttpError):
    """Raised when a request with the same Idempotency-Key is still being processed."""

    kind = ErrorKind.CONFLICT
    code = "idempotency_key_in_use"


class IdempotencyOutcomeUnknown(HttpError):
    """Raised when the request that reserved an Idempotency-Key stopped before answering and
    writes were recorded since, so whether it made its change is unknown."""

    kind = ErrorKind.CONFLICT
    code = "idempotency_outcome_unknown"


def error_response(error: TenantryError | HttpError) -> JSONResponse:
    body = ErrorBody.of(error.code, error.message, error.details)
    status_code = status_for(error)
    headers = {"WWW-Authenticate": "Bearer"} if error.kind == ErrorKind.UNAUTHENTICATED else None
    if status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


def _field(loc: Sequence[int | str]) -> str:
    """The field as the request carries it: its path in the body (a list's items are named by
    the list and a map's keys by themselves, as the domain names them), or the parameter's name."""
    parts = [str(p) for p in loc if not isinstance(p, int) and p != "[key]"]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where, parts = parts[0], parts[1:]
        if not parts:
            return "body" if where == "body" else where
    return ".".join(parts)


_RULES: Final = {
    "extra_forbidden": "is not a known field",
    "missing": "is required",
    "json_invalid": "must be valid JSON",
}


def validation_response(error: RequestValidationError) -> JSONResponse:
    """``400 invalid_field`` naming the first offending field; every problem in ``details``."""
    problems = [
        {
            "field": "body" if e.get("type") == "json_invalid" else _field(e.get("loc", ())),
            "rule": _RULES.get(e.get("type", ""), e.get("msg", "")),
        }
        for e in error.errors()
    ] or [{"field": "body", "rule": "is not valid"}]
    first = problems[0]
    body = ErrorBody.of(
        "invalid_field",
        f"{first['field']}: {first['rule']}",
        {"field": first["field"], "rule": first["rule"], "errors": problems},
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_400_BAD_REQUEST)


def status_response(
    status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON error shape for statuses the framework raises itself (unknown path, method)."""
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}
    body = ErrorBody.of(codes.get(status_code, "http_error"), message, {})
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: {"model": ErrorBody, "description": "Invalid argument: names the field and the rule."},
    401: {"model": ErrorBody, "description": "Missing, invalid or expired bearer token."},
    404: {"model": ErrorBody, "description": "Not found."},
    409: {"model": ErrorBody, "description": "Conflict (e.g. external_id_taken)."},
    413: {"model": ErrorBody, "description": "Request body too large."},
    422: {"model": ErrorBody, "description": "Failed precondition (e.g. seat_limit_reached)."},
    503: {
        "model": ErrorBody,
        "description": "The database is unreachable, or a list could not yet include the "
        "writes made before it (projection_behind); retry after Retry-After seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}
"""The error responses every API route documents in OpenAPI."""
