"""ISO 8601 durations, the day-and-time subset reminders use: P30D, P7D, P1D, PT2H, P1DT12H, P2W.

Years and months are refused because their length depends on the calendar ("P1M" before
31 March is not a month before 30 April); write days instead.
"""

from __future__ import annotations

import re
from datetime import timedelta

from calendar_service.domain.errors import InvalidValue

MAX_DURATION = timedelta(days=3660)
"""Longest duration accepted: about ten years."""
_PATTERN = re.compile(
    r"P(?:(?P<w>\d{1,4})W)?(?:(?P<d>\d{1,5})D)?"
    r"(?:T(?=\d)(?:(?P<h>\d{1,6})H)?(?:(?P<m>\d{1,7})M)?(?:(?P<s>\d{1,9})S)?)?"
)
_YEARS_OR_MONTHS = re.compile(r"P[^T]*\d[YM]")
_HINT = "write an ISO 8601 duration in days and time, such as P30D, P1D, PT2H or P1DT12H"


def parse_duration(field: str, text: object) -> timedelta:
    """The timedelta `text` denotes; InvalidValue naming `field` and `text` if it is not one."""
    if not isinstance(text, str):
        raise InvalidValue(field, text, _HINT)
    match = _PATTERN.fullmatch(text)
    if match is None or text == "P":
        if _YEARS_OR_MONTHS.match(text):
            raise InvalidValue(field, text, f"years and months have no fixed length; {_HINT}")
        raise InvalidValue(field, text, _HINT)
    parts = {key: int(value) for key, value in match.groupdict().items() if value is not None}
    duration = timedelta(
        weeks=parts.get("w", 0),
        days=parts.get("d", 0),
        hours=parts.get("h", 0),
        minutes=parts.get("m", 0),
        seconds=parts.get("s", 0),
    )
    if duration > MAX_DURATION:
        raise InvalidValue(field, text, f"it is longer than {MAX_DURATION.days} days")
    return duration


def format_duration(duration: timedelta) -> str:
    """The canonical ISO 8601 text of a non-negative whole-second duration, e.g. 'P1DT2H'."""
    if duration < timedelta(0) or duration.microseconds:
        raise InvalidValue("duration", duration, "give a non-negative whole number of seconds")
    hours, rest = divmod(duration.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    time_part = "".join(
        f"{amount}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (seconds, "S"))
        if amount
    )
    day_part = f"{duration.days}D" if duration.days else ""
    if not day_part and not time_part:
        return "PT0S"
    return "P" + day_part + (f"T{time_part}" if time_part else "")
