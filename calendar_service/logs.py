"""Structured logs: one compact `key=value` line per record, configured once per process.

`configure_logging(settings)` is called by `calendar-service serve`, `calendar-service
scheduler` and the Celery worker (workers/celery_app.py); a second call changes nothing.
Fields go in `extra={"fields": {...}}`: `log_fields(logger, "request", method="GET", ...)`.
`correlation_id` is the id of the command (or task) the current line belongs to.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextvars import ContextVar
from typing import Any

from calendar_service.config import Settings

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_configured = False
_SKIP = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "fields"}


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' "=\n\t'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=INFO logger=name msg="..." key=value ...` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        parts = [
            f"ts={stamp}.{int(record.msecs):03d}Z",
            f"level={record.levelname}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        fields: dict[str, Any] = dict(getattr(record, "fields", None) or {})
        cid = correlation_id.get()
        if cid is not None:
            fields.setdefault("correlation_id", cid)
        parts.extend(f"{key}={_quote(value)}" for key, value in fields.items())
        if record.exc_info:
            # One line still: the exception's type and message ...
            kind, error = record.exc_info[0], record.exc_info[1]
            name = kind.__name__ if kind is not None else "Exception"
            parts.append(f"error={_quote(f'{name}: {error}')}")
            # The trace is kept, escaped onto the same line, for whoever has to debug it.
            parts.append(f"trace={_quote(self.formatException(record.exc_info))}")
        return " ".join(parts)


PER_MESSAGE_LOGGERS = ("apscheduler.scheduler", "apscheduler.executors.default")
"""Loggers that say a line per reminder at INFO: shown only when the level is DEBUG."""


def configure_logging(settings: Settings | None = None, *, force: bool = False) -> None:
    """Send every logger's records, INFO and up (CALENDAR_LOG_LEVEL or LOG_LEVEL to change),
    to stderr as one key=value line each. Idempotent unless `force`."""
    global _configured
    if _configured and not force:
        return
    _configured = True
    level = os.environ.get("CALENDAR_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper() if level.upper() in logging.getLevelNamesMapping() else "INFO")
    # uvicorn's own access log would repeat the request line (with the token): ours replaces it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error", "celery", "celery.task", "celery.worker"):
        each = logging.getLogger(name)
        each.handlers.clear()
        each.propagate = True
    # APScheduler says four INFO lines per reminder (added, running, executed, removed): at
    # DEBUG only, so a burst of reminders is not a burst of log lines.
    for name in PER_MESSAGE_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.NOTSET if root.level <= logging.DEBUG else "WARNING"
        )


def log_fields(
    logger: logging.Logger, message: str, level: int = logging.INFO, **fields: Any
) -> None:
    """One line: `message` with `fields` as key=value pairs."""
    logger.log(level, message, extra={"fields": fields})
