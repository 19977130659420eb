"""Errors of provisioning through a SCIM directory (re-exported by :mod:`tenantry.errors`): a SCIM
user or group that does not exist, a value another resource of the directory holds, a stale
``If-Match`` version, an attribute a client may not change. The seat limit's refusal is the
organization's own :class:`~tenantry.domain.errors.SeatLimitReached`."""

from __future__ import annotations

from tenantry.domain.errors import Conflict, FailedPrecondition, InvalidField, NotFound

__all__ = [
    "ScimMutability",
    "ScimResourceNotFound",
    "ScimUniquenessConflict",
    "ScimVersionMismatch",
]


class ScimResourceNotFound(NotFound):
    """Raised when a directory has no SCIM user or group by that id (or it was deleted)."""

    code = "scim_resource_not_found"

    def __init__(self, resource_type: str, resource_id: str) -> None:
        super().__init__(f"{resource_type} {resource_id!r} not found")
        self.resource_type = resource_type
        self.resource_id = resource_id


class ScimUniquenessConflict(Conflict):
    """Raised when another SCIM user of the directory (or another directory's) already holds
    ``value`` of ``attribute`` (``userName``, or the e-mail that names the person)."""

    code = "scim_uniqueness"

    def __init__(self, attribute: str, value: str) -> None:
        super().__init__(f"{attribute} {value!r} is already taken")
        self.attribute = attribute
        self.value = value


class ScimVersionMismatch(FailedPrecondition):
    """Raised when a change names a version (``If-Match``) that is not the resource's own."""

    code = "scim_version_mismatch"

    def __init__(self, resource_id: str, expected: int, actual: int) -> None:
        super().__init__(f"{resource_id!r} is at version {actual}, not {expected}: read it again")
        self.resource_id = resource_id
        self.expected = expected
        self.actual = actual


class ScimMutability(InvalidField):
    """Raised when a client sets an attribute it may not set or change (``id``, ``meta``)."""

    code = "scim_mutability"

    def __init__(self, attribute: str) -> None:
        super().__init__(attribute, "may not be set or changed by the client")
        self.attribute = attribute
