"""`create_app(container)`: the FastAPI application. Routes live beside it, one module a topic."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from calendar_service import __version__
from calendar_service.bootstrap import Container


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="Diplomatic calendar", version=__version__)
    app.state.container = container

    @app.get("/healthz", summary="The process is up")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", summary="The event log answers")
    def readyz() -> dict[str, Any]:
        return {"status": "ready", "log_head": container.store.head()}

    return app
