"""The pages' templates (Jinja2, autoescaped) and what every rendered page carries: the vendor's
branding and wording, the session and its form token, and headers that keep the page to its own
assets (no inline script, nothing from another host) and out of frames it was not meant for."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tenantry.adapters.web.sessions import WebSession, session_if_any, settings_of

TEMPLATES: Final = Path(__file__).parent / "templates"
STATIC: Final = Path(__file__).parent / "static"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    return env


def _when(value: Any) -> str:
    """A time as people read it, to the minute, in UTC."""
    if value is None:
        return "—"
    return str(value.strftime("%Y-%m-%d %H:%M UTC"))


def security_headers(request: Request, *, frameable: bool) -> dict[str, str]:
    """``frameable``: the configured origins may frame the page (the portal); otherwise no one."""
    origins = settings_of(request).frame_ancestors if frameable else ()
    ancestors = " ".join(origins) if origins else "'none'"
    headers = {
        "Content-Security-Policy": (
            "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
            f"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
        ),
        "Cache-Control": "no-store",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if not origins:
        headers["X-Frame-Options"] = "DENY"
    return headers


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    frameable: bool | None = None,
    session: WebSession | None = None,
) -> HTMLResponse:
    """The template ``name`` with ``context`` and what every page has (see the module's
    docstring). ``frameable`` defaults to: a portal page is, any other is not."""
    settings = settings_of(request)
    who = session if session is not None else session_if_any(request)
    if frameable is None:
        frameable = who is not None and who.kind == "portal"
    page = (
        environment()
        .get_template(name)
        .render(
            {
                "request": request,
                "brand": settings,
                "session": who,
                "csrf_token": who.csrf_token if who is not None else "",
                "parent_origins": " ".join(settings.frame_ancestors) if frameable else "",
                **(context or {}),
            }
        )
    )
    return HTMLResponse(
        page, status_code=status_code, headers=security_headers(request, frameable=frameable)
    )
