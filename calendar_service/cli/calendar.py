"""`calendar-service seed|agenda|decisions|history`: the article's engagements, and the calendar
read back.

`seed` appends to the event log alone and then brings the views up to date. `agenda` and
`decisions` read the calendar (live, caught up here, or as of a moment on either time axis)
through `read`, so they list what the JSON agenda and the feed's page list; `history` reads an
engagement's streams. Each prints for a terminal (`render`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from calendar_service.cli.options import (
    JsonOption,
    LangOption,
    StoreOption,
    TzOption,
    container,
    fail,
    language,
    out,
    refusals,
    settings,
)
from calendar_service.config import ConfigError, Settings

if TYPE_CHECKING:
    from rich.text import Text

    from calendar_service.domain import Audience
    from calendar_service.eventstore import EventStore
    from calendar_service.projections import Axis, ViewStore
    from calendar_service.read import Decision, HistoryRow, ItemView


T = TypeVar("T")


@contextmanager
def _event_log(chosen: Settings) -> Iterator[EventStore]:
    """The event log alone: seed appends to it and history reads it; the views are left to
    their projector, which pulls whatever was appended on its next catch-up."""
    from calendar_service.bootstrap import open_store

    try:
        store = open_store(chosen)
    except ConfigError as error:
        fail(f"configuration error: {error}")
    try:
        yield store
    finally:
        store.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _bring_views_up_to_date(chosen: Settings) -> None:
    """After a direct append: catch up here (embedded), or nudge the workers (broker)."""
    from calendar_service.bootstrap import build
    from calendar_service.cli.options import broker_nudger

    try:
        container = build(chosen, nudger=broker_nudger(chosen))
    except ConfigError as error:
        fail(f"configuration error: {error}")
    try:
        if chosen.broker is None:
            container.projector.catch_up_all()
        else:
            container.nudge_all()
    finally:
        container.close()


def seed(store: StoreOption = None) -> None:
    """Append the article's engagements with their provenance; a second run appends nothing."""
    from calendar_service.eventstore import EventStoreError
    from calendar_service.seed import SeedError, apply_seed

    with _event_log(settings(store=store)) as log:
        try:
            report = apply_seed(log, _now)
        except (SeedError, EventStoreError) as error:
            fail(f"seed failed: {error}", code=1)
    if report.appended_events:
        _bring_views_up_to_date(settings(store=store))
    console = out()
    if report.appended_events:
        earlier = len(report.already_seeded)
        note = f" ({earlier} entries were already seeded)" if earlier else ""
        console.print(
            f"seeded: appended {report.appended_events} events "
            f"from {len(report.applied)} entries{note}"
        )
    else:
        console.print("already seeded: nothing appended")
    if report.not_yet_known:
        console.print(
            f"{len(report.not_yet_known)} entries are not known yet (known_at is in the "
            "future): run seed again later"
        )


AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Date or date-time: the calendar as the office knew it then. A date means "
        "the end of that day in --tz.",
    ),
]
AsRecordedOption = Annotated[
    bool,
    typer.Option(
        "--as-recorded",
        help="With --as-of: the log as it stood then (recorded_at), not what the office "
        "knew then (known_at).",
    ),
]
AudienceOption = Annotated[
    str,
    typer.Option(
        "--audience",
        help="Whose view: public, staff or restricted (everything), as that audience's feed "
        "and page show it.",
    ),
]


@dataclass(frozen=True)
class _Reader:
    """Who reads, and how: the language, the settings, the viewer's zone, the audience, and
    the calendar's moment (None: now) and time axis."""

    lang: str
    settings: Settings
    viewer: ZoneInfo
    audience: Audience
    moment: datetime | None
    axis: Axis

    @property
    def now(self) -> datetime:
        """The calendar's moment on the viewer's clock: the as-of moment, or now."""
        return (self.moment or _now()).astimezone(self.viewer)

    @property
    def today(self) -> date:
        """The day the default windows are counted from: the as-of day, or today."""
        return self.now.date()


