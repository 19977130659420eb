"""What queries return: typed, frozen, JSON-ready models with the hosted API's field names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from tenantry.domain.errors import InvalidField
from tenantry.domain.values import SessionPolicy

__all__ = [
    "ExpirySweep",
    "FeatureSetting",
    "FieldChange",
    "HistoryEntry",
    "Invitation",
    "Membership",
    "Organization",
    "OrganizationDiff",
    "OrganizationSettings",
    "Role",
    "RoleDeletion",
    "RoleRef",
    "SeatUsage",
    "SessionPolicyView",
    "SignInMethods",
    "SignUp",
    "User",
    "UserAndMembership",
    "UserDeletion",
    "UserHistoryEntry",
    "UserManagementSettings",
    "UserProfile",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeatureSetting(_Frozen):
    name: str
    enabled: bool


class OrganizationSettings(_Frozen):
    features: list[FeatureSetting]


class Organization(_Frozen):
    """An organization as it is at the moment it is read. ``max_allowed_users`` is its seat
    limit (as in :class:`UserManagementSettings`); ``seats_in_use``, the seats held at that
    moment: active members and pending invitations that have not expired."""

    id: str
    display_name: str
    external_id: str | None
    slug: str | None
    logo_url: str | None
    region_code: str
    metadata: dict[str, str]
    settings: OrganizationSettings
    max_allowed_users: int | None
    seats_in_use: int
    create_time: datetime
    update_time: datetime
    version: int


class UserManagementSettings(_Frozen):
    """``max_allowed_users``: ``None`` — feature off; ``0`` — no limit; ``n`` — at most n seats."""

    max_allowed_users: int | None


class SeatUsage(_Frozen):
    organization_id: str
    max_allowed_users: int | None
    active_members: int
    pending_invitations: int
    seats_in_use: int
    seats_free: int | None  # None when there is no limit
    at: datetime


class SessionPolicyView(SessionPolicy):
    """The organization's own session policy, and the ``effective`` one: the stricter of the
    application's and the organization's, field by field (see :mod:`tenantry.domain.policies`)."""

    organization_id: str
    effective: SessionPolicy


class SignInMethods(_Frozen):
    """The methods the organization allows (``None``: it inherits the application's) and the
    ``effective_sign_in_methods``: those both the application and the organization allow."""

    organization_id: str
    allowed_sign_in_methods: list[str] | None  # None: the application's default
    effective_sign_in_methods: list[str]


class Invitation(_Frozen):
    id: str
    status: str
    created_at: datetime
    expires_at: datetime
    resent_at: datetime | None
    resent_count: int


class RoleRef(_Frozen):
    """A role a member holds: its definition's ``role_`` id, name and display name."""

    id: str
    name: str
    display_name: str


class Membership(_Frozen):
    """A membership as it is at the moment it is read. ``status``: ``ACTIVE``, ``INACTIVE``,
    ``PENDING_INVITE``, ``INVITE_EXPIRED``, or ``REMOVED`` for one whose invitation was revoked
    (its ``invitation.status`` is then ``revoked``)."""

    organization_id: str
    user_id: str
    email: str
    status: str
    roles: list[str]
    metadata: dict[str, str]
    inviter_email: str | None
    provisioning_method: str
    created_at: datetime
    join_time: datetime | None
    accepted_at: datetime | None
    expires_at: datetime | None
    invitation: Invitation | None
    role_details: list[RoleRef] = []
    """The roles held, each with its definition's id and display name (a deleted role reads as
    the role its holders were moved to); empty where only names are known (the read models)."""
    permissions: list[str] = []
    """The effective permissions: the closure of the roles' permissions over ``extends``."""


class SignUp(_Frozen):
    organization: Organization
    membership: Membership


class ExpirySweep(_Frozen):
    organizations_checked: int
    invitations_expired: int


class FieldChange(_Frozen):
    field: str
    before: Any
    after: Any


class HistoryEntry(_Frozen):
    """One recorded event of an organization, with who did it and what it changed."""

    version: int
    event: str
    timestamp: datetime
    actor: str
    reason: str | None
    data: dict[str, Any]
    changes: list[FieldChange]
    on_behalf_of: str | None = None
    """The end user the actor acted for, if it said so."""


class OrganizationSnapshot(_Frozen):
    """An organization as it was at a moment of its history, with its members and seats then
    (its members as :meth:`list_members` shows them: removed ones left out)."""

    organization: Organization
    members: list[Membership]
    seat_usage: SeatUsage


class OrganizationDiff(_Frozen):
    """What changed in an organization between two versions of its history."""

    organization_id: str
    from_version: int
    to_version: int
    changes: list[FieldChange]


class Role(_Frozen):
    """A role definition: ``permissions`` are its own, ``effective_permissions`` add those of
    every role it extends (transitively); ``organization_id`` is ``None`` for an environment
    role."""

    id: str
    name: str
    display_name: str
    description: str
    extends: str | None
    permissions: list[str]
    effective_permissions: list[str]
    organization_id: str | None
    is_default: bool


class RoleDeletion(_Frozen):
    """A deleted role and how many memberships were moved to ``reassigned_to``."""

    name: str
    reassigned_to: str
    memberships_reassigned: int


class PurgeSweep(_Frozen):
    organizations_checked: int
    organizations_purged: int


class UserProfile(_Frozen):
    """A user's profile, with the hosted API's field names."""

    given_name: str | None
    family_name: str | None
    name: str | None
    locale: str | None
    phone_number: str | None
    picture: str | None


class User(_Frozen):
    """A user as it is now (its memberships are read beside it: ``list_user_memberships``)."""

    id: str
    email: str
    external_id: str | None
    metadata: dict[str, str]
    user_profile: UserProfile
    create_time: datetime
    update_time: datetime
    version: int


class UserDeletion(_Frozen):
    """What deleting a user did: the user, and the organizations whose membership it removed
    (deleted organizations that may still be restored among them)."""

    user_id: str
    removed_from: list[str]


class UserAndMembership(_Frozen):
    """What ``create_user_and_membership`` made: the user and their new membership."""

    user: User
    membership: Membership


class UserHistoryEntry(_Frozen):
    """One recorded event of a user (``aggregate`` ``User``) or of one of their memberships
    (``Membership``, with its ``organization_id``)."""

    aggregate: str
    organization_id: str | None
    version: int
    event: str
    timestamp: datetime
    actor: str
    reason: str | None
    on_behalf_of: str | None
    data: dict[str, Any]


class Invite(_Frozen):
    """An invitation as the hosted API answers a resend (``resend_invite``)."""

    organization_id: str
    user_id: str
    inviter_email: str | None
    status: str  # pending, accepted, expired or revoked
    created_at: datetime
    expires_at: datetime
    resent_at: datetime | None
    resent_count: int

    @classmethod
    def of(cls, membership: Membership) -> Invite:
        """The invitation of ``membership`` (one that has none: :class:`InvalidField`)."""
        invitation = membership.invitation
        if invitation is None:
            raise InvalidField("user", f"{membership.email!r} has no invitation")
        return cls(
            organization_id=membership.organization_id,
            user_id=membership.user_id,
            inviter_email=membership.inviter_email,
            status=invitation.status,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            resent_at=invitation.resent_at,
            resent_count=invitation.resent_count,
        )


class DeletedOrganization(_Frozen):
    """A deleted organization that can still be restored, as it was deleted (its external id
    and slug are those it had; they come back only if still free)."""

    organization: Organization
    deleted_at: datetime
    restore_deadline: datetime
