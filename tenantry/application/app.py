"""The tenantry application: use cases over the Organization, Membership, User and KeyClaim
aggregates. Each command validates its arguments, loads what it needs, and saves every changed
aggregate in one transaction; a command that loses an optimistic-concurrency race is run again
(a bounded number of times) on freshly loaded state, so no update is lost and no limit overrun.

:class:`Tenantry` is composed of one class per capability, each in its own module, over the
command kernel (:mod:`tenantry.application.kernel`).
"""

from __future__ import annotations

from tenantry.application.api_clients import ApiClientAudit
from tenantry.application.connections import Connections
from tenantry.application.dashboard_access import DashboardAccess
from tenantry.application.directories import Directories
from tenantry.application.domains import Domains
from tenantry.application.expiry import InvitationExpiry
from tenantry.application.history import History
from tenantry.application.kernel import DEFAULT_INVITATION_LIFETIME, UNSET, utc_now
from tenantry.application.member_roles import MemberRoles
from tenantry.application.members import Members
from tenantry.application.organization_settings import OrganizationSettings
from tenantry.application.organizations import Organizations
from tenantry.application.portal_links import PortalLinks
from tenantry.application.provisioning import DirectoryProvisioning
from tenantry.application.restore import Restore
from tenantry.application.roles import Roles
from tenantry.application.seat_history import SeatHistory
from tenantry.application.signing_keys import SigningKeyAudit
from tenantry.application.sso_sign_in import SsoSignIns
from tenantry.application.user_history import UserHistory
from tenantry.application.users import Users

__all__ = ["DEFAULT_INVITATION_LIFETIME", "UNSET", "Tenantry", "utc_now"]


class Tenantry(
    Organizations,
    OrganizationSettings,
    MemberRoles,  # extends Members, so listed before it
    Members,
    InvitationExpiry,
    History,
    SeatHistory,
    ApiClientAudit,
    SigningKeyAudit,
    Roles,
    Restore,
    Users,
    UserHistory,
    Connections,
    Domains,
    SsoSignIns,
    DirectoryProvisioning,  # extends Directories, so listed before it
    Directories,
    PortalLinks,
    DashboardAccess,
):
    """Organizations, their settings, seat limits, members and invitations, event-sourced.

    Build it with :func:`tenantry.connect` (one setting: the database URL) rather than directly.
    """

    name = "tenantry"
