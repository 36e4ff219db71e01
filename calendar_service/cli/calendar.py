"""`calendar-service seed|agenda|history`: the article's engagements, and the calendar read back.

`seed` appends to the event log alone and then brings the views up to date; `agenda` and
`history` read the log (as of a moment, on either time axis) and print it for a terminal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from calendar_service.cli.options import (
    LangOption,
    StoreOption,
    TzOption,
    fail,
    language,
    out,
    settings,
)
from calendar_service.config import ConfigError, Settings

if TYPE_CHECKING:
    from calendar_service.eventstore import EventStore

WINDOW_BEFORE = timedelta(days=30)
WINDOW_AFTER = timedelta(days=180)


@contextmanager
def _event_log(chosen: Settings) -> Iterator[EventStore]:
    """The event log alone: seed, agenda and history read or append the log and leave the
    views to their projector, which pulls whatever was appended on its next catch-up."""
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
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Date or date-time: the calendar as the office knew it then. A date means "
            "the end of that day in --tz.",
        ),
    ] = None,
    as_recorded: Annotated[
        bool,
        typer.Option(
            "--as-recorded",
            help="With --as-of: the log as it stood then (recorded_at), not what the office "
            "knew then (known_at).",
        ),
    ] = False,
    lang: LangOption = "en",
    tz: TzOption = None,
) -> None:
    """Engagements and their derived deadlines in a window, as known at a moment."""
    from calendar_service.cli.render import agenda_heading, agenda_table
    from calendar_service.eventstore import iter_all
    from calendar_service.read.history import Axis, agenda_rows, calendar_as_of

    chosen = language(lang)
    resolved = settings(store=store)
    viewer = _zone(tz or resolved.timezone)
    moment = None if as_of is None else _moment("--as-of", as_of, viewer)
    if as_recorded and moment is None:
        fail("--as-recorded needs --as-of: give the moment, e.g. --as-of 2024-04-25")
    start, end = _window(from_, to, (moment or _now()).astimezone(viewer).date())
    axis = Axis.RECORDED if as_recorded else Axis.KNOWN
    with _event_log(resolved) as log:
        engagements = calendar_as_of(iter_all(log), moment, axis)
    rows = agenda_rows(engagements, start, end)
    console = out()
    console.print(agenda_heading(start, end, moment, axis, viewer, chosen))
    console.print(agenda_table(rows, viewer, chosen) if rows else "nothing in this window")


def history(
    engagement_id: Annotated[str, typer.Argument(help="The engagement's id, as agenda lists it.")],
    store: StoreOption = None,
    lang: LangOption = "en",
    tz: TzOption = None,
) -> None:
    """One engagement's timeline: known and recorded when, by whom, what changed, on what source."""
    from calendar_service.cli.render import print_history
    from calendar_service.domain import EngagementId, InvalidValue
    from calendar_service.eventstore import iter_all
    from calendar_service.read.history import calendar_as_of, engagement_events, history_rows

    chosen = language(lang)
    resolved = settings(store=store)
    viewer = _zone(tz or resolved.timezone)
    try:
        EngagementId(engagement_id)
    except InvalidValue as error:
        fail(f"{error}; list engagements with `calendar-service agenda`")
    with _event_log(resolved) as log:
        events = engagement_events(log, engagement_id)
        if not events:
            known = {event.stream for event in iter_all(log)}
            fail(_unknown_engagement(engagement_id, known), code=1)
    current = calendar_as_of(events)
    title = current[0].title.best(chosen) if current else ""
    print_history(out(), engagement_id, title, history_rows(events, chosen), viewer)


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
    """A date means the end of that day in the viewer's zone; a time without offset is theirs."""
    if len(value) == 10:
        day = _day(option, value)
        return datetime.combine(day + timedelta(days=1), time(), viewer) - timedelta(microseconds=1)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date or time: write 2024-04-25 or 2024-04-25T09:00")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=viewer)


def _window(from_: str | None, to: str | None, reference: date) -> tuple[date, date]:
    start = None if from_ is None else _day("--from", from_)
    end = None if to is None else _day("--to", to)
    if start is None:
        start = reference - WINDOW_BEFORE if end is None else end - WINDOW_BEFORE - WINDOW_AFTER
    if end is None:
        end = start + WINDOW_BEFORE + WINDOW_AFTER
    if end < start:
        fail(f"--to {end.isoformat()} is before --from {start.isoformat()}: swap them")
    return start, end


def _unknown_engagement(engagement_id: str, streams: set[str]) -> str:
    from calendar_service.read.history import ENGAGEMENT_STREAM_PREFIX

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
