"""Celery app and thin task wrappers around `calendar_service` functions (see issue 4)."""
