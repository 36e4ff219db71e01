"""`calendar-service feeds create|list|revoke|ensure-local` and `calendar-service export`.

A Typer sub-app, mounted by `cli.py` with `app.add_typer(feeds_app, name="feeds")`; `export`
is a top-level command (`app.command("export")(export)`). Each command builds the container
with a `NullNudger` and catches up what it reads itself, so a short-lived command leaves no
thread behind and reads its own writes.

A token is printed once, by `create` (and kept, for the local demo only, by `ensure-local`, in a
file only its owner can read): the log and the views hold its hash alone.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from calendar_service.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from calendar_service.bootstrap import Container

feeds_app = typer.Typer(
    help="Feeds and their secret tokens: create, list, revoke (each recorded in the log).",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True, soft_wrap=True)

AUDIENCES = ("public", "staff", "restricted")
LANGUAGES = ("en", "ko", "zh")
LOCAL_FEED_FILE = Path("var") / "local-feed.json"

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="Event store URL (overrides CALENDAR_STORE), e.g. sqlite:///var/events.db"
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who is recording this (default: cli:<your user name>)."),
]


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]{escape(message)}[/red]", highlight=False)
    raise typer.Exit(code=code)


def _settings(store: str | None) -> Settings:
    try:
        return load_settings(store=store)
    except ConfigError as error:
        _fail(f"configuration error: {error}")


@contextmanager
def _container(settings: Settings) -> Iterator[Container]:
    from calendar_service.bootstrap import build
    from calendar_service.projections import NullNudger

    try:
        container = build(settings, nudger=NullNudger())
    except ConfigError as error:
        _fail(f"configuration error: {error}")
    try:
        yield container
    finally:
        container.close()


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def feed_urls(base_url: str, token: str) -> dict[str, str]:
    """The https (or http) URL, its webcal:// twin, Google's add-by-URL link and the page."""
    from calendar_service.api.links import feed_links

    return feed_links(base_url, token).as_dict()


@feeds_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Whom the feed is for, e.g. 'Press office'.")],
    audience: Annotated[
        str, typer.Option("--audience", help="public, staff or restricted: the widest it shows.")
    ],
    lang: Annotated[str, typer.Option("--lang", help="Default language: en, ko or zh.")] = "en",
    store: StoreOption = None,
    actor: ActorOption = None,
) -> None:
    """Create a feed and print its URLs and token, once: only the token's hash is kept."""
    from calendar_service.domain import Audience, DomainError
    from calendar_service.eventstore import EventStoreError
    from calendar_service.feeds import create_feed
    from calendar_service.projections import ProjectionError

    if audience not in AUDIENCES:
        _fail(f"--audience {audience!r}: use public, staff or restricted")
    if lang not in LANGUAGES:
        _fail(f"--lang {lang!r}: use en, ko or zh")
    settings = _settings(store)
    with _container(settings) as container:
        try:
            created = create_feed(
                container.store,
                container.projector,
                name=name,
                audience=Audience(audience),
                lang=lang,
                actor=_actor(actor),
            )
        except DomainError as error:
            _fail(str(error))
        except (EventStoreError, ProjectionError) as error:
            _fail(f"feed not created: {error}", code=1)
    feed, urls = created.feed, feed_urls(settings.base_url, created.token)
    typer.echo(
        f"feed {feed.feed_id} created for {feed.name!r} (audience {feed.audience.value}, "
        f"lang {feed.lang})"
    )
    typer.echo(f"  URL:     {urls['url']}")
    typer.echo(f"  webcal:  {urls['webcal']}")
    typer.echo(f"  Google:  {urls['google']}")
    typer.echo(f"  page:    {urls['page']}")
    typer.echo(f"  token:   {created.token}")
    typer.echo(
        "The token is shown this once; the log keeps only its hash. "
        f"Revoke it with: calendar-service feeds revoke {feed.feed_id}"
    )


