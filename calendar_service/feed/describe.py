"""What a feed item says, in the feed's language: its summary, location, categories, alarm text
and the lines of its description.

Pure text from domain values, every word from the catalogue (`words_for(lang)`, the msgids in
`feed.words` or here) and every date, clock, zone and country from CLDR
(`calendar_service.words`); no icalendar. `feed.ical` puts these into properties and makes them
safe to send (escaping, line breaks). Names of people, places and engagements come from the
data in the reader's language (`LocalizedText.best`).

An invitation the province has not decided is marked in its title ("[초청·미정] ...") and its
description opens with the participation and the decide-by; a declined one is marked
("[불참] ..."). Then the when (a timed item abroad on both clocks: "Jun 25, 2024 09:00 – 11:00
Dalian, Jun 25, 2024 10:00 – 12:00 Seoul"), the status and the province's participation, who
invited and who takes part, notes, sources and the link to its page; a deadline's gives its
rule and its link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    AllDayWhen,
    Deadline,
    Directory,
    Engagement,
    EngagementKind,
    EventStatus,
    ExactWhen,
    ImpreciseWhen,
    Participant,
    Participation,
    Precision,
    Source,
)
from calendar_service.feed.words import (
    KINDS,
    ORIGINS,
    PARTICIPATION,
    PARTS_OF_DAY,
    ROLES,
    STATUSES,
    audience_name,
)
from calendar_service.projections.calendar import deadline_doc
from calendar_service.read.wording import deadline_rule, deadline_title
from calendar_service.words import (
    Words,
    country_name,
    format_clock_span,
    format_day,
    format_days,
    format_duration,
    format_month,
    format_month_day,
    month_name,
    words_for,
    zone_city,
    zone_name,
)


def undecided(engagement: Engagement) -> bool:
    """An invitation the province has not answered, to an engagement still on."""
    return engagement.has_open_invitation and engagement.status is not EventStatus.CANCELLED


def declined(engagement: Engagement) -> bool:
    return engagement.participation is Participation.DECLINED


def summary(engagement: Engagement, lang: str) -> str:
    """The title, marked when its day is unknown, its dates are to be confirmed or it takes a
    part of a day; then, in front, when it is cancelled, an undecided invitation or declined."""
    t = words_for(lang)
    title = engagement.title.best(lang)
    when, recurrence = engagement.when, engagement.recurrence
    if recurrence is not None and recurrence.day is None:
        month = month_name(recurrence.month, lang)
        title = t.gettext("%(title)s (%(month)s; day unknown)", title=title, month=month)
    elif isinstance(when, ImpreciseWhen):
        title = t.gettext("%(title)s (to be confirmed)", title=title)
    elif isinstance(when, AllDayWhen) and when.part_of_day is not None:
        part = t.pgettext("part of day", PARTS_OF_DAY[when.part_of_day])
        title = t.gettext("%(title)s (%(part)s)", title=title, part=part)
    if engagement.status is EventStatus.CANCELLED:
        return t.gettext("CANCELLED: %(title)s", title=title)
    if undecided(engagement):
        return t.gettext("[Invitation · undecided] %(title)s", title=title)
    if declined(engagement):
        return t.gettext("[Declined] %(title)s", title=title)
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
        located = words_for(lang).gettext("%(place)s (probable)", place=located)
    return located


def categories(engagement: Engagement, lang: str) -> list[str]:
    """The engagement's kind and audience."""
    t = words_for(lang)
    return [t.pgettext("kind", KINDS[engagement.kind]), audience_name(engagement.audience, lang)]


def alarm_text(title: str, offset: timedelta, lang: str) -> str:
    """What an alarm `offset` before the start says: 'Summer Davos: starts in 7 days'."""
    ahead = format_duration(offset, lang)
    return words_for(lang).gettext("%(title)s: starts in %(time)s", title=title, time=ahead)


def description_lines(
    engagement: Engagement,
    lang: str,
    timezone: str,
    url: str | None,
    directory: Directory | None,
    decide_by: date | None = None,
) -> list[str]:
    """The engagement's description, a line a fact; `timezone` is the reader's clock. An
    undecided invitation's opens with the participation and the decide-by."""
    t = words_for(lang)
    participation = None
    if engagement.participation is not Participation.NOT_APPLICABLE:
        participation = t.gettext(
            "Our participation: %(participation)s",
            participation=_participation(engagement, t, directory),
        )
    lines = []
    if undecided(engagement) and participation is not None:
        lines.append(participation)
        if decide_by is not None:
            lines.append(t.gettext("Decide by: %(day)s", day=format_day(decide_by, lang)))
        participation = None
    lines += [
        t.gettext("When: %(when)s", when=_when_text(engagement, lang, timezone)),
        t.gettext("Status: %(status)s", status=_status(engagement, t)),
    ]
    if participation is not None:
        lines.append(participation)
    if engagement.inviter:
        party = _party(engagement.inviter, lang, directory)
        lines.append(t.gettext("Invited by: %(party)s", party=party))
    people = [_person(person, lang, directory) for person in engagement.participants]
    lines += _listed(t.gettext("Participants:"), people)
    if engagement.place is not None and engagement.place.basis:
        lines.append(t.gettext("Place: %(basis)s", basis=engagement.place.basis))
    if engagement.aliases:
        lines.append(t.gettext("Also known as: %(names)s", names=", ".join(engagement.aliases)))
    lines += _listed(t.gettext("Notes:"), engagement.notes)
    lines += _listed(t.gettext("Sources:"), [_source(source, t) for source in engagement.sources])
    if url is not None:
        lines.append(t.gettext("Details: %(url)s", url=url))
    return lines


