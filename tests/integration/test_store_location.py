"""CALENDAR_STORE is parsed once into a location: every form the README lists, the files beside
a SQLite log, a Redis URL's prefix, and the refusals, each one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from calendar_service.config import (
    ConfigError,
    MemoryLocation,
    RedisLocation,
    SqliteLocation,
    load_settings,
    store_location,
)


def test_the_default_store_is_the_sqlite_file_under_var_with_its_files_beside_it() -> None:
    location = load_settings().location
    assert location == SqliteLocation(Path("var/events.db"))
    assert isinstance(location, SqliteLocation)
    assert location.views == Path("var/events.views.db")
    assert location.claims == Path("var/events.claims.db")
    assert location.jobs == Path("var/events.jobs.db")


def test_a_sqlite_url_with_three_slashes_is_relative_and_with_four_absolute() -> None:
    relative = store_location("sqlite:///relative.db")
    absolute = store_location("sqlite:////srv/calendar/events.db")
    assert relative == SqliteLocation(Path("relative.db"))
    assert absolute == SqliteLocation(Path("/srv/calendar/events.db"))
    assert isinstance(absolute, SqliteLocation)
    assert absolute.views == Path("/srv/calendar/events.views.db")


@pytest.mark.parametrize(
    ("url", "connect", "prefix"),
    [
        ("redis://host:6379/0", "redis://host:6379/0", "calendar"),
        ("redis://host:6379/0?prefix=gyeonggi", "redis://host:6379/0", "gyeonggi"),
        ("redis://host:6379/0?prefix=", "redis://host:6379/0", "calendar"),
        (
            "rediss://officer:s3cret@redis.example:6380/2?prefix=liaoning",
            "rediss://officer:s3cret@redis.example:6380/2",
            "liaoning",
        ),
    ],
)
def test_a_redis_url_gives_the_url_to_connect_to_and_the_key_prefix(
    url: str, connect: str, prefix: str
) -> None:
    assert store_location(url) == RedisLocation(connect, prefix)


def test_memory_is_a_location_of_its_own() -> None:
    assert store_location("memory://") == MemoryLocation()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgres://db/x",
            "CALENDAR_STORE: 'postgres://db/x' is not a store URL: use sqlite:///var/events.db, "
            "redis://host:6379/0 or memory://",
        ),
        ("var/events.db", "CALENDAR_STORE: 'var/events.db' is not a store URL"),
        (
            "sqlite:///",
            "CALENDAR_STORE: 'sqlite:///' names no file: use sqlite:///var/events.db",
        ),
        (
            "redis://host:6379/0?prefix=my calendar",
            "CALENDAR_STORE: 'redis://host:6379/0?prefix=my calendar': the prefix "
            "'my calendar' has spaces: use e.g. ?prefix=calendar",
        ),
    ],
)
def test_a_store_url_that_names_no_store_is_refused_in_one_line(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(store=url)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)
