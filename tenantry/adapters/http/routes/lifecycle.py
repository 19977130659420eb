"""An organization's lifecycle beyond create and delete (tenantry's own routes): restore a
deleted organization, and sign-up (a new organization with its first admin, atomically)."""

from __future__ import annotations

from fastapi import Response

from tenantry.adapters.field_names import fields_as_sent
from tenantry.adapters.http import lifecycle_schemas as bodies
from tenantry.adapters.http import schemas
from tenantry.adapters.http.routing import App, By, OrgId, Routes, written

routes = Routes("organizations")

SIGN_UP_PATH = "/api/v1/signup"
RESTORE_PATH = "/api/v1/organizations/{organization_id}:restore"


@routes.post(
    RESTORE_PATH,
    summary="Restore a deleted organization (tenantry extension)",
    description="Within the restore period (default 30 days): the organization comes back with "
    "its members and settings. 409 `restore_key_taken` if another organization took its "
    "external id or slug (unless `release_taken_keys`); 409 `restore_period_over` once purged.",
    response_model=schemas.OrganizationResponse,
)
def restore_organization(
    t: App, by: By, organization_id: OrgId, body: bodies.RestoreOrganization | None = None
) -> Response:
    release = body.release_taken_keys if body is not None else False
    org = t.restore_organization(organization_id, release_taken_keys=release, **by.kwargs())
    return written(t, schemas.OrganizationResponse(organization=org))


@routes.post(
    SIGN_UP_PATH,
    status_code=201,
    summary="Sign up: an organization and its first admin (tenantry extension)",
    description="Creates the organization and makes `user.email` its first active member with "
    "the `admin` role (provisioning method `org_creator`), atomically: both or neither.",
    response_model=bodies.SignUpResponse,
)
def sign_up(t: App, by: By, body: bodies.SignUpBody) -> Response:
    o = body.organization
    sent = {
        "email": "user.email",
        **{f: f"organization.{f}" for f in type(o).model_fields},
    }
    with fields_as_sent(sent):
        signed = t.sign_up(
            body.user.email,
            o.display_name,
            external_id=o.external_id,
            metadata=o.metadata,
            slug=o.slug,
            logo_url=o.logo_url,
            region_code=o.region_code,
            **by.kwargs(),
        )
    return written(t, bodies.SignUpResponse.of(signed), 201)
