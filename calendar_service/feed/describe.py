"""What a feed item says, in the feed's language: its summary, location, categories and the
lines of its description.

Pure text from domain values and `feed.words`; no icalendar. `feed.ical` puts these into
properties and makes them safe to send (escaping, line breaks). The description of an
engagement opens with its when (a timed item abroad on both clocks: "2024-06-25 09:00–11:00
Dalian, 2024-06-25 10:00–12:00 Seoul"), its status and the province's participation, then who
invited and who takes part, notes, sources and the link to its page; a deadline's gives its
rule and its link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    AllDayWhen,
    Deadline,
    Directory,
    Engagement,
    EventStatus,
    ExactWhen,
    ImpreciseWhen,
    Participant,
    Precision,
    Source,
)
from calendar_service.feed.words import WORDS, country_name, month_name, zone_city


def summary(engagement: Engagement, lang: str) -> str:
    """The title, marked when its day is unknown, its dates are to be confirmed, it takes a
    part of a day, or it is cancelled."""
    words = WORDS[lang]
    title = engagement.title.best(lang)
    when, recurrence = engagement.when, engagement.recurrence
    if recurrence is not None and recurrence.day is None:
        unknown = words["month_day_unknown"].format(month=month_name(recurrence.month, lang))
        title = f"{title} ({unknown})"
    elif isinstance(when, ImpreciseWhen):
        title = f"{title} ({words['tbc']})"
    elif isinstance(when, AllDayWhen) and when.part_of_day is not None:
        title = f"{title} ({words[when.part_of_day]})"
    if engagement.status is EventStatus.CANCELLED:
        title = f"{words['cancelled_prefix']}{title}"
    return title


def location(engagement: Engagement, lang: str) -> str:
    """'Dodamso, Suwon, South Korea'; marked when the place is only probable; '' if none."""
    place = engagement.place
    if place is None:
        return ""
    parts = [text.best(lang) for text in (place.name, place.city) if text is not None]
    parts.append(country_name(place.country, lang))
    located = ", ".join(parts)
    if place.confidence != "confirmed":
        located = f"{located} ({WORDS[lang]['probable']})"
    return located


def categories(engagement: Engagement, lang: str) -> list[str]:
    """The engagement's kind and audience."""
    return [WORDS[lang][engagement.kind], WORDS[lang][engagement.audience]]


def description_lines(
    engagement: Engagement, lang: str, timezone: str, url: str, directory: Directory | None
) -> list[str]:
    """The engagement's description, a line a fact; `timezone` is the reader's clock."""
    words = WORDS[lang]
    lines = [
        f"{words['when']}: {_when_text(engagement, lang, timezone)}",
        f"{words['status']}: {_status(engagement, lang)}",
    ]
    if engagement.participation != "not_applicable":
        lines.append(f"{words['participation']}: {_participation(engagement, lang, directory)}")
    if engagement.inviter:
        lines.append(f"{words['inviter']}: {_party(engagement.inviter, lang, directory)}")
    people = [_person(person, lang, directory) for person in engagement.participants]
    lines += _listed(words["participants"], people)
    if engagement.place is not None and engagement.place.basis:
        lines.append(f"{words['place']}: {engagement.place.basis}")
    if engagement.aliases:
        lines.append(f"{words['aliases']}: {', '.join(engagement.aliases)}")
    lines += _listed(words["notes"], engagement.notes)
    lines += _listed(words["sources"], [_source(source, lang) for source in engagement.sources])
    lines.append(f"{words['link']}: {url}")
    return lines


def deadline_summary(deadline: Deadline, lang: str) -> str:
    title = deadline.title.best(lang)
    return f"{title} ({WORDS[lang]['tbc']})" if deadline.tentative else title


def deadline_categories(engagement: Engagement, lang: str) -> list[str]:
    """'Deadline' and the engagement's audience."""
    return [WORDS[lang]["deadline"], WORDS[lang][engagement.audience]]


