"""The composition root: the only module that chooses implementations.

`build(settings)` is called once per process (server, CLI command, worker) and returns the
`Container` everything else receives. Nothing here runs at import time.

The read side follows the event log's deployment: with a SQLite log, the views live in a
SQLite file beside it (`var/events.db` -> `var/events.views.db`); with a Redis log, in the same
Redis under the same prefix, so the API, workers and scheduler on any host share them; with a
memory log, in memory (views that outlived their log would be wrong).

Nudges after each write: with no broker, a `ThreadNudger` runs catch-up in a background thread
of this process, and also every `SAFETY_NET_SECONDS`. With a broker, the Celery nudger from
`workers/` is used; `calendar_service` never imports `workers`, so it is looked up as the
`celery` entry point of the `calendar_service.nudgers` group (declared in pyproject.toml), or
given by the caller (`build(settings, nudger=...)`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from calendar_service.config import ConfigError, Settings
from calendar_service.domain import Command
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.eventstore.port import EventStore, StoreUnavailable, utc_now
from calendar_service.eventstore.redis import RedisEventStore
from calendar_service.eventstore.sqlite import SqliteEventStore
from calendar_service.eventstore.upcasting import NO_UPCASTERS, Upcasters
from calendar_service.projections import (
    MemoryViewStore,
    Nudger,
    NullNudger,
    Projector,
    ThreadNudger,
    ViewStore,
    ViewsUnavailable,
    default_projections,
)
from calendar_service.projections.views_redis import RedisViewStore
from calendar_service.projections.views_sqlite import SqliteViewStore
from calendar_service.service import ENGAGEMENT, EngagementOutcome, Envelope, handle

if TYPE_CHECKING:
    from calendar_service.reminders.deliver import Deliverer
    from calendar_service.reminders.leases import Claims
    from calendar_service.reminders.notify import Notifier

NUDGER_GROUP = "calendar_service.nudgers"
SAFETY_NET_SECONDS = 30.0
"""Embedded mode: how often the background thread catches up even if nobody nudged it."""


@dataclass
class Container:
    settings: Settings
    store: EventStore
    views: ViewStore
    projector: Projector
    nudger: Nudger = field(default_factory=NullNudger)
    clock: Callable[[], datetime] = utc_now

    def execute(
        self, command: Command, envelope: Envelope, expected_version: int | None = None
    ) -> EngagementOutcome:
        """The write path (`service.handle`), then a nudge once the append has committed."""
        outcome = handle(self.store, ENGAGEMENT, command, envelope, self.clock, expected_version)
        if outcome.positions:
            # A retried command (duplicate) nudges too: the first attempt's nudge may be lost.
            self.nudger.nudge()
        return outcome

    def nudge_all(self) -> None:
        """Ask every projection to catch up: the periodic safety net."""
        self.nudger.nudge()

    def close(self) -> None:
        self.nudger.close()
        self.views.close()
        self.store.close()


def build(settings: Settings, *, nudger: Nudger | None = None) -> Container:
    """Open what `settings` names. A store that cannot be opened raises `ConfigError`."""
    store = open_store(settings)
    try:
        views = open_views(settings)
        projector = Projector(
            store,
            views,
            default_projections(reminder_offsets=settings.default_reminder_offsets),
            page_size=settings.projection_page_size,
            lock_ttl=settings.projection_lock_ttl,
        )
        if nudger is None:
            nudger = default_nudger(settings, projector)
    except BaseException:
        store.close()
        raise
    return Container(settings, store, views, projector, nudger)


def open_store(settings: Settings, upcasters: Upcasters = NO_UPCASTERS) -> EventStore:
    url = settings.store
    parts = urlsplit(url)
    try:
        if parts.scheme == "memory":
            return MemoryEventStore(upcasters=upcasters)
        if parts.scheme == "sqlite":
            return SqliteEventStore(sqlite_path(url), upcasters=upcasters)
        return RedisEventStore(
            parts._replace(query="").geturl(),
            prefix=redis_prefix(url),
            allow_ephemeral=settings.redis_allow_ephemeral,
            upcasters=upcasters,
        )
    except StoreUnavailable as error:
        raise ConfigError(f"CALENDAR_STORE: {error}") from None


def open_views(settings: Settings) -> ViewStore:
    """The views store beside the event log that `settings.store` names."""
    url = settings.store
    parts = urlsplit(url)
    try:
        if parts.scheme == "memory":
            return MemoryViewStore()
        if parts.scheme == "sqlite":
            return SqliteViewStore(views_path(sqlite_path(url)))
        return RedisViewStore(parts._replace(query="").geturl(), prefix=redis_prefix(url))
    except ViewsUnavailable as error:
        raise ConfigError(f"CALENDAR_STORE: {error}") from None


def default_nudger(settings: Settings, projector: Projector) -> Nudger:
    if settings.broker is None:
        return ThreadNudger(projector.catch_up, projector.names, interval=SAFETY_NET_SECONDS)
    return plugin_nudger(settings, projector.names)


def plugin_nudger(settings: Settings, names: Sequence[str], plugin: str = "celery") -> Nudger:
    """The nudger the installed `plugin` entry point makes (workers' Celery nudger)."""
    found = list(entry_points(group=NUDGER_GROUP, name=plugin))
    if not found:
        raise ConfigError(
            f"CALENDAR_BROKER: it is set, but no {plugin!r} nudger is installed in group "
            f"{NUDGER_GROUP}: reinstall the project (pip install -e .) or unset CALENDAR_BROKER"
        )
    factory: Callable[[Settings, Sequence[str]], Nudger] = found[0].load()
    return factory(settings, names)


BROKER_CONNECT_TIMEOUT = 3.0
"""Seconds start-up waits for the broker before it gives up with one line."""


def check_broker(settings: Settings) -> None:
    """With a broker set, make sure it answers (a Redis PING) or raise `ConfigError` naming
    CALENDAR_BROKER: a process that would only retry forever stops at start-up instead."""
    if settings.broker is None:
        return
    import redis

    where = _masked_url(settings.broker)
    try:
        client = redis.Redis.from_url(
            settings.broker,
            socket_connect_timeout=BROKER_CONNECT_TIMEOUT,
            socket_timeout=BROKER_CONNECT_TIMEOUT,
        )
    except ValueError as error:
        raise ConfigError(f"CALENDAR_BROKER: {where} is not a valid Redis URL: {error}") from None
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        raise ConfigError(f"CALENDAR_BROKER: cannot reach the broker at {where}: {error}") from None
    finally:
        client.close()


def _masked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def sqlite_path(url: str) -> Path:
    """sqlite:///var/events.db is relative to the working directory, sqlite:////srv/x.db not."""
    return Path(url.removeprefix("sqlite:///"))


def views_path(events: Path) -> Path:
    """Where the views of the SQLite log at `events` live: var/events.db -> var/events.views.db."""
    return events.with_name(f"{events.stem}.views{events.suffix}")


def redis_prefix(url: str) -> str:
    """The key prefix a redis:// store URL names (`?prefix=`), by default `calendar`."""
    return parse_qs(urlsplit(url).query).get("prefix", ["calendar"])[0]


# --- reminders (docs/reminders.md) -------------------------------------------------------------


def open_claims(settings: Settings) -> Claims:
    """The claims store beside the event log: in the same Redis under the same prefix, or in a
    SQLite file beside a SQLite log (`var/events.db` -> `var/events.claims.db`)."""
    from calendar_service.reminders.leases import ClaimsUnavailable, MemoryClaims
    from calendar_service.reminders.leases.redis import RedisClaims
    from calendar_service.reminders.leases.sqlite import SqliteClaims

    url = settings.store
    parts = urlsplit(url)
    try:
        if parts.scheme == "memory":
            return MemoryClaims()
        if parts.scheme == "sqlite":
            events = sqlite_path(url)
            return SqliteClaims(events.with_name(f"{events.stem}.claims{events.suffix}"))
        return RedisClaims(parts._replace(query="").geturl(), prefix=redis_prefix(url))
    except ClaimsUnavailable as error:
        raise ConfigError(f"CALENDAR_STORE: {error}") from None


def open_notifiers(settings: Settings) -> dict[str, Notifier]:
    """The channels this deployment can send by: the log always; email with
    CALENDAR_SMTP_URL, the webhook with CALENDAR_WEBHOOK_URL."""
    from calendar_service.reminders.notify.email import SmtpNotifier
    from calendar_service.reminders.notify.log import LogNotifier
    from calendar_service.reminders.notify.webhook import WebhookNotifier

    notifiers: dict[str, Notifier] = {"log": LogNotifier()}
    if settings.smtp_url:
        try:
            notifiers["email"] = SmtpNotifier(
                settings.smtp_url, settings.mail_from, timeout=settings.notify_timeout
            )
        except ValueError as error:
            raise ConfigError(f"CALENDAR_SMTP_URL: {error}") from None
    if settings.webhook_url:
        notifiers["webhook"] = WebhookNotifier(
            settings.webhook_url, secret=settings.webhook_secret, timeout=settings.notify_timeout
        )
    return notifiers


def reminder_delivery(
    container: Container, *, after_record: Callable[[], None] | None = None
) -> Deliverer:
    """What delivers reminders in this process (a worker, or the embedded scheduler). After
    each outcome it nudges the projections that show it, unless told otherwise."""
    from calendar_service.domain.workdays import korean_working_days
    from calendar_service.reminders.deliver import Deliverer
    from calendar_service.reminders.notify.message import Composer

    settings = container.settings
    nudger = container.nudger
    return Deliverer(
        store=container.store,
        views=container.views,
        claims=open_claims(settings),
        notifiers=open_notifiers(settings),
        composer=Composer(
            settings.base_url, settings.timezone, is_working_day=korean_working_days()
        ),
        grace=settings.reminder_grace,
        claim_ttl=settings.reminder_claim_ttl,
        retries=settings.reminder_retries,
        clock=container.clock,
        catch_up=container.projector.catch_up,
        after_record=after_record or (lambda: nudger.nudge(["reminders_due", "audit"])),
    )
