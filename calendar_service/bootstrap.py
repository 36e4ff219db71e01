"""The composition root: the only module that chooses implementations.

`build(settings)` is called once per process (server, CLI command, worker) and returns the
`Container` everything else receives. Nothing here runs at import time.

The read side follows the event log's deployment (`Settings.location`): with a SQLite log, the
views live in a SQLite file beside it (`var/events.db` -> `var/events.views.db`, and the claims
in `var/events.claims.db`); with a Redis log, in the same Redis under the same prefix, so the
API, workers and scheduler on any host share them; with a memory log, in memory (views that
outlived their log would be wrong).

Nudges after each write: with no broker, a `ThreadNudger` runs catch-up in a background thread
of this process, and also every `SAFETY_NET_SECONDS`. With a broker, the caller gives the
nudger: the Celery nudger of `workers.nudge` in a process that writes (the CLI's `serve` and
`seed`, the scheduler), a `NullNudger` in one that does not. `calendar_service` never imports
`workers`; the entry points that start worker-side code import it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from calendar_service.config import (
    ConfigError,
    RedisLocation,
    Settings,
    SqliteLocation,
    StoreLocation,
)
from calendar_service.domain import Command
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.eventstore.port import EventStore, StoreUnavailable, utc_now
from calendar_service.eventstore.redis import RedisEventStore
from calendar_service.eventstore.sqlite import SqliteEventStore
from calendar_service.eventstore.upcasting import NO_UPCASTERS, Upcasters
from calendar_service.plumbing.urls import mask_url
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
    from calendar_service.feed.cache import FeedCache
    from calendar_service.reminders.deliver import Deliverer
    from calendar_service.reminders.leases import Admissions, Claims
    from calendar_service.reminders.notify import Notifier
    from calendar_service.reminders.notify.invitation import Inviter

T = TypeVar("T")

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
    """Open what `settings` names. A store that cannot be opened raises `ConfigError`.

    `nudger` wakes the projections after each write. Without a broker it may be left out: a
    `ThreadNudger` catches up in this process. With a broker the caller must give it (the
    Celery nudger of `workers.nudge`, or a `NullNudger` in a process that never writes);
    leaving it out raises `ValueError` before anything is opened.
    """
    if nudger is None and settings.broker is not None:
        raise ValueError(
            "CALENDAR_BROKER is set, so build() needs nudger=: the Celery nudger "
            "(workers.nudge.celery_nudger) in a process that writes, NullNudger() in one "
            "that does not"
        )
    store = open_store(settings)
    try:
        views = open_views(settings)
        projector = Projector(
            store,
            views,
            default_projections(
                reminder_offsets=settings.default_reminder_offsets,
                notice_window=settings.change_window,
                office_timezone=settings.timezone,
            ),
            page_size=settings.projection_page_size,
            lock_ttl=settings.projection_lock_ttl,
        )
        if nudger is None:
            nudger = ThreadNudger(projector.catch_up, projector.names, interval=SAFETY_NET_SECONDS)
    except BaseException:
        store.close()
        raise
    return Container(settings, store, views, projector, nudger)


def open_store(settings: Settings, upcasters: Upcasters = NO_UPCASTERS) -> EventStore:
    """The event log `settings.location` names."""
    return _Beside[EventStore](
        StoreUnavailable,
        memory=lambda: MemoryEventStore(upcasters=upcasters),
        sqlite=lambda at: SqliteEventStore(at.events, upcasters=upcasters),
        redis=lambda at: RedisEventStore(
            at.url,
            prefix=at.prefix,
            allow_ephemeral=settings.redis_allow_ephemeral,
            upcasters=upcasters,
        ),
    ).open(settings.location)


def open_views(settings: Settings) -> ViewStore:
    """The views store beside the event log that `settings.location` names."""
    return _Beside[ViewStore](
        ViewsUnavailable,
        memory=MemoryViewStore,
        sqlite=lambda at: SqliteViewStore(at.views),
        redis=lambda at: RedisViewStore(at.url, prefix=at.prefix),
    ).open(settings.location)


@dataclass(frozen=True)
class _Beside(Generic[T]):
    """One port's adapters, one per place the log can be, and the error they raise when they
    cannot open: whatever lives beside the log lives where it does."""

    unavailable: type[Exception]
    memory: Callable[[], T]
    sqlite: Callable[[SqliteLocation], T]
    redis: Callable[[RedisLocation], T]

    def open(self, location: StoreLocation) -> T:
        """The adapter for `location`; one that cannot open stops start-up with one line
        naming CALENDAR_STORE."""
        try:
            if isinstance(location, SqliteLocation):
                return self.sqlite(location)
            if isinstance(location, RedisLocation):
                return self.redis(location)
            return self.memory()
        except self.unavailable as error:
            raise ConfigError(f"CALENDAR_STORE: {error}") from None


def feed_cache(container: Container) -> FeedCache:
    """The feed cache the service renders with, over `container`'s log, views and clock, with
    the names directory of the packaged seed (so the HTTP route and `export` render the same
    bytes), the default reminder offsets as alarms, and CALENDAR_FEED_DECLINED."""
    from calendar_service.feed.cache import FeedCache
    from calendar_service.feed.select import WindowSettings
    from calendar_service.seed import load_seed

    settings = container.settings
    return FeedCache(
        container.store,
        container.views,
        base_url=settings.base_url,
        timezone=settings.timezone,
        directory=load_seed().directory,
        window=WindowSettings(declined=settings.feed_declined),
        clock=container.clock,
        default_reminders=settings.default_reminder_offsets,
    )


BROKER_CONNECT_TIMEOUT = 3.0
"""Seconds start-up waits for the broker before it gives up with one line."""


def link_secret(settings: Settings) -> bytes:
    """The key that signs the engagement links messages carry (`feed.links.signed_page_url`):
    CALENDAR_LINK_SECRET, else a random one made once and kept beside the log, so that every
    process of a deployment signs and checks alike and a restart keeps the links sent: a file
    next to the SQLite log (mode 0600), a key in the Redis store (set once, `SET NX`). The memory
    store makes one per process."""
    if settings.link_secret:
        return settings.link_secret.encode()
    location = settings.location
    fresh = secrets.token_hex(32)
    if isinstance(location, SqliteLocation):
        path = location.events.with_name(f"{location.events.stem}.link-secret")
        try:
            with path.open("x", encoding="ascii") as file:
                path.chmod(0o600)
                file.write(fresh)
        except FileExistsError:
            pass
        except OSError as error:
            raise ConfigError(
                f"CALENDAR_STORE: cannot keep the link key at {path}: {error}"
            ) from None
        return path.read_text(encoding="ascii").strip().encode()
    if isinstance(location, RedisLocation):
        import redis

        client = redis.Redis.from_url(location.url, socket_connect_timeout=BROKER_CONNECT_TIMEOUT)
        key = f"{location.prefix}:link-secret"
        try:
            client.set(key, fresh, nx=True)
            kept: bytes | None = client.get(key)  # type: ignore[assignment]
        except (redis.RedisError, OSError) as error:
            raise ConfigError(
                f"CALENDAR_STORE: cannot keep the link key in Redis: {error}"
            ) from None
        finally:
            client.close()
        return kept or fresh.encode()
    return _PROCESS_LINK_SECRET


_PROCESS_LINK_SECRET = secrets.token_bytes(32)


def check_broker(settings: Settings) -> None:
    """With a broker set, make sure it answers (a Redis PING) or raise `ConfigError` naming
    CALENDAR_BROKER: a process that would only retry forever stops at start-up instead."""
    if settings.broker is None:
        return
    import redis

    where = mask_url(settings.broker)
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


# --- reminders (docs/reminders.md) -------------------------------------------------------------


def open_claims(settings: Settings) -> Claims:
    """The claims store beside the event log: in the same Redis under the same prefix, or in a
    SQLite file beside a SQLite log (`var/events.db` -> `var/events.claims.db`)."""
    from calendar_service.reminders.leases import Claims, ClaimsUnavailable, MemoryClaims
    from calendar_service.reminders.leases.redis import RedisClaims
    from calendar_service.reminders.leases.sqlite import SqliteClaims

    return _Beside[Claims](
        ClaimsUnavailable,
        memory=MemoryClaims,
        sqlite=lambda at: SqliteClaims(at.claims),
        redis=lambda at: RedisClaims(at.url, prefix=at.prefix),
    ).open(settings.location)


def open_admissions(settings: Settings) -> Admissions | None:
    """Where the log, the views and the claims share one Redis: the delivery's re-check and
    claim in one script there (`RedisAdmissions`); elsewhere None (`LogAdmissions`)."""
    from calendar_service.eventstore.redis import stream_key
    from calendar_service.projections.views_redis import view_key
    from calendar_service.reminders.leases import ClaimsUnavailable
    from calendar_service.reminders.leases.redis import RedisAdmissions

    location = settings.location
    if not isinstance(location, RedisLocation):
        return None
    prefix = location.prefix
    try:
        return RedisAdmissions(
            location.url,
            prefix=prefix,
            view_key=lambda name: view_key(prefix, name),
            stream_key=lambda stream: stream_key(prefix, stream),
        )
    except ClaimsUnavailable as error:
        raise ConfigError(f"CALENDAR_STORE: {error}") from None


def open_notifiers(settings: Settings) -> dict[str, Notifier]:
    """The channels this deployment can send by: the log always; email with
    CALENDAR_SMTP_URL, and calendar invitations (`invite`) by the same SMTP notifier; the
    webhook with CALENDAR_WEBHOOK_URL."""
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
        notifiers["invite"] = notifiers["email"]
    if settings.webhook_url:
        notifiers["webhook"] = WebhookNotifier(
            settings.webhook_url, secret=settings.webhook_secret, timeout=settings.notify_timeout
        )
    return notifiers


def open_inviter(settings: Settings, link_key: bytes) -> Inviter:
    """What makes this deployment's calendar invitations: ORGANIZER the office mailbox
    (CALENDAR_OFFICE_MAILBOX, else the address of CALENDAR_MAIL_FROM), links to engagement pages
    signed with `link_key` (`link_secret`), the office clock and working days, and the feed's
    default alarms and names directory (so an invitation's event reads as the feed's). A
    mailbox that is not a plain address stops start-up, named."""
    from email.utils import parseaddr

    from calendar_service.domain.workdays import korean_working_days
    from calendar_service.reminders.notify.invitation import Inviter
    from calendar_service.seed import load_seed

    mailbox = settings.office_mailbox or settings.mail_from
    try:
        return Inviter(
            settings.base_url,
            link_key,
            parseaddr(mailbox)[1],
            settings.timezone,
            is_working_day=korean_working_days(),
            default_reminders=settings.default_reminder_offsets,
            directory=load_seed().directory,
        )
    except ValueError as error:
        name = "CALENDAR_OFFICE_MAILBOX" if settings.office_mailbox else "CALENDAR_MAIL_FROM"
        raise ConfigError(f"{name}: {error}") from None


RETRY_WITHIN_SECONDS = 8.0
"""A delivery whose channel fails transiently tries again itself after 1, 2 and 4 s (with
jitter) before it hands the reminder back to the scheduler's refire (issues 13 and 15)."""


