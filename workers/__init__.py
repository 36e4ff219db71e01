"""Celery entry points: `celery -A workers worker` finds `app` here.

Importing the package builds the Celery object and nothing else (no connection, no settings
read); see `celery_app`. Tasks: `workers.tasks`; the write path's nudger: `workers.nudge`.
"""

from workers.celery_app import app

celery = app

__all__ = ["app", "celery"]
