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
from tenantry.application.app import Tenantry

Projections = ProjectionStore


def connect_projections(app: Tenantry, database_url: str, **kwargs: object) -> ProjectionStore:
    """The projections of ``app``, stored in the database at ``database_url`` (the same URL the
    application was built with)."""
    return ProjectionStore(app, database_url, **kwargs)  # type: ignore[arg-type]


__all__ = [
    "AuditView",
    "MembershipsView",
    "OrganizationsView",
    "ProjectionStore",
    "Projections",
    "Reading",
    "SeatsView",
    "View",
    "builtin_views",
    "connect_projections",
]
