"""`create_app(container)`: the FastAPI application. Routes live beside it, one module a topic."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from calendar_service import __version__
from calendar_service.api import admin, docs, engagements, errors, feeds, page, queries
from calendar_service.api.errors import BodyLimit, describe
from calendar_service.api.requestlog import RequestLog
from calendar_service.bootstrap import Container
from calendar_service.domain import DomainError
from calendar_service.eventstore import EventStoreError
from calendar_service.projections import ProjectionError, ViewStoreError

API_ERRORS = (
    DomainError,
    EventStoreError,
    ViewStoreError,
    ProjectionError,
    RequestValidationError,
    HTTPException,
)


class CalendarApp(FastAPI):
    """The FastAPI app, with the feed route answered before its middleware stack (see
    `api.feeds.FeedFront`): calendar apps poll feeds far more often than anything else."""

    feed_front: feeds.FeedFront | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self.feed_front
        if front is not None:
            token = front.token_of(scope)
            if token is not None:
                await front(scope, receive, send, token)
                return
        await super().__call__(scope, receive, send)


def create_app(container: Container) -> FastAPI:
    app = CalendarApp(
        title="Diplomatic calendar", version=__version__, docs_url=None, redoc_url=None
    )
    app.state.container = container

    @app.get("/healthz", summary="The process is up")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", summary="The event log and the views answer; each projection's lag")
    def readyz() -> JSONResponse:
        try:
            rows = container.projector.status()
        except Exception as error:  # a readiness probe answers 503, never a 500
            message = f"the event store or views do not answer: {error}"
            return JSONResponse({"status": "unavailable", "message": message}, status_code=503)
        projections = [{"name": r.name, "checkpoint": r.checkpoint, "lag": r.lag} for r in rows]
        head = rows[0].head if rows else container.store.head()
        return JSONResponse({"status": "ready", "log_head": head, "projections": projections})

    docs.install(app)
    app.feed_front = feeds.install(app, container)
    app.include_router(engagements.router_for(container))
    app.include_router(queries.router_for(container))
    app.include_router(admin.router_for(container))
    app.include_router(page.router_for(container))
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestLog)  # outermost: sees every request, feeds too

    async def api_error(request: Request, error: Exception) -> Response:
        """The one handler: every error as {"error", "message", ...} (see api/errors.py)."""
        status, body, headers = describe(error, request)
        if status == 503 and page.is_page(request.url.path):
            return page.unavailable(request, headers)  # a reader's browser: an HTML page
        return JSONResponse(body, status_code=status, headers=headers)

    for kind in (*API_ERRORS, errors.ApiError, Exception):  # Exception: a JSON 500, no trace
        app.add_exception_handler(kind, api_error)
    return app
