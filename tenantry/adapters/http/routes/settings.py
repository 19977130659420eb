"""An organization's settings: features, the seat limit and seat usage, the session policy and the
allowed sign-in methods."""

from __future__ import annotations

from fastapi import Response

from tenantry.adapters.field_names import fields_as_sent
from tenantry.adapters.http import schemas
from tenantry.adapters.http.routing import (
    App,
    By,
    OrgId,
    Routes,
    json_response,
    unchanged_ok,
    written,
)
from tenantry.application import dto

routes = Routes("settings")

_USER_MANAGEMENT = "/api/v1/organizations/{organization_id}/settings/usermanagement"
_SESSION_POLICY = "/api/v1/organizations/{organization_id}/session-policy"
_SIGN_IN_METHODS = "/api/v1/organizations/{organization_id}/sign-in-methods"


@routes.patch(
    "/api/v1/organizations/{organization_id}/settings",
    tags=["organizations"],
    summary="Turn features on or off",
    response_model=schemas.OrganizationResponse,
)
def update_organization_settings(
    t: App, by: By, organization_id: OrgId, body: schemas.UpdateFeatures
) -> Response:
    features = [(f.name, f.enabled) for f in body.features]
    with fields_as_sent({"settings.features": "features"}):
        org = unchanged_ok(
            lambda: t.update_organization_settings(organization_id, features, **by.kwargs()),
            lambda: t.get_organization(organization_id),
        )
    return written(t, schemas.OrganizationResponse(organization=org))


@routes.get(
    _USER_MANAGEMENT,
    summary="Get the seat limit",
    response_model=schemas.UserManagementResponse,
)
def get_user_management(t: App, organization_id: OrgId) -> Response:
    settings = t.get_user_management_settings(organization_id)
    return json_response(schemas.UserManagementResponse(settings=settings))


@routes.patch(
    _USER_MANAGEMENT,
    summary="Set the seat limit",
    response_model=schemas.UserManagementResponse,
)
def update_user_management(
    t: App, by: By, organization_id: OrgId, body: schemas.UserManagementBody
) -> Response:
    limit = body.settings.max_allowed_users
    with fields_as_sent({"max_allowed_users": "settings.max_allowed_users"}):
        settings = unchanged_ok(
            lambda: t.upsert_user_management_settings(organization_id, limit, **by.kwargs()),
            lambda: t.get_user_management_settings(organization_id),
        )
    return written(t, schemas.UserManagementResponse(settings=settings))


@routes.get(
    "/api/v1/organizations/{organization_id}/seat-usage",
    summary="Seats in use and free (tenantry extension)",
    response_model=dto.SeatUsage,
)
def get_seat_usage(t: App, organization_id: OrgId) -> Response:
    return json_response(t.get_seat_usage(organization_id))


@routes.get(
    _SESSION_POLICY,
    summary="Get the session policy",
    response_model=schemas.SessionPolicyResponse,
)
def get_session_policy(t: App, organization_id: OrgId) -> Response:
    policy = t.get_session_policy(organization_id)
    return json_response(schemas.SessionPolicyResponse(policy=policy))


@routes.patch(
    _SESSION_POLICY,
    summary="Set the session policy",
    description='The policy\'s fields, or the same wrapped as `{"policy": {...}}`.',
    response_model=schemas.SessionPolicyResponse,
)
def update_session_policy(
    t: App, by: By, organization_id: OrgId, body: schemas.SessionPolicyBody
) -> Response:
    with fields_as_sent({"session_policy": ""}):  # the body is the policy itself
        policy = unchanged_ok(
            lambda: t.update_session_policy(organization_id, body.model_dump(), **by.kwargs()),
            lambda: t.get_session_policy(organization_id),
        )
    return written(t, schemas.SessionPolicyResponse(policy=policy))


@routes.get(
    _SIGN_IN_METHODS,
    summary="Get the allowed sign-in methods (tenantry extension)",
    response_model=dto.SignInMethods,
)
def get_sign_in_methods(t: App, organization_id: OrgId) -> Response:
    return json_response(t.get_allowed_sign_in_methods(organization_id))


@routes.patch(
    _SIGN_IN_METHODS,
    summary="Set the allowed sign-in methods (tenantry extension)",
    response_model=dto.SignInMethods,
)
def update_sign_in_methods(
    t: App, by: By, organization_id: OrgId, body: schemas.SignInMethodsBody
) -> Response:
    methods = unchanged_ok(
        lambda: t.set_allowed_sign_in_methods(
            organization_id, body.allowed_sign_in_methods, **by.kwargs()
        ),
        lambda: t.get_allowed_sign_in_methods(organization_id),
    )
    return written(t, methods)
