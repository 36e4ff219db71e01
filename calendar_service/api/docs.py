"""`/docs`: Swagger UI served from the `swagger-ui-bundle` package, never from a CDN, so the API's
documentation opens on an office intranet with no way out. Its scripts, styles and icon are
static files of the package, mounted under `/docs/static`; `/openapi.json` is FastAPI's own."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = "/docs/static"


def install(app: FastAPI) -> None:
    """Add `/docs` and its static files to `app` (made with docs_url=None, redoc_url=None)."""
    app.mount(STATIC, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png",
        )
