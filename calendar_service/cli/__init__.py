"""The `calendar-service` command: one module per command group, shared options in `options`."""

from calendar_service.cli.main import app, main

__all__ = ["app", "main"]
