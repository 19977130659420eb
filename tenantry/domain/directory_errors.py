"""Errors of SCIM directories and their bearer tokens (re-exported by :mod:`tenantry.errors`).

Each is one of the kinds of :mod:`tenantry.domain.errors`, so every adapter maps it through the
same table (HTTP status, CLI exit code). None carries a token, nor says why a token was refused.
"""

from __future__ import annotations

from tenantry.domain.errors import FailedPrecondition, NotFound, Unauthenticated

__all__ = [
    "DirectoryNotActive",
    "DirectoryNotFound",
    "DirectorySecretNotFound",
    "DirectoryTokenInvalid",
]


class DirectoryNotFound(NotFound):
    """Raised when an organization has no (live) directory with the given id."""

    code = "directory_not_found"

    def __init__(self, directory_id: str) -> None:
        super().__init__(f"no directory {directory_id!r} in this organization")
        self.directory_id = directory_id


class DirectorySecretNotFound(NotFound):
    """Raised when a directory has no bearer token with the given id."""

    code = "directory_secret_not_found"

    def __init__(self, directory_id: str, secret_id: str) -> None:
        super().__init__(f"directory {directory_id!r} has no secret {secret_id!r}")
        self.directory_id = directory_id
        self.secret_id = secret_id


class DirectoryNotActive(FailedPrecondition):
    """Raised when a directory provisions nothing now: it is disabled, or its organization has
    the ``dir_sync`` feature off."""

    code = "directory_not_active"

    def __init__(self, directory_id: str) -> None:
        super().__init__(
            f"directory {directory_id!r} is not active: it must be enabled, and its "
            "organization's dir_sync feature on"
        )
        self.directory_id = directory_id


class DirectoryTokenInvalid(Unauthenticated):
    """Raised when a bearer token does not authenticate the directory (unknown, revoked or
    expired token, or no such directory); it never says which."""

    code = "directory_token_invalid"

    def __init__(self) -> None:
        super().__init__("the bearer token is not valid for this directory")
