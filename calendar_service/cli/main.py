"""The `calendar-service` command. Each command builds what it needs once (the container; for
`seed`, `agenda` and `history` the event log alone) and calls in. Bad input is one red line
and exit code 2."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from calendar_service.cli.feeds import export, feeds_app
from calendar_service.cli.projections import projections_app
from calendar_service.cli.scheduler import scheduler
from calendar_service.cli.staff import staff_app
from calendar_service.cli.tokens import tokens_app
from calendar_service.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from calendar_service.eventstore import EventStore

app = typer.Typer(
    help="Diplomatic calendar: an audit-grade event log of engagements, a feed, reminders.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True, soft_wrap=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="Event store URL (overrides CALENDAR_STORE), e.g. sqlite:///var/events.db"
    ),
]


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as error:
        err.print(f"[red]configuration error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None


@app.command("check-config")
def check_config(store: StoreOption = None) -> None:
    """Print the resolved settings (secrets masked) and check that the event store opens."""
    from calendar_service.bootstrap import build

    settings = _settings(store=store)
    table = Table("setting", "value", title="calendar-service settings")
    for name, value in settings.masked().items():
        table.add_row(f"CALENDAR_{name.upper()}", value)
    console.print(table)
    try:
        container = build(settings)
    except ConfigError as error:
        err.print(f"[red]configuration error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None
    console.print(f"event store: ok, {container.store.head()} events")
    container.close()


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the HTTP service (embedded mode: everything in this one process)."""
    import uvicorn

    from calendar_service.api import create_app
    from calendar_service.bootstrap import build, check_broker
    from calendar_service.logs import configure_logging
    from calendar_service.reminders.schedule import start_embedded_scheduler

    settings = _settings(store=store, host=host, port=port)
    configure_logging(settings)
    try:
        container = build(settings)
        check_broker(settings)  # distributed mode: a broker that does not answer stops start-up
    except ConfigError as error:
        err.print(f"[red]configuration error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None
    console.print(f"calendar-service on {settings.base_url} (store {settings.masked()['store']})")
    container.nudge_all()  # catch the read side up with whatever was appended while stopped
    # Embedded mode: the reminder scheduler and delivery run in a thread of this process.
    reminders = None if settings.broker else start_embedded_scheduler(container)
    try:
        uvicorn.run(create_app(container), host=settings.host, port=settings.port, log_config=None)
    finally:
        if reminders is not None:
            reminders.stop()
        container.close()


LANGUAGES = ("en", "ko", "zh")
WINDOW_BEFORE = timedelta(days=30)
WINDOW_AFTER = timedelta(days=180)
LangOption = Annotated[
    str, typer.Option("--lang", help="Language of titles and dates: en, ko or zh.")
]
TzOption = Annotated[
    str | None,
    typer.Option(
        "--tz", help="Your IANA time zone (default: CALENDAR_TIMEZONE), e.g. Europe/Paris."
    ),
]


def _fail(message: str, code: int = 2) -> NoReturn:
    """One red line on stderr, then exit: 2 for bad input, 1 for a failure of the run."""
    err.print(f"[red]{escape(message)}[/red]", highlight=False)
    raise typer.Exit(code=code)


@contextmanager
def _event_log(settings: Settings) -> Iterator[EventStore]:
    """The event log alone: seed, agenda and history read or append the log and leave the
    views to their projector, which pulls whatever was appended on its next catch-up."""
    from calendar_service.bootstrap import open_store

    try:
        store = open_store(settings)
    except ConfigError as error:
        _fail(f"configuration error: {error}")
    try:
        yield store
    finally:
        store.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _out() -> Console:
    # Built per command, so the width follows the terminal (or COLUMNS) of this run.
    return Console(highlight=False)


def _bring_views_up_to_date(settings: Settings) -> None:
    """After a direct append: catch up here (embedded), or nudge the workers (broker)."""
    from calendar_service.bootstrap import build

    try:
        container = build(settings)
    except ConfigError as error:
        _fail(f"configuration error: {error}")
    try:
        if settings.broker is None:
            container.projector.catch_up_all()
        else:
            container.nudge_all()
    finally:
        container.close()


@app.command()
def seed(store: StoreOption = None) -> None:
    """Append the article's engagements with their provenance; a second run appends nothing."""
    from calendar_service.eventstore import EventStoreError
    from calendar_service.seed import SeedError, apply_seed

    with _event_log(_settings(store=store)) as log:
        try:
            report = apply_seed(log, _now)
        except (SeedError, EventStoreError) as error:
            _fail(f"seed failed: {error}", code=1)
    if report.appended_events:
        _bring_views_up_to_date(_settings(store=store))
    out = _out()
    if report.appended_events:
        earlier = len(report.already_seeded)
        note = f" ({earlier} entries were already seeded)" if earlier else ""
        out.print(
            f"seeded: appended {report.appended_events} events "
            f"from {len(report.applied)} entries{note}"
        )
    else:
        out.print("already seeded: nothing appended")
    if report.not_yet_known:
        out.print(
            f"{len(report.not_yet_known)} entries are not known yet (known_at is in the "
            "future): run seed again later"
        )


@app.command()
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

    language = _language(lang)
    settings = _settings(store=store)
    viewer = _zone(tz or settings.timezone)
    moment = None if as_of is None else _moment("--as-of", as_of, viewer)
    if as_recorded and moment is None:
        _fail("--as-recorded needs --as-of: give the moment, e.g. --as-of 2024-04-25")
    start, end = _window(from_, to, (moment or _now()).astimezone(viewer).date())
    axis = Axis.RECORDED if as_recorded else Axis.KNOWN
    with _event_log(settings) as log:
        engagements = calendar_as_of(iter_all(log), moment, axis)
    rows = agenda_rows(engagements, start, end)
    out = _out()
    out.print(agenda_heading(start, end, moment, axis, viewer, language))
    out.print(agenda_table(rows, viewer, language) if rows else "nothing in this window")


@app.command()
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

    language = _language(lang)
    settings = _settings(store=store)
    viewer = _zone(tz or settings.timezone)
    try:
        EngagementId(engagement_id)
    except InvalidValue as error:
        _fail(f"{error}; list engagements with `calendar-service agenda`")
    with _event_log(settings) as log:
        events = engagement_events(log, engagement_id)
        if not events:
            known = {event.stream for event in iter_all(log)}
            _fail(_unknown_engagement(engagement_id, known), code=1)
    current = calendar_as_of(events)
    title = current[0].title.best(language) if current else ""
    print_history(_out(), engagement_id, title, history_rows(events, language), viewer)


def _language(value: str) -> str:
    if value not in LANGUAGES:
        _fail(f"--lang {value!r} is not a language of the calendar: use en, ko or zh")
    return value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"--tz {name!r} is not an IANA time zone: use a name such as Asia/Seoul")


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value) if len(value) == 10 else _bad_day(option, value)
    except ValueError:
        _bad_day(option, value)


