"""The route class of every web page: a refusal becomes a page that names the reason (never a
JSON body, never a 500), and a page without a session says how to get one."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from tenantry.adapters.http.errors import status_for
from tenantry.adapters.web.sessions import kind_of
from tenantry.adapters.web.templating import render
from tenantry.domain.errors import ErrorKind, TenantryError


def refusal(request: Request, error: TenantryError) -> Response:
    """``error`` as a page: its code and message, with the HTTP status its kind maps to."""
    ended = error.kind is ErrorKind.UNAUTHENTICATED
    return render(
        request,
        "entry/refused.html",
        {"error": error, "ended": ended, "kind": kind_of(request)},
        status_code=status_for(error),
        frameable=kind_of(request) == "portal",
    )


def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()})
    return render(
        request,
        "entry/refused.html",
        {"error": None, "ended": False, "kind": kind_of(request), "fields": fields},
        status_code=400,
    )


class PageRoute(APIRoute):
    """Every page route: refusals rendered by :func:`refusal`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except TenantryError as error:
                return refusal(request, error)
            except RequestValidationError as exc:
                return invalid_request(request, exc)

        return page


def page_router() -> APIRouter:
    """A router for pages (kept out of the OpenAPI schema: they are not the API)."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


_STATUS_TITLES: Final = {
    404: "There is no such page",
    405: "This page does not take that request",
}


def status_page(request: Request, status_code: int, headers: Mapping[str, str] | None) -> Response:
    """A bare HTTP refusal (no such path, a method the path does not take) under ``/portal`` or
    ``/dashboard``, as a page rather than the API's JSON."""
    title = _STATUS_TITLES.get(status_code, "That did not work")
    page = render(
        request,
        "entry/status.html",
        {"title": title, "status_code": status_code, "kind": kind_of(request)},
        status_code=status_code,
        frameable=kind_of(request) == "portal",
    )
    page.headers.update(headers or {})
    return page
