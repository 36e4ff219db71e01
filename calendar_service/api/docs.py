"""`/docs`: Swagger UI served from the `swagger-ui-bundle` package, never from a CDN, so the API's
documentation opens on an office intranet with no way out. Its scripts, styles and icon are
static files of the package, mounted under `/docs/static`.

The package's newest release bundles Swagger UI 4, which refuses an `openapi: 3.1.0` document
("does not specify a valid version field") though it renders ours: it reads
`/docs/openapi.json`, the same schema labelled 3.0.3. `/openapi.json` stays FastAPI's own 3.1."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

STATIC = "/docs/static"
SCHEMA = "/docs/openapi.json"


def install(app: FastAPI) -> None:
    """Add `/docs` and its static files to `app` (made with docs_url=None, redoc_url=None)."""
    app.mount(STATIC, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    @app.get(SCHEMA, include_in_schema=False)
    def schema_for_swagger_ui_4() -> JSONResponse:
        return JSONResponse({**app.openapi(), "openapi": "3.0.3"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=SCHEMA,
            title=f"{app.title} · API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon-32x32.png",
        )
