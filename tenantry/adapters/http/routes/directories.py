"""An organization's SCIM directories: create, list, read, update (provider, name, mapping),
enable, disable, delete; issue (rotate) and revoke their bearer tokens; list the users and
groups a directory synced. A directory's
``directory_endpoint`` is its SCIM base URL under the server's public base URL
(``TENANTRY_SSO_BASE_URL``, as the SSO service-provider URLs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import Path, Query, Request, Response

from tenantry.adapters.http import directory_schemas as s
from tenantry.adapters.http import schemas
from tenantry.adapters.http.idempotency import HEADER
from tenantry.adapters.http.routing import (
    Acting,
    App,
    By,
    OrgId,
    Routes,
    json_response,
    unchanged_ok,
    written,
)
from tenantry.adapters.moments import OffsetMoment
from tenantry.application.app import Tenantry
from tenantry.application.directory_dto import Directory, NewDirectorySecret
from tenantry.application.provisioning_dto import DirectoryGroupsPage, DirectoryUsersPage
from tenantry.domain.errors import InvalidField

routes = Routes("directories")

_DIRECTORIES: Final = "/api/v1/organizations/{organization_id}/directories"
_DIRECTORY: Final = f"{_DIRECTORIES}/{{directory_id}}"
DirId = Annotated[str, Path(description="A dir_ id.", max_length=64)]
SecretId = Annotated[str, Path(description="A dsec_ id.", max_length=64)]
NO_REPLAY: Final = (
    "is not accepted when a token is created: a replay would need the token stored, and only "
    "its hash is; retry without it (a retry makes another token)"
)


def public(t: Tenantry, directory: Directory) -> Directory:
    """The directory with its SCIM base URL under the server's public base URL."""
    return directory.at(t.sso_config.base_url)


def _one(t: Tenantry, directory: Directory) -> s.DirectoryResponse:
    return s.DirectoryResponse(directory=public(t, directory))


@routes.get(
    _DIRECTORIES, summary="List an organization's directories", response_model=s.DirectoryList
)
def list_directories(t: App, organization_id: OrgId) -> Response:
    found = [public(t, d) for d in t.list_directories(organization_id)]
    return json_response(s.DirectoryList(directories=found))


@routes.post(
    _DIRECTORIES,
    status_code=201,
    summary="Create a SCIM directory (disabled, without a token)",
    response_model=s.DirectoryResponse,
)
def create_directory(t: App, by: By, organization_id: OrgId, body: s.CreateDirectory) -> Response:
    directory = t.create_directory(
        organization_id, body.directory_provider, name=body.name, **by.kwargs()
    )
    return written(t, _one(t, directory), 201)


@routes.get(_DIRECTORY, summary="Get a directory", response_model=s.DirectoryResponse)
def get_directory(t: App, organization_id: OrgId, directory_id: DirId) -> Response:
    return json_response(_one(t, t.get_directory(organization_id, directory_id)))


# The `:enable` and `:disable` routes come before the plain PATCH, whose `{directory_id}` would
# otherwise take `dir_…:enable` as an id.
@routes.patch(
    f"{_DIRECTORY}:enable",
    summary="Enable a directory (it provisions while dir_sync is on)",
    description="Needs the organization's `dir_sync` feature on (422 `feature_disabled`). "
    "Enabling an enabled one answers it.",
    response_model=s.DirectoryResponse,
)
def enable_directory(t: App, by: By, organization_id: OrgId, directory_id: DirId) -> Response:
    return _switched(t, organization_id, directory_id, t.enable_directory, by)


@routes.patch(
    f"{_DIRECTORY}:disable",
    summary="Disable a directory (what it synced stays)",
    response_model=s.DirectoryResponse,
)
def disable_directory(t: App, by: By, organization_id: OrgId, directory_id: DirId) -> Response:
    return _switched(t, organization_id, directory_id, t.disable_directory, by)


@routes.patch(
    _DIRECTORY,
    summary="Update a directory",
    description="Only the parts present change: `directory_provider`, `name`, and each key of "
    "`mapping` (a mapped role must be defined once the organization's roles are).",
    response_model=s.DirectoryResponse,
)
def update_directory(
    t: App, by: By, organization_id: OrgId, directory_id: DirId, body: s.UpdateDirectory
) -> Response:
    given: dict[str, Any] = {}
    if "name" in body.model_fields_set:
        given["name"] = body.name
    if body.mapping is not None:
        given["mapping"] = body.mapping.model_dump(include=body.mapping.model_fields_set)
    directory = unchanged_ok(
        lambda: t.update_directory(
            organization_id,
            directory_id,
            provider=body.directory_provider,
            **given,
            **by.kwargs(),
        ),
        lambda: t.get_directory(organization_id, directory_id),
    )
    return written(t, _one(t, directory))