def _reader(
    store: str | None,
    lang: str,
    tz: str | None,
    audience: str = "restricted",
    as_of: str | None = None,
    as_recorded: bool = False,
) -> _Reader:
    """The options every read command shares, checked; exit 2 on a bad one."""
    from calendar_service.cli.options import AUDIENCES
    from calendar_service.domain import Audience
    from calendar_service.projections import Axis

    chosen = language(lang)
    if audience not in AUDIENCES:
        fail(f"--audience {audience!r}: use public, staff or restricted")
    resolved = settings(store=store)
    viewer = _zone(tz or resolved.timezone)
    moment = None if as_of is None else _moment("--as-of", as_of, viewer)
    if as_recorded and moment is None:
        fail("--as-recorded needs --as-of: give the moment, e.g. --as-of 2024-04-25")
    axis = Axis.RECORDED if as_recorded else Axis.KNOWN
    return _Reader(chosen, resolved, viewer, Audience(audience), moment, axis)


def _read(reader: _Reader, start: date, end: date) -> tuple[list[ItemView], list[Decision]]:
    """The reader's agenda over days `start`..`end`, and the decisions waiting among its
    items: from the live calendar, caught up here first (as `export` does), or from private
    views of it as of the reader's moment."""
    from calendar_service.read import decisions

    return _read_board(reader, start, end, lambda views, items: (items, decisions(views, items)))


def _read_board(
    reader: _Reader, start: date, end: date, use: Callable[[ViewStore, list[ItemView]], T]
) -> T:
    """`use` applied to the calendar's views the reader reads and its agenda over days
    `start`..`end`, while the views are open."""
    from calendar_service.projections.calendar import NAME as CALENDAR
    from calendar_service.read import agenda_view, calendar_at

    with container(reader.settings) as built, refusals("the calendar could not be read"):
        if reader.moment is None:
            built.projector.catch_up(CALENDAR)
        views = calendar_at(built.views, built.store, reader.moment, reader.axis)
        items = agenda_view(
            views, start, end, audience=reader.audience, viewer=reader.viewer, lang=reader.lang
        )
        return use(views, items)


def agenda(
    store: StoreOption = None,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from", help="First day, YYYY-MM-DD (default: 30 days before the as-of day)."
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Last day, YYYY-MM-DD (default: 180 days after the as-of day)."),
    ] = None,
    as_of: AsOfOption = None,
    as_recorded: AsRecordedOption = False,
    audience: AudienceOption = "restricted",
    lang: LangOption = "en",
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Engagements, observances and deadlines in a window, as known at a moment: the items and
    order of the JSON agenda and the feed's page."""
    from calendar_service.cli.render import agenda_table
    from calendar_service.words import words_for

    reader = _reader(store, lang, tz, audience, as_of, as_recorded)
    start, end = _window(from_, to, reader.today)
    items, _ = _read(reader, start, end)
    if as_json:
        for item in items:
            typer.echo(json.dumps(_item_json(item, reader.lang), ensure_ascii=False))
        return
    t = words_for(reader.lang)
    console = out()
    console.print(_heading(reader, start, end, t.gettext("Agenda")))
    console.print(
        agenda_table(items, reader.lang, reader.viewer)
        if items
        else t.gettext("Nothing in this window.")
    )


def _item_json(item: ItemView, lang: str) -> dict[str, Any]:
    from calendar_service.cli.render import status_text

    return {
        "id": item.id,
        "kind": item.kind,
        "engagement_id": item.engagement_id,
        "title": item.title,
        "start": item.start.isoformat(),
        "end": item.end.isoformat(),
        "tz": item.own_tz,
        "when_text": item.when_text,
        "viewer_time": item.viewer_time,
        "status": item.status,
        "status_text": status_text(item, lang),
        "participation": None if item.participation is None else item.participation.value,
        "participation_text": item.participation_text,
        "place_text": item.place_text,
        "audience": item.audience.value,
        "explanation": item.explanation or None,
    }


