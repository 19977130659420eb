"""How an organization, a membership and seat usage are shown: the DTOs built from plain
values.

The application builds them from aggregates (:func:`organization_of`, :func:`membership_of`),
the read side from its projections' rows (:func:`organization`, :func:`membership`); both go
through the same functions (and :func:`seat_usage`), so a DTO reads the same whichever side
answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from tenantry.application import dto
from tenantry.domain import ids
from tenantry.domain.membership import Membership, status_at
from tenantry.domain.organization import Organization
from tenantry.domain.user import User
from tenantry.domain.values import REMOVED, Feature, MembershipStatus


def organization(
    *,
    id: str,
    display_name: str,
    external_id: str | None,
    slug: str | None,
    logo_url: str | None,
    region_code: str,
    metadata: Mapping[str, str],
    features: Mapping[str, bool],
    max_allowed_users: int | None,
    seats_in_use: int,
    create_time: datetime,
    update_time: datetime,
    version: int,
) -> dto.Organization:
    """An organization; ``features`` holds the features set so far (every known feature is
    shown, off unless set on); ``seats_in_use`` is counted at the moment it is shown."""
    return dto.Organization(
        id=id,
        display_name=display_name,
        external_id=external_id,
        slug=slug,
        logo_url=logo_url,
        region_code=region_code,
        metadata=dict(metadata),
        settings=dto.OrganizationSettings(
            features=[
                dto.FeatureSetting(name=f.value, enabled=bool(features.get(f.value, False)))
                for f in Feature
            ]
        ),
        max_allowed_users=max_allowed_users,
        seats_in_use=seats_in_use,
        create_time=create_time,
        update_time=update_time,
        version=version,
    )


def membership(
    *,
    organization_id: str,
    user_id: str,
    email: str,
    status: str | None,
    roles: Iterable[str],
    metadata: Mapping[str, str],
    inviter_email: str | None,
    provisioning_method: str,
    created_at: datetime,
    join_time: datetime | None,
    accepted_at: datetime | None,
    invitation_id: str | None,
    invitation_status: str | None,
    invited_at: datetime | None,
    expires_at: datetime | None,
    resent_at: datetime | None,
    resent_count: int,
    now: datetime,
) -> dto.Membership:
    """A membership as it is at ``now``, from what is recorded of it (``status`` ``None``:
    over, shown as :data:`~tenantry.domain.values.REMOVED`; ids are public ids). A pending
    invitation past its expiry shows as expired even before its expiry is recorded
    (:func:`~tenantry.domain.membership.status_at`)."""
    current = status_at(None if status is None else MembershipStatus(status), expires_at, now)
    invitation = None
    # A member provisioned directly after an invitation (Reprovisioned) has no invitation
    # status any more: that old invitation is not shown.
    if (
        invitation_id is not None
        and invitation_status is not None
        and invited_at is not None
        and expires_at is not None
    ):
        invitation = dto.Invitation(
            id=invitation_id,
            status="expired" if current == MembershipStatus.INVITE_EXPIRED else invitation_status,
            created_at=invited_at,
            expires_at=expires_at,
            resent_at=resent_at,
            resent_count=resent_count,
        )
    return dto.Membership(
        organization_id=organization_id,
        user_id=user_id,
        email=email,
        status=REMOVED if current is None else current.value,
        roles=list(roles),
        metadata=dict(metadata),
        inviter_email=inviter_email,
        provisioning_method=provisioning_method,
        created_at=created_at,
        join_time=join_time,
        accepted_at=accepted_at,
        expires_at=expires_at,
        invitation=invitation,
    )


def seat_usage(
    *,
    organization_id: str,
    max_allowed_users: int | None,
    active_members: int,
    pending_invitations: int,
    at: datetime,
) -> dto.SeatUsage:
    """The seats held at ``at``: active members and the pending invitations that have not
    expired then; none is free beyond the limit (``None``: no limit)."""
    in_use = active_members + pending_invitations
    limit = max_allowed_users
    return dto.SeatUsage(
        organization_id=organization_id,
        max_allowed_users=limit,
        active_members=active_members,
        pending_invitations=pending_invitations,
        seats_in_use=in_use,
        seats_free=max(limit - in_use, 0) if limit else None,
        at=at,
    )


def organization_of(org: Organization, now: datetime) -> dto.Organization:
    """``org`` as it is at ``now`` (its seats in use are counted then)."""
    s = org.state
    return organization(
        id=org.public_id,
        display_name=s.display_name,
        external_id=s.external_id,
        slug=s.slug,
        logo_url=s.logo_url,
        region_code=s.region_code,
        metadata=s.metadata,
        features=s.features,
        max_allowed_users=s.max_allowed_users,
        seats_in_use=org.seats_in_use(now),
        create_time=org.created_on,
        update_time=org.modified_on,
        version=org.version,
    )


def membership_of(m: Membership, now: datetime) -> dto.Membership:
    s = m.state
    invitation = s.invitation_id
    return membership(
        organization_id=ids.encode(ids.ORG, s.organization_id),
        user_id=ids.encode(ids.USER, s.user_id),
        email=s.email,
        status=s.status,
        roles=s.roles,
        metadata=s.metadata,
        inviter_email=s.inviter_email,
        provisioning_method=s.provisioning_method,
        created_at=s.created_at,
        join_time=s.join_time,
        accepted_at=s.accepted_at,
        invitation_id=None if invitation is None else ids.encode(ids.INVITATION, invitation),
        invitation_status=None if s.invitation_status is None else s.invitation_status.value,
        invited_at=s.invited_at,
        expires_at=s.expires_at,
        resent_at=s.resent_at,
        resent_count=s.resent_count,
        now=now,
    )


def user_of(u: User) -> dto.User:
    s = u.state
    return dto.User(
        id=u.public_id,
        email=s.email,
        external_id=s.external_id,
        metadata=s.metadata,
        user_profile=dto.UserProfile(**s.user_profile.model_dump()),
        create_time=s.registered_at or u.created_on,
        update_time=u.modified_on,
        version=u.version,
    )
