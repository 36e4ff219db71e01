"""How the read side words things for people: dates, whens, places, statuses and sources.

Pure functions over domain values, in English, Korean or Chinese (`domain.LANGUAGES`). Dates are
written the way a protocol officer reads them ("25–27 Jun 2024", "2024년 6월 25–27일"), an
imprecise when says it is to be confirmed, and a timed item abroad gets both clocks
(`viewer_clock`). The CLI, and later the page and the feed, use these so they agree.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    AllDayWhen,
    Confidence,
    Engagement,
    ExactWhen,
    ImpreciseWhen,
    Origin,
    Participation,
    Place,
    Precision,
    Recurrence,
    Source,
    When,
)

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_TBC = {"en": "to be confirmed", "ko": "미정", "zh": "待定"}
_DAY_UNKNOWN = {"en": "day unknown", "ko": "날짜 미상", "zh": "日期不详"}
_PARTS = {
    "en": {"morning": "morning", "afternoon": "afternoon", "evening": "evening"},
    "ko": {"morning": "오전", "afternoon": "오후", "evening": "저녁"},
    "zh": {"morning": "上午", "afternoon": "下午", "evening": "晚上"},
}
_PARTICIPATION = {
    Participation.NOT_APPLICABLE: "",
    Participation.INVITED: "invited, participation undecided",
    Participation.DECISION_PENDING: "invited, decision pending",
    Participation.ATTENDING: "attending",
    Participation.DECLINED: "declined",
    Participation.DELEGATED: "delegated",
}


def format_day(day: date, lang: str = "en") -> str:
    """'24 Apr 2024', '2024년 4월 24일', '2024年4月24日'."""
    return format_days(day, day, lang)


def format_days(first: date, last: date, lang: str = "en") -> str:
    """A range of whole days, sharing what the two ends share: '25–27 Jun 2024'."""
    if lang in ("ko", "zh"):
        y, m, d = ("년 ", "월 ", "일") if lang == "ko" else ("年", "月", "日")
        start = f"{first.year}{y}{first.month}{m}{first.day}"
        if first == last:
            return f"{start}{d}"
        if (first.year, first.month) == (last.year, last.month):
            return f"{start}–{last.day}{d}"
        end = f"{last.month}{m}{last.day}{d}"
        return f"{start}{d}–{last.year}{y}{end}" if first.year != last.year else f"{start}{d}–{end}"
    month = _MONTHS[first.month - 1][:3]
    if first == last:
        return f"{first.day} {month} {first.year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {month} {first.year}"
    end = f"{last.day} {_MONTHS[last.month - 1][:3]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {month}–{end}"
    return f"{first.day} {month} {first.year}–{end}"


def format_month(first: date, lang: str = "en") -> str:
    """'June 2024', '2024년 6월', '2024年6月'."""
    if lang == "ko":
        return f"{first.year}년 {first.month}월"
    if lang == "zh":
        return f"{first.year}年{first.month}月"
    return f"{_MONTHS[first.month - 1]} {first.year}"


def describe_when(when: When, lang: str = "en", *, day_unknown: bool = False) -> str:
    """The when in its own zone, without the zone: 'June 2024 (to be confirmed)',
    '24 Apr 2024, morning', '25 Jun 2024 09:00–11:00'. `day_unknown` words a month-precise
    observance (the day will never be confirmed, it is simply not known)."""
    match when:
        case ImpreciseWhen():
            hedge = (_DAY_UNKNOWN if day_unknown else _TBC).get(lang, _TBC["en"])
            return f"{_imprecise_span(when, lang)} ({hedge})"
        case AllDayWhen():
            days = format_days(when.first_day, when.last_day, lang)
            if when.part_of_day is None:
                return days
            return f"{days}, {_PARTS.get(lang, _PARTS['en'])[when.part_of_day.value]}"
        case ExactWhen():
            return _clock_span(when.start, when.end, lang)


def describe_when_in_zone(when: When, lang: str = "en") -> str:
    """The when with its zone: '25–27 Jun 2024 (Asia/Shanghai)',
    'June 2024 (to be confirmed, Asia/Shanghai)'."""
    text = describe_when(when, lang)
    if text.endswith(")"):
        return f"{text[:-1]}, {when.tz})"
    return f"{text} ({when.tz})"


def viewer_clock(when: When, viewer_tz: str, lang: str = "en") -> str | None:
    """A timed when on the viewer's clock ('25 Jun 2024 10:00–12:00'), or None when there is no
    second clock to show: whole days are the same dates everywhere, and a when in the
    viewer's own zone needs no conversion."""
    if not isinstance(when, ExactWhen) or when.tz == viewer_tz:
        return None
    zone = ZoneInfo(viewer_tz)
    return _clock_span(when.start.astimezone(zone), when.end.astimezone(zone), lang)


