"""An admin's "test connection": a link that starts one login at the connection (the IdP asked
to authenticate again), whose outcome is recorded on the connection (``test_connection``)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Path, Response
from pydantic import BaseModel

from tenantry.adapters.http.routing import App, By, OrgId, Routes, json_response
from tenantry.adapters.sign_in.links import connection_test_url
from tenantry.adapters.sign_in.pending import TEST_TICKET_AGE, TestTicket

routes = Routes("connections")

ConnId = Annotated[str, Path(description="A conn_ id.", max_length=64)]
_TEST: Final = "/api/v1/organizations/{organization_id}/connections/{connection_id}:test"


class ConnectionTestLink(BaseModel):
    """Open ``url`` in a browser within ``expires_in`` seconds to sign in once at the IdP (the
    link starts one login only; the outcome is recorded as made by who asked for it)."""

    url: str
    expires_in: int


@routes.post(
    _TEST,
    summary="Start a test login of a connection",
    description="Answers a link for the admin's browser: it signs in once at the IdP (forced "
    "re-authentication) and records the outcome on the connection — `SUCCESS`, or `FAILURE` "
    "with the exact reason (`bad_signature`, `wrong_audience`, `expired`, "
    "`missing_attribute`, …). No one is provisioned by a test.",
    response_model=ConnectionTestLink,
)
def test_connection(t: App, by: By, organization_id: OrgId, connection_id: ConnId) -> Response:
    conn = t.get_connection(organization_id, connection_id)  # it exists in this organization
    url = connection_test_url(t.sso_config, TestTicket(conn.organization_id, conn.id, by.actor))
    return json_response(
        ConnectionTestLink(url=url, expires_in=int(TEST_TICKET_AGE.total_seconds()))
    )
