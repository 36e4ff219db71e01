"""How the read side words things for people: dates, whens, places, statuses, sources and
deadlines, in the reader's language.

Every word comes from the catalogue (`words_for(lang)`), every date from the CLDR formats of
`calendar_service.words`: 'Jun 25 – 27, 2024', '2024년 6월 25일~27일', '2024年6月25日 – 27日'.
An imprecise when says it is to be confirmed, and a timed item abroad gets both clocks
(`viewer_clock`). The CLI, the JSON API, the page, the feed and the reminder messages word
things here, so they agree.

The tables of words (`STATUS_WORDS`, `PARTICIPATION_WORDS`, ...) mark their English with `N_`
for the catalogue; they are translated where shown. Deadline titles and explanations of the
default rules come from the catalogue too (`deadline_title`, `deadline_explanation`); a rule the
catalogue does not know keeps its own words.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    DEFAULT_RULES,
    LANGUAGES,
    MAX_TEXT_CHARS,
    AllDayWhen,
    Audience,
    Confidence,
    Engagement,
    EventStatus,
    ExactWhen,
    ImpreciseWhen,
    LocalizedText,
    Origin,
    Participation,
    Place,
    Precision,
    Recurrence,
    Source,
    When,
)
from calendar_service.domain.engagement.deadlines import Anchor, DeadlineRule, Roll
from calendar_service.words import (
    N_,
    NP_,
    format_month_day,
    format_year,
    month_name,
    words_for,
    zone_city,
)
from calendar_service.words import format_clock_span as _format_clock_span
from calendar_service.words import format_day as _format_day
from calendar_service.words import format_days as _format_days
from calendar_service.words import format_month as _format_month

STATUS_WORDS = {
    EventStatus.TENTATIVE: N_("tentative"),
    EventStatus.CONFIRMED: N_("confirmed"),
    EventStatus.HELD: N_("held"),
    EventStatus.CANCELLED: N_("cancelled"),
}
"""The engagement's own status."""
PARTICIPATION_WORDS = {
    Participation.NOT_APPLICABLE: "",
    Participation.INVITED: N_("invited, participation undecided"),
    Participation.DECISION_PENDING: N_("invited, decision pending"),
    Participation.ATTENDING: N_("attending"),
    Participation.DECLINED: N_("declined"),
    Participation.DELEGATED: N_("delegated"),
}
"""The province's part."""
PART_OF_DAY_WORDS = {
    "morning": NP_("part of day", "morning"),
    "afternoon": NP_("part of day", "afternoon"),
    "evening": NP_("part of day", "evening"),
}
CONFIDENCE_WORDS = {
    Confidence.PROBABLE: N_("probable"),
    Confidence.UNCONFIRMED: N_("unconfirmed"),
}
"""How sure a place is, when it is not confirmed."""
ORIGIN_WORDS = {
    Origin.ARTICLE: NP_("source", "article"),
    Origin.EXTERNAL: NP_("source", "external"),
    Origin.ASSUMED: NP_("source", "assumed"),
}
"""A source's tag: where the fact comes from."""

AUDIENCE_WORDS = {
    Audience.PUBLIC: NP_("audience", "public"),
    Audience.STAFF: NP_("audience", "staff"),
    Audience.RESTRICTED: NP_("audience", "restricted"),
}
"""Who may see an engagement."""

RULE_TITLES = {
    "decision": N_("Decide: attend %(title)s?"),
    "visa-check": N_("Check passports and visas: %(title)s"),
    "trip-review": N_("File the overseas-trip review: %(title)s"),
    "gifts-and-interpreter": N_("Gifts and interpreter materials ready: %(title)s"),
    "briefing-book": N_("Briefing book due: %(title)s"),
    "departure": N_("Departure: %(title)s"),
    "return": N_("Return: %(title)s"),
    "thank-you": N_("Send thank-you letters: %(title)s"),
    "result-report": N_("Result report due: %(title)s"),
}
"""The default rules' deadline titles (`domain/engagement/rules.py`), in the catalogue."""
RULE_BASES = {
    "decision": N_(
        "No RSVP date was published. 45 days leaves room for one monthly overseas-trip review "
        "cycle. Set the inviter's date by hand when it is known."
    ),
    "visa-check": N_(
        "Official passports enter China visa-free for up to 30 days (Korea-China agreement, in "
        "force 2014-12-25); members on ordinary passports need a visa, so check every member's "
        "passport right after the decision."
    ),
    "trip-review": N_(
        "Every official overseas trip of a Korean local government is reviewed before "
        "approval; Gyeonggi's lead time is not published, so allow a month (Seoul reviews "
        "monthly)."
    ),
    "gifts-and-interpreter": N_(
        "Gifts are ready at least a week ahead and checked against rank; interpreters get "
        "speeches, names and titles before the briefing book (US Chief of Protocol guide)."
    ),
    "briefing-book": N_(
        "Background material goes to the principal and the hosts about a week before (CSU "
        "Chico, hosting international delegations)."
    ),
    "departure": N_("The engagement's first day; a travel day is not moved."),
    "return": N_("The engagement's last day; a travel day is not moved."),
    "thank-you": N_(
        "Thank-you letters are a standard step after a visit either way (US Chief of Protocol "
        "guide); two weeks is our rule of thumb."
    ),
    "result-report": N_(
        "The result report of an overseas trip is due within 15 days of return (MOIS standard "
        "for local councils; assumed to apply to the executive's trips too)."
    ),
}
"""Why each default rule exists; `ASSUMED_RULES` are our rules of thumb."""
ASSUMED_RULES = frozenset(
    {"decision", "visa-check", "trip-review", "gifts-and-interpreter", "thank-you"}
)