@feeds_app.command("list")
def list_(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Every feed: id, name, audience, language, when created, and whether revoked (never a
    token: none is stored)."""
    from calendar_service.feeds import list_feeds

    with _container(_settings(store)) as container:
        rows = list_feeds(container.projector)
    if as_json:
        for row in rows:
            line = {
                "feed_id": row.feed_id,
                "name": row.name,
                "audience": row.audience.value,
                "lang": row.lang,
                "created_at": row.created_at.isoformat(),
                "created_by": row.created_by,
                "revoked": row.revoked,
                "revoked_at": None if row.revoked_at is None else row.revoked_at.isoformat(),
            }
            typer.echo(json.dumps(line, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no feeds yet: create one with `calendar-service feeds create`")
        return
    table = Table("feed", "name", "audience", "lang", "created", "status", title="feeds")
    for row in rows:
        status = (
            f"[red]revoked {row.revoked_at:%Y-%m-%d %H:%M}Z[/red]"
            if row.revoked_at is not None
            else "[green]active[/green]"
        )
        created = f"{row.created_at:%Y-%m-%d %H:%M}Z by {row.created_by}"
        table.add_row(
            row.feed_id, escape(row.name), row.audience.value, row.lang, escape(created), status
        )
    Console(highlight=False).print(table)


@feeds_app.command("revoke")
def revoke(
    feed_id: Annotated[str, typer.Argument(help="The feed's id, as `feeds list` shows it.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the log.")] = None,
    store: StoreOption = None,
    actor: ActorOption = None,
) -> None:
    """Revoke a feed for good: from the next request on, its URL answers 410 Gone."""
    from calendar_service.domain import DomainError
    from calendar_service.eventstore import EventStoreError
    from calendar_service.feeds import revoke_feed
    from calendar_service.projections import ProjectionError

    with _container(_settings(store)) as container:
        try:
            done = revoke_feed(
                container.store,
                container.projector,
                feed_id,
                reason=reason,
                actor=_actor(actor),
            )
        except DomainError as error:
            _fail(str(error))
        except (EventStoreError, ProjectionError) as error:
            _fail(f"revocation incomplete: {error}", code=1)
    if done:
        typer.echo(f"feed {feed_id} revoked: its URL answers 410 Gone from now on")
    else:
        typer.echo(f"feed {feed_id} was already revoked: nothing to do")


@feeds_app.command("ensure-local")
def ensure_local(
    store: StoreOption = None,
    file: Annotated[
        Path, typer.Option("--file", help="Where the local demo keeps its token (mode 0600).")
    ] = LOCAL_FEED_FILE,
) -> None:
    """For `make run`: a staff feed for this machine, created once and kept in a file only you
    can read, so every run prints the same URLs."""
    from calendar_service.domain import Audience
    from calendar_service.feeds import create_feed
    from calendar_service.projections.feeds import NAME, feed_for_token

    settings = _settings(store)
    store_key = hashlib.sha256(settings.store.encode()).hexdigest()[:16]
    with _container(settings) as container:
        kept = _read_local(file, store_key)
        container.projector.catch_up(NAME)
        row = None if kept is None else feed_for_token(container.views, kept)
        if row is not None and not row.revoked and row.audience is Audience.STAFF:
            token = kept
        else:
            created = create_feed(
                container.store,
                container.projector,
                name="Local staff feed (make run)",
                audience=Audience.STAFF,
                actor="make-run",
            )
            token = created.token
            _write_local(
                file, {"store": store_key, "feed_id": created.feed.feed_id, "token": token}
            )
    assert token is not None
    urls = feed_urls(settings.base_url, token)
    typer.echo(f"staff feed: {urls['url']}")
    typer.echo(f"    webcal: {urls['webcal']}")
    typer.echo(f"page:       {urls['page']}")


def _read_local(file: Path, store_key: str) -> str | None:
    try:
        kept = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("store") != store_key:
        return None
    token = kept.get("token")
    return token if isinstance(token, str) else None


def _write_local(file: Path, content: dict[str, str]) -> None:
    """Write atomically, readable by the owner only."""
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(f".{file.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, json.dumps(content).encode("utf-8"))
    finally:
        os.close(descriptor)
    os.replace(partial, file)


def export(
    feed: Annotated[
        str | None, typer.Option("--feed", help="A feed's id: its audience and language.")
    ] = None,
    audience: Annotated[
        str | None, typer.Option("--audience", help="public, staff or restricted (no feed).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="en, ko or zh (default: the feed's, or en).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Date or RFC 3339 time: the feed as the office knew it then (a date means the "
            "end of that day in CALENDAR_TIMEZONE).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to FILE instead of stdout.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Write a feed's iCalendar bytes: the same bytes its URL serves."""
    from calendar_service.domain import Audience
    from calendar_service.feedcache import FeedCache, check_lang, parse_as_of
    from calendar_service.projections.engagements import NAME as CALENDAR
    from calendar_service.projections.feeds import NAME as FEEDS
    from calendar_service.projections.feeds import feed_by_id

    if (feed is None) == (audience is None):
        _fail("give --feed FEED_ID or --audience public|staff|restricted (one of them)")
    if audience is not None and audience not in AUDIENCES:
        _fail(f"--audience {audience!r}: use public, staff or restricted")
    settings = _settings(store)
    try:
        language = None if lang is None else check_lang(lang)
        moment = None if as_of is None else parse_as_of(as_of, settings.timezone)
    except ValueError as error:
        _fail(f"--{str(error).replace('_', '-', 1)}")
    with _container(settings) as container:
        if feed is not None:
            container.projector.catch_up(FEEDS)
            row = feed_by_id(container.views, feed)
            if row is None:
                _fail(f"no feed {feed!r}: list the feeds with `calendar-service feeds list`")
            if row.revoked:
                _fail(f"feed {feed!r} is revoked; its URL answers 410 and it exports nothing")
            chosen, language = row.audience, language or row.lang
        else:
            assert audience is not None
            chosen, language = Audience(audience), language or "en"
        container.projector.catch_up(CALENDAR)
        cache = FeedCache.from_settings(settings, container.store, container.views)
        if moment is None:
            version = cache.live(chosen, language)
        else:
            version = cache.as_of(chosen, language, moment)
    if output is None:
        sys.stdout.buffer.write(version.body)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(version.body)
        err.print(f"wrote {len(version.body)} bytes, {version.events} events, to {output}")
