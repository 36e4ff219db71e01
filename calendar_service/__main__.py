"""`python -m calendar_service` is the `calendar-service` command."""

from calendar_service.cli import app

app()
