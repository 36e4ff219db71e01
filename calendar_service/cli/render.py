"""Rich renderings of the read side for the terminal: the agenda and decisions tables and a
history timeline.

Only layout lives here; the items and entries come from `read` (`agenda_view`,
`decision_board`, `engagement_history`), worded there, so the CLI says what the page and the API
say, in its own form. Every word is from the catalogue, in the reader's language. The tables
wrap rather than cut: at 80 columns an item keeps its id, when, status and place, and a long
title takes more lines.
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
from calendar_service.read import Decision, DecisionBoard, HistoryRow, ItemView
from calendar_service.read.wording import (
    describe_source,
    describe_status,
    format_day,
    format_days,
)
from calendar_service.words import format_time, words_for, zone_city


def print_history(
    out: Console,
    engagement_id: str,
    title: str,
    rows: list[HistoryRow],
    viewer: ZoneInfo,
    lang: str = "en",
) -> None:
    """The timeline, oldest first: one block per event, each source on its own line."""
    t = words_for(lang)
    out.print(
        Text(t.gettext("History of %(id)s: %(title)s", id=engagement_id, title=title), style="bold")
    )
    out.print(
        t.gettext(
            "Times in %(zone)s. Known: when the office learned it; recorded: when it entered "
            "the log.",
            zone=zone_city(viewer.key, lang),
        ),
        soft_wrap=True,
    )
    for number, row in enumerate(rows, start=1):
        out.print()
        _print_history_row(out, number, row, viewer, lang)


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
    """One line: what is listed over which window (`what`, already in `lang`), the moment and
    axis of the calendar, the viewer's zone."""
    t = words_for(lang)
    window = t.gettext("%(what)s, %(days)s", what=what, days=format_days(start, end, lang))
    if moment is None:
        known = t.gettext("as known now")
    elif axis is Axis.RECORDED:
        known = t.gettext("as the log stood at %(moment)s", moment=_clock(moment, viewer, lang))
    else:
        known = t.gettext(
            "as the office knew it at %(moment)s", moment=_clock(moment, viewer, lang)
        )
    zone = t.gettext(
        "dates in each item's own zone; your zone: %(zone)s", zone=zone_city(viewer.key, lang)
    )
    return Text(t.gettext("%(window)s, %(known)s; %(zone)s", window=window, known=known, zone=zone))


def agenda_table(items: list[ItemView], lang: str, viewer: ZoneInfo) -> Table:
    """One row an item: its when in its own zone (with its city, and the viewer's clock under
    it when it is timed in another zone), its title with its id under it, its status and its
    place. Every column wraps; none is dropped or cut."""
    t = words_for(lang)
    # Expanded, so the ratios hold: the title column takes the most room, and an id (up to
    # about 30 characters) fits on one line at 80 columns, so it can be copied whole.
    table = Table(box=None, pad_edge=False, expand=True)
    table.add_column(t.gettext("When"), ratio=3, min_width=14, overflow="fold")
    table.add_column(t.gettext("Item"), ratio=5, min_width=16, overflow="fold")
    table.add_column(t.gettext("Status"), ratio=2, min_width=10, overflow="fold")
    table.add_column(t.gettext("Where"), ratio=3, min_width=10, overflow="fold")
    for item in items:
        table.add_row(
            _when_cell(item, viewer, lang),
            _titled(item),
            Text(_status(item, lang)),
            Text(item.place_text),
        )
    return table


def decisions_table(board: DecisionBoard, lang: str) -> Table:
    """Each invitation still to decide, soonest decide-by first (overdue marked), then those
    that lapsed; with its when, title and id, and place."""
    t = words_for(lang)
    table = Table(box=None, pad_edge=False, expand=True)
    table.add_column(t.gettext("Decide by"), ratio=3, min_width=14, overflow="fold")
    table.add_column(t.gettext("When"), ratio=3, min_width=14, overflow="fold")
    table.add_column(t.gettext("Item"), ratio=5, min_width=16, overflow="fold")
    table.add_column(t.gettext("Where"), ratio=2, min_width=10, overflow="fold")
    for decision in [*board.pending, *board.lapsed]:
        item = decision.item
        table.add_row(
            _decide_by(decision, lang, board),
            Text(item.when_text),
            _titled(item),
            Text(item.place_text),
        )
    return table


def _decide_by(decision: Decision, lang: str, board: DecisionBoard) -> Text:
    t = words_for(lang)
    if decision.lapsed(board.now):
        return Text(t.gettext("Lapsed: no decision recorded"), style="dim")
    text = decision.decide_by_text(lang, board.today)
    if decision.overdue(board.today):
        return Text(t.gettext("OVERDUE: %(decide_by)s", decide_by=text), style="bold red")
    return Text(text)


def _when_cell(item: ItemView, viewer: ZoneInfo, lang: str) -> Text:
    text = Text(item.when_text)
    if item.kind != "deadline":
        text.append("\n" + zone_city(item.own_tz, lang), style="dim")
    if item.viewer_time:
        t = words_for(lang)
        second = t.gettext(
            "%(when)s %(zone)s", when=item.viewer_time, zone=zone_city(viewer.key, lang)
        )
        text.append("\n" + second, style="dim")
    return text


def _titled(item: ItemView) -> Text:
    """The title, and the engagement's id under it (what `history` takes)."""
    text = Text(item.title)
    text.append(f"\n{item.engagement_id}", style="dim")
    return text


def status_text(item: ItemView, lang: str) -> str:
    """An agenda item's status in words: the engagement's and the province's part, a yearly
    observance, or a deadline (by rule or set by hand, to be confirmed or not)."""
    t = words_for(lang)
    if item.deadline is not None:
        status = (
            t.gettext("deadline") if item.deadline["derived"] else t.gettext("deadline set by hand")
        )
        if item.deadline["tentative"]:
            return t.gettext("%(status)s (to be confirmed)", status=status)
        return status
    if item.kind == "observance":
        return t.gettext("yearly observance")
    assert item.engagement is not None  # an engagement or observance item carries its state
    return describe_status(item.engagement, lang)


_status = status_text


def _print_history_row(
    out: Console, number: int, row: HistoryRow, viewer: ZoneInfo, lang: str
) -> None:
    t = words_for(lang)
    if row.derived:
        head = t.gettext(
            "%(n)s. %(moment)s (derived from the record, not an entry of the log)",
            n=number,
            moment=_clock(row.known_at, viewer, lang),
        )
    else:
        head = t.gettext(
            "%(n)s. known %(known)s · recorded %(recorded)s · by %(actor)s",
            n=number,
            known=_clock(row.known_at, viewer, lang),
            recorded=_clock(row.recorded_at, viewer, lang),
            actor=row.actor,
        )
    out.print(Text(head, style="bold"), soft_wrap=True)
    summary = (
        t.gettext("%(what)s: %(change)s", what=row.what, change=row.change)
        if row.change
        else row.what
    )
    out.print(Text(f"   {summary}"), soft_wrap=True)
    for source in row.sources:
        line = t.gettext("source: %(source)s", source=describe_source(source, lang))
        out.print(Text(f"   {line}", style="dim"), soft_wrap=True)


def _clock(moment: datetime, viewer: ZoneInfo, lang: str = "en") -> str:
    local = moment.astimezone(viewer)
    return f"{format_day(local.date(), lang)} {format_time(local, lang)}"