@routes.delete(_DIRECTORY, summary="Delete a directory", response_model=schemas.Empty)
def delete_directory(t: App, by: By, organization_id: OrgId, directory_id: DirId) -> Response:
    t.delete_directory(organization_id, directory_id, **by.kwargs())
    return written(t, schemas.Empty())


@routes.post(
    f"{_DIRECTORY}/secrets",
    status_code=201,
    summary="Create a bearer token for the directory's SCIM client (shown once)",
    description="`plain_secret` is the token: it is answered this once and only its hash is "
    "kept. The directory's older live tokens stop now, or after `grace_period_seconds`. "
    "An `Idempotency-Key` is refused (400): a replay would need the token stored.",
    response_model=NewDirectorySecret,
)
def create_directory_secret(
    t: App,
    by: By,
    request: Request,
    organization_id: OrgId,
    directory_id: DirId,
    body: s.CreateSecret | None = None,
) -> Response:
    if HEADER in request.headers:  # refused before the write: the guard releases the key
        raise InvalidField(HEADER, NO_REPLAY)
    seconds = None if body is None else body.grace_period_seconds
    grace = None if seconds is None else timedelta(seconds=seconds)
    directory, token = t.create_directory_secret(
        organization_id, directory_id, grace_period=grace, **by.kwargs()
    )
    return written(t, NewDirectorySecret.of(public(t, directory), token), 201)


@routes.delete(
    f"{_DIRECTORY}/secrets/{{secret_id}}",
    summary="Revoke a directory's bearer token (it stops at once)",
    response_model=s.SecretResponse,
)
def revoke_directory_secret(
    t: App, by: By, organization_id: OrgId, directory_id: DirId, secret_id: SecretId
) -> Response:
    directory = unchanged_ok(  # revoking a revoked token answers it
        lambda: t.revoke_directory_secret(organization_id, directory_id, secret_id, **by.kwargs()),
        lambda: t.get_directory(organization_id, directory_id),
    )
    revoked = next(x for x in directory.secrets if x.id == secret_id)
    return written(t, s.SecretResponse(secret=revoked))


PageSize = Annotated[int, Query(ge=1, le=30, description="At most 30 (the hosted limit).")]
PageToken = Annotated[
    str | None, Query(max_length=64, description="next_page_token of the page before.")
]
UpdatedAfter = Annotated[
    OffsetMoment | None,
    Query(
        description="Only those whose last change (their `update_time`) is strictly after this "
        "RFC 3339 time with its offset, e.g. 2026-11-01T12:00:00Z; `total_size` counts them."
    ),
]


@routes.get(
    f"{_DIRECTORY}/users",
    summary="List the users a directory synced, in the order it created them",
    response_model=DirectoryUsersPage,
)
def list_directory_users(
    t: App,
    organization_id: OrgId,
    directory_id: DirId,
    page_size: PageSize = 30,
    page_token: PageToken = None,
    updated_after: UpdatedAfter = None,
) -> Response:
    page = t.list_directory_users(
        organization_id,
        directory_id,
        page_size=page_size,
        page_token=page_token or None,
        updated_after=updated_after,
    )
    return json_response(page)


@routes.get(
    f"{_DIRECTORY}/groups",
    summary="List the groups a directory synced, in the order it created them",
    response_model=DirectoryGroupsPage,
)
def list_directory_groups(
    t: App,
    organization_id: OrgId,
    directory_id: DirId,
    page_size: PageSize = 30,
    page_token: PageToken = None,
    updated_after: UpdatedAfter = None,
) -> Response:
    page = t.list_directory_groups(
        organization_id,
        directory_id,
        page_size=page_size,
        page_token=page_token or None,
        updated_after=updated_after,
    )
    return json_response(page)


def _switched(
    t: Tenantry, org: str, directory_id: str, switch: Callable[..., Directory], by: Acting
) -> Response:
    """Enabling an enabled directory (or disabling a disabled one) answers it as it is."""
    view = unchanged_ok(
        lambda: switch(org, directory_id, **by.kwargs()),
        lambda: t.get_directory(org, directory_id),
    )
    return written(t, _one(t, view))
