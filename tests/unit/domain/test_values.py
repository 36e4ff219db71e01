"""Value objects refuse bad input with a message that names the field and the value."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from calendar_service.domain import (
    MAX_TEXT_CHARS,
    Audience,
    Channel,
    EngagementId,
    ExplicitDeadline,
    InvalidValue,
    LocalizedText,
    Origin,
    Participant,
    Place,
    Recurrence,
    ReminderPolicy,
    Source,
    format_duration,
    parse_duration,
)


def test_a_title_over_the_stated_limit_is_refused_naming_field_and_value() -> None:
    too_long = "가" * (MAX_TEXT_CHARS + 1)
    with pytest.raises(InvalidValue) as error:
        LocalizedText(ko=too_long, label="title")
    message = str(error.value)
    assert message.startswith("title.ko '가가가")
    assert f"it has {MAX_TEXT_CHARS + 1} characters, over the limit of {MAX_TEXT_CHARS}" in message
    assert MAX_TEXT_CHARS == 300
    assert LocalizedText(ko="가" * MAX_TEXT_CHARS).ko is not None


@pytest.mark.parametrize("char", ["\x00", "\r", "\t", "\x1b", "\u2028", "\x85"])
def test_control_characters_in_a_title_are_refused(char: str) -> None:
    with pytest.raises(InvalidValue, match=r"title.en .* control character"):
        LocalizedText(en=f"Summer Davos{char}2024", label="title")


def test_a_newline_in_a_title_is_allowed_and_blank_or_empty_titles_are_not() -> None:
    assert LocalizedText(en="Summer Davos\n2024").en == "Summer Davos\n2024"
    with pytest.raises(InvalidValue, match=r"title.en '  ' is not valid: it is blank"):
        LocalizedText(en="  ", label="title")
    with pytest.raises(InvalidValue, match=r"give it in at least one of en, ko, zh"):
        LocalizedText(label="title")


def test_localized_text_falls_back_to_a_present_language() -> None:
    title = LocalizedText(ko="하계 다보스포럼", zh="夏季达沃斯论坛")
    assert title.best("en") == "하계 다보스포럼"
    assert title.best("zh") == "夏季达沃斯论坛"
    assert title.to_json() == {"ko": "하계 다보스포럼", "zh": "夏季达沃斯论坛"}
    assert LocalizedText.from_json(title.to_json()) == title
    with pytest.raises(InvalidValue, match=r"title.fr"):
        LocalizedText.from_json({"fr": "Davos d'été"}, "title")


@pytest.mark.parametrize("value", ["Summer Davos", "summer--davos", "-davos", "a" * 101, ""])
def test_engagement_ids_are_slugs(value: str) -> None:
    with pytest.raises(InvalidValue, match=rf"engagement_id '{value[:20]}"):
        EngagementId(value)


def test_a_place_names_its_country_and_zone() -> None:
    with pytest.raises(InvalidValue, match=r"place.country 'China'"):
        Place(city=LocalizedText(en="Dalian"), country="China", tz="Asia/Shanghai")
    with pytest.raises(InvalidValue, match=r"place.tz 'China/Dalian'"):
        Place(city=LocalizedText(en="Dalian"), country="CN", tz="China/Dalian")
    with pytest.raises(InvalidValue, match=r"give a name, a city, or both"):
        Place(country="CN", tz="Asia/Shanghai")


def test_a_participant_has_a_directory_id_and_a_snake_case_role() -> None:
    with pytest.raises(InvalidValue, match=r"participant.role 'Head of delegation'"):
        Participant(party_id="kim-dong-yeon", role="Head of delegation")


def test_sources_say_what_supports_them() -> None:
    with pytest.raises(InvalidValue, match=r"an article source quotes its sentence"):
        Source(origin=Origin.ARTICLE, claim="Kim met Hao")
    with pytest.raises(InvalidValue, match=r"an external source needs a ref or a URL"):
        Source(origin=Origin.EXTERNAL, claim="NDRC confirmed the dates")
    with pytest.raises(InvalidValue, match=r"source.quote .* over the limit of 300"):
        Source(origin=Origin.ARTICLE, quote="x" * 301)
    with pytest.raises(InvalidValue, match=r"source.url 'javascript:alert"):
        Source(origin=Origin.EXTERNAL, claim="c", url="javascript:alert(1)")
    assert Source(origin=Origin.ASSUMED, claim="45 days ahead is our rule of thumb").ref is None


def test_reminder_policy_parses_iso_durations_and_keeps_them_sorted() -> None:
    policy = ReminderPolicy.parse(["PT2H", "P30D", "P7D", "P1D", "P7D"], ["webhook", "email"])
    assert policy.offsets == (
        timedelta(days=30),
        timedelta(days=7),
        timedelta(days=1),
        timedelta(hours=2),
    )
    assert policy.channels == {Channel.EMAIL, Channel.WEBHOOK}
    assert policy.describe() == "P30D P7D P1D PT2H before (email, webhook)"
    with pytest.raises(InvalidValue, match=r"reminder_policy.offsets 'P1M'.*years and months"):
        ReminderPolicy.parse(["P1M"])
    with pytest.raises(InvalidValue, match=r"reminder_policy.channels 'sms'"):
        ReminderPolicy.parse(["P1D"], ["sms"])
    with pytest.raises(InvalidValue, match=r"reminder_policy.offsets"):
        ReminderPolicy((timedelta(days=-1),))


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("P30D", timedelta(days=30)),
        ("PT2H", timedelta(hours=2)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("P2W", timedelta(weeks=2)),
        ("PT90M", timedelta(minutes=90)),
        ("PT0S", timedelta(0)),
    ],
)
def test_durations_parse_the_day_and_time_subset(text: str, duration: timedelta) -> None:
    assert parse_duration("offset", text) == duration
    assert parse_duration("offset", format_duration(duration)) == duration


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "-P1D", "P1.5D", "1D", "p1d", "P1Y"])
def test_malformed_durations_are_refused_naming_the_value(text: str) -> None:
    with pytest.raises(InvalidValue, match=rf"offset '{text}' is not valid"):
        parse_duration("offset", text)


def test_audiences_widen_from_public_to_restricted() -> None:
    assert Audience.STAFF.admits(Audience.PUBLIC)
    assert Audience.RESTRICTED.admits(Audience.STAFF)
    assert not Audience.PUBLIC.admits(Audience.STAFF)
    assert not Audience.STAFF.admits(Audience.RESTRICTED)


def test_recurrence_validates_its_day_and_never_makes_one_up() -> None:
    with pytest.raises(InvalidValue, match=r"recurrence.month 13"):
        Recurrence(month=13, since_year=1993, tz="Asia/Seoul")
    with pytest.raises(InvalidValue, match=r"recurrence.day 31"):
        Recurrence(month=9, day=31, since_year=1993, tz="Asia/Seoul")
    leap = Recurrence(month=2, day=29, since_year=2024, tz="Asia/Seoul")
    assert leap.occurrence(2025).first_day == date(2025, 2, 28)
    with pytest.raises(InvalidValue, match=r"recurrence.year 1990"):
        leap.occurrence(1990)


def test_an_explicit_deadline_states_its_basis() -> None:
    with pytest.raises(InvalidValue, match=r"deadline.key 'Decision'"):
        ExplicitDeadline(key="Decision", due=date(2024, 5, 10), basis="Letter")
    with pytest.raises(InvalidValue, match=r"deadline.basis"):
        ExplicitDeadline(key="decision", due=date(2024, 5, 10), basis="")
