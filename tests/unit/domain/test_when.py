"""When: validation with messages naming field and value, precision, containment, JSON."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from calendar_service.domain import (
    AllDayWhen,
    ExactWhen,
    ImpreciseWhen,
    InvalidValue,
    InvalidWhen,
    PartOfDay,
    Precision,
    UnknownTimeZone,
    When,
    when_from_json,
)

KST = timezone(timedelta(hours=9))


def test_unknown_time_zone_is_refused_naming_the_field_and_value() -> None:
    with pytest.raises(UnknownTimeZone) as error:
        AllDayWhen.on(date(2024, 4, 24), "Asia/Suwon")
    assert str(error.value).startswith("when.tz 'Asia/Suwon' is not valid")
    assert "IANA" in str(error.value)


@pytest.mark.parametrize("name", ["", "localtime", "../etc/passwd", "Asia/seoul", "UTC+9"])
def test_names_that_are_not_iana_zones_are_refused(name: str) -> None:
    with pytest.raises(UnknownTimeZone, match=r"when.tz"):
        AllDayWhen.on(date(2024, 4, 24), name)


def test_an_end_before_the_start_is_refused_with_both_times_and_the_zone() -> None:
    with pytest.raises(InvalidWhen) as error:
        ExactWhen(
            datetime(2025, 6, 24, 10, tzinfo=KST),
            datetime(2025, 6, 24, 9, tzinfo=KST),
            "Asia/Seoul",
        )
    assert str(error.value) == (
        "when.end '2025-06-24T09:00:00+09:00' is not valid: "
        "it ends 2025-06-24 09:00 before it starts 2025-06-24 10:00 (Asia/Seoul)"
    )


def test_an_all_day_span_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(
        InvalidWhen, match=r"when.end_date_exclusive '2024-06-25'.*before it starts"
    ):
        AllDayWhen(date(2024, 6, 27), date(2024, 6, 25), "Asia/Shanghai")


def test_an_end_equal_to_the_start_is_refused() -> None:
    moment = datetime(2025, 6, 24, 10, tzinfo=KST)
    with pytest.raises(InvalidWhen, match=r"at the moment it starts"):
        ExactWhen(moment, moment, "Asia/Seoul")


def test_month_13_is_refused_naming_the_value() -> None:
    with pytest.raises(InvalidWhen) as error:
        ImpreciseWhen.month("2024-13", "Asia/Seoul")
    assert str(error.value) == (
        "when.month '2024-13' is not valid: month 13 does not exist; use a month from 01 to 12"
    )


@pytest.mark.parametrize("text", ["2024-6", "June 2024", "2024/06", "24-06"])
def test_a_month_not_written_yyyy_mm_is_refused(text: str) -> None:
    with pytest.raises(InvalidWhen, match=rf"when.month '{text}'.*YYYY-MM"):
        ImpreciseWhen.month(text, "Asia/Seoul")


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidWhen, match=r"when.start '2024-06-25T09:00:00' .*no UTC offset"):
        ExactWhen(datetime(2024, 6, 25, 9), datetime(2024, 6, 25, 10, tzinfo=UTC), "Asia/Shanghai")


def test_exact_times_are_kept_in_their_zone_so_equal_whens_compare_equal() -> None:
    in_utc = ExactWhen(
        datetime(2024, 6, 25, 1, tzinfo=UTC), datetime(2024, 6, 25, 2, tzinfo=UTC), "Asia/Shanghai"
    )
    assert in_utc.start.hour == 9
    assert in_utc.describe() == "2024-06-25 09:00–10:00 (Asia/Shanghai)"


def test_part_of_day_needs_a_single_day() -> None:
    with pytest.raises(InvalidWhen, match=r"when.part_of_day 'morning'.*single day"):
        AllDayWhen(date(2024, 4, 24), date(2024, 4, 26), "Asia/Seoul", PartOfDay.MORNING)


def test_precision_ranks_exact_over_all_day_over_range_over_month_over_year() -> None:
    day = date(2024, 6, 25)
    ranked: list[When] = [
        ImpreciseWhen.year(2024, "Asia/Shanghai"),
        ImpreciseWhen.month("2024-06", "Asia/Shanghai"),
        ImpreciseWhen.tbc(day, day + timedelta(days=5), "Asia/Shanghai"),
        AllDayWhen.on(day, "Asia/Shanghai"),
        AllDayWhen.on(day, "Asia/Shanghai", PartOfDay.MORNING),
        ExactWhen(
            datetime(2024, 6, 25, 9, tzinfo=KST),
            datetime(2024, 6, 25, 10, tzinfo=KST),
            "Asia/Seoul",
        ),
    ]
    assert [when.precision for when in ranked] == sorted(Precision)
    for vaguer, finer in itertools.pairwise(ranked):
        assert vaguer.contains(finer), (vaguer, finer)
        assert not finer.contains(vaguer) or vaguer == finer


def test_a_month_contains_days_within_it_and_not_days_outside() -> None:
    june = ImpreciseWhen.month("2024-06", "Asia/Shanghai")
    assert june.contains(AllDayWhen(date(2024, 6, 25), date(2024, 6, 28), "Asia/Shanghai"))
    assert not june.contains(AllDayWhen(date(2024, 6, 30), date(2024, 7, 2), "Asia/Shanghai"))
    assert june.consistent_with(AllDayWhen(date(2024, 6, 30), date(2024, 7, 2), "Asia/Shanghai"))
    assert not june.consistent_with(ImpreciseWhen.month("2024-09", "Asia/Shanghai"))


def test_an_exact_time_counts_on_its_own_local_day() -> None:
    late_in_dalian = ExactWhen(
        datetime(2024, 6, 30, 23, 0, tzinfo=timezone(timedelta(hours=8))),
        datetime(2024, 6, 30, 23, 30, tzinfo=timezone(timedelta(hours=8))),
        "Asia/Shanghai",
    )
    assert ImpreciseWhen.month("2024-06", "Asia/Seoul").contains(late_in_dalian)


def test_morning_and_evening_of_one_day_contradict_each_other() -> None:
    day = date(2024, 4, 24)
    morning = AllDayWhen.on(day, "Asia/Seoul", PartOfDay.MORNING)
    evening = AllDayWhen.on(day, "Asia/Seoul", PartOfDay.EVENING)
    assert not morning.contains(evening)
    assert not morning.consistent_with(evening)
    assert AllDayWhen.on(day, "Asia/Seoul").contains(morning)


def test_describe_says_how_much_is_known() -> None:
    assert JUNE.describe() == "June 2024, dates to be confirmed (Asia/Shanghai)"
    assert AllDayWhen.on(date(2024, 4, 24), "Asia/Seoul", PartOfDay.MORNING).describe() == (
        "2024-04-24 morning (Asia/Seoul)"
    )
    three_days = AllDayWhen(date(2024, 6, 25), date(2024, 6, 28), "Asia/Shanghai")
    assert three_days.describe() == "2024-06-25 to 2024-06-27 (all day, Asia/Shanghai)"


JUNE = ImpreciseWhen.month("2024-06", "Asia/Shanghai")


def test_json_of_each_kind_is_plain_and_readable() -> None:
    assert JUNE.to_json() == {"kind": "month", "month": "2024-06", "tz": "Asia/Shanghai"}
    assert ImpreciseWhen.year(1993, "Asia/Seoul").to_json() == {
        "kind": "year",
        "year": 1993,
        "tz": "Asia/Seoul",
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"kind": "week"}, "when.kind 'week'"),
        ({"kind": "month", "month": "2024-13", "tz": "Asia/Seoul"}, "when.month '2024-13'"),
        ({"kind": "month", "month": "2024-06", "tz": "Mars/Base"}, "when.tz 'Mars/Base'"),
        ({"kind": "month", "month": "2024-06", "tz": "Asia/Seoul", "day": 3}, "when.day 3"),
        ({"kind": "exact", "start": "noon", "end": None, "tz": "UTC"}, "when.start 'noon'"),
        ("June", "when 'June'"),
    ],
)
def test_malformed_json_is_refused_naming_the_field(raw: object, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        when_from_json(raw)
