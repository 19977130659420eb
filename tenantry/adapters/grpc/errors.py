"""Errors over gRPC: one table maps every error kind to a gRPC status (beside the HTTP one in
:mod:`tenantry.adapters.http.errors`).

A refusal answers its status and message, and ``grpc-status-details-bin`` carries a
``google.rpc.Status`` (same code and message) holding a ``scalekit.v1.errdetails.ErrorInfo`` whose
``error_code`` is tenantry's stable code (``organization_not_found``, ``external_id_taken``…), the
one the REST API answers as ``error_code``: the hosted SDKs read it from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from scalekit.v1.errdetails.errdetails_pb2 import ErrorInfo

from tenantry.domain.errors import (
    ConcurrentModification,
    ErrorKind,
    ProjectionBehind,
    ProjectionFailed,
    TenantryError,
)

CODE_BY_KIND: Final[Mapping[str, Code]] = {
    ErrorKind.INVALID_ARGUMENT: Code.INVALID_ARGUMENT,
    ErrorKind.UNAUTHENTICATED: Code.UNAUTHENTICATED,
    ErrorKind.PERMISSION_DENIED: Code.PERMISSION_DENIED,
    ErrorKind.NOT_FOUND: Code.NOT_FOUND,
    ErrorKind.CONFLICT: Code.ALREADY_EXISTS,
    ErrorKind.FAILED_PRECONDITION: Code.FAILED_PRECONDITION,
}
"""The one translation of error kinds into gRPC status codes..."""

CODE_BY_CODE: Final[Mapping[str, Code]] = {
    # Another write won the race: retrying the whole read-modify-write succeeds.
    ConcurrentModification.code: Code.ABORTED,
    # A list's read-your-writes wait timed out, or a read model stopped: not the caller's fault
    # (the REST API answers 503 for both).
    ProjectionBehind.code: Code.UNAVAILABLE,
    ProjectionFailed.code: Code.UNAVAILABLE,
}
"""...with these exceptions, by error code (checked first)."""

INTERNAL_MESSAGE: Final = "internal error (the server's log has the details)"
INTERNAL_CODE: Final = "internal"


def code_for(error: TenantryError) -> Code:
    return CODE_BY_CODE.get(error.code) or CODE_BY_KIND[error.kind]


def rpc_error(error: TenantryError) -> ConnectError:
    """The gRPC answer to a tenantry refusal, its code in ``ErrorInfo.error_code``."""
    return status_error(code_for(error), error.message, error.code)


def status_error(code: Code, message: str, error_code: str) -> ConnectError:
    return ConnectError(code, message, details=[ErrorInfo(error_code=error_code)])


def internal_error() -> ConnectError:
    """What a fault of the server answers: no detail of it leaves the server."""
    return status_error(Code.INTERNAL, INTERNAL_MESSAGE, INTERNAL_CODE)
