"""Dates, clock times, durations and names of zones and countries, by Babel from CLDR.

What each gives, in en / ko / zh:

- `format_day`: 'Apr 24, 2024' / '2024년 4월 24일' / '2024年4月24日'
- `format_days`: a range sharing what its ends share, 'Jun 25 – 27, 2024' / '2024년 6월 25일~27일'
- `format_month`: 'June 2024' / '2024년 6월' / '2024年6月'
- `month_name`: 'October' / '10월' / '十月'
- `format_weekday_day`: 'Thu, Oct 24' / '10월 24일 (목)' / '10月24日周四'
- `format_time`: '09:05' (24-hour in every language, as protocol schedules are written)
- `format_clock_span`: a timed span, the day once when both ends share it
- `format_duration`: exact parts, '1 day, 2 hours' / '1일 2시간' / '1天2小时' (P1DT2H)
- `format_relative_days`: 'in 3 days' / '3일 후' / '3天后', '2 days ago' / '2일 전' / '2天前'
- `zone_city`: a zone's exemplar city ('Seoul' / '서울' / '首尔'); `zone_name`: its region's
  time ('South Korea Time' / '대한민국 시간' / '韩国时间')
- `country_name`: an ISO 3166 code's name ('China' / '중국' / '中国')
- `language_name`: a language's name in itself ('English', '한국어', '中文')
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_timedelta,
    get_timezone_location,
)
from babel.lists import format_list
from babel.units import format_unit

from calendar_service.domain import LANGUAGES


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang if lang in LANGUAGES else "en")


def format_day(day: date, lang: str = "en") -> str:
    return format_skeleton("yMMMd", day, locale=_locale(lang))


def format_days(first: date, last: date, lang: str = "en") -> str:
    if first == last:
        return format_day(first, lang)
    return format_interval(first, last, "yMMMd", locale=_locale(lang))


def format_month(first: date, lang: str = "en") -> str:
    return format_skeleton("yMMMM", first, locale=_locale(lang))


def month_name(month: int, lang: str = "en") -> str:
    return format_date(date(2000, month, 1), "LLLL", locale=_locale(lang))


def format_weekday_day(day: date, lang: str = "en") -> str:
    return format_skeleton("MMMEd", day, locale=_locale(lang))


def format_time(moment: time | datetime, lang: str = "en") -> str:
    clock = moment.time() if isinstance(moment, datetime) else moment
    return format_skeleton("Hm", clock, locale=_locale(lang))


def format_clock_span(start: datetime, end: datetime, lang: str = "en") -> str:
    """'Jun 25, 2024 09:00 – 11:00'; across days, each end with its own day."""
    locale = _locale(lang)
    if start.date() == end.date():
        times = format_interval(start.time(), end.time(), "Hm", locale=locale)
        return f"{format_day(start.date(), lang)} {times}"
    pattern = locale.interval_formats.get(None, "{0} – {1}")
    first = f"{format_day(start.date(), lang)} {format_time(start, lang)}"
    last = f"{format_day(end.date(), lang)} {format_time(end, lang)}"
    return str(pattern).replace("{0}", first).replace("{1}", last)


_UNITS = (
    ("duration-week", 7 * 86400),
    ("duration-day", 86400),
    ("duration-hour", 3600),
    ("duration-minute", 60),
    ("duration-second", 1),
)


def format_duration(span: timedelta, lang: str = "en") -> str:
    """The exact span in words, largest unit first; a whole number of weeks stays in days
    unless it is all weeks ('7 days' reads worse than '1 week', '10 days' better than
    '1 week, 3 days')."""
    seconds = int(abs(span.total_seconds()))
    if seconds == 0:
        return format_unit(0, "duration-minute", length="long", locale=_locale(lang))
    parts = []
    units = _UNITS if seconds % (7 * 86400) == 0 else _UNITS[1:]
    for unit, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(format_unit(count, unit, length="long", locale=_locale(lang)))
    return format_list(parts, style="unit", locale=_locale(lang))


def format_relative_days(days: int, lang: str = "en") -> str:
    """'in 3 days', '3 days ago' (never 'in 1 month': always counted in days)."""
    return format_timedelta(
        timedelta(days=days),
        granularity="day",
        threshold=1e9,
        add_direction=True,
        locale=_locale(lang),
    )


def zone_city(tz: str, lang: str = "en") -> str:
    """The zone's exemplar city in CLDR ('Asia/Shanghai' is 'Shanghai', '上海', '상하이')."""
    try:
        return str(get_timezone_location(tz, locale=_locale(lang), return_city=True))
    except LookupError:
        return tz.rsplit("/", 1)[-1].replace("_", " ")


def zone_name(tz: str, lang: str = "en") -> str:
    """The zone as its region's time ('South Korea Time', '대한민국 시간', '韩国时间')."""
    try:
        return str(get_timezone_location(tz, locale=_locale(lang)))
    except LookupError:
        return tz


def language_name(lang: str) -> str:
    """The language's name in itself ('English', '한국어', '中文'), for a language switcher."""
    return str(_locale(lang).get_display_name(_locale(lang)))


def country_name(code: str, lang: str = "en") -> str:
    """The CLDR name of an ISO 3166 alpha-2 code, or the code when CLDR does not know it."""
    return str(_locale(lang).territories.get(code.upper(), code))


def format_year(year: int, lang: str = "en") -> str:
    """'2024' / '2024년' / '2024年'."""
    return format_skeleton("y", date(year, 1, 1), locale=_locale(lang))


def format_month_day(month: int, day: int, lang: str = "en") -> str:
    """A day of any year: 'October 24' / '10월 24일' / '10月24日'."""
    return format_skeleton("MMMMd", date(2000, month, day), locale=_locale(lang))
