"""The doors: a portal link or a dashboard login link is opened (exchanged for a session cookie),
the portal's home lists what its link allows, and either session signs out.

Opening a link is a ``POST``: the ``GET`` a link arrives with shows a page whose form posts the
token (submitted at once by the page's script), so a mail scanner that fetches the link does not
use up a single-use link."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from tenantry.adapters.web.context import tenantry_of
from tenantry.adapters.web.csrf import CheckedForm
from tenantry.adapters.web.pages import page_router
from tenantry.adapters.web.sessions import (
    DASHBOARD_PATH,
    PORTAL_PATH,
    Kind,
    OpenedDashboard,
    OpenedPortal,
    SessionDep,
    clear_cookie,
    cookie_of,
    sessions_of,
    set_cookie,
)
from tenantry.adapters.web.templating import render
from tenantry.domain.errors import InvalidField

router = page_router()

FEATURE_PAGES: Final = (
    ("sso", "/sso", "Single sign-on", "Connect your identity provider (SAML or OIDC)."),
    ("dir_sync", "/directories", "Directory sync (SCIM)", "Provision users and groups."),
    ("domain_verification", "/domains", "Domains", "Verify the e-mail domains you own."),
)
"""The portal's sections: (feature, path, title, summary)."""

_ACTIONS: Final = {"portal": "/portal/open", "dashboard": "/dashboard/login"}
Token = Annotated[str | None, Query(max_length=512)]
FormToken = Annotated[str, Form(max_length=512)]


def _token(token: str | None) -> str:
    if not token:
        raise InvalidField("token", "the link has no token; open the whole link you were given")
    return token


def _door(request: Request, kind: Kind, token: str | None) -> Response:
    return render(
        request,
        "entry/open.html",
        {
            "token": _token(token),
            "action": "/portal/open" if kind == "portal" else "/dashboard/login",
        },
        frameable=kind == "portal",
        session=None,
    )


@router.get("/portal/open")
def open_portal_page(request: Request, token: Token = None) -> Response:
    return _door(request, "portal", token)


@router.post("/portal/open")
async def open_portal(request: Request, token: FormToken) -> Response:
    return await _open(request, "portal", token)


@router.get("/dashboard/login")
def dashboard_login_page(request: Request, token: Token = None) -> Response:
    return _door(request, "dashboard", token)


@router.post("/dashboard/login")
async def dashboard_login(request: Request, token: FormToken) -> Response:
    return await _open(request, "dashboard", token)


async def _open(request: Request, kind: Kind, token: str) -> Response:
    """Exchanges a link's token for a session cookie, then on to the session's home."""
    sessions = sessions_of(request)
    opened: OpenedPortal | OpenedDashboard = await run_in_threadpool(
        sessions.open_portal_link if kind == "portal" else sessions.open_dashboard_login, token
    )
    response = RedirectResponse(PORTAL_PATH if kind == "portal" else DASHBOARD_PATH, 303)
    set_cookie(request, response, kind, opened.cookie, opened.session.expire_time)
    return response


@router.get("/portal")
def portal_home(request: Request, session: SessionDep) -> Response:
    t = tenantry_of(request)
    assert session.organization_id is not None  # a portal session always has one
    org = t.get_organization(session.organization_id)
    sections = [s for s in FEATURE_PAGES if session.may(s[0])]
    return render(request, "entry/portal_home.html", {"organization": org, "sections": sections})


@router.get("/dashboard")
def dashboard_home(session: SessionDep) -> Response:
    return RedirectResponse(f"{DASHBOARD_PATH}/organizations", status_code=303)


async def _sign_out(request: Request, kind: Kind) -> Response:
    cookie = cookie_of(request, kind)
    sessions = sessions_of(request)
    end = sessions.end_portal_session if kind == "portal" else sessions.end_dashboard_session
    if cookie:
        await run_in_threadpool(end, cookie)
    response = render(request, "entry/signed_out.html", {"kind": kind}, session=None)
    clear_cookie(response, kind)
    return response


@router.post("/portal/sign-out")
async def portal_sign_out(request: Request, _: CheckedForm) -> Response:
    return await _sign_out(request, "portal")


@router.post("/dashboard/sign-out")
async def dashboard_sign_out(request: Request, _: CheckedForm) -> Response:
    return await _sign_out(request, "dashboard")
