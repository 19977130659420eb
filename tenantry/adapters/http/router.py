"""The REST routes, as an ``APIRouter`` to mount in any FastAPI application.

    from fastapi import FastAPI
    from tenantry import connect
    from tenantry.adapters.http import create_router

    app = FastAPI()
    app.include_router(create_router(connect("sqlite:///tenantry.db"), auth=my_auth_dependency))

Every route maps tenantry's errors to JSON on its own (no exception handler needs installing in
the host application), limits body size, and honours ``Idempotency-Key``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, TypeVar

from eventsourcing import persistence as es_persistence
from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.concurrency import run_in_threadpool

from tenantry.adapters.http import schemas
from tenantry.adapters.http.errors import (
    ERROR_RESPONSES,
    HttpError,
    PayloadTooLarge,
    Unavailable,
    error_response,
    validation_response,
)
from tenantry.adapters.http.idempotency import (
    HEADER,
    IdempotencyStore,
    Reservation,
    StoredResponse,
    check_key,
    fingerprint,
)
from tenantry.adapters.projections import ProjectionStore
from tenantry.application import dto
from tenantry.application.app import UNSET, Tenantry
from tenantry.domain.errors import InvalidField, NothingChanged, TenantryError
from tenantry.projections import dto as pdto

T = TypeVar("T")
_UNAVAILABLE: Final = (
    es_persistence.OperationalError,
    es_persistence.InterfaceError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)
"""Database failures a retry may get past (connection refused, too many clients, pool timeout)."""
DEFAULT_MAX_BODY_BYTES: Final = 64 * 1024
POSITION_HEADER: Final = "X-Tenantry-Position"
"""Set on every successful write: the log position of its last event (for read-your-writes)."""

_WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


OrgId = Annotated[str, Path(description="An org_ id.", max_length=64)]
UserRef = Annotated[str, Path(description="A usr_ id (or the user's e-mail).", max_length=254)]
PageSize = Annotated[int | None, Query(description="Items per page.")]
PageToken = Annotated[str | None, Query(max_length=2000, description="From the last page.")]
MemberStatus = Literal["ACTIVE", "INACTIVE", "PENDING_INVITE", "INVITE_EXPIRED"]
SendInvitation = Annotated[
    bool,
    Query(
        description="true: a pending invitation that holds a seat until it expires; "
        "false: an active member at once (direct provisioning)."
    ),
]


class _Replay(Exception):
    def __init__(self, stored: StoredResponse) -> None:
        self.stored = stored


@dataclass(frozen=True)
class _Settings:
    store: IdempotencyStore
    max_body_bytes: int


async def _read_body(request: Request, limit: int) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"the request body must be at most {limit} bytes", limit=limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body must be at most {limit} bytes", limit=limit)
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what FastAPI reads the body from


def _route_class(settings: _Settings) -> type[APIRoute]:
    class TenantryRoute(APIRoute):
        """Maps errors to JSON, limits body size, replays idempotent requests."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def route(request: Request) -> Response:
                try:
                    if request.method in _BODY_METHODS:
                        await _read_body(request, settings.max_body_bytes)
                    response = await handler(request)
                except _Replay as replay:
                    s = replay.stored
                    return Response(
                        s.body,
                        status_code=s.status_code,
                        media_type=s.media_type,
                        headers={"Idempotent-Replayed": "true"},
                    )
                except RequestValidationError as e:
                    response = validation_response(e)
                except (TenantryError, HttpError) as e:
                    response = error_response(e)
                except _UNAVAILABLE as e:
                    await _release(request, settings.store)
                    return error_response(Unavailable(f"the database is unavailable: {e}"))
                except BaseException:
                    await _release(request, settings.store)
                    raise
                reservation: Reservation | None = getattr(request.state, "idempotency", None)
                if reservation is not None:
                    if response.status_code < 500:
                        stored = StoredResponse(
                            response.status_code, response.media_type, bytes(response.body)
                        )
                        await run_in_threadpool(settings.store.complete, reservation, stored)
                    else:
                        await _release(request, settings.store)
                return response

            return route

    return TenantryRoute


