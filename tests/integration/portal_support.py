"""Portal and dashboard sessions for the in-process page tests: a browser-like client
(``TestClient``) that opened a real link — a portal link of one organization and some features,
or a dashboard login — and holds its session cookie."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenantry.adapters.web.sessions import PORTAL_COOKIE
from tenantry.application.app import Tenantry

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def token_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["token"][0]


def portal_client(
    app: FastAPI, organization_id: str, features: Sequence[str]
) -> tuple[TestClient, str]:
    """A client signed in to the portal of ``organization_id`` for ``features``, and the
    session's actor."""
    t: Tenantry = app.state.tenantry
    link = t.generate_portal_link(organization_id, features, actor="test:vendor")
    client = TestClient(app, follow_redirects=False)
    opened = client.post("/portal/open", data={"token": token_of(link.location)})
    assert opened.status_code == 303, opened.text
    cookie = client.cookies.get(PORTAL_COOKIE)
    assert cookie is not None
    return client, t.portal_session(cookie).actor


def dashboard_client(app: FastAPI, operator: str) -> TestClient:
    """A client signed in to the dashboard as ``operator``."""
    t: Tenantry = app.state.tenantry
    login = t.issue_dashboard_login(operator, actor=f"cli:{operator}")
    client = TestClient(app, follow_redirects=False)
    opened = client.post("/dashboard/login", data={"token": token_of(login.location)})
    assert opened.status_code == 303, opened.text
    return client


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has no form token"
    return found.group(1)
