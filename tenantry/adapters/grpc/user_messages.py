"""tenantry's users, memberships and invitations as the hosted API's protobuf messages
(``scalekit.v1.users``, ``scalekit.v1.commons``), and the requests' fields as the application's
keyword arguments.

proto3 gives repeated and map fields no presence: an empty ``roles`` or ``metadata`` is "not
given" (the Node SDK sends both empty when its caller leaves them out). A profile's
``first_name``/``last_name`` are the hosted names of ``given_name``/``family_name`` (the Node SDK
sends only those); profile fields tenantry does not keep are refused, naming them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from scalekit.v1.commons import commons_pb2 as commons
from scalekit.v1.users import users_pb2 as pb

from tenantry.application import dto
from tenantry.domain.errors import InvalidField

_STATUSES: Final = frozenset(commons.MembershipStatus.keys())
_KEPT: Final = ("given_name", "family_name", "name", "locale", "phone_number", "picture")
_ALIASES: Final = {"first_name": "given_name", "last_name": "family_name"}
_NOT_KEPT: Final = ("metadata", "custom_attributes", "preferred_username", "gender", "groups")


def _time(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def role(r: dto.RoleRef | dto.Role) -> commons.Role:
    return commons.Role(id=r.id, name=r.name, display_name=r.display_name)


def membership(m: dto.Membership, organization_name: str) -> commons.OrganizationMembership:
    """``m`` as the hosted API shows it (a revoked invitation's ``REMOVED`` has no status there:
    it reads ``Membership_Status_UNSPECIFIED``)."""
    roles = [role(r) for r in m.role_details] or [
        commons.Role(name=r, display_name=r) for r in m.roles
    ]
    message = commons.OrganizationMembership(
        organization_id=m.organization_id,
        membership_status=m.status if m.status in _STATUSES else None,
        roles=roles,
        name=organization_name,
        display_name=organization_name,
        metadata=m.metadata,
        provisioning_method=m.provisioning_method,
        permissions=m.permissions,
        created_at=_time(m.created_at),
    )
    if m.inviter_email is not None:
        message.inviter_email = m.inviter_email
    for name in ("join_time", "accepted_at", "expires_at"):
        value = getattr(m, name)
        if value is not None:
            getattr(message, name).CopyFrom(_time(value))
    return message


def user(u: dto.User, memberships: Iterable[commons.OrganizationMembership]) -> pb.User:
    profile = u.user_profile
    message = pb.User(
        id=u.id,
        email=u.email,
        metadata=u.metadata,
        memberships=list(memberships),
        create_time=_time(u.create_time),
        update_time=_time(u.update_time),
        user_profile=commons.UserProfile(
            id=u.id,
            first_name=profile.given_name or "",
            last_name=profile.family_name or "",
        ),
    )
    for name in _KEPT:
        setattr(message.user_profile, name, getattr(profile, name) or "")
    if u.external_id is not None:
        message.external_id = u.external_id
    return message


def invite(i: dto.Invite) -> pb.Invite:
    message = pb.Invite(
        organization_id=i.organization_id,
        user_id=i.user_id,
        status=i.status,
        created_at=_time(i.created_at),
        expires_at=_time(i.expires_at),
        resent_count=i.resent_count,
    )
    if i.inviter_email is not None:
        message.inviter_email = i.inviter_email
    if i.resent_at is not None:
        message.resent_at.CopyFrom(_time(i.resent_at))
    return message


def user_identity(request: Message) -> tuple[str, str]:
    """``("id", …)`` or ``("external_id", …)``: which of the ``identities`` oneof is set."""
    which = request.WhichOneof("identities")
    if which is None:
        raise InvalidField("id", "give the user's id or external_id")
    value: str = getattr(request, which)
    if not value:
        raise InvalidField(which, "must not be empty")
    return which, value


def role_names(roles: Iterable[commons.Role], field: str) -> list[str] | None:
    """The names of ``roles`` (``None``: none given)."""
    names = []
    for r in roles:
        if not r.name:
            raise InvalidField(field, "give each role's name (roles are named, not by id)")
        names.append(r.name)
    return names or None


def membership_terms(message: pb.CreateMembership) -> dict[str, Any]:
    """The keywords of ``invite_member``/``add_member`` a ``CreateMembership`` gives."""
    terms: dict[str, Any] = {}
    roles = role_names(message.roles, "membership.roles")
    if roles is not None:
        terms["roles"] = roles
    if message.metadata:
        terms["metadata"] = dict(message.metadata)
    if message.HasField("inviter_email"):
        terms["inviter_email"] = message.inviter_email
    return terms


def new_profile(message: pb.CreateUserProfile) -> dict[str, str | None]:
    """The profile fields a ``CreateUserProfile`` sets (an empty string: not given)."""
    return _profile(message, given=lambda name: bool(getattr(message, name)))


def profile_changes(message: pb.UpdateUserProfile) -> dict[str, str | None]:
    """The profile fields an ``UpdateUserProfile`` sets (an empty string clears one)."""
    return _profile(message, given=message.HasField)


def _profile(message: Message, given: Any) -> dict[str, str | None]:
    for name in _NOT_KEPT:
        if getattr(message, name):
            raise InvalidField(
                f"user_profile.{name}",
                "tenantry does not keep it; a profile has " + ", ".join(_KEPT),
            )
    out: dict[str, str | None] = {n: getattr(message, n) for n in _KEPT if given(n)}
    for alias, name in _ALIASES.items():
        if not given(alias):
            continue
        value = getattr(message, alias)
        if name in out and out[name] != value:
            raise InvalidField(f"user_profile.{alias}", f"must match {name} when both are given")
        out[name] = value
    return out
