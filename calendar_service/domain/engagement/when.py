"""When an engagement happens, with its precision: the tagged union `When`.

- `ExactWhen`: aware start and end instants, shown in an IANA zone.
- `AllDayWhen`: a range of whole days (end exclusive) in a zone, optionally a part of the day.
- `ImpreciseWhen`: a year, a month, or a range of days marked "to be confirmed".

Precision ranks exact > part of a day > all-day > range-TBC > month > year. A refinement must
be at least as precise as what it refines and lie inside it (`contains`); `consistent_with`
says whether two claims can both be true. `to_json` and `when_from_json` give the plain dicts
events carry. To add a kind, add a class with the same methods and put it in `When`,
`_FROM_JSON` and `_KEYS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum, StrEnum
from typing import Any, ClassVar, TypeVar

from calendar_service.domain._checks import check_zone, zone
from calendar_service.domain.errors import InvalidValue, InvalidWhen

MAX_SPAN_DAYS = 366
"""Longest exact, all-day or to-be-confirmed span: a longer one is a typing mistake."""
MIN_YEAR, MAX_YEAR = 1900, 2199
_MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
_ONE_DAY = timedelta(days=1)
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
"""English month names, independent of the process locale (which %B would follow)."""
_TICK = timedelta(microseconds=1)
_T = TypeVar("_T")


class Precision(IntEnum):
    """How precisely a when is known; a higher value is more precise."""

    YEAR = 1
    MONTH = 2
    RANGE_TBC = 3
    ALL_DAY = 4
    PART_OF_DAY = 5
    EXACT = 6

    @property
    def label(self) -> str:
        return _PRECISION_LABELS[self]


_PRECISION_LABELS = {
    Precision.YEAR: "year only",
    Precision.MONTH: "month only",
    Precision.RANGE_TBC: "dates to be confirmed",
    Precision.ALL_DAY: "all day",
    Precision.PART_OF_DAY: "part of the day",
    Precision.EXACT: "exact times",
}


class PartOfDay(StrEnum):
    """A part of one day, when no clock time is known: morning 06-12, afternoon 12-18,
    evening 18-24 (local time)."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"

    @property
    def hours(self) -> tuple[int, int]:
        return _PART_HOURS[self]


_PART_HOURS = {
    PartOfDay.MORNING: (6, 12),
    PartOfDay.AFTERNOON: (12, 18),
    PartOfDay.EVENING: (18, 24),
}


