"""Storage of the projections (SQLAlchemy 2.0 Core, SQLite and PostgreSQL)."""

from tenantry.adapters.projections.store import ProjectionStore
from tenantry.adapters.projections.views import (
    AuditView,
    MembershipsView,
    OrganizationsView,
    Reading,
    SeatsView,
    View,
    builtin_views,
)

__all__ = [
    "AuditView",
    "MembershipsView",
    "OrganizationsView",
    "ProjectionStore",
    "Reading",
    "SeatsView",
    "View",
    "builtin_views",
]