def _bad_day(option: str, value: str) -> NoReturn:
    _fail(f"{option} {value!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-04-25")


def _moment(option: str, value: str, viewer: ZoneInfo) -> datetime:
    """A date means the end of that day in the viewer's zone; a time without offset is theirs."""
    if len(value) == 10:
        day = _day(option, value)
        return datetime.combine(day + timedelta(days=1), time(), viewer) - timedelta(microseconds=1)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date or time: write 2024-04-25 or 2024-04-25T09:00")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=viewer)


def _window(from_: str | None, to: str | None, reference: date) -> tuple[date, date]:
    start = None if from_ is None else _day("--from", from_)
    end = None if to is None else _day("--to", to)
    if start is None:
        start = reference - WINDOW_BEFORE if end is None else end - WINDOW_BEFORE - WINDOW_AFTER
    if end is None:
        end = start + WINDOW_BEFORE + WINDOW_AFTER
    if end < start:
        _fail(f"--to {end.isoformat()} is before --from {start.isoformat()}: swap them")
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


app.add_typer(feeds_app, name="feeds")
app.add_typer(tokens_app, name="tokens")
app.add_typer(projections_app, name="projections")
app.command("export")(export)
app.add_typer(staff_app, name="staff")
app.command("scheduler")(scheduler)


def main() -> None:  # pragma: no cover - console-script shim
    sys.exit(app())