def deadline_summary(deadline: Deadline, engagement: Engagement, lang: str) -> str:
    """The deadline's title in `lang` (a default rule's from the catalogue, around the
    engagement's title in `lang`)."""
    title = deadline_title(deadline_doc(deadline, engagement), engagement.title, lang)
    if deadline.tentative:
        return words_for(lang).gettext("%(title)s (to be confirmed)", title=title)
    return title


def deadline_categories(engagement: Engagement, lang: str) -> list[str]:
    """'Deadline' and the engagement's audience."""
    kind = words_for(lang).pgettext("kind", KINDS[EngagementKind.DEADLINE])
    return [kind, audience_name(engagement.audience, lang)]


def deadline_lines(
    deadline: Deadline, engagement: Engagement, lang: str, url: str | None
) -> list[str]:
    """The deadline's rule, the day it was moved from if any, and the link."""
    t = words_for(lang)
    # The rule's one sentence only: its basis is on the engagement's page, and a feed has
    # several deadlines per engagement, so each byte here counts against the 1 MB budget.
    doc = deadline_doc(deadline, engagement)
    rule = deadline_rule(doc, lang) if deadline.derived else deadline.rule_text
    lines = [t.gettext("Rule: %(rule)s", rule=rule)]
    if deadline.due != deadline.unadjusted:
        day = format_day(deadline.unadjusted, lang)
        lines.append(t.gettext("Moved back from %(day)s, not a working day", day=day))
    if url is not None:
        lines.append(t.gettext("Details: %(url)s", url=url))
    return lines


# -- the parts of a description ----------------------------------------------------------------


def _listed(heading: str, entries: Sequence[str]) -> list[str]:
    """A heading line, then a line for each entry; nothing when there is no entry."""
    return [heading, *(f"- {entry}" for entry in entries)] if entries else []


def _status(engagement: Engagement, t: Words) -> str:
    status = t.gettext(STATUSES[engagement.status])
    if engagement.status is EventStatus.CANCELLED and engagement.cancellation_reason:
        status = f"{status}: {engagement.cancellation_reason}"
    return status


def _participation(engagement: Engagement, t: Words, directory: Directory | None) -> str:
    participation = t.gettext(PARTICIPATION[engagement.participation])
    if engagement.delegate is not None:
        participation += f" → {_person(engagement.delegate, t.lang, directory)}"
    if engagement.decision_note:
        participation += f" ({engagement.decision_note})"
    return participation


def _when_text(engagement: Engagement, lang: str, timezone: str) -> str:
    t, when, recurrence = words_for(lang), engagement.when, engagement.recurrence
    if recurrence is not None:
        since = str(recurrence.since_year)
        if recurrence.day is None:
            month = month_name(recurrence.month, lang)
            return t.gettext(
                "every year in %(month)s, since %(year)s; day unknown", month=month, year=since
            )
        day = format_month_day(recurrence.month, recurrence.day, lang)
        return t.gettext("every year on %(day)s, since %(year)s", day=day, year=since)
    if isinstance(when, ExactWhen):
        here = f"{format_clock_span(when.start, when.end, lang)} {_city(engagement, when.tz, lang)}"
        if when.tz == timezone:
            return here
        home = ZoneInfo(timezone)
        start, end = when.start.astimezone(home), when.end.astimezone(home)
        home_clock = f"{format_clock_span(start, end, lang)} {zone_city(timezone, lang)}"
        return t.gettext("%(local)s, %(home)s", local=here, home=home_clock)
    days = format_days(when.first_day, when.last_day, lang)
    zone = zone_name(when.tz, lang)
    if isinstance(when, ImpreciseWhen):
        if when.precision is Precision.MONTH:
            days = format_month(when.start_date, lang)
        return t.gettext("%(days)s, dates to be confirmed (%(zone)s)", days=days, zone=zone)
    if when.part_of_day is not None:
        part = t.pgettext("part of day", PARTS_OF_DAY[when.part_of_day])
        return t.gettext("%(days)s, %(part)s (%(zone)s)", days=days, part=part, zone=zone)
    return t.gettext("%(days)s (all day, %(zone)s)", days=days, zone=zone)


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
    role = ROLES.get(participant.role)
    if role is None:
        return f"{name} ({participant.role.replace('_', ' ')})"
    return f"{name} ({words_for(lang).pgettext('role', role)})"


def _source(source: Source, t: Words) -> str:
    origin = t.pgettext("source", ORIGINS[source.origin])
    parts = [origin + (f" {source.ref}" if source.ref else "")]
    if source.quote:
        parts.append(f"“{source.quote}”")
    if source.claim:
        parts.append(source.claim)
    if source.url:
        parts.append(source.url)
    return ": ".join(parts[:2]) + "".join(f" {part}" for part in parts[2:])


__all__ = [
    "alarm_text",
    "categories",
    "deadline_categories",
    "deadline_lines",
    "deadline_summary",
    "declined",
    "description_lines",
    "location",
    "summary",
    "undecided",
]
