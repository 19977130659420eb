"""Read models fed by events: pure event→row functions.

Stored by :mod:`tenantry.adapters.projections`.

The four built-in projections: :class:`OrganizationsProjection` (listing and search),
:class:`SeatsProjection` (seat counting), :class:`MembershipsProjection` (memberships per user and
per organization) and :class:`AuditProjection` (audit log). Write a new one by subclassing
:class:`Projection` (fed the events as their models) or :class:`RecordedProjection` (fed them as
the log records them; see "Writing a new projection" in README.md).
"""

from typing import Any

from tenantry.projections.audit import AuditProjection
from tenantry.projections.base import (
    BaseProjection,
    Projection,
    Recorded,
    RecordedProjection,
    Row,
    RowRef,
    Tables,
    Writes,
    fold,
    fold_event,
)
from tenantry.projections.memberships import MembershipsProjection
from tenantry.projections.organizations import OrganizationsProjection
from tenantry.projections.seats import SeatsProjection
from tenantry.projections.users import UsersProjection


def builtin_projections() -> list[BaseProjection[Any]]:
    """Fresh instances of the built-in projections."""
    return [
        OrganizationsProjection(),
        SeatsProjection(),
        MembershipsProjection(),
        AuditProjection(),
        UsersProjection(),
    ]


__all__ = [
    "AuditProjection",
    "BaseProjection",
    "MembershipsProjection",
    "OrganizationsProjection",
    "Projection",
    "Recorded",
    "RecordedProjection",
    "Row",
    "RowRef",
    "SeatsProjection",
    "Tables",
    "UsersProjection",
    "Writes",
    "builtin_projections",
    "fold",
    "fold_event",
]