def decisions(
    store: StoreOption = None,
    audience: AudienceOption = "restricted",
    as_of: AsOfOption = None,
    as_recorded: AsRecordedOption = False,
    lang: LangOption = "en",
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """Invitations waiting for the province's answer, soonest decide-by first (overdue ones
    marked), then those that lapsed with no decision: the first section of the feed's page,
    over its window (three years back, two ahead)."""
    from calendar_service.cli.render import decisions_table
    from calendar_service.read import board_json, decision_board, years_around
    from calendar_service.words import words_for

    reader = _reader(store, lang, tz, audience, as_of, as_recorded)
    start, end = years_around(reader.today)
    board = _read_board(
        reader, start, end, lambda views, items: decision_board(views, items, reader.now)
    )
    if as_json:
        typer.echo(json.dumps(board_json(board, reader.lang), ensure_ascii=False))
        return
    t = words_for(reader.lang)
    console = out()
    console.print(_heading(reader, start, end, t.gettext("Decisions")))
    if not board.pending and not board.lapsed:
        console.print(t.gettext("No invitation is waiting for a decision."))
        return
    console.print(decisions_table(board, reader.lang))


def _heading(reader: _Reader, start: date, end: date, what: str) -> Text:
    from calendar_service.cli.render import agenda_heading

    return agenda_heading(start, end, reader.moment, reader.axis, reader.viewer, reader.lang, what)


def history(
    engagement_id: Annotated[str, typer.Argument(help="The engagement's id, as agenda lists it.")],
    store: StoreOption = None,
    lang: LangOption = "en",
    tz: TzOption = None,
    as_json: JsonOption = False,
) -> None:
    """One engagement's timeline: known and recorded when, by whom, what changed, on what source."""
    from calendar_service.cli.render import print_history
    from calendar_service.domain import EngagementId, InvalidValue
    from calendar_service.eventstore import iter_all
    from calendar_service.read import engagement_history

    reader = _reader(store, lang, tz)
    try:
        EngagementId(engagement_id)
    except InvalidValue as error:
        fail(f"{error}; list engagements with `calendar-service agenda`")
    with _event_log(reader.settings) as log:
        found = engagement_history(log, engagement_id, reader.lang, now=reader.now)
        if found is None:
            known = {event.stream for event in iter_all(log)}
            fail(_unknown_engagement(engagement_id, known), code=1)
    if as_json:
        for row in found.rows:
            typer.echo(json.dumps(_history_json(row, reader), ensure_ascii=False))
        return
    print_history(
        out(), engagement_id, found.title(reader.lang), found.rows, reader.viewer, reader.lang
    )


def _history_json(row: HistoryRow, reader: _Reader) -> dict[str, Any]:
    from calendar_service.read.wording import describe_source

    found: dict[str, Any] = {
        "version": row.version,
        "position": row.position,
        "known_at": row.known_at.astimezone(reader.viewer).isoformat(),
        "recorded_at": row.recorded_at.astimezone(reader.viewer).isoformat(),
        "actor": row.actor,
        "event_type": row.event_type,
        "what": row.what,
        "change": row.change,
        "derived": row.derived,
        "sources": [describe_source(source, reader.lang) for source in row.sources],
    }
    if row.reminder_id is not None:
        found["reminder_id"] = row.reminder_id
    return found


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--tz {name!r} is not an IANA time zone: use a name such as Asia/Seoul")


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value) if len(value) == 10 else _bad_day(option, value)
    except ValueError:
        _bad_day(option, value)


def _bad_day(option: str, value: str) -> NoReturn:
    fail(f"{option} {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-04-25")


def _moment(option: str, value: str, viewer: ZoneInfo) -> datetime:
    """A date means the end of that day in the viewer's zone; a time without offset is theirs.
    Parsed as the feed and the API parse `as_of`, so a moment outside the years the calendar
    holds is refused here too, with exit 2."""
    from calendar_service.feed import parse_as_of

    try:
        return parse_as_of(value, viewer.key)
    except ValueError as error:
        fail(f"{option} {str(error).removeprefix('as_of ')}")


def _window(from_: str | None, to: str | None, reference: date) -> tuple[date, date]:
    """The agenda's days: `read.window`'s defaults (30 days before `reference`, 180 after)
    and its limits, with the CLI's options named in a refusal."""
    from calendar_service.domain import InvalidValue
    from calendar_service.read import window

    start = None if from_ is None else _day("--from", from_)
    end = None if to is None else _day("--to", to)
    if start is not None and end is not None and end < start:
        fail(f"--to {end.isoformat()} is before --from {start.isoformat()}: swap them")
    try:
        return window(start, end, reference)
    except InvalidValue as error:
        fail(f"--{error}")


def _unknown_engagement(engagement_id: str, streams: set[str]) -> str:
    from calendar_service.read import ENGAGEMENT_STREAM_PREFIX

    ids = sorted(
        s.removeprefix(ENGAGEMENT_STREAM_PREFIX)
        for s in streams
        if s.startswith(ENGAGEMENT_STREAM_PREFIX)
    )
    close = difflib.get_close_matches(engagement_id, ids, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"no engagement {engagement_id!r} in the log{hint}; "
        "list engagements with `calendar-service agenda`"
    )
