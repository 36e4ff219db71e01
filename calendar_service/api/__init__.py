"""The HTTP edge: FastAPI app factory and routes."""

from calendar_service.api.app import create_app

__all__ = ["create_app"]