def _check_year(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= MAX_YEAR:
        raise InvalidWhen(field, value, f"give a year from {MIN_YEAR} to {MAX_YEAR}")
    return value


def _check_date(field: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidWhen(field, value, "give a calendar date such as 2024-06-25")
    _check_year(field, value.year)
    return value


def _check_day_span(start: date, end: date, tz: str) -> None:
    if end <= start:
        raise InvalidWhen(
            "when.end_date_exclusive",
            end.isoformat(),
            f"it ends {end.isoformat()} (exclusive) before it starts {start.isoformat()} ({tz}); "
            "the exclusive end is the day after the last day",
        )
    if (end - start).days > MAX_SPAN_DAYS:
        raise InvalidWhen(
            "when.end_date_exclusive",
            end.isoformat(),
            f"the span from {start.isoformat()} is over {MAX_SPAN_DAYS} days",
        )


def _midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(), zone(tz))


@dataclass(frozen=True)
class ExactWhen:
    """From `start` to `end` (aware instants), shown in zone `tz`. `end` is after `start`.

    Both instants are stored converted into `tz`, so equal whens compare equal.
    """

    start: datetime
    end: datetime
    tz: str
    KIND: ClassVar[str] = "exact"

    def __post_init__(self) -> None:
        check_zone("when.tz", self.tz)
        # Through UTC, so a wall time that does not exist in the zone is normalised as well.
        shown = zone(self.tz)
        start = _aware("when.start", self.start).astimezone(UTC).astimezone(shown)
        end = _aware("when.end", self.end).astimezone(UTC).astimezone(shown)
        if end <= start:
            relation = "before it starts" if end < start else "at the moment it starts"
            raise InvalidWhen(
                "when.end",
                end.isoformat(),
                f"it ends {_clock(end)} {relation} {_clock(start)} ({self.tz})",
            )
        if end - start > timedelta(days=MAX_SPAN_DAYS):
            raise InvalidWhen("when.end", end.isoformat(), f"over {MAX_SPAN_DAYS} days long")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def precision(self) -> Precision:
        return Precision.EXACT

    @property
    def first_day(self) -> date:
        """The local date the engagement starts on, in `tz`."""
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The local date of its last moment, in `tz` (an end at midnight ends the day before)."""
        return (self.end - _TICK).date()

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware instants."""
        return self.start, self.end

    def contains(self, other: When) -> bool:
        """True if `other` lies wholly inside this span."""
        low, high = other.bounds()
        return self.start <= low and high <= self.end

    def consistent_with(self, other: When) -> bool:
        """True if both claims can be true at once: their spans overlap."""
        return _overlap(self, other)

    def describe(self) -> str:
        if self.first_day == self.last_day:
            return f"{_clock(self.start)}–{self.end:%H:%M} ({self.tz})"
        return f"{_clock(self.start)} to {_clock(self.end)} ({self.tz})"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.KIND,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "tz": self.tz,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ExactWhen:
        return cls(
            start=_parse_datetime("when.start", _get(raw, "start")),
            end=_parse_datetime("when.end", _get(raw, "end")),
            tz=_get(raw, "tz"),
        )


class _WholeDays:
    """What the whens of whole days share (all-day, imprecise): days from `start_date` up to,
    not including, `end_date_exclusive`, in `tz`."""

    start_date: date
    end_date_exclusive: date
    tz: str

    @property
    def first_day(self) -> date:
        """The first day (of an imprecise when, the earliest it could start)."""
        return self.start_date

    @property
    def last_day(self) -> date:
        """The last day (of an imprecise when, the latest it could end)."""
        return self.end_date_exclusive - _ONE_DAY

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as instants: midnight of the first day to midnight after the last."""
        return _midnight(self.start_date, self.tz), _midnight(self.end_date_exclusive, self.tz)


@dataclass(frozen=True)
class AllDayWhen(_WholeDays):
    """Whole days from `start_date` up to, not including, `end_date_exclusive`, in `tz`.

    `part_of_day` says e.g. "morning" when only that is known (no clock time was published);
    it is allowed on a single day only, and makes the when a little more precise (PART_OF_DAY).
    """

    start_date: date
    end_date_exclusive: date
    tz: str
    part_of_day: PartOfDay | None = None
    KIND: ClassVar[str] = "all_day"

    def __post_init__(self) -> None:
        check_zone("when.tz", self.tz)
        _check_date("when.start_date", self.start_date)
        _check_date("when.end_date_exclusive", self.end_date_exclusive)
        _check_day_span(self.start_date, self.end_date_exclusive, self.tz)
        if self.part_of_day is None:
            return
        if not isinstance(self.part_of_day, PartOfDay):
            raise InvalidWhen(
                "when.part_of_day", self.part_of_day, "use morning, afternoon or evening"
            )
        if self.end_date_exclusive - self.start_date != _ONE_DAY:
            raise InvalidWhen(
                "when.part_of_day", self.part_of_day.value, "a part of the day needs a single day"
            )

    @classmethod
    def on(cls, day: date, tz: str, part_of_day: PartOfDay | None = None) -> AllDayWhen:
        """The single day `day`."""
        return cls(day, day + _ONE_DAY, tz, part_of_day)

    @property
    def precision(self) -> Precision:
        return Precision.ALL_DAY if self.part_of_day is None else Precision.PART_OF_DAY

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as instants: midnight to midnight, or the part of the day's hours."""
        if self.part_of_day is None:
            return super().bounds()
        first, last = self.part_of_day.hours
        day = _midnight(self.start_date, self.tz)
        return _at_hour(day, first, self.tz), _at_hour(day, last, self.tz)

    def contains(self, other: When) -> bool:
        if self.part_of_day is None:
            return _dates_contain(self, other)
        low, high = other.bounds()
        start, end = self.bounds()
        return start <= low and high <= end

    def consistent_with(self, other: When) -> bool:
        return _overlap(self, other)

    def describe(self) -> str:
        days = _day_range(self.first_day, self.last_day)
        if self.part_of_day is not None:
            return f"{days} {self.part_of_day.value} ({self.tz})"
        return f"{days} (all day, {self.tz})"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.KIND,
            "start_date": self.start_date.isoformat(),
            "end_date_exclusive": self.end_date_exclusive.isoformat(),
            "tz": self.tz,
        }
        if self.part_of_day is not None:
            data["part_of_day"] = self.part_of_day.value
        return data

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> AllDayWhen:
        part = _get(raw, "part_of_day")
        return cls(
            start_date=_parse_date("when.start_date", _get(raw, "start_date")),
            end_date_exclusive=_parse_date(
                "when.end_date_exclusive", _get(raw, "end_date_exclusive")
            ),
            tz=_get(raw, "tz"),
            part_of_day=None if part is None else _parse_part_of_day(part),
        )


