"""Rich renderings of the read side for the terminal: the agenda table and a history timeline.

Only layout lives here; the rows come from `queries` and the words from `wording`, so the
page and the API can say the same things in their own form.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from calendar_service.domain import Precision
from calendar_service.read.history import AgendaRow, Axis, HistoryRow, RowKind
from calendar_service.read.wording import (
    describe_place,
    describe_source,
    describe_status,
    describe_when,
    format_day,
    ordinal,
    viewer_clock,
)


def print_history(
    out: Console, engagement_id: str, title: str, rows: list[HistoryRow], viewer: ZoneInfo
) -> None:
    """The timeline, oldest first: one block per event, each source on its own line."""
    out.print(Text(f"History of {engagement_id}: {title}", style="bold"))
    out.print(
        f"Times in {viewer.key}. known: when the office learned it; "
        "recorded: when it entered the log."
    )
    for number, row in enumerate(rows, start=1):
        out.print()
        _print_history_row(out, number, row, viewer)


def agenda_heading(
    start: date, end: date, moment: datetime | None, axis: Axis, viewer: ZoneInfo, lang: str
) -> Text:
    """One line: the window, the moment and axis of the calendar, the viewer's zone."""
    window = f"Agenda {format_day(start, lang)} – {format_day(end, lang)}"
    if moment is None:
        known = "as known now"
    else:
        seen = "as the log stood at" if axis is Axis.RECORDED else "as the office knew it at"
        known = f"{seen} {_clock(moment, viewer)}"
    return Text(f"{window}, {known}; dates in each item's own zone, your zone {viewer.key}")


def agenda_table(rows: list[AgendaRow], viewer: ZoneInfo, lang: str) -> Table:
    """Dates in each item's own zone beside the zone; a column on the viewer's clock only
    when some item is timed in another zone."""
    second_clocks = [viewer_clock(row.when, viewer.key, lang) for row in rows]
    table = Table(box=None, pad_edge=False)
    table.add_column("When", no_wrap=True)
    table.add_column("Zone", no_wrap=True)
    if any(second_clocks):
        table.add_column(f"In {viewer.key}", no_wrap=True)
    # The title gets the room: status and place wrap first on a narrow terminal.
    table.add_column("Item", min_width=40)
    table.add_column("Status", max_width=30)
    table.add_column("Where", max_width=36)
    for row, second in zip(rows, second_clocks, strict=True):
        cells = _cells(row, lang)
        if any(second_clocks):
            cells.insert(2, Text(second or ""))
        table.add_row(*cells)
    return table


def _cells(row: AgendaRow, lang: str) -> list[Text]:
    observance = row.kind is RowKind.OBSERVANCE
    day_unknown = observance and row.when.precision is Precision.MONTH
    title = row.title.best(lang)
    if observance and row.ordinal is not None:
        title = f"{title}: {ordinal(row.ordinal)} anniversary"
    item = Text(title)
    item.append(f"\n{row.engagement.id}", style="dim")
    if row.deadline is not None:
        how = "derived by rule" if row.deadline.derived else "set by hand"
        status = f"deadline {how}: {row.deadline.rule}"
        if row.deadline.tentative:
            status += " (tentative)"
        where = ""
    else:
        status = "yearly observance" if observance else describe_status(row.engagement, lang)
        where = describe_place(row.engagement.place, lang)
    return [
        Text(describe_when(row.when, lang, day_unknown=day_unknown)),
        Text(row.when.tz),
        item,
        Text(status),
        Text(where),
    ]


def _print_history_row(out: Console, number: int, row: HistoryRow, viewer: ZoneInfo) -> None:
    out.print(
        Text(
            f"{number}. known {_clock(row.known_at, viewer)} · recorded "
            f"{_clock(row.recorded_at, viewer)} · by {row.actor}",
            style="bold",
        ),
        soft_wrap=True,
    )
    out.print(Text(f"   {row.summary}"), soft_wrap=True)
    for source in row.sources:
        out.print(Text(f"   source {describe_source(source)}", style="dim"), soft_wrap=True)


def _clock(moment: datetime, viewer: ZoneInfo) -> str:
    local = moment.astimezone(viewer)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
