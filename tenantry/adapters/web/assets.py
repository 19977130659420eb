"""Every asset the pages and ``/docs`` use, served by tenantry itself (no CDN: the pages work
offline and behind strict firewalls): the stylesheet and script, the vendor's accent colour and
logo, and Swagger UI's files from the ``swagger-ui-bundle`` package."""

from __future__ import annotations

from typing import Final

import swagger_ui_bundle  # type: ignore[import-untyped]  # no py.typed: one path constant
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from tenantry.adapters.web.sessions import settings_of
from tenantry.adapters.web.templating import STATIC

STATIC_PATH: Final = "/web/static"
SWAGGER_PATH: Final = "/web/swagger"
_CACHE: Final = {"Cache-Control": "public, max-age=3600"}


def add_assets(app: FastAPI) -> None:
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="web-static")
    app.mount(
        SWAGGER_PATH, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger"
    )

    @app.get("/web/brand.css", include_in_schema=False)
    def brand_css(request: Request) -> Response:
        accent = settings_of(request).accent_color  # checked as #rrggbb by WebSettings
        return Response(f":root {{ --accent: {accent}; }}\n", media_type="text/css", headers=_CACHE)

    @app.get("/web/logo", include_in_schema=False)
    def logo(request: Request) -> Response:
        settings = settings_of(request)
        if settings.logo is None or not settings.logo.is_file():
            return Response(status_code=404)
        return FileResponse(settings.logo, media_type=settings.logo_type, headers=_CACHE)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{SWAGGER_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_PATH}/favicon-32x32.png",
        )