def deadline_lines(deadline: Deadline, lang: str, url: str) -> list[str]:
    """The deadline's rule, the day it was moved from if any, and the link."""
    words = WORDS[lang]
    # The rule's first sentence only: its basis is on the engagement's page, and a feed has
    # several deadlines per engagement, so each byte here counts against the 1 MB budget.
    rule = deadline.rule_text.split(" Basis: ", 1)[0] if deadline.derived else deadline.rule_text
    lines = [f"{words['rule']}: {rule}"]
    if deadline.due != deadline.unadjusted:
        lines.append(words["moved_from"].format(day=deadline.unadjusted.isoformat()))
    lines.append(f"{words['link']}: {url}")
    return lines


# -- the parts of a description ----------------------------------------------------------------


def _listed(heading: str, entries: Sequence[str]) -> list[str]:
    """A heading line, then a line for each entry; nothing when there is no entry."""
    return [f"{heading}:", *(f"- {entry}" for entry in entries)] if entries else []


def _status(engagement: Engagement, lang: str) -> str:
    status = WORDS[lang][engagement.status]
    if engagement.status is EventStatus.CANCELLED and engagement.cancellation_reason:
        status = f"{status}: {engagement.cancellation_reason}"
    return status


def _participation(engagement: Engagement, lang: str, directory: Directory | None) -> str:
    participation = WORDS[lang][engagement.participation]
    if engagement.delegate is not None:
        participation += f" → {_person(engagement.delegate, lang, directory)}"
    if engagement.decision_note:
        participation += f" ({engagement.decision_note})"
    return participation


def _when_text(engagement: Engagement, lang: str, timezone: str) -> str:
    when, words = engagement.when, WORDS[lang]
    recurrence = engagement.recurrence
    if recurrence is not None:
        month = month_name(recurrence.month, lang)
        on = (
            month
            if recurrence.day is None
            else words["month_day"].format(month=month, day=recurrence.day)
        )
        every = words["yearly"].format(on=on, year=recurrence.since_year)
        return every if recurrence.day is not None else f"{every} ({words['day_unknown']})"
    if isinstance(when, ExactWhen):
        here = f"{_span(when.start, when.end)} {_city(engagement, when.tz, lang)}"
        if when.tz == timezone:
            return here
        home = ZoneInfo(timezone)
        there = f"{_span(when.start.astimezone(home), when.end.astimezone(home))}"
        return f"{here}, {there} {zone_city(timezone, lang)}"
    days = _days(when.first_day, when.last_day)
    if isinstance(when, ImpreciseWhen):
        if when.precision is Precision.MONTH:
            days = words["month_year"].format(
                month=month_name(when.start_date.month, lang), year=when.start_date.year
            )
        return f"{days}, {words['dates_tbc']} ({when.tz})"
    if when.part_of_day is not None:
        return f"{days} {words[when.part_of_day]} ({when.tz})"
    return f"{days} ({words['all_day']}, {when.tz})"


def _span(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def _days(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def _city(engagement: Engagement, tz: str, lang: str) -> str:
    place = engagement.place
    if place is not None and place.city is not None and place.tz == tz:
        return place.city.best(lang)
    return zone_city(tz, lang)


def _party(party_id: str, lang: str, directory: Directory | None) -> str:
    entry = None if directory is None else directory.get(party_id) or directory.resolve(party_id)
    if entry is None:
        return party_id
    name = entry.name.best(lang)
    return f"{name}, {entry.position.best(lang)}" if entry.position is not None else name


def _person(participant: Participant, lang: str, directory: Directory | None) -> str:
    if participant.name is not None:
        name = participant.name.best(lang)
    else:
        name = _party(participant.party_id, lang, directory)
    return f"{name} ({participant.role.replace('_', ' ')})"


def _source(source: Source, lang: str) -> str:
    parts = [WORDS[lang][source.origin] + (f" {source.ref}" if source.ref else "")]
    if source.quote:
        parts.append(f"“{source.quote}”")
    if source.claim:
        parts.append(source.claim)
    if source.url:
        parts.append(source.url)
    return ": ".join(parts[:2]) + "".join(f" {part}" for part in parts[2:])


__all__ = [
    "categories",
    "deadline_categories",
    "deadline_lines",
    "deadline_summary",
    "description_lines",
    "location",
    "summary",
]