def format_day(day: date, lang: str = "en") -> str:
    """'Apr 24, 2024', '2024년 4월 24일', '2024年4月24日'."""
    return _format_day(day, lang)


def format_days(first: date, last: date, lang: str = "en") -> str:
    """A range of whole days, sharing what the two ends share: 'Jun 25 – 27, 2024'."""
    return _format_days(first, last, lang)


def format_month(first: date, lang: str = "en") -> str:
    """'June 2024', '2024년 6월', '2024年6月'."""
    return _format_month(first, lang)


def describe_when(when: When, lang: str = "en", *, day_unknown: bool = False) -> str:
    """The when in its own zone, without the zone: 'June 2024 (to be confirmed)',
    'Apr 24, 2024, morning', 'Jun 25, 2024 09:00 – 11:00'. `day_unknown` words a month-precise
    observance (the day will never be confirmed, it is simply not known)."""
    t = words_for(lang)
    match when:
        case ImpreciseWhen():
            span = _imprecise_span(when, lang)
            if day_unknown:
                return t.gettext("%(when)s (day unknown)", when=span)
            return t.gettext("%(when)s (to be confirmed)", when=span)
        case AllDayWhen():
            days = format_days(when.first_day, when.last_day, lang)
            if when.part_of_day is None:
                return days
            part = t.pgettext("part of day", PART_OF_DAY_WORDS[when.part_of_day.value])
            return t.gettext("%(days)s, %(part_of_day)s", days=days, part_of_day=part)
        case ExactWhen():
            return _format_clock_span(when.start, when.end, lang)


def describe_when_in_zone(when: When, lang: str = "en") -> str:
    """The when with its zone's city: 'Jun 25 – 27, 2024 (Shanghai)',
    'June 2024 (to be confirmed; Shanghai)'."""
    t = words_for(lang)
    city = zone_city(when.tz, lang)
    if isinstance(when, ImpreciseWhen):
        span = _imprecise_span(when, lang)
        return t.gettext("%(when)s (to be confirmed; %(zone)s)", when=span, zone=city)
    return t.gettext("%(when)s (%(zone)s)", when=describe_when(when, lang), zone=city)


def viewer_clock(when: When, viewer_tz: str, lang: str = "en") -> str | None:
    """A timed when on the viewer's clock ('Jun 25, 2024 10:00 – 12:00'), or None when there is
    no second clock to show: whole days are the same dates everywhere, and a when in the
    viewer's own zone needs no conversion."""
    if not isinstance(when, ExactWhen) or when.tz == viewer_tz:
        return None
    zone = ZoneInfo(viewer_tz)
    return _format_clock_span(when.start.astimezone(zone), when.end.astimezone(zone), lang)


def describe_recurrence(recurrence: Recurrence, lang: str = "en") -> str:
    """'every October since 1993 (day unknown)', 'every October 24 since 1993',
    '1993년부터 매년 10월 (날짜 미상)', '自1993年起每年10月24日'."""
    t = words_for(lang)
    since = format_year(recurrence.since_year, lang)
    if recurrence.day is None:
        month = month_name(recurrence.month, lang)
        return t.gettext("every %(month)s since %(year)s (day unknown)", month=month, year=since)
    day = format_month_day(recurrence.month, recurrence.day, lang)
    return t.gettext("every %(day)s since %(year)s", day=day, year=since)


