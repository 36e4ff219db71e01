"""The composition root: the only module that chooses implementations.

`build(settings)` is called once per process (server, CLI command, worker) and returns the
`Container` everything else receives. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from calendar_service.config import ConfigError, Settings
from calendar_service.eventstore.base import EventStore, StoreUnavailable
from calendar_service.eventstore.codec import NO_UPCASTERS, Upcasters
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.eventstore.redis import RedisEventStore
from calendar_service.eventstore.sqlite import SqliteEventStore


@dataclass
class Container:
    settings: Settings
    store: EventStore

    def close(self) -> None:
        self.store.close()


def build(settings: Settings) -> Container:
    """Open what `settings` names. A store that cannot be opened raises `ConfigError`."""
    return Container(settings=settings, store=open_store(settings))


def open_store(settings: Settings, upcasters: Upcasters = NO_UPCASTERS) -> EventStore:
    url = settings.store
    parts = urlsplit(url)
    try:
        if parts.scheme == "memory":
            return MemoryEventStore(upcasters=upcasters)
        if parts.scheme == "sqlite":
            return SqliteEventStore(sqlite_path(url), upcasters=upcasters)
        prefix = parse_qs(parts.query).get("prefix", ["calendar"])[0]
        return RedisEventStore(
            parts._replace(query="").geturl(),
            prefix=prefix,
            allow_ephemeral=settings.redis_allow_ephemeral,
            upcasters=upcasters,
        )
    except StoreUnavailable as error:
        raise ConfigError(f"CALENDAR_STORE: {error}") from None


def sqlite_path(url: str) -> Path:
    """sqlite:///var/events.db is relative to the working directory, sqlite:////srv/x.db not."""
    return Path(url.removeprefix("sqlite:///"))
