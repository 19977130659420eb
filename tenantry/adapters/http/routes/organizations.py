"""Organizations: create, read (by id or external id), update, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response

from tenantry.adapters.auth.scopes import Grant
from tenantry.adapters.http import schemas
from tenantry.adapters.http.access import Access
from tenantry.adapters.http.routing import (
    App,
    By,
    OrgId,
    Routes,
    json_response,
    unchanged_ok,
    written,
)
from tenantry.adapters.moments import Moment
from tenantry.application import dto
from tenantry.application.app import UNSET, Tenantry
from tenantry.domain.errors import InvalidField, OrganizationNotFound
from tenantry.domain.values import EXTERNAL_ID_MAX

routes = Routes("organizations")

_UPDATABLE = ("display_name", "external_id", "metadata", "slug", "logo_url")
_BY_EXTERNAL_ID = "/api/v1/organizations:external/{external_id}"
ExternalId = Annotated[str, Path(max_length=EXTERNAL_ID_MAX)]


@routes.post(
    "/api/v1/organizations",
    status_code=201,
    summary="Create an organization",
    response_model=schemas.OrganizationResponse,
)
def create_organization(t: App, by: By, body: schemas.CreateOrganization) -> Response:
    org = t.create_organization(
        body.display_name,
        external_id=body.external_id,
        metadata=body.metadata,
        slug=body.slug,
        logo_url=body.logo_url,
        region_code=body.region_code,
        **by.kwargs(),
    )
    return written(t, schemas.OrganizationResponse(organization=org), 201)


@routes.get(
    _BY_EXTERNAL_ID,
    summary="Get an organization by external id",
    response_model=schemas.OrganizationResponse,
)
def get_organization_by_external_id(t: App, access: Access, external_id: ExternalId) -> Response:
    org = _by_external_id(t, access, external_id)
    return json_response(schemas.OrganizationResponse(organization=org))


@routes.patch(
    _BY_EXTERNAL_ID,
    summary="Update an organization by external id",
    description="As `PATCH /api/v1/organizations/{organization_id}`; an `external_id` in the "
    "body changes the external id itself.",
    response_model=schemas.OrganizationResponse,
)
def update_organization_by_external_id(
    t: App, by: By, access: Access, external_id: ExternalId, body: schemas.UpdateOrganization
) -> Response:
    changes = _changes(body)
    org_id = _by_external_id(t, access, external_id).id
    org = unchanged_ok(
        lambda: t.update_organization(org_id, **changes, **by.kwargs()),
        lambda: t.get_organization(org_id),
    )
    return written(t, schemas.OrganizationResponse(organization=org))


def _by_external_id(t: Tenantry, access: Grant, external_id: str) -> dto.Organization:
    org = t.get_organization_by_external_id(external_id)
    if not access.sees(org.id):  # as if it did not exist
        raise OrganizationNotFound(external_id)
    return org


@routes.get(
    "/api/v1/organizations/{organization_id}",
    summary="Get an organization",
    description="With `as_of` (an RFC 3339 time) or `version`, the organization as it was "
    "then, with its members and seat usage at that moment; 404 `version_not_found` before it "
    "existed or once it was deleted.",
    response_model=schemas.OrganizationResponse | dto.OrganizationSnapshot,
)
def get_organization(
    t: App,
    organization_id: OrgId,
    as_of: Annotated[
        Moment | None, Query(description="The organization as it was at this time.")
    ] = None,
    version: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="The organization as it was at this version."),
    ] = None,
) -> Response:
    if as_of is not None and version is not None:
        raise InvalidField("as_of", "give as_of or version, not both")
    if as_of is not None or version is not None:
        return json_response(
            t.get_organization_snapshot(organization_id, version=version, at=as_of)
        )
    org = t.get_organization(organization_id)
    return json_response(schemas.OrganizationResponse(organization=org))


@routes.patch(
    "/api/v1/organizations/{organization_id}",
    summary="Update an organization",
    description='Only the fields present change; null or "" clears an optional field. '
    "Asking for the values it already has returns the organization unchanged.",
    response_model=schemas.OrganizationResponse,
)
def update_organization(
    t: App, by: By, organization_id: OrgId, body: schemas.UpdateOrganization
) -> Response:
    changes = _changes(body)
    org = unchanged_ok(
        lambda: t.update_organization(organization_id, **changes, **by.kwargs()),
        lambda: t.get_organization(organization_id),
    )
    return written(t, schemas.OrganizationResponse(organization=org))


def _changes(body: schemas.UpdateOrganization) -> dict[str, Any]:
    """The fields the body names (``UNSET`` for the others); ``display_name`` cannot be cleared."""
    given = body.model_fields_set
    if "display_name" in given and body.display_name is None:
        raise InvalidField("display_name", "must not be null")
    return {name: getattr(body, name) if name in given else UNSET for name in _UPDATABLE}


@routes.delete(
    "/api/v1/organizations/{organization_id}",
    response_model=schemas.Empty,
    summary="Delete an organization",
)
def delete_organization(t: App, by: By, organization_id: OrgId) -> Response:
    t.delete_organization(organization_id, **by.kwargs())
    return written(t, schemas.Empty())