def reminder_delivery(
    container: Container, *, after_record: Callable[[], None] | None = None
) -> Deliverer:
    """What delivers reminders in this process (a worker, or the embedded scheduler). After
    each outcome it nudges the projections that show it, unless told otherwise."""
    from calendar_service.domain.workdays import korean_working_days
    from calendar_service.reminders.deliver import Deliverer
    from calendar_service.reminders.notify.message import Composer
    from calendar_service.reminders.notify.notice import NoticeComposer

    settings = container.settings
    nudger = container.nudger
    composer = Composer(
        settings.base_url,
        link_secret(settings),
        settings.timezone,
        is_working_day=korean_working_days(),
    )
    return Deliverer(
        store=container.store,
        views=container.views,
        claims=open_claims(settings),
        admissions=open_admissions(settings),
        notifiers=open_notifiers(settings),
        composer=composer,
        notice_words=NoticeComposer(composer),
        invitations=open_inviter(settings, composer.link_key),
        grace=settings.reminder_grace,
        claim_ttl=settings.reminder_claim_ttl,
        retries=settings.reminder_retries,
        retry_cap=settings.reminder_retry_cap,
        retry_within=RETRY_WITHIN_SECONDS,
        clock=container.clock,
        catch_up=container.projector.catch_up,
        after_record=after_record or (lambda: nudger.nudge(["reminders_due"])),
    )
