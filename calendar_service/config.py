"""Settings: one typed object, read from `CALENDAR_*` variables, overridable by CLI flags.

Defaults serve the embedded mode (SQLite beside the project, no broker). `load_settings` turns
any bad value into a `ConfigError` whose one-line message names the variable and the fix, so
start-up never shows a traceback for a typo.

`CALENDAR_STORE` is parsed once, by its validator, into a `StoreLocation` (`Settings.location`):
where the event log is, and so where everything kept beside it is (views, claims, the
scheduler's jobs). Whatever opens a store dispatches on that, never on the URL's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from calendar_service.plumbing.urls import mask_url

STORE_SCHEMES = ("sqlite", "redis", "rediss", "memory")
DEFAULT_PREFIX = "calendar"
"""The Redis key prefix of a store URL without `?prefix=`."""


class ConfigError(Exception):
    """A setting is wrong; the message is one line naming the variable."""


@dataclass(frozen=True)
class MemoryLocation:
    """`memory://`: the log, its views and claims live and die with this process."""


@dataclass(frozen=True)
class SqliteLocation:
    """`sqlite:///var/events.db` (relative to the working directory) or `sqlite:////srv/x.db`:
    the log in one file, and the files beside it named after it."""

    events: Path

    @property
    def views(self) -> Path:
        """var/events.db -> var/events.views.db"""
        return self._beside("views")

    @property
    def claims(self) -> Path:
        """var/events.db -> var/events.claims.db"""
        return self._beside("claims")

    @property
    def jobs(self) -> Path:
        """var/events.db -> var/events.jobs.db (the reminder scheduler's job store)"""
        return self._beside("jobs")

    def _beside(self, kind: str) -> Path:
        return self.events.with_name(f"{self.events.stem}.{kind}{self.events.suffix}")


@dataclass(frozen=True)
class RedisLocation:
    """`redis://host:6379/0[?prefix=calendar]` (or `rediss://`): the log, views, claims and
    jobs in one Redis, every key under `prefix`, which also names the Celery queue."""

    url: str
    """The store URL without its query: what the Redis clients connect to."""
    prefix: str


StoreLocation = MemoryLocation | SqliteLocation | RedisLocation


def store_location(url: str) -> StoreLocation:
    """Where `url` (a `CALENDAR_STORE` value) puts the event log. Raises `ValueError` with the
    fix if it names no store this service can open."""
    shown = repr(mask_url(url))
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in STORE_SCHEMES:
        raise ValueError(
            f"{shown} is not a store URL: use sqlite:///var/events.db, "
            "redis://host:6379/0 or memory://"
        )
    if parts.scheme == "memory":
        return MemoryLocation()
    if parts.scheme == "sqlite":
        return SqliteLocation(_sqlite_path(url, shown))
    prefix = parse_qs(parts.query).get("prefix", [DEFAULT_PREFIX])[0]
    if any(c.isspace() for c in prefix):
        raise ValueError(f"{shown}: the prefix {prefix!r} has spaces: use e.g. ?prefix=calendar")
    return RedisLocation(parts._replace(query="").geturl(), prefix)


def _sqlite_path(url: str, shown: str) -> Path:
    """The file of `sqlite:///relative.db` or `sqlite:////absolute.db`. `sqlite://` alone,
    `sqlite:///`, or a host (`sqlite://host/x.db`) names no file: refused, rather than opening
    a file named after the URL's text in the working directory."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    if not path or path.endswith("/") or "?" in path or "#" in path:
        raise ValueError(
            f"{shown} names no file: use sqlite:///var/events.db (relative to the working "
            "directory) or sqlite:////srv/calendar/events.db (absolute)"
        )
    return Path(path)


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
    projection_page_size: int = 1000
    """Events a projection applies per committed batch (rows and checkpoint in one commit). A
    catch-up that starts 10,000 or more events behind (a new deployment, a worker back after
    an outage) uses batches of 10,000, as `projections rebuild` does."""
    projection_lock_ttl: float = 15.0
    """Seconds a projection's catch-up lease outlives its holder: after a crash, how long
    until another worker takes over. Refreshed after every batch."""
    # Reminders (docs/reminders.md).
    link_secret: str | None = None
    """Signs the engagement links in messages (`/e/{id}?...&s=`); unset: a key made at first
    start and kept beside the log (a file by the SQLite log, a key in the Redis store). Changing
    it voids every link already sent."""
    webhook_secret: str | None = None
    """Signs each webhook POST (HMAC-SHA256 in X-Calendar-Signature); unset: unsigned."""
    reminder_offsets: str = "P7D,P1D"
    """Reminders before the start of engagements without a policy of their own (ISO-8601); the
    feed's alarms for those engagements too."""
    feed_declined: Literal["mark", "omit"] = "mark"
    """An engagement the province declined, in the feeds: mark (its title says so, shown as
    free) or omit (left out, with its deadlines)."""
    reminder_retries: int = 5
    """Celery retries of a delivery whose log, views or claims could not be read (a channel
    that fails is retried until the grace period is spent instead: `reminder_retry_cap`)."""
    reminder_retry_cap: float = 60.0
    """Seconds at most between two attempts of a channel that failed transiently (exponential
    backoff from 1 s with jitter, capped at this, until the grace period is spent)."""
    reminder_claim_ttl: float = 8.0
    """Seconds a delivery's claim (a lease renewed every third of it while the send runs)
    outlives a crashed worker, before another may take over."""
    change_window: timedelta = timedelta(minutes=2)
    """ISO-8601 duration: edits to one engagement this close together make one change notice
    (docs/notices.md); each notice goes out this long after the first of them."""
    office_mailbox: str | None = None
    """The ORGANIZER of calendar invitations (the office's own address, where replies would
    go); unset: CALENDAR_MAIL_FROM."""
    notify_senders: int = Field(default=1, ge=1, le=32)
    """Messages of one delivery (a notice's fan-out) sent at once, each thread on its own
    connection. 1 keeps the crash window (a message the server accepted before the worker died
    is sent again) to one message; 8 sent 1,000 notices in 7 s instead of 11 s here."""
    notify_timeout: float = 10.0
    """Seconds an SMTP or webhook exchange may take before it counts as a transient failure."""
    scheduler_lock_ttl: float = 15.0
    """Seconds the active scheduler's lock outlives it (renewed every third of that); a standby
    scheduler takes over within this and a third (it looks every third of it)."""
    scheduler_reconcile_interval: float = 120.0
    """Seconds between full reconciliations of the scheduler's jobs with the reminder schedule."""
    scheduler_nudge_interval: float = 10.0
    """Seconds between the scheduler's safety-net nudges of every projection."""
    scheduler_horizon: timedelta = timedelta(days=1)
    """How far ahead the scheduler keeps jobs; later reminders join as they come within it."""

    @field_validator("store")
    @classmethod
    def _store_url(cls, value: str) -> str:
        store_location(value)
        return value

    @property
    def location(self) -> StoreLocation:
        """Where `store` puts the event log and what lives beside it."""
        return store_location(self.store)

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if urlsplit(value).scheme not in ("redis", "rediss"):
            raise ValueError(
                f"{mask_url(value)!r} is not a Redis URL: use redis://host:6379/1, or unset it"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL: use e.g. https://calendar.example")
        return value.rstrip("/")

    @field_validator("projection_page_size", "projection_lock_ttl")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"{value} is not positive: use e.g. 1000 (page size) or 15 (seconds)")
        return value

    @field_validator(
        "reminder_claim_ttl",
        "reminder_retry_cap",
        "notify_timeout",
        "scheduler_lock_ttl",
        "scheduler_reconcile_interval",
        "scheduler_nudge_interval",
    )
    @classmethod
    def _seconds(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"{value} is not positive: give seconds, e.g. 30")
        return value

    @field_validator("reminder_retries")
    @classmethod
    def _retries(cls, value: int) -> int:
        if not 0 <= value <= 20:
            raise ValueError(f"{value} retries: give 0 to 20")
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, value: str) -> str:
        _parse_offsets(value)
        return value

    @field_validator("scheduler_horizon")
    @classmethod
    def _horizon(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("give a positive duration, e.g. P1D")
        return value

    @property
    def default_reminder_offsets(self) -> tuple[timedelta, ...]:
        """`reminder_offsets` parsed: the offsets of engagements without a reminder policy."""
        return _parse_offsets(self.reminder_offsets)

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

    @field_validator("change_window")
    @classmethod
    def _window(cls, value: timedelta) -> timedelta:
        if value < timedelta(0) or value > timedelta(days=1):
            raise ValueError("give a duration from PT0S to P1D, e.g. PT2M")
        return value

    def masked(self) -> dict[str, str]:
        """Every setting as text, with passwords in URLs replaced by ***."""
        return {
            name: _mask_secret(getattr(self, name))
            if name.endswith("secret")
            else _mask(getattr(self, name))
            for name in type(self).model_fields
        }


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


def _parse_offsets(value: str) -> tuple[timedelta, ...]:
    from calendar_service.domain import DomainError, ReminderPolicy

    texts = [part.strip() for part in value.split(",") if part.strip()]
    try:
        return ReminderPolicy.parse(texts).offsets
    except DomainError as error:
        raise ValueError(
            f"{value!r}: {error}; give ISO-8601 durations separated by commas, e.g. P7D,P1D"
        ) from None


def _mask_secret(value: object) -> str:
    return "(unset)" if value is None else "***"


def _mask(value: object) -> str:
    return "(unset)" if value is None else mask_url(str(value))