def ordinal(number: int, lang: str = "en") -> str:
    """'1st', '2nd', '31st', '112th' in English; the number itself in Korean and Chinese,
    whose words for a rank ('31주년', '31周年') carry no suffix."""
    t = words_for(lang)
    if 10 <= number % 100 <= 20:
        return t.pgettext("ordinal", "%(n)dth", n=number)
    match number % 10:
        case 1:
            return t.pgettext("ordinal", "%(n)dst", n=number)
        case 2:
            return t.pgettext("ordinal", "%(n)dnd", n=number)
        case 3:
            return t.pgettext("ordinal", "%(n)drd", n=number)
    return t.pgettext("ordinal", "%(n)dth", n=number)


def anniversary(number: int, lang: str = "en") -> str:
    """'31st anniversary', '31주년', '31周年'."""
    return words_for(lang).gettext("%(ordinal)s anniversary", ordinal=ordinal(number, lang))


def describe_place(place: Place | None, lang: str = "en") -> str:
    """'Dodamso (...), Suwon', 'Dalian', 'Shenyang (probable)'; '' when unknown."""
    if place is None:
        return ""
    parts = [text.best(lang) for text in (place.name, place.city) if text is not None]
    text = words_for(lang).gettext(", ").join(dict.fromkeys(parts))
    hedge = CONFIDENCE_WORDS.get(place.confidence)
    if hedge is None:
        return text
    t = words_for(lang)
    return t.gettext("%(place)s (%(confidence)s)", place=text, confidence=t.gettext(hedge))


def describe_participation(engagement: Engagement, lang: str = "en") -> str:
    """The province's part: 'invited, participation undecided', 'delegated to ...'."""
    t = words_for(lang)
    if engagement.participation is Participation.DELEGATED and engagement.delegate is not None:
        who = engagement.delegate.name
        name = who.best(lang) if who else engagement.delegate.party_id
        return t.gettext("delegated to %(name)s", name=name)
    words = PARTICIPATION_WORDS[engagement.participation]
    return t.gettext(words) if words else ""


def describe_event_status(status: EventStatus, lang: str = "en") -> str:
    """The engagement's own status alone: 'confirmed', '확정', '已确认'."""
    return words_for(lang).gettext(STATUS_WORDS[status])


def describe_audience(audience: Audience, lang: str = "en") -> str:
    """'staff', '직원용', '内部'."""
    return words_for(lang).pgettext("audience", AUDIENCE_WORDS[audience])


def describe_status(engagement: Engagement, lang: str = "en") -> str:
    """The engagement's own status, then the province's part: 'confirmed; invited, ...'."""
    participation = describe_participation(engagement, lang)
    status = describe_event_status(engagement.status, lang)
    if not participation:
        return status
    return words_for(lang).gettext(
        "%(status)s; %(participation)s", status=status, participation=participation
    )


def party_name(engagement: Engagement, party_id: str, lang: str = "en") -> str:
    """The name of a party the engagement lists, else its id."""
    for participant in engagement.participants:
        if participant.party_id == party_id and participant.name is not None:
            return participant.name.best(lang)
    return party_id


def source_tag(source: Source, lang: str = "en") -> str:
    """Where a fact comes from, as a tag: '[article]', '[기사]', '[报道]'."""
    t = words_for(lang)
    return t.gettext("[%(origin)s]", origin=t.pgettext("source", ORIGIN_WORDS[source.origin]))


def describe_source(source: Source, lang: str = "en") -> str:
    """'[article] The Asia Business Daily ..., 2024-04-25: “quote” <url>'. The reference,
    quote and claim are kept as written (they are the source's own words)."""
    t = words_for(lang)
    head = source_tag(source, lang)
    if source.ref is not None:
        head = f"{head} {source.ref}"
    elif source.origin is Origin.ASSUMED:
        assumption = t.gettext("our assumption")
        head = f"{head} {assumption}"
    body = [f"“{source.quote}”"] if source.quote is not None else []
    if source.claim is not None:
        body.append(source.claim)
    url = f" <{source.url}>" if source.url is not None else ""
    return f"{head}: {' — '.join(body)}{url}"


def deadline_title(doc: dict[str, Any], engagement_title: LocalizedText, lang: str) -> str:
    """A deadline's title in `lang`: for a default rule's own title, the catalogue's words
    around the engagement's title in `lang`; a title set by hand, or a rule the catalogue does
    not know, keeps its own words (`doc['title']`, LocalizedText JSON)."""
    own = LocalizedText.from_json(doc["title"])
    template = RULE_TITLES.get(doc["rule"])
    if template is None or not _is_rule_title(doc["rule"], own, engagement_title):
        return own.best(lang)
    text = words_for(lang).gettext(template, title=engagement_title.best(lang))
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def deadline_titles(doc: dict[str, Any], engagement_title: LocalizedText) -> LocalizedText:
    """`deadline_title` in every language (what the JSON API returns)."""
    own = LocalizedText.from_json(doc["title"])
    if doc["rule"] not in RULE_TITLES or not _is_rule_title(doc["rule"], own, engagement_title):
        return own
    titles = {lang: deadline_title(doc, engagement_title, lang) for lang in LANGUAGES}
    return LocalizedText(**titles, label="deadline.title")


