"""Users: read one (by id or external id), list and search them (environment-wide or among an
organization's members), change and delete one, read their history; memberships named by the
user's external id. A user is answered with their memberships, read from the projections (read
your writes), each only if the caller may see its organization."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

from fastapi import Body, Path, Response

from tenantry.adapters.auth.scopes import Grant
from tenantry.adapters.http import schemas, user_schemas
from tenantry.adapters.http.access import Access
from tenantry.adapters.http.routes import members
from tenantry.adapters.http.routes.lists import (
    ExternalIdFilter,
    MemberPageSize,
    PageToken,
    SearchPageSize,
    SearchQuery,
    Views,
)
from tenantry.adapters.http.routing import (
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
from tenantry.domain.values import EXTERNAL_ID_MAX
from tenantry.projections.user_pages import UserPage

routes = Routes("users")

_USER = "/api/v1/users/{user_id}"
_BY_EXTERNAL_ID = "/api/v1/memberships/organizations/{organization_id}/users:external/{external_id}"
ExternalId = Annotated[str, Path(description="The user's external id.", max_length=EXTERNAL_ID_MAX)]


def _hosted(t: Tenantry, views: Views, access: Grant, user: dto.User) -> user_schemas.User:
    """``user`` with the memberships the caller may see, in the hosted shape."""
    return _hosted_all(t, views, access, [user])[0]


def _hosted_all(
    t: Tenantry, views: Views, access: Grant, users: list[dto.User]
) -> list[user_schemas.User]:
    """``users`` as :func:`_hosted` shows each, reading the log's head once, each organization's
    name and roles once for the whole list."""
    read = views.read_your_writes()
    seen = [
        [
            m
            for m in views.store.list_user_memberships(u.id, **read)
            if access.sees(m.organization_id)
        ]
        for u in users
    ]
    detailed = iter(t.with_role_details([m for ms in seen for m in ms]))
    names: dict[str, str] = {}

    def name(organization_id: str) -> str:
        if organization_id not in names:
            names[organization_id] = t.get_organization(organization_id).display_name
        return names[organization_id]

    return [
        user_schemas.User.of(
            user,
            [schemas.Membership.of(m, name(m.organization_id)) for m in islice(detailed, len(ms))],
        )
        for user, ms in zip(users, seen, strict=True)
    ]


def _page(t: Tenantry, views: Views, access: Grant, page: UserPage) -> user_schemas.UserPage:
    return user_schemas.UserPage(
        users=_hosted_all(t, views, access, list(page.users)),
        next_page_token=page.next_page_token,
        prev_page_token=page.prev_page_token,
        total_size=page.total_size,
    )


@routes.get("/api/v1/users", summary="List users", response_model=user_schemas.UserPage)
def list_users(
    t: App,
    views: Views,
    access: Access,
    page_size: MemberPageSize = None,
    page_token: PageToken = None,
    external_id: ExternalIdFilter = None,
) -> Response:
    page = views.store.list_users(
        page_size=page_size,
        page_token=page_token,
        external_id=external_id,
        **views.read_your_writes(),
    )
    return json_response(_page(t, views, access, page))


@routes.get(
    "/api/v1/users:search",
    summary="Search users",
    description="Case-insensitive over e-mail, id and external id.",
    response_model=user_schemas.UserPage,
)
def search_users(
    t: App,
    views: Views,
    access: Access,
    query: SearchQuery,
    page_size: SearchPageSize = None,
    page_token: PageToken = None,
) -> Response:
    page = views.store.search_users(
        query, page_size=page_size, page_token=page_token, **views.read_your_writes()
    )
    return json_response(_page(t, views, access, page))


@routes.get(
    "/api/v1/organizations/{organization_id}/users:search",
    tags=["members"],
    summary="Search an organization's members",
    description="Case-insensitive over e-mail, id and external id.",
    response_model=user_schemas.UserPage,
)
def search_members(
    t: App,
    views: Views,
    access: Access,
    organization_id: OrgId,
    query: SearchQuery,
    page_size: SearchPageSize = None,
    page_token: PageToken = None,
) -> Response:
    page = views.store.search_users(
        query,
        organization_id=organization_id,
        page_size=page_size,
        page_token=page_token,
        **views.read_your_writes(),
    )
    return json_response(_page(t, views, access, page))


@routes.get(
    "/api/v1/users:external/{external_id}",
    summary="Get a user by external id",
    response_model=user_schemas.UserResponse,
)
def get_user_by_external_id(
    t: App, views: Views, access: Access, external_id: ExternalId
) -> Response:
    user = t.get_user_by_external_id(external_id)
    return json_response(user_schemas.UserResponse(user=_hosted(t, views, access, user)))


@routes.get(_USER, summary="Get a user", response_model=user_schemas.UserResponse)
def get_user(t: App, views: Views, access: Access, user_id: UserRef) -> Response:
    user = t.get_user(user_id)
    return json_response(user_schemas.UserResponse(user=_hosted(t, views, access, user)))


@routes.patch(
    _USER,
    summary="Update a user: external id, metadata, profile",
    response_model=user_schemas.UserResponse,
)
def update_user(
    t: App, by: By, views: Views, access: Access, user_id: UserRef, body: user_schemas.UpdateUser
) -> Response:
    fields: dict[str, Any] = {k: getattr(body, k) for k in body.model_fields_set}
    if body.user_profile is not None:
        fields["user_profile"] = body.user_profile.given()
    user = unchanged_ok(
        lambda: t.update_user(user_id, **fields, **by.kwargs()), lambda: t.get_user(user_id)
    )
    return written(t, user_schemas.UserResponse(user=_hosted(t, views, access, user)))


@routes.delete(
    _USER,
    summary="Delete a user",
    description="Removes every membership of the user (seats freed), then the user; its "
    "external id is free again. Audited with the caller as the actor.",
    response_model=schemas.Empty,
)
def delete_user(t: App, by: By, user_id: UserRef) -> Response:
    t.delete_user(user_id, **by.kwargs())
    return written(t, schemas.Empty())


@routes.get(
    f"{_USER}/history",
    summary="A user's history (tenantry extension)",
    description="Every event of the user and of their memberships, oldest first; ids are "
    "public ids.",
    response_model=user_schemas.UserHistory,
)
def user_history(t: App, access: Access, user_id: UserRef) -> Response:
    entries = [
        h
        for h in t.list_user_history(user_id)
        if h.organization_id is None or access.sees(h.organization_id)
    ]
    return json_response(user_schemas.UserHistory(entries=entries))


def _user_id(t: Tenantry, external_id: str) -> str:
    return t.get_user_by_external_id(external_id).id


@routes.post(
    _BY_EXTERNAL_ID,
    status_code=201,
    tags=["members"],
    summary="Add a user, by external id, to an organization",
    response_model=schemas.UserResponse,
)
def create_membership_by_external_id(
    t: App,
    by: By,
    organization_id: OrgId,
    external_id: ExternalId,
    body: Annotated[schemas.MembershipFields | None, Body()] = None,
    send_invitation_email: members.SendInvitation = True,
) -> Response:
    user_id = _user_id(t, external_id)
    return members.create_membership(t, by, organization_id, user_id, body, send_invitation_email)


@routes.patch(
    _BY_EXTERNAL_ID,
    tags=["members"],
    summary="Update a membership of a user named by external id",
    response_model=schemas.UserResponse,
)
def update_membership_by_external_id(
    t: App,
    by: By,
    organization_id: OrgId,
    external_id: ExternalId,
    body: schemas.UpdateMembership,
) -> Response:
    user_id = _user_id(t, external_id)
    return members.update_membership(t, by, organization_id, user_id, body)


@routes.delete(
    _BY_EXTERNAL_ID,
    tags=["members"],
    summary="Remove a member named by external id",
    response_model=schemas.Empty,
)
def delete_membership_by_external_id(
    t: App, by: By, organization_id: OrgId, external_id: ExternalId
) -> Response:
    user_id = _user_id(t, external_id)
    return members.delete_membership(t, by, organization_id, user_id)
