"""Members and invitations: admit a user (invite or add), read, change and remove a membership,
resend an invitation."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Body, Query, Response

from tenantry.adapters.field_names import fields_as_sent
from tenantry.adapters.http import schemas, user_schemas
from tenantry.adapters.http.routing import (
    Acting,
    App,
    By,
    OrgId,
    Routes,
    UserRef,
    json_response,
    unchanged_ok,
    written,
)
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField

routes = Routes("members")

SendInvitation = Annotated[
    bool,
    Query(
        description="true: a pending invitation that holds a seat until it expires; "
        "false: an active member at once (direct provisioning)."
    ),
]
_MEMBERSHIP = "/api/v1/memberships/organizations/{organization_id}/users/{user_id}"
_NESTED: Final = {"roles": "membership.roles", "inviter_email": "membership.inviter_email"}
"""Where a create-user body carries the membership's fields (the application names its metadata
``membership.metadata`` already)."""
_FLAT: Final = {"membership.metadata": "metadata"}
"""A membership body carries the membership's fields at its top level."""


def _user_response(t: Tenantry, membership: dto.Membership) -> schemas.UserResponse:
    name = t.get_organization(membership.organization_id).display_name
    hosted = schemas.Membership.of(membership, name)
    user = schemas.User(id=membership.user_id, email=membership.email, memberships=[hosted])
    return schemas.UserResponse(user=user)


def _admit(
    t: Tenantry,
    organization_id: str,
    email: str,
    fields: schemas.MembershipFields | None,
    invite: bool,
    by: Acting,
) -> dto.Membership:
    """A pending invitation (``invite``) or an active member at once."""
    f = fields or schemas.MembershipFields()
    if invite:
        return t.invite_member(
            organization_id,
            email,
            roles=f.roles,
            metadata=f.metadata,
            inviter_email=f.inviter_email,
            **by.kwargs(),
        )
    if f.inviter_email is not None:
        raise InvalidField("inviter_email", "only applies to invitations")
    return t.add_member(organization_id, email, roles=f.roles, metadata=f.metadata, **by.kwargs())


@routes.post(
    "/api/v1/organizations/{organization_id}/users",
    status_code=201,
    summary="Create a user and their membership (invite)",
    description="The hosted CreateUser body: the user's `external_id`, `metadata` and "
    "`user_profile` are recorded in the same save as the admission (a user who exists keeps "
    "the fields not given).",
    response_model=user_schemas.UserResponse,
)
def create_user(
    t: App,
    by: By,
    organization_id: OrgId,
    body: user_schemas.CreateUser,
    send_invitation_email: SendInvitation = True,
) -> Response:
    with fields_as_sent(_NESTED):
        made = t.create_user_and_membership(
            organization_id,
            body.email,
            external_id=body.external_id,
            metadata=body.metadata,
            user_profile=None if body.user_profile is None else body.user_profile.given(),
            membership=None if body.membership is None else body.membership.terms(),
            send_invitation=send_invitation_email,
            **by.kwargs(),
        )
    name = t.get_organization(organization_id).display_name
    hosted = user_schemas.User.of(made.user, [schemas.Membership.of(made.membership, name)])
    return written(t, user_schemas.UserResponse(user=hosted), 201)


@routes.post(
    _MEMBERSHIP,
    status_code=201,
    summary="Add an existing user to an organization",
    response_model=schemas.UserResponse,
)
def create_membership(
    t: App,
    by: By,
    organization_id: OrgId,
    user_id: UserRef,
    body: Annotated[schemas.MembershipFields | None, Body()] = None,
    send_invitation_email: SendInvitation = True,
) -> Response:
    email = t.get_user(user_id).email
    with fields_as_sent(_FLAT):
        membership = _admit(t, organization_id, email, body, send_invitation_email, by)
    return written(t, _user_response(t, membership), 201)


@routes.get(
    _MEMBERSHIP,
    summary="Get a membership (tenantry extension)",
    response_model=schemas.UserResponse,
)
def get_membership(t: App, organization_id: OrgId, user_id: UserRef) -> Response:
    return json_response(_user_response(t, t.get_membership(organization_id, user_id)))


@routes.patch(
    _MEMBERSHIP,
    summary="Update a membership: roles, metadata, status",
    description='Accept an invitation with `{"membership_status": "ACTIVE"}` (or the older '
    "`status`) on a pending membership: "
    "the member becomes active and keeps the seat the invitation held (an expired or revoked "
    "invitation is refused). The same status reactivates an inactive member (which needs a free "
    "seat); `INACTIVE` suspends an active one. `roles` and `metadata` change together in one "
    "save, before the status; if the status change is refused, they stand.",
    response_model=schemas.UserResponse,
)
def update_membership(
    t: App, by: By, organization_id: OrgId, user_id: UserRef, body: schemas.UpdateMembership
) -> Response:
    def current() -> dto.Membership:
        return t.get_membership(organization_id, user_id)

    fields: dict[str, Any] = {
        name: value
        for name, value in (("roles", body.roles), ("metadata", body.metadata))
        if value is not None
    }
    if fields:  # both fields in one save: all or nothing
        with fields_as_sent(_FLAT):
            unchanged_ok(
                lambda: t.update_membership(organization_id, user_id, **fields, **by.kwargs()),
                current,
            )
    status = _status(body)
    if status is not None:
        t.set_membership_status(organization_id, user_id, status, **by.kwargs())
    return written(t, _user_response(t, current()))


def _status(body: schemas.UpdateMembership) -> str | None:
    """``membership_status``, or the older ``status`` (one of them, or both alike)."""
    given = {s for s in (body.membership_status, body.status) if s is not None}
    if len(given) > 1:
        raise InvalidField("membership_status", "must match status when both are given")
    return given.pop() if given else None


@routes.delete(
    _MEMBERSHIP,
    response_model=schemas.Empty,
    summary="Remove a member (or withdraw a pending invitation)",
)
def delete_membership(t: App, by: By, organization_id: OrgId, user_id: UserRef) -> Response:
    t.remove_member(organization_id, user_id, **by.kwargs())
    return written(t, schemas.Empty())


@routes.patch(
    "/api/v1/invites/organizations/{organization_id}/users/{user_id}/resend",
    summary="Resend an invitation",
    description="A pending invitation is extended; an expired one is replaced by a new "
    "invitation, which needs a free seat.",
    response_model=schemas.InviteResponse,
)
def resend_invitation(t: App, by: By, organization_id: OrgId, user_id: UserRef) -> Response:
    invite = t.resend_invite(organization_id, user_id, **by.kwargs())
    return written(t, schemas.InviteResponse(invite=schemas.Invite(**invite.model_dump())))
