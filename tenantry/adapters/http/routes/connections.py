"""An organization's SSO connections: create, list, read, configure, enable, disable, delete,
and the service provider's SAML metadata for the IdP's admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import Path, Query, Response
from pydantic import BaseModel

from tenantry.adapters.http import schemas
from tenantry.adapters.http import sso_schemas as s
from tenantry.adapters.http.access import Access
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
from tenantry.application.app import Tenantry
from tenantry.application.connection_dto import Connection

routes = Routes("connections")

_CONNECTIONS: Final = "/api/v1/organizations/{organization_id}/connections"
_CONNECTION: Final = f"{_CONNECTIONS}/{{connection_id}}"
ConnId = Annotated[str, Path(description="A conn_ id.", max_length=64)]
SAML_METADATA: Final = "application/samlmetadata+xml"


@routes.get(
    _CONNECTIONS, summary="List an organization's connections", response_model=s.ConnectionList
)
def list_connections(t: App, organization_id: OrgId) -> Response:
    return json_response(s.ConnectionList(connections=t.list_connections(organization_id)))


@routes.get(
    "/api/v1/connections",
    summary="List the connections of the organization that verified a domain",
    description="Home-realm discovery for a sign-in page: `domain` is the part of an e-mail "
    "address after `@`. Empty when no organization (that this client may see) verified it.",
    response_model=s.ConnectionList,
)
def list_connections_by_domain(
    t: App, access: Access, domain: Annotated[str, Query(min_length=3, max_length=253)]
) -> Response:
    found = [c for c in t.list_connections_by_domain(domain) if access.sees(c.organization_id)]
    return json_response(s.ConnectionList(connections=found))


@routes.post(
    _CONNECTIONS,
    status_code=201,
    summary="Create a connection (disabled until configured and enabled)",
    response_model=s.ConnectionResponse,
)
def create_connection(t: App, by: By, organization_id: OrgId, body: s.CreateConnection) -> Response:
    conn = t.create_connection(organization_id, body.type, body.provider, **by.kwargs())
    return written(t, s.ConnectionResponse(connection=conn), 201)


@routes.get(_CONNECTION, summary="Get a connection", response_model=s.ConnectionResponse)
def get_connection(t: App, organization_id: OrgId, connection_id: ConnId) -> Response:
    conn = t.get_connection(organization_id, connection_id)
    return json_response(s.ConnectionResponse(connection=conn))


# The `:enable` and `:disable` routes come before the plain PATCH, whose `{connection_id}` would
# otherwise take `conn_…:enable` as an id.
@routes.patch(
    f"{_CONNECTION}:enable",
    summary="Enable a connection",
    description="Needs a complete configuration (422 `connection_incomplete`) and the "
    "organization's `sso` feature on (`feature_disabled`). Enabling an enabled one answers it.",
    response_model=s.ConnectionResponse,
)
def enable_connection(t: App, by: By, organization_id: OrgId, connection_id: ConnId) -> Response:
    return _switched(t, organization_id, connection_id, t.enable_connection, by)


@routes.patch(
    f"{_CONNECTION}:disable",
    summary="Disable a connection (its configuration stays)",
    response_model=s.ConnectionResponse,
)
def disable_connection(t: App, by: By, organization_id: OrgId, connection_id: ConnId) -> Response:
    return _switched(t, organization_id, connection_id, t.disable_connection, by)


@routes.patch(
    _CONNECTION,
    summary="Configure a connection",
    description="Only the parts present change: the provider label, `saml_config` or "
    "`oidc_config` (of the connection's type), `attribute_mapping`. A client secret is stored "
    "encrypted and never returned (`client_secret_set` says whether one is).",
    response_model=s.ConnectionResponse,
)
def update_connection(
    t: App, by: By, organization_id: OrgId, connection_id: ConnId, body: s.UpdateConnection
) -> Response:
    mapping = body.attribute_mapping
    conn = unchanged_ok(
        lambda: t.update_connection(
            organization_id,
            connection_id,
            provider=body.provider,
            attribute_mapping=None if mapping is None else mapping.attributes,
            group_roles=None if mapping is None else mapping.group_roles,
            saml=_settings(body.saml_config, _SAML_KEYWORDS),
            oidc=_settings(body.oidc_config, _OIDC_KEYWORDS),
            **by.kwargs(),
        ),
        lambda: t.get_connection(organization_id, connection_id),
    )
    return written(t, s.ConnectionResponse(connection=conn))


@routes.delete(_CONNECTION, summary="Delete a connection", response_model=schemas.Empty)
def delete_connection(t: App, by: By, organization_id: OrgId, connection_id: ConnId) -> Response:
    t.delete_connection(organization_id, connection_id, **by.kwargs())
    return written(t, schemas.Empty())


@routes.get(
    f"{_CONNECTION}/saml/metadata",
    summary="The service provider's SAML metadata, for the IdP's admin",
    response_class=Response,
    responses={200: {"content": {SAML_METADATA: {"schema": {"type": "string"}}}}},
)
def get_saml_metadata(t: App, organization_id: OrgId, connection_id: ConnId) -> Response:
    xml = t.get_saml_sp_metadata(organization_id, connection_id)
    return Response(xml, media_type=SAML_METADATA)


def _switched(
    t: Tenantry, org: str, conn: str, switch: Callable[..., Connection], by: Acting
) -> Response:
    """Enabling an enabled connection (or disabling a disabled one) answers it as it is."""
    view = unchanged_ok(
        lambda: switch(org, conn, **by.kwargs()), lambda: t.get_connection(org, conn)
    )
    return written(t, s.ConnectionResponse(connection=view))


_SAML_KEYWORDS: Final = {
    "idp_entity_id": "idp_entity_id",
    "idp_sso_url": "sso_url",
    "idp_certificates": "certificates",
    "idp_metadata_xml": "metadata_xml",
    "idp_initiated_login": "idp_initiated_login",
}
_OIDC_KEYWORDS: Final = {
    "issuer": "issuer",
    "client_id": "client_id",
    "client_secret": "client_secret",
    "scopes": "scopes",
    "token_auth_type": "token_endpoint_auth_method",
}
"""The application's keyword for each field of a body's ``saml_config`` / ``oidc_config``."""


def _settings(body: BaseModel | None, keywords: dict[str, str]) -> dict[str, Any] | None:
    """The settings the body names, under the application's keywords."""
    if body is None:
        return None
    return {keywords[k]: v for k, v in body.model_dump(exclude_none=True).items()}
