"""Settings: one typed object, read from `CALENDAR_*` variables, overridable by CLI flags.

Defaults serve the embedded mode (SQLite beside the project, no broker). `load_settings` turns
any bad value into a `ConfigError` whose one-line message names the variable and the fix, so
start-up never shows a traceback for a typo.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

STORE_SCHEMES = ("sqlite", "redis", "rediss", "memory")


class ConfigError(Exception):
    """A setting is wrong; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALENDAR_", extra="ignore", frozen=True)

    store: str = "sqlite:///var/events.db"
    """sqlite:///relative/path, sqlite:////absolute/path, redis://host:port/db or memory://"""
    broker: str | None = None
    """Unset: embedded (projections and reminders in the server process); redis://: Celery."""
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Seoul"
    smtp_url: str | None = None
    mail_from: str = "calendar@localhost"
    webhook_url: str | None = None
    reminder_grace: timedelta = timedelta(minutes=15)
    """ISO-8601 duration, e.g. PT15M: a reminder missed by less than this is still sent."""
    redis_allow_ephemeral: bool = False
    """Let the Redis store open a server that keeps nothing on disk (tests, throwaway demos)."""
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("store")
    @classmethod
    def _store_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in STORE_SCHEMES:
            raise ValueError(
                f"{value!r} is not a store URL: use sqlite:///var/events.db, "
                "redis://host:6379/0 or memory://"
            )
        if scheme == "sqlite" and not value.removeprefix("sqlite:///"):
            raise ValueError(f"{value!r} names no file: use sqlite:///var/events.db")
        return value

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlsplit(value).scheme not in ("redis", "rediss"):
            raise ValueError(f"{value!r} is not a Redis URL: use redis://host:6379/1, or unset it")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL: use e.g. https://calendar.example")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone: use e.g. Asia/Seoul") from None
        return value

    @field_validator("reminder_grace")
    @classmethod
    def _grace(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("a negative grace makes no sense: use e.g. PT15M")
        return value

    def masked(self) -> dict[str, str]:
        """Every setting as text, with passwords in URLs replaced by ***."""
        return {name: _mask(getattr(self, name)) for name in type(self).model_fields}


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with non-None `overrides` (CLI flags) winning."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        raise ConfigError(_one_line(error)) from None


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"CALENDAR_{field.upper()}: {message}"


def _mask(value: object) -> str:
    if value is None:
        return "(unset)"
    text = str(value)
    parts = urlsplit(text) if "://" in text else None
    if parts is not None and parts.password:
        return text.replace(f":{parts.password}@", ":***@", 1)
    return text