@dataclass(frozen=True)
class ImpreciseWhen(_WholeDays):
    """Sometime within whole days `start_date` up to `end_date_exclusive`, in `tz`.

    `precision` is YEAR or MONTH (the span is exactly that year or month) or RANGE_TBC (any
    span, dates to be confirmed). Build one with `year`, `month` or `tbc`.
    """

    start_date: date
    end_date_exclusive: date
    tz: str
    precision: Precision

    def __post_init__(self) -> None:
        check_zone("when.tz", self.tz)
        _check_date("when.start_date", self.start_date)
        _check_date("when.end_date_exclusive", self.end_date_exclusive)
        _check_day_span(self.start_date, self.end_date_exclusive, self.tz)
        expected_end = {
            Precision.YEAR: date(self.start_date.year + 1, 1, 1),
            Precision.MONTH: _next_month(self.start_date),
        }
        if self.precision not in (*expected_end, Precision.RANGE_TBC):
            raise InvalidWhen("when.precision", self.precision, "use year, month or range_tbc")
        object.__setattr__(self, "precision", Precision(self.precision))
        aligned = self.start_date.day == 1 and (
            self.precision is Precision.MONTH or self.start_date.month == 1
        )
        end = expected_end.get(self.precision)
        if end is not None and (not aligned or self.end_date_exclusive != end):
            raise InvalidWhen(
                "when.start_date",
                self.start_date.isoformat(),
                f"a {self.precision.name.lower()} span must cover exactly one "
                f"{self.precision.name.lower()}",
            )

    @classmethod
    def year(cls, year: int, tz: str) -> ImpreciseWhen:
        _check_year("when.year", year)
        return cls(date(year, 1, 1), date(year + 1, 1, 1), tz, Precision.YEAR)

    @classmethod
    def month(cls, month: str, tz: str) -> ImpreciseWhen:
        """The month `month`, written YYYY-MM (e.g. '2024-06')."""
        first = parse_month("when.month", month)
        return cls(first, _next_month(first), tz, Precision.MONTH)

    @classmethod
    def tbc(cls, start_date: date, end_date_exclusive: date, tz: str) -> ImpreciseWhen:
        """Days from `start_date` to `end_date_exclusive`, to be confirmed."""
        return cls(start_date, end_date_exclusive, tz, Precision.RANGE_TBC)

    def contains(self, other: When) -> bool:
        return _dates_contain(self, other)

    def consistent_with(self, other: When) -> bool:
        return _overlap(self, other)

    def describe(self) -> str:
        if self.precision is Precision.YEAR:
            return f"{self.start_date.year}, dates to be confirmed ({self.tz})"
        if self.precision is Precision.MONTH:
            month = _MONTH_NAMES[self.start_date.month - 1]
            return f"{month} {self.start_date.year}, dates to be confirmed ({self.tz})"
        days = _day_range(self.first_day, self.last_day)
        return f"{days}, dates to be confirmed ({self.tz})"

    def to_json(self) -> dict[str, Any]:
        if self.precision is Precision.YEAR:
            return {"kind": "year", "year": self.start_date.year, "tz": self.tz}
        if self.precision is Precision.MONTH:
            return {"kind": "month", "month": f"{self.start_date:%Y-%m}", "tz": self.tz}
        return {
            "kind": "range_tbc",
            "start_date": self.start_date.isoformat(),
            "end_date_exclusive": self.end_date_exclusive.isoformat(),
            "tz": self.tz,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ImpreciseWhen:
        tz = _get(raw, "tz")
        kind = _get(raw, "kind")
        if kind == "year":
            return cls.year(_get(raw, "year"), tz)
        if kind == "month":
            return cls.month(_get(raw, "month"), tz)
        return cls.tbc(
            _parse_date("when.start_date", _get(raw, "start_date")),
            _parse_date("when.end_date_exclusive", _get(raw, "end_date_exclusive")),
            tz,
        )


When = ExactWhen | AllDayWhen | ImpreciseWhen
"""Any when; match on the class, or use `precision`, `bounds`, `first_day` and `last_day`."""

WHEN_TYPES: tuple[type[ExactWhen], type[AllDayWhen], type[ImpreciseWhen]] = (
    ExactWhen,
    AllDayWhen,
    ImpreciseWhen,
)
_FROM_JSON: dict[str, Callable[[dict[str, Any]], When]] = {
    "exact": ExactWhen.from_json,
    "all_day": AllDayWhen.from_json,
    "year": ImpreciseWhen.from_json,
    "month": ImpreciseWhen.from_json,
    "range_tbc": ImpreciseWhen.from_json,
}

_DAYS = {"kind", "start_date", "end_date_exclusive", "tz"}
_KEYS = {
    "exact": {"kind", "start", "end", "tz"},
    "all_day": {*_DAYS, "part_of_day"},
    "year": {"kind", "year", "tz"},
    "month": {"kind", "month", "tz"},
    "range_tbc": _DAYS,
}


def when_from_json(raw: object, field: str = "when") -> When:
    """The When a `to_json` dict describes; InvalidWhen naming the field if it is malformed."""
    if not isinstance(raw, dict):
        raise InvalidWhen(field, raw, "give an object with a 'kind' and its fields")
    kind = _get(raw, "kind")
    if not isinstance(kind, str) or kind not in _FROM_JSON:
        raise InvalidWhen(f"{field}.kind", kind, f"use one of {', '.join(sorted(_FROM_JSON))}")
    unknown = sorted(set(raw) - _KEYS[kind])
    if unknown:
        raise InvalidWhen(
            f"{field}.{unknown[0]}", raw[unknown[0]], f"a {kind} when has no such field"
        )
    return _FROM_JSON[kind](raw)


def parse_month(field: str, value: object) -> date:
    """The first day of the month written YYYY-MM; InvalidWhen naming the value otherwise."""
    match = _MONTH_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidWhen(field, value, "write the month as YYYY-MM, such as '2024-06'")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise InvalidWhen(
            field, value, f"month {month:02d} does not exist; use a month from 01 to 12"
        )
    return date(_check_year(field, year), month, 1)


def _aware(field: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidWhen(field, value, "give a date and time with a UTC offset")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidWhen(
            field,
            value.isoformat(),
            "it has no UTC offset; give an aware time such as 2024-06-25T09:00:00+08:00",
        )
    _check_year(field, value.year)
    return value


def _parse_datetime(field: str, value: object) -> datetime:
    return _parse_iso(
        field, value, datetime.fromisoformat, "time such as 2024-06-25T09:00:00+08:00"
    )


def _parse_date(field: str, value: object) -> date:
    return _parse_iso(field, value, date.fromisoformat, "date such as 2024-06-25")


def _parse_iso(field: str, value: object, parse: Callable[[str], _T], example: str) -> _T:
    if not isinstance(value, str):
        raise InvalidWhen(field, value, f"give an ISO 8601 {example}")
    try:
        return parse(value)
    except ValueError:
        raise InvalidWhen(field, value, f"give an ISO 8601 {example}") from None


def _get(raw: dict[str, Any], key: str) -> Any:
    """raw[key], or None if absent: constructors then refuse it with the field's name."""
    return raw.get(key)


def _parse_part_of_day(value: object) -> PartOfDay:
    try:
        return PartOfDay(str(value))
    except ValueError:
        raise InvalidValue("when.part_of_day", value, "use morning, afternoon or evening") from None


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _dates_contain(outer: AllDayWhen | ImpreciseWhen, inner: When) -> bool:
    """Whole-day spans compare by local dates: an exact time counts on its own local day."""
    return outer.first_day <= inner.first_day and inner.last_day <= outer.last_day


def _overlap(one: When, other: When) -> bool:
    """Timed whens (exact, part of a day) overlap by instants; others by local dates."""
    if one.precision >= Precision.PART_OF_DAY and other.precision >= Precision.PART_OF_DAY:
        (start, end), (other_start, other_end) = one.bounds(), other.bounds()
        return start < other_end and other_start < end
    return one.first_day <= other.last_day and other.first_day <= one.last_day


def _at_hour(midnight: datetime, hour: int, tz: str) -> datetime:
    """The wall-clock `hour` on the day starting at `midnight` (24 is the next midnight)."""
    wall = midnight.replace(tzinfo=None) + timedelta(hours=hour)
    return wall.replace(tzinfo=zone(tz))


def _clock(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def _day_range(first: date, last: date) -> str:
    if first == last:
        return first.isoformat()
    return f"{first.isoformat()} to {last.isoformat()}"