def deadline_rule(doc: dict[str, Any], lang: str = "en") -> str:
    """When the deadline falls, in one sentence ('45 days before the engagement starts; moved
    back to the previous working day if that is a holiday.'): the feed's "Rule" line. A
    deadline set by hand, or a rule the catalogue does not know, gives the first sentence of
    its own `rule_text`."""
    rule = DEFAULT_RULES.get(doc["rule"])
    if rule is None or doc["rule"] not in RULE_BASES or not doc["derived"]:
        return str(doc["rule_text"]).split(" Basis: ", 1)[0]
    t = words_for(lang)
    parts = [_offset_words(rule, lang)]
    if rule.roll is Roll.PREVIOUS_WORKING_DAY:
        parts.append(t.gettext("moved back to the previous working day if that is a holiday"))
    return t.gettext("%(rule)s.", rule=t.gettext("; ").join(parts))


def deadline_explanation(doc: dict[str, Any], lang: str = "en") -> str:
    """Why the deadline falls when it does: for a default rule, its offset, its move to a
    working day and its basis from the catalogue, and the day it was counted from; a deadline
    set by hand, or a rule the catalogue does not know, gives its own `rule_text`."""
    rule = DEFAULT_RULES.get(doc["rule"])
    basis = RULE_BASES.get(doc["rule"])
    if rule is None or basis is None or not doc["derived"]:
        return str(doc["rule_text"])
    t = words_for(lang)
    why = t.gettext(basis)
    if doc["rule"] in ASSUMED_RULES:
        why = t.gettext("our assumption: %(basis)s", basis=why)
    anchor_day = date.fromisoformat(doc["unadjusted"]) - timedelta(days=rule.offset_days)
    return " ".join(
        (
            deadline_rule(doc, lang),
            t.gettext("Basis: %(basis)s", basis=why),
            _counted_from(rule.anchor, format_day(anchor_day, lang), bool(doc["tentative"]), lang),
        )
    )


def _offset_words(rule: DeadlineRule, lang: str) -> str:
    t, days, start = words_for(lang), abs(rule.offset_days), rule.anchor is Anchor.START
    if days == 0 and start:
        return t.gettext("On the day the engagement starts")
    if days == 0:
        return t.gettext("On the day the engagement ends")
    if rule.offset_days < 0 and start:
        return t.ngettext(
            "%(n)d day before the engagement starts",
            "%(n)d days before the engagement starts",
            days,
        )
    if rule.offset_days < 0:
        return t.ngettext(
            "%(n)d day before the engagement ends", "%(n)d days before the engagement ends", days
        )
    if start:
        return t.ngettext(
            "%(n)d day after the engagement starts", "%(n)d days after the engagement starts", days
        )
    return t.ngettext(
        "%(n)d day after the engagement ends", "%(n)d days after the engagement ends", days
    )


def _counted_from(anchor: Anchor, day: str, tentative: bool, lang: str) -> str:
    t = words_for(lang)
    if tentative and anchor is Anchor.START:
        return t.gettext(
            "Counted from the earliest possible start, %(day)s (dates to be confirmed).",
            day=day,
        )
    if tentative:
        return t.gettext(
            "Counted from the latest possible end, %(day)s (dates to be confirmed).", day=day
        )
    if anchor is Anchor.START:
        return t.gettext("Counted from the first day, %(day)s.", day=day)
    return t.gettext("Counted from the last day, %(day)s.", day=day)


def _is_rule_title(rule: str, own: LocalizedText, engagement_title: LocalizedText) -> bool:
    """`own` is the default rule's title for this engagement, not one set by hand (a long
    engagement title may have been shortened with '…')."""
    found = DEFAULT_RULES.get(rule)
    if found is None or found.title.en is None or own.en is None:
        return False
    head, _, tail = found.title.en.partition("{title}")
    return own.en.startswith(head) and (own.en.endswith(tail) or own.en.endswith("…"))


def _imprecise_span(when: ImpreciseWhen, lang: str) -> str:
    if when.precision is Precision.YEAR:
        return format_year(when.start_date.year, lang)
    if when.precision is Precision.MONTH:
        return format_month(when.start_date, lang)
    return format_days(when.first_day, when.last_day, lang)


def _clock_span(start: datetime, end: datetime, lang: str) -> str:
    return _format_clock_span(start, end, lang)
