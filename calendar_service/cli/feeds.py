"""`calendar-service feeds create|list|revoke|ensure-local` and `calendar-service export`.

A Typer sub-app, mounted by `cli.py` with `app.add_typer(feeds_app, name="feeds")`; `export`
is a top-level command (`app.command("export")(export)`). Each command builds the container
with a `NullNudger` and catches up what it reads itself, so a short-lived command leaves no
thread behind and reads its own writes.

A token is printed once, by `create` (and kept, for the local demo only, by `ensure-local`, in a
file only its owner can read): the log and the views hold its hash alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from calendar_service.cli.options import (
    AUDIENCES,
    ActorOption,
    JsonOption,
    ReasonOption,
    StoreOption,
    command_group,
    container,
    err,
    fail,
    language,
    print_rows,
    refusals,
    settings,
    settle_end,
    who,
)

if TYPE_CHECKING:
    from calendar_service.projections.feeds import FeedRow

feeds_app = command_group(
    "Feeds and their secret tokens: create, list, revoke (each recorded in the log)."
)
LOCAL_FEED_FILE = Path("var") / "local-feed.json"


def feed_urls(base_url: str, token: str) -> dict[str, str]:
    """The https (or http) URL, its webcal:// twin, Google's add-by-URL link and the page."""
    from calendar_service.feed.links import feed_links

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
    from calendar_service.domain import Audience
    from calendar_service.feed.tokens import create_feed

    if audience not in AUDIENCES:
        fail(f"--audience {audience!r}: use public, staff or restricted")
    chosen = settings(store=store)
    with container(chosen) as built, refusals("feed not created"):
        created = create_feed(
            built.store,
            built.projector,
            name=name,
            audience=Audience(audience),
            lang=language(lang),
            actor=who(actor),
        )
    feed, urls = created.feed, feed_urls(chosen.base_url, created.token)
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
    as_json: JsonOption = False,
) -> None:
    """Every feed: id, name, audience, language, when created, and whether revoked (never a
    token: none is stored)."""
    from calendar_service.cli.render import life_cells
    from calendar_service.feed.tokens import list_feeds

    with container(settings(store=store)) as built:
        rows = list_feeds(built.projector)
    print_rows(
        rows,
        as_json,
        _as_json,
        "no feeds yet: create one with `calendar-service feeds create`",
        _feeds_table(rows),
        lambda row: (row.feed_id, escape(row.name), row.audience.value, row.lang, *life_cells(row)),
    )


def _feeds_table(rows: list[FeedRow]) -> Table:
    """The id column never shrinks: it is what `feeds revoke` takes."""
    table = Table(title="feeds")
    widest = max((len(row.feed_id) for row in rows), default=4)
    table.add_column("feed", no_wrap=True, min_width=widest)
    for heading in ("name", "audience", "lang", "created", "status"):
        table.add_column(heading, overflow="fold")
    return table


def _as_json(row: FeedRow) -> dict[str, Any]:
    return {
        "feed_id": row.feed_id,
        "name": row.name,
        "audience": row.audience.value,
        "lang": row.lang,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "revoked": row.revoked,
        "revoked_at": None if row.revoked_at is None else row.revoked_at.isoformat(),
    }


@feeds_app.command("revoke")
def revoke(
    feed_id: Annotated[str, typer.Argument(help="The feed's id, as `feeds list` shows it.")],
    reason: ReasonOption = None,
    store: StoreOption = None,
    actor: ActorOption = None,
) -> None:
    """Revoke a feed for good: from the next request on, its URL answers 410 Gone."""
    from calendar_service.domain import RevokeFeed

    said = (
        f"feed {feed_id} revoked: its URL answers 410 Gone from now on",
        f"feed {feed_id} was already revoked: nothing to do",
    )
    settle_end(store, RevokeFeed(feed_id=feed_id, reason=reason), who(actor), said)


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
    from calendar_service.feed.tokens import create_feed
    from calendar_service.projections.feeds import NAME, feed_for_token

    chosen = settings(store=store)
    store_key = hashlib.sha256(chosen.store.encode()).hexdigest()[:16]
    with container(chosen) as built:
        kept = _read_local(file, store_key)
        built.projector.catch_up(NAME)
        row = None if kept is None else feed_for_token(built.views, kept)
        if row is not None and not row.revoked and row.audience is Audience.STAFF:
            token = kept
        else:
            created = create_feed(
                built.store,
                built.projector,
                name="Local staff feed (make run)",
                audience=Audience.STAFF,
                actor="make-run",
            )
            token = created.token
            _write_local(
                file, {"store": store_key, "feed_id": created.feed.feed_id, "token": token}
            )
    assert token is not None
    urls = feed_urls(chosen.base_url, token)
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
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="A feed's secret (the last part of its URL): the export is then byte for byte "
            "what that URL serves, its links to the engagement pages included. Without it "
            "those links are left out: only a feed's secret opens them.",
        ),
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
    from calendar_service.bootstrap import feed_cache
    from calendar_service.domain import Audience
    from calendar_service.feed.cache import check_lang, parse_as_of
    from calendar_service.feed.ical import without_links
    from calendar_service.projections.calendar import NAME as CALENDAR
    from calendar_service.projections.feeds import NAME as FEEDS
    from calendar_service.projections.feeds import feed_by_id, feed_for_token

    if [feed, token, audience].count(None) != 2:
        fail(
            "give one of --feed FEED_ID, --token FEED_SECRET or --audience public|staff|restricted"
        )
    if audience is not None and audience not in AUDIENCES:
        fail(f"--audience {audience!r}: use public, staff or restricted")
    resolved = settings(store=store)
    try:
        asked = None if lang is None else check_lang(lang)
        moment = None if as_of is None else parse_as_of(as_of, resolved.timezone)
    except ValueError as error:
        fail(f"--{str(error).replace('_', '-', 1)}")
    with container(resolved) as built:
        if feed is not None or token is not None:
            built.projector.catch_up(FEEDS)
            if token is not None:
                row = feed_for_token(built.views, token)
                if row is None:
                    fail("no feed has this secret: check the feed's URL")
            else:
                assert feed is not None
                row = feed_by_id(built.views, feed)
                if row is None:
                    fail(f"no feed {feed!r}: list the feeds with `calendar-service feeds list`")
            if row.revoked:
                fail(f"feed {row.feed_id!r} is revoked; its URL answers 410 and it exports nothing")
            chosen, lang_chosen = row.audience, asked or row.lang
        else:
            assert audience is not None
            chosen, lang_chosen = Audience(audience), asked or "en"
        built.projector.catch_up(CALENDAR)
        cache = feed_cache(built)
        if moment is None:
            version = cache.live(chosen, lang_chosen)
        else:
            version = cache.as_of(chosen, lang_chosen, moment)
        body = cache.for_token(version, token).body if token else without_links(version.body)
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(body)
        err.print(f"wrote {len(body)} bytes, {version.events} events, to {output}")
