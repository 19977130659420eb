"""The few HTML pages a browser sees during a sign-in: a refusal (which names the reason and
never a secret, a token or an assertion), an admin's test result, and the page that re-posts a
SAML response to the ACS so that the ``SameSite=Lax`` pending-login cookie comes with it."""

from __future__ import annotations

from html import escape
from typing import Any, Final

from fastapi.responses import HTMLResponse

from tenantry.adapters.http.errors import status_for
from tenantry.application.connection_dto import Connection
from tenantry.domain.errors import TenantryError

_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; "
    "script-src 'unsafe-inline'; style-src 'unsafe-inline'",
    "X-Frame-Options": "DENY",
}
_REPOST_HEADERS: Final = {
    **_HEADERS,
    # No form-action: browsers apply it to the redirects after the submission too, and the ACS
    # answers the re-post by redirecting to the application, another origin.
    "Content-Security-Policy": "default-src 'none'; "
    "script-src 'unsafe-inline'; style-src 'unsafe-inline'",
}


_HTML: Final = {"text/html": {"schema": {"type": "string"}}}
PAGE_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "An HTML page (a test's result, or the same-site re-post).",
        "content": _HTML,
    },
    302: {"description": "On to the identity provider, or back to the application."},
    **{
        code: {
            "description": "Sign-in refused: an HTML page naming the reason (a malformed "
            "request: the JSON error).",
            "content": {**_HTML, "application/json": {"schema": {"type": "object"}}},
        }
        for code in (400, 401, 403, 404, 409, 413, 422, 503)
    },
}
"""The OpenAPI responses of the sign-in routes (browser pages, not JSON)."""


def _page(
    title: str, body: str, status_code: int, headers: dict[str, str] = _HEADERS
) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)


def refusal_page(error: TenantryError) -> HTMLResponse:
    """Sign-in refused: the error's code and message (they never carry a secret)."""
    body = f"<p><code>{escape(error.code)}</code></p><p>{escape(error.message)}</p>"
    return _page("Sign-in refused", body, status_for(error))


def test_result_page(tested: Connection) -> HTMLResponse:
    """The outcome of an admin's test login, as recorded on the connection."""
    result = tested.test_connection
    reason = f"<p>Reason: <code>{escape(result.reason)}</code></p>" if result.reason else ""
    body = (
        f"<p>Connection <code>{escape(tested.id)}</code>: {escape(result.result)}</p>{reason}"
        "<p>The outcome is recorded on the connection: you can close this tab and return to "
        "the settings page.</p>"
    )
    return _page("Connection test", body, 200)


def repost_page(action: str, fields: dict[str, str]) -> HTMLResponse:
    """An auto-submitting form that posts ``fields`` to ``action`` again, from this site (a
    same-site POST carries the ``SameSite=Lax`` cookie a cross-site one does not)."""
    inputs = "".join(
        f'<input type=hidden name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    body = (
        f'<form method=post action="{escape(action)}">{inputs}'
        "<noscript><button type=submit>Continue</button></noscript></form>"
        "<script>document.forms[0].submit()</script>"
    )
    return _page("Signing in", body, 200, _REPOST_HEADERS)
