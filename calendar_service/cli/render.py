"""Rich renderings of the read side for the terminal: the agenda and decisions tables and a
history timeline.

Only layout lives here; the items and entries come from `read` (`agenda_view`, `decisions`,
`engagement_history`), worded there, so the CLI says what the page and the API say, in its
own form.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from calendar_service.projections import Axis
from calendar_service.projections.stream_rows import RevocableRow
from calendar_service.read import Decision, HistoryRow, ItemView
from calendar_service.read.wording import describe_source, describe_status, format_day


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


def life_cells(row: RevocableRow) -> tuple[str, str]:
    """The "created" and "status" cells of a feed's or a staff token's row (markup)."""
    created = escape(f"{row.created_at:%Y-%m-%d %H:%M}Z by {row.created_by}")
    if row.revoked_at is None:
        return created, "[green]active[/green]"
    return created, f"[red]revoked {row.revoked_at:%Y-%m-%d %H:%M}Z[/red]"


def agenda_heading(
    start: date,
    end: date,
    moment: datetime | None,
    axis: Axis,
    viewer: ZoneInfo,
    lang: str,
    what: str = "Agenda",
) -> Text:
    """One line: what is listed over which window, the moment and axis of the calendar, the
    viewer's zone."""
    window = f"{what} {format_day(start, lang)} – {format_day(end, lang)}"
    if moment is None:
        known = "as known now"
    else:
        seen = "as the log stood at" if axis is Axis.RECORDED else "as the office knew it at"
        known = f"{seen} {_clock(moment, viewer)}"
    return Text(f"{window}, {known}; dates in each item's own zone, your zone {viewer.key}")


def agenda_table(items: list[ItemView], lang: str, viewer: ZoneInfo) -> Table:
    """Dates in each item's own zone beside the zone; a column on the viewer's clock only
    when some item is timed in another zone."""
    second_clocks = [item.viewer_time for item in items]
    table = Table(box=None, pad_edge=False)
    table.add_column("When", no_wrap=True)
    table.add_column("Zone", no_wrap=True)
    if any(second_clocks):
        table.add_column(f"In {viewer.key}", no_wrap=True)
    # The title gets the room: status and place wrap first on a narrow terminal.
    table.add_column("Item", min_width=40)
    table.add_column("Status", max_width=30)
    table.add_column("Where", max_width=36)
    for item, second in zip(items, second_clocks, strict=True):
        cells = [Text(item.when_text), Text(item.own_tz), _titled(item)]
        if any(second_clocks):
            cells.insert(2, Text(second or ""))
        table.add_row(*cells, Text(_status(item, lang)), Text(item.place_text))
    return table


def decisions_table(waiting: list[Decision], lang: str, now: datetime) -> Table:
    """Each invitation with its decide-by (marked when overdue, or lapsed once the engagement
    is over), its when in its own zone, and the province's part."""
    table = Table(box=None, pad_edge=False)
    table.add_column("Decide by", no_wrap=True)
    table.add_column("When", no_wrap=True)
    table.add_column("Zone", no_wrap=True)
    table.add_column("Item", min_width=40)
    table.add_column("Participation", max_width=30)
    table.add_column("Where", max_width=36)
    for decision in waiting:
        item = decision.item
        table.add_row(
            Text(_decide_by(decision, lang, now)),
            Text(item.when_text),
            Text(item.own_tz),
            _titled(item),
            Text(item.participation_text),
            Text(item.place_text),
        )
    return table


def _decide_by(decision: Decision, lang: str, now: datetime) -> str:
    text = "—" if decision.decide_by is None else format_day(decision.decide_by, lang)
    if decision.lapsed(now):
        return f"{text} (lapsed)"
    if decision.overdue(now.date()):
        return f"{text} (overdue)"
    return text


def _titled(item: ItemView) -> Text:
    """The title, and the engagement's id under it (what `history` takes)."""
    text = Text(item.title)
    text.append(f"\n{item.engagement_id}", style="dim")
    return text


def _status(item: ItemView, lang: str) -> str:
    if item.deadline is not None:
        how = "derived by rule" if item.deadline["derived"] else "set by hand"
        status = f"deadline {how}: {item.deadline['rule']}"
        return f"{status} (tentative)" if item.deadline["tentative"] else status
    if item.kind == "observance":
        return "yearly observance"
    assert item.engagement is not None  # an engagement or observance item carries its state
    return describe_status(item.engagement, lang)


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