def describe_recurrence(recurrence: Recurrence, lang: str = "en") -> str:
    """'every October since 1993 (day unknown)', 'every 24 October since 1993',
    '1993년부터 매년 10월 (날짜 미상)', '自1993年起每年10月（日期不详）'."""
    month, day, since = recurrence.month, recurrence.day, recurrence.since_year
    if lang == "ko":
        when = f"{month}월" if day is None else f"{month}월 {day}일"
        unknown = f" ({_DAY_UNKNOWN['ko']})" if day is None else ""
        return f"{since}년부터 매년 {when}{unknown}"
    if lang == "zh":
        when = f"{month}月" if day is None else f"{month}月{day}日"
        unknown = f"（{_DAY_UNKNOWN['zh']}）" if day is None else ""
        return f"自{since}年起每年{when}{unknown}"
    name = _MONTHS[month - 1]
    if day is None:
        return f"every {name} since {since} ({_DAY_UNKNOWN['en']})"
    return f"every {day} {name} since {since}"


def ordinal(number: int) -> str:
    """'1st', '2nd', '31st', '112th'."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def describe_place(place: Place | None, lang: str = "en") -> str:
    """'Dodamso (...), Suwon', 'Dalian', 'Shenyang (probable)'; '' when unknown."""
    if place is None:
        return ""
    parts = [text.best(lang) for text in (place.name, place.city) if text is not None]
    unique = list(dict.fromkeys(parts))
    text = ", ".join(unique)
    if place.confidence is not Confidence.CONFIRMED:
        text = f"{text} ({place.confidence.value})"
    return text


def describe_participation(engagement: Engagement, lang: str = "en") -> str:
    """The province's part: 'invited, participation undecided', 'delegated to ...'."""
    words = _PARTICIPATION[engagement.participation]
    if engagement.participation is Participation.DELEGATED and engagement.delegate is not None:
        who = engagement.delegate.name
        words = f"delegated to {who.best(lang) if who else engagement.delegate.party_id}"
    return words


def describe_status(engagement: Engagement, lang: str = "en") -> str:
    """The engagement's own status, then the province's part: 'confirmed; invited, ...'."""
    participation = describe_participation(engagement, lang)
    status = engagement.status.value
    return f"{status}; {participation}" if participation else status


def party_name(engagement: Engagement, party_id: str, lang: str = "en") -> str:
    """The name of a party the engagement lists, else its id."""
    for participant in engagement.participants:
        if participant.party_id == party_id and participant.name is not None:
            return participant.name.best(lang)
    return party_id


def describe_source(source: Source) -> str:
    """'[article] The Asia Business Daily ..., 2024-04-25: “quote” <url>'."""
    head = f"[{source.origin.value}]"
    if source.ref is not None:
        head = f"{head} {source.ref}"
    elif source.origin is Origin.ASSUMED:
        head = f"{head} our assumption"
    body = [f"“{source.quote}”"] if source.quote is not None else []
    if source.claim is not None:
        body.append(source.claim)
    url = f" <{source.url}>" if source.url is not None else ""
    return f"{head}: {' — '.join(body)}{url}"


def _imprecise_span(when: ImpreciseWhen, lang: str) -> str:
    if when.precision is Precision.YEAR:
        return {"ko": f"{when.start_date.year}년", "zh": f"{when.start_date.year}年"}.get(
            lang, str(when.start_date.year)
        )
    if when.precision is Precision.MONTH:
        return format_month(when.start_date, lang)
    return format_days(when.first_day, when.last_day, lang)


def _clock_span(start: datetime, end: datetime, lang: str) -> str:
    if start.date() == end.date():
        return f"{format_day(start.date(), lang)} {start:%H:%M}–{end:%H:%M}"
    first, last = format_day(start.date(), lang), format_day(end.date(), lang)
    return f"{first} {start:%H:%M} – {last} {end:%H:%M}"
