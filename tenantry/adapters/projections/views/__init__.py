"""SQLAlchemy views of the projections: the base a view is written with, and one module per
built-in view (its tables and its queries)."""

from tenantry.adapters.projections.views.audit import AuditView
from tenantry.adapters.projections.views.base import NAMING, Reading, View
from tenantry.adapters.projections.views.memberships import MembershipsView
from tenantry.adapters.projections.views.organizations import OrganizationsView
from tenantry.adapters.projections.views.seats import SeatsView
from tenantry.adapters.projections.views.users import UsersView


def builtin_views() -> list[View]:
    return [OrganizationsView(), SeatsView(), MembershipsView(), AuditView(), UsersView()]


__all__ = [
    "NAMING",
    "AuditView",
    "MembershipsView",
    "OrganizationsView",
    "Reading",
    "SeatsView",
    "UsersView",
    "View",
    "builtin_views",
]