async def _release(request: Request, store: IdempotencyStore) -> None:
    reservation: Reservation | None = getattr(request.state, "idempotency", None)
    if reservation is not None:
        await run_in_threadpool(store.release, reservation)


def _json(
    body: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``body`` as JSON, serialized once by pydantic. The routes declare ``response_model`` for
    OpenAPI but return this, which FastAPI sends as is; returning the model would have it
    validated again (in another thread hop for sync routes) and then encoded."""
    return Response(
        body.__pydantic_serializer__.to_json(body),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def _unchanged_ok(write: Callable[[], T], read: Callable[[], T]) -> T:
    """PATCH is idempotent: asking for what already is returns it (and records nothing)."""
    try:
        return write()
    except NothingChanged:
        return read()


def create_router(
    tenantry: Tenantry,
    *,
    auth: Callable[..., Any] | None,
    idempotency: IdempotencyStore | None = None,
    principal_scope: Callable[[Any], str] = str,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    projections: ProjectionStore | None = None,
    read_timeout: float = 5.0,
) -> APIRouter:
    """The REST API over ``tenantry``.

    ``auth`` is a FastAPI dependency that authenticates the caller (raise to refuse) and returns
    the principal; ``None`` leaves the routes open (only behind your own gateway).
    ``principal_scope`` turns the principal into the scope of its idempotency keys.
    ``idempotency`` stores ``Idempotency-Key`` responses (default: in this process's memory;
    pass ``IdempotencyStore(engine_for(database_url))`` when several workers serve the API).
    ``projections`` (the application's :class:`ProjectionStore`) adds the list and search routes;
    they wait until the projection includes every write committed before the request, at most
    ``read_timeout`` seconds (then ``503 projection_behind`` with ``Retry-After``).
    """
    store = idempotency or IdempotencyStore.in_memory()
    settings = _Settings(store=store, max_body_bytes=max_body_bytes)

    async def anonymous() -> str:
        return "anonymous"

    authenticate = auth or anonymous

    # Depends() as a default, not in Annotated: the annotation is a string here (PEP 563)
    # and FastAPI cannot resolve a name local to this function from it.
    async def guard(request: Request, principal: Any = Depends(authenticate)) -> None:  # noqa: B008
        if request.method not in _WRITE_METHODS:
            return
        key = request.headers.get(HEADER)
        if key is None:
            return
        check_key(key)
        body = await request.body()
        print_ = fingerprint(request.method, request.url.path, request.url.query, body)
        scope = principal_scope(principal)

        def begin() -> Reservation | StoredResponse:
            return store.begin(scope, key, print_, tenantry.recorder.max_notification_id() or 0)

        outcome = await run_in_threadpool(begin)
        if isinstance(outcome, StoredResponse):
            raise _Replay(outcome)
        request.state.idempotency = outcome

    router = APIRouter(
        route_class=_route_class(settings),
        dependencies=[Depends(guard)],
        responses=ERROR_RESPONSES,
    )
    t = tenantry

    def written(body: BaseModel | None, status_code: int = 200) -> Response:
        """The answer to a write, with the log position of its last event."""
        position = t.last_position
        headers = {POSITION_HEADER: str(position)} if position is not None else None
        if body is None:
            return Response(status_code=status_code, headers=headers)
        return _json(body, status_code, headers)

    # --- organizations ---------------------------------------------------------------------------

    if projections is not None:
        _list_routes(router, projections, read_timeout)

    @router.post(
        "/api/v1/organizations",
        status_code=201,
        tags=["organizations"],
        summary="Create an organization",
        response_model=schemas.OrganizationResponse,
    )
    def create_organization(body: schemas.CreateOrganization) -> Response:
        org = t.create_organization(
            body.display_name,
            external_id=body.external_id,
            metadata=body.metadata,
            slug=body.slug,
            logo_url=body.logo_url,
            region_code=body.region_code,
        )
        return written(schemas.OrganizationResponse(organization=org), 201)

    @router.get(
        "/api/v1/organizations:external/{external_id}",
        tags=["organizations"],
        summary="Get an organization by external id",
        response_model=schemas.OrganizationResponse,
    )
    def get_organization_by_external_id(
        external_id: Annotated[str, Path(max_length=255)],
    ) -> Response:
        return _json(
            schemas.OrganizationResponse(
                organization=t.get_organization_by_external_id(external_id)
            )
        )

    @router.get(
        "/api/v1/organizations/{organization_id}",
        tags=["organizations"],
        summary="Get an organization",
        response_model=schemas.OrganizationResponse,
    )
    def get_organization(organization_id: OrgId) -> Response:
        return _json(schemas.OrganizationResponse(organization=t.get_organization(organization_id)))

    @router.patch(
        "/api/v1/organizations/{organization_id}",
        tags=["organizations"],
        summary="Update an organization",
        description='Only the fields present change; null or "" clears an optional field. '
        "Asking for the values it already has returns the organization unchanged.",
        response_model=schemas.OrganizationResponse,
    )
    def update_organization(organization_id: OrgId, body: schemas.UpdateOrganization) -> Response:
        given = body.model_fields_set
        if "display_name" in given and body.display_name is None:
            raise InvalidField("display_name", "must not be null")
        changes: dict[str, Any] = {
            name: getattr(body, name) if name in given else UNSET
            for name in ("display_name", "external_id", "metadata", "slug", "logo_url")
        }
        org = _unchanged_ok(
            lambda: t.update_organization(organization_id, **changes),
            lambda: t.get_organization(organization_id),
        )
        return written(schemas.OrganizationResponse(organization=org))

    @router.delete(
        "/api/v1/organizations/{organization_id}",
        status_code=204,
        response_class=Response,
        tags=["organizations"],
        summary="Delete an organization",
    )
    def delete_organization(organization_id: OrgId) -> Response:
        t.delete_organization(organization_id)
        return written(None, 204)

    @router.patch(
        "/api/v1/organizations/{organization_id}/settings",
        tags=["organizations"],
        summary="Turn features on or off",
        response_model=schemas.OrganizationResponse,
    )
    def update_organization_settings(
        organization_id: OrgId, body: schemas.UpdateFeatures
    ) -> Response:
        org = _unchanged_ok(
            lambda: t.update_organization_settings(
                organization_id, [(f.name, f.enabled) for f in body.features]
            ),
            lambda: t.get_organization(organization_id),
        )
        return written(schemas.OrganizationResponse(organization=org))

    # --- seat limit and policies -------------------------------------------------------------

    @router.get(
        "/api/v1/organizations/{organization_id}/settings/usermanagement",
        tags=["settings"],
        summary="Get the seat limit",
        response_model=schemas.UserManagementResponse,
    )
    def get_user_management(organization_id: OrgId) -> Response:
        return _json(
            schemas.UserManagementResponse(settings=t.get_user_management_settings(organization_id))
        )

    @router.patch(
        "/api/v1/organizations/{organization_id}/settings/usermanagement",
        tags=["settings"],
        summary="Set the seat limit",
        response_model=schemas.UserManagementResponse,
    )
    def update_user_management(
        organization_id: OrgId, body: schemas.UserManagementBody
    ) -> Response:
        settings = _unchanged_ok(
            lambda: t.upsert_user_management_settings(
                organization_id, body.settings.max_allowed_users
            ),
            lambda: t.get_user_management_settings(organization_id),
        )
        return written(schemas.UserManagementResponse(settings=settings))

    @router.get(
        "/api/v1/organizations/{organization_id}/seat-usage",
        tags=["settings"],
        summary="Seats in use and free (tenantry extension)",
        response_model=dto.SeatUsage,
    )
    def get_seat_usage(organization_id: OrgId) -> Response:
        return _json(t.get_seat_usage(organization_id))

    @router.get(
        "/api/v1/organizations/{organization_id}/session-policy",
        tags=["settings"],
        summary="Get the session policy",
        response_model=dto.SessionPolicyView,
    )
    def get_session_policy(organization_id: OrgId) -> Response:
        return _json(t.get_session_policy(organization_id))

    @router.patch(
        "/api/v1/organizations/{organization_id}/session-policy",
        tags=["settings"],
        summary="Set the session policy",
        response_model=dto.SessionPolicyView,
    )
    def update_session_policy(organization_id: OrgId, body: schemas.SessionPolicyBody) -> Response:
        policy = _unchanged_ok(
            lambda: t.update_session_policy(organization_id, body.model_dump()),
            lambda: t.get_session_policy(organization_id),
        )
        return written(policy)

    @router.get(
        "/api/v1/organizations/{organization_id}/sign-in-methods",
        tags=["settings"],
        summary="Get the allowed sign-in methods (tenantry extension)",
        response_model=dto.SignInMethods,
    )
    def get_sign_in_methods(organization_id: OrgId) -> Response:
        return _json(t.get_allowed_sign_in_methods(organization_id))

    @router.patch(
        "/api/v1/organizations/{organization_id}/sign-in-methods",
        tags=["settings"],
        summary="Set the allowed sign-in methods (tenantry extension)",
        response_model=dto.SignInMethods,
    )
    def update_sign_in_methods(organization_id: OrgId, body: schemas.SignInMethodsBody) -> Response:
        methods = _unchanged_ok(
            lambda: t.set_allowed_sign_in_methods(organization_id, body.allowed_sign_in_methods),
            lambda: t.get_allowed_sign_in_methods(organization_id),
        )
        return written(methods)

    # --- members and invitations ---------------------------------------------------------------

    def user_response(membership: dto.Membership) -> schemas.UserResponse:
        return schemas.UserResponse(
            user=schemas.User(
                id=membership.user_id, email=membership.email, memberships=[membership]
            )
        )

    def admit(
        organization_id: str, email: str, fields: schemas.MembershipFields | None, invite: bool
    ) -> dto.Membership:
        f = fields or schemas.MembershipFields()
        if invite:
            return t.invite_member(
                organization_id,
                email,
                roles=f.roles,
                metadata=f.metadata,
                inviter_email=f.inviter_email,
            )
        if f.inviter_email is not None:
            raise InvalidField("membership.inviter_email", "only applies to invitations")
        return t.add_member(organization_id, email, roles=f.roles, metadata=f.metadata)

    @router.post(
        "/api/v1/organizations/{organization_id}/users",
        status_code=201,
        tags=["members"],
        summary="Create a user and their membership (invite)",
        response_model=schemas.UserResponse,
    )
    def create_user(
        organization_id: OrgId,
        body: schemas.CreateUser,
        send_invitation_email: SendInvitation = True,
    ) -> Response:
        membership = admit(organization_id, body.email, body.membership, send_invitation_email)
        return written(user_response(membership), 201)

    membership_path = "/api/v1/memberships/organizations/{organization_id}/users/{user_id}"

    @router.post(
        membership_path,
        status_code=201,
        tags=["members"],
        summary="Add an existing user to an organization",
        response_model=schemas.UserResponse,
    )
    def create_membership(
        organization_id: OrgId,
        user_id: UserRef,
        body: Annotated[schemas.MembershipFields | None, Body()] = None,
        send_invitation_email: SendInvitation = True,
    ) -> Response:
        _, email = t.get_user(user_id)
        membership = admit(organization_id, email, body, send_invitation_email)
        return written(user_response(membership), 201)

    @router.get(
        membership_path,
        tags=["members"],
        summary="Get a membership (tenantry extension)",
        response_model=schemas.UserResponse,
    )
    def get_membership(organization_id: OrgId, user_id: UserRef) -> Response:
        return _json(user_response(t.get_membership(organization_id, user_id)))

    @router.patch(
        membership_path,
        tags=["members"],
        summary="Update a membership: roles, metadata, status",
        response_model=schemas.UserResponse,
    )
    def update_membership(
        organization_id: OrgId,
        user_id: UserRef,
        body: schemas.UpdateMembership,
    ) -> Response:
        def current() -> dto.Membership:
            return t.get_membership(organization_id, user_id)

        fields: dict[str, Any] = {
            name: value
            for name, value in (("roles", body.roles), ("metadata", body.metadata))
            if value is not None
        }
        if fields:  # both fields in one save: all or nothing
            _unchanged_ok(lambda: t.update_membership(organization_id, user_id, **fields), current)
        if body.status is not None:
            status = current().status
            if body.status == "INACTIVE" and status != "INACTIVE":
                t.deactivate_member(organization_id, user_id)
            elif body.status == "ACTIVE" and status == "INACTIVE":
                t.reactivate_member(organization_id, user_id)
            elif body.status == "ACTIVE" and status != "ACTIVE":
                t.accept_invitation(organization_id, user_id)
        return written(user_response(current()))

    @router.delete(
        membership_path,
        status_code=204,
        response_class=Response,
        tags=["members"],
        summary="Remove a member (or withdraw a pending invitation)",
    )
    def delete_membership(organization_id: OrgId, user_id: UserRef) -> Response:
        t.remove_member(organization_id, user_id)
        return written(None, 204)

    @router.patch(
        "/api/v1/invites/organizations/{organization_id}/users/{user_id}/resend",
        tags=["members"],
        summary="Resend an invitation",
        description="A pending invitation is extended; an expired one is replaced by a new "
        "invitation, which needs a free seat.",
        response_model=schemas.UserResponse,
    )
    def resend_invitation(organization_id: OrgId, user_id: UserRef) -> Response:
        membership = t.resend_invitation(organization_id, user_id)
        return written(user_response(membership))

    return router


def _list_routes(router: APIRouter, views: ProjectionStore, timeout: float) -> None:
    """Lists and search, read from the projections. Read your writes: each waits until the
    projection includes the log's head as of the request (so every write acknowledged before it)."""

    @router.get(
        "/api/v1/organizations",
        tags=["organizations"],
        summary="List organizations",
        description="page_size 10-100 (default 30), oldest first.",
        response_model=pdto.OrganizationPage,
    )
    def list_organizations(
        page_size: PageSize = None,
        page_token: PageToken = None,
        external_id: Annotated[str | None, Query(max_length=255)] = None,
    ) -> Response:
        return _json(
            views.list_organizations(
                page_size=page_size,
                page_token=page_token,
                external_id=external_id,
                min_position=views.head(),
                timeout=timeout,
            )
        )

    @router.get(
        "/api/v1/organizations:search",
        tags=["organizations"],
        summary="Search organizations",
        description="query: 3-100 characters, case-insensitive over name, id and external id; "
        "page_size 1-30.",
        response_model=pdto.OrganizationPage,
    )
    def search_organizations(
        query: Annotated[str, Query(max_length=100)],
        page_size: PageSize = None,
        page_token: PageToken = None,
    ) -> Response:
        return _json(
            views.search_organizations(
                query,
                page_size=page_size,
                page_token=page_token,
                min_position=views.head(),
                timeout=timeout,
            )
        )

    @router.get(
        "/api/v1/organizations/{organization_id}/users",
        tags=["members"],
        summary="List an organization's members",
        description="page_size 1-100 (default 30).",
        response_model=pdto.MemberPage,
    )
    def list_members(
        organization_id: OrgId,
        page_size: PageSize = None,
        page_token: PageToken = None,
        status: Annotated[MemberStatus | None, Query()] = None,
    ) -> Response:
        return _json(
            views.list_members(
                organization_id,
                status=status,
                page_size=page_size,
                page_token=page_token,
                min_position=views.head(),
                timeout=timeout,
            )
        )
