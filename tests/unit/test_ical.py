"""The feed renderer: what each engagement and deadline becomes, re-parsed with icalendar.

Independent parsers (vobject, ical, ical.js, libical) are in tests/integration/.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar, Event

import calendar_service.feed.ical as ical
import calendar_service.feed.select as select
from calendar_service.domain import (
    LANGUAGES,
    Audience,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    EventStatus,
    LocalizedText,
    Refine,
    Reschedule,
    ScheduleEngagement,
)
from calendar_service.domain.engagement.when import AllDayWhen, ExactWhen
from calendar_service.feed.ical import (
    assemble,
    calendar_component,
    clean_text,
    render_calendar,
    render_item,
    with_token,
)
from calendar_service.feed.links import TOKEN_SLOT, engagement_page_url
from calendar_service.feed.select import (
    EngagementItem,
    FeedWindow,
    WindowSettings,
    select_for_feed,
)
from tests.fixtures import ical_samples as samples
from tests.fixtures.ical_samples import DIRECTORY, article_items, items_of, meta
from tests.fixtures.ical_values import utc, value
from tests.unit.domain.builders import run

HOST = "calendar.example.org"


def parse(feed: bytes) -> Calendar:
    return Calendar.from_ical(feed)


def events(feed: bytes) -> dict[str, Event]:
    return {str(e["UID"]): e for e in parse(feed).walk("VEVENT") if isinstance(e, Event)}


@pytest.fixture(scope="module")
def feeds() -> dict[str, bytes]:
    items = article_items()
    return {lang: render_calendar(items, meta(lang), DIRECTORY) for lang in LANGUAGES}


def uid(engagement_id: EngagementId | str) -> str:
    return f"{engagement_id}@{HOST}"


def test_the_modules_export_exactly_their_public_names() -> None:
    assert sorted(ical.__all__) == sorted(
        [
            "PRODID",
            "FeedMeta",
            "RenderedItem",
            "assemble",
            "assemble_parts",
            "calendar_component",
            "clean_text",
            "event_component",
            "render_calendar",
            "render_item",
            "slot_page_url",
            "timezones_for",
            "with_token",
            "without_links",
        ]
    )
    assert sorted(select.__all__) == sorted(
        [
            "DECISION_RULE",
            "DeadlineItem",
            "DeclinedShown",
            "EngagementItem",
            "FeedItem",
            "FeedWindow",
            "WindowSettings",
            "feed_items",
            "select_for_feed",
        ]
    )


# -- the calendar ------------------------------------------------------------------------------


def test_the_calendar_names_itself_and_hints_its_refresh_without_a_method(
    feeds: dict[str, bytes],
) -> None:
    feed = feeds["ko"]
    assert feed.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert feed.endswith(b"END:VCALENDAR\r\n")
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in feed
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in feed
    assert b"METHOD" not in feed
    calendar = parse(feed)
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "경기도 국제협력 일정"
    assert str(calendar["X-WR-CALDESC"]) == str(calendar["DESCRIPTION"])
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["COLOR"]) == "teal"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Seoul"
    assert calendar.refresh_interval == timedelta(hours=1)
    assert str(calendar["PRODID"]) == ical.PRODID


def test_every_zone_used_has_the_vtimezone_icalendar_would_add(feeds: dict[str, bytes]) -> None:
    calendar = parse(feeds["en"])
    assert [tz.tz_name for tz in calendar.timezones] == ["Asia/Seoul", "Asia/Shanghai"]
    assert calendar.get_missing_tzids() == set()
    bare = Calendar()
    for event in calendar.walk("VEVENT"):
        bare.add_component(event)
    bare.add_missing_timezones()
    theirs = {tz.tz_name: tz for tz in bare.timezones}
    for ours in calendar.timezones:
        expected = theirs[ours.tz_name]
        assert "COMMENT" in expected  # icalendar's note on the VTIMEZONE, which we drop
        expected.pop("COMMENT")
        assert ours.to_ical() == expected.to_ical()


def test_feed_settings_are_checked() -> None:
    with pytest.raises(ValueError, match=r"feed lang 'fr'"):
        meta(lang="fr")
    with pytest.raises(ValueError, match=r"CSS3 colour"):
        meta(color="#ff0000")
    with pytest.raises(ValueError, match=r"base_url"):
        meta(base_url="calendar.example.org")
    with pytest.raises(ValueError, match=r"feed timezone 'Asia/Nowhere'"):
        meta(timezone="Asia/Nowhere")
    with pytest.raises(ValueError, match=r"positive"):
        meta(refresh_interval=timedelta(0))
    with pytest.raises(ValueError, match=r"aware"):
        EngagementItem(engagement=samples.expo(), last_modified=datetime(2024, 4, 25))


# -- engagements -------------------------------------------------------------------------------


def test_an_exact_meeting_abroad_keeps_its_zone_shows_both_clocks_and_has_alarms(
    feeds: dict[str, bytes],
) -> None:
    event = events(feeds["en"])[uid(samples.DALIAN_MEETING_ID)]
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert utc(event.start) == datetime(2024, 6, 25, 1, 0, tzinfo=UTC)
    assert utc(event.end) == datetime(2024, 6, 25, 2, 30, tzinfo=UTC)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"
    description = str(event["DESCRIPTION"])
    assert (
        "When: Jun 25, 2024 09:00\u2009–\u200910:30 Dalian, "
        "Jun 25, 2024 10:00\u2009–\u200911:30 Seoul"
    ) in description
    assert "- Kim Dong-yeon, Governor of Gyeonggi Province (head of delegation)" in description
    assert str(event["LOCATION"]) == "Dalian International Conference Center, Dalian, China"
    assert [str(c) for c in value(event, "CATEGORIES").cats] == ["Meeting", "staff"]
    assert str(event["URL"]) == f"https://{HOST}/c/{TOKEN_SLOT}/e/{samples.DALIAN_MEETING_ID}"
    alarms = [
        (str(a["ACTION"]), value(a, "TRIGGER").dt, str(a["DESCRIPTION"]))
        for a in event.walk("VALARM")
    ]
    summary = str(event["SUMMARY"])
    assert alarms == [
        ("DISPLAY", -timedelta(days=1), f"{summary}: starts in 1 day"),
        ("DISPLAY", -timedelta(hours=2), f"{summary}: starts in 2 hours"),
    ]


def test_a_timed_engagement_at_home_shows_one_clock(feeds: dict[str, bytes]) -> None:
    event = events(feeds["zh"])[uid(samples.BRIEFING_ID)]
    assert event["DTSTART"].params["TZID"] == "Asia/Seoul"
    assert utc(event.start) == datetime(2024, 6, 20, 5, 0, tzinfo=UTC)
    assert str(event["DESCRIPTION"]).startswith("时间：2024年6月20日 14:00–15:30 首尔\n")
    assert [value(a, "TRIGGER").dt for a in event.walk("VALARM")] == [-timedelta(minutes=30)]


def test_a_clock_without_a_city_is_named_after_its_zone_in_the_feed_language() -> None:
    """A zone's clock is named after CLDR's exemplar city, in the feed's language."""
    meeting = replace(samples.dalian_meeting(), place=None)
    for lang, line in [
        (
            "en",
            "Jun 25, 2024 09:00\u2009–\u200910:30 Shanghai, "
            "Jun 25, 2024 10:00\u2009–\u200911:30 Seoul",
        ),
        ("ko", "2024년 6월 25일 09:00 ~ 10:30 상하이, 2024년 6월 25일 10:00 ~ 11:30 서울"),
        ("zh", "2024年6月25日 09:00–10:30 上海，2024年6月25日 10:00–11:30 首尔"),
    ]:
        [event] = parse(render_calendar(items_of(meeting)[:1], meta(lang))).walk("VEVENT")
        first_line = str(event["DESCRIPTION"]).split("\n", 1)[0]
        assert first_line.endswith(line)


def test_a_held_all_day_meeting_is_confirmed_with_an_exclusive_end(
    feeds: dict[str, bytes],
) -> None:
    event = events(feeds["ko"])[uid(samples.DODAMSO_ID)]
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert (event.start, event.end) == (date(2024, 4, 24), date(2024, 4, 25))
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "상태: 개최됨" in str(event["DESCRIPTION"])
    assert str(event["SUMMARY"]) == "김동연 경기도지사–하오펑 랴오닝성 당서기 도담소 면담"
    assert str(event["LOCATION"]) == "도담소 (옛 경기도지사 공관), 수원, 대한민국"
    assert [str(c) for c in value(event, "CATEGORIES").cats] == ["회담", "공개"]


@pytest.mark.parametrize(
    ("lang", "summary"),
    [
        ("en", "Summer Davos 2024 (World Economic Forum Annual Meeting of the New Champions)"),
        ("ko", "2024 하계 다보스포럼 (세계경제포럼 뉴 챔피언 연차총회)"),
        ("zh", "2024夏季达沃斯论坛（世界经济论坛第十五届新领军者年会）"),
    ],
)
def test_summer_davos_as_first_invited_is_a_tentative_june_span(lang: str, summary: str) -> None:
    feed = render_calendar(article_items(refined=False), meta(lang), DIRECTORY)
    event = events(feed)[uid(samples.DAVOS_ID)]
    invitation, tbc = {
        "en": ("[Invitation · undecided] ", " (to be confirmed)"),
        "ko": ("[초청·미정] ", " (미정)"),
        "zh": ("[邀请·待定] ", "（待定）"),
    }[lang]
    assert str(event["SUMMARY"]) == f"{invitation}{summary}{tbc}"
    assert (event.start, event.end) == (date(2024, 6, 1), date(2024, 7, 1))
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert event["SEQUENCE"] == 0
    assert not event.walk("VALARM")


@pytest.mark.slow  # renders the whole article more than once (~50 ms)
def test_refining_davos_moves_it_and_bumps_sequence_and_last_modified() -> None:
    before = events(render_calendar(article_items(refined=False), meta()))[uid(samples.DAVOS_ID)]
    after = events(render_calendar(article_items(), meta()))[uid(samples.DAVOS_ID)]
    assert (after.start, after.end) == (date(2024, 6, 25), date(2024, 6, 28))
    assert str(after["STATUS"]) == "CONFIRMED"
    assert value(after, "SEQUENCE") > value(before, "SEQUENCE")
    assert value(after, "LAST-MODIFIED").dt > value(before, "LAST-MODIFIED").dt
    assert value(after, "DTSTAMP").dt == value(after, "LAST-MODIFIED").dt


def test_rescheduling_bumps_sequence_and_last_modified() -> None:
    meeting = samples.dalian_meeting()
    start = datetime(2024, 6, 26, 9, tzinfo=samples.SHANGHAI)
    later = ExactWhen(start, start + timedelta(hours=1), "Asia/Shanghai")
    moved, _ = run([Reschedule(engagement_id=meeting.id, when=later)], start=meeting)
    stamp = datetime(2024, 6, 12, tzinfo=UTC)
    old = events(render_calendar(items_of(meeting), meta()))[uid(meeting.id)]
    new_items = items_of(moved)
    new_items[0] = replace(new_items[0], last_modified=stamp)
    new = events(render_calendar(new_items, meta()))[uid(meeting.id)]
    assert value(new, "SEQUENCE") == value(old, "SEQUENCE") + 1
    assert value(new, "LAST-MODIFIED").dt == stamp > value(old, "LAST-MODIFIED").dt
    assert new.start == start


@pytest.mark.parametrize(
    ("lang", "prefix"), [("en", "CANCELLED: "), ("ko", "[취소] "), ("zh", "[已取消] ")]
)
def test_a_cancelled_engagement_stays_as_cancelled_with_a_marked_title_and_no_alarm(
    lang: str, prefix: str, feeds: dict[str, bytes]
) -> None:
    event = events(feeds[lang])[uid(samples.CONCERT_ID)]
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]).startswith(prefix)
    assert event["SEQUENCE"] == 1
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert not event.walk("VALARM")


def test_a_title_missing_in_the_feed_language_falls_back_to_english(
    feeds: dict[str, bytes],
) -> None:
    event = events(feeds["zh"])[uid(samples.DALIAN_MEETING_ID)]
    assert str(event["SUMMARY"]) == (
        "Meeting with Liaoning provincial leaders on the sidelines of Summer Davos"
    )


@pytest.mark.slow  # renders the whole article more than once (~50 ms)
def test_names_are_resolved_through_the_directory_when_one_is_given() -> None:
    with_names = events(render_calendar(article_items(), meta("ko"), DIRECTORY))
    without = events(render_calendar(article_items(), meta("ko")))
    davos = str(with_names[uid(samples.DAVOS_ID)]["DESCRIPTION"])
    assert "초청 측: 하오펑, 랴오닝성 당서기" in davos
    assert "초청 측: hao-peng" in str(without[uid(samples.DAVOS_ID)]["DESCRIPTION"])


def test_the_expo_place_is_marked_probable_and_its_sources_are_listed(
    feeds: dict[str, bytes],
) -> None:
    event = events(feeds["en"])[uid(samples.EXPO_ID)]
    assert str(event["LOCATION"]) == "Shenyang, China (probable)"
    description = str(event["DESCRIPTION"])
    assert "When: September 2024, dates to be confirmed (China (Shanghai) Time)" in description
    assert "Place: The fair was held in Shenyang in earlier years" in description
    assert "- article A: “He also officially invited Governor Kim" in description
    assert description.startswith(
        "Our participation: invited, participation undecided\nDecide by: Jul 18, 2024\n"
    )


def test_a_url_that_could_break_a_line_is_refused() -> None:
    hostile = meta(engagement_url=lambda base, engagement_id: f"{base}/x\r\nATTENDEE:y")
    with pytest.raises(ValueError, match=r"engagement URL"):
        render_calendar(items_of(samples.expo())[:1], hostile)


def test_the_url_builder_is_a_parameter() -> None:
    feed = render_calendar(
        items_of(samples.expo()),
        meta(engagement_url=lambda base, engagement_id: f"{base}/c/page#{engagement_id}"),
    )
    assert str(events(feed)[uid(samples.EXPO_ID)]["URL"]) == (
        f"https://{HOST}/c/page#{samples.EXPO_ID}"
    )


# -- observances and year-only engagements -----------------------------------------------------


def test_a_yearly_observance_without_a_day_repeats_over_its_month(
    feeds: dict[str, bytes],
) -> None:
    event = events(feeds["en"])[uid(samples.ANNIVERSARY_ID)]
    assert (
        str(event["SUMMARY"]) == "Gyeonggi–Liaoning sisterhood anniversary (October; day unknown)"
    )
    assert (event.start, event.end) == (date(1993, 10, 1), date(1993, 11, 1))
    assert value(event, "RRULE")["FREQ"] == ["YEARLY"]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    ko = events(feeds["ko"])[uid(samples.ANNIVERSARY_ID)]
    assert str(ko["SUMMARY"]).endswith("(10월, 날짜 미상)")


def test_a_yearly_observance_with_a_day_repeats_on_that_day_and_29_february_on_the_last() -> None:
    event = events(render_calendar(items_of(samples.anniversary(day=5)), meta()))
    observance = event[uid(samples.ANNIVERSARY_ID)]
    assert str(observance["SUMMARY"]) == "Gyeonggi–Liaoning sisterhood anniversary"
    assert (observance.start, observance.end) == (date(1993, 10, 5), date(1993, 10, 6))
    assert observance.to_ical().count(b"RRULE:FREQ=YEARLY\r\n") == 1
    leap = events(render_calendar(items_of(samples.anniversary(day=29, month=2)), meta()))
    rule = value(leap[uid(samples.ANNIVERSARY_ID)], "RRULE")
    assert (rule["BYMONTH"], rule["BYMONTHDAY"]) == ([2], [-1])
    assert leap[uid(samples.ANNIVERSARY_ID)].start == date(1993, 2, 28)


def test_an_engagement_known_only_by_year_is_left_out_of_feeds() -> None:
    items = items_of(samples.year_only())
    window = FeedWindow(as_of=samples.TODAY)
    chosen = select_for_feed(items, window, Audience.RESTRICTED)
    assert [item for item in chosen if isinstance(item, EngagementItem)] == []
    with pytest.raises(ValueError, match=r"known only by year"):
        render_item(items[0], meta())


# -- deadlines ---------------------------------------------------------------------------------


def test_deadlines_are_all_day_items_related_to_their_engagement(
    feeds: dict[str, bytes],
) -> None:
    parsed = events(feeds["en"])
    decision = parsed[uid(f"{samples.EXPO_ID}--decision")]
    assert decision.start == date(2024, 7, 18)
    assert decision.end == date(2024, 7, 19)
    assert str(decision["STATUS"]) == "TENTATIVE"
    assert str(decision["SUMMARY"]).endswith("(to be confirmed)")
    assert str(decision["RELATED-TO"]) == uid(samples.EXPO_ID)
    assert [str(c) for c in value(decision, "CATEGORIES").cats] == ["Deadline", "staff"]
    visa = parsed[uid(f"{samples.DAVOS_ID}--visa-check")]
    assert str(visa["STATUS"]) == "CONFIRMED"
    assert visa["SEQUENCE"] == 3
    assert not any(key.startswith(f"{samples.CONCERT_ID}--") for key in parsed)


# -- selection ---------------------------------------------------------------------------------


def _engagement_on(day: date, engagement_id: str = "windowed") -> EngagementItem:
    details = EngagementDetails(
        kind=EngagementKind.MEETING,
        direction=Direction.LOCAL,
        title=LocalizedText(en="Windowed"),
        when=AllDayWhen.on(day, "Asia/Seoul"),
    )
    state, _ = run([ScheduleEngagement(engagement_id=EngagementId(engagement_id), details=details)])
    return EngagementItem(engagement=state, last_modified=samples.PUBLISHED)


def test_the_window_reaches_three_years_back_and_two_ahead_of_the_as_of_moment() -> None:
    as_of = datetime(2026, 11, 20, tzinfo=UTC)
    inside = [_engagement_on(date(2024, 4, 24), "a"), _engagement_on(date(2028, 11, 18), "b")]
    outside = [_engagement_on(date(2023, 11, 18), "c"), _engagement_on(date(2028, 11, 22), "d")]
    chosen = select_for_feed([*inside, *outside], FeedWindow(as_of=as_of), Audience.STAFF)
    assert chosen == inside
    narrow = WindowSettings(years_back=1, years_ahead=1).at(as_of)
    assert select_for_feed(inside, narrow, Audience.STAFF) == []


def test_a_cancelled_engagement_stays_for_the_configured_time_then_goes() -> None:
    concert = items_of(samples.cancelled_concert())
    cancelled_at = samples.LAST_MODIFIED[samples.CONCERT_ID]
    soon = FeedWindow(as_of=cancelled_at + timedelta(days=29))
    late = FeedWindow(as_of=cancelled_at + timedelta(days=31))
    longer = WindowSettings(keep_cancelled=timedelta(days=60)).at(cancelled_at + timedelta(days=31))
    assert select_for_feed(concert, soon, Audience.STAFF) == concert
    assert select_for_feed(concert, late, Audience.STAFF) == []
    assert select_for_feed(concert, longer, Audience.STAFF) == concert


def test_the_recurring_observance_stays_in_the_window_every_year() -> None:
    items = items_of(samples.anniversary())
    far = FeedWindow(as_of=datetime(2031, 1, 1, tzinfo=UTC))
    assert select_for_feed(items, far, Audience.STAFF) == items


# -- caching and determinism -------------------------------------------------------------------


def test_the_same_items_give_the_same_bytes_in_any_order() -> None:
    items = article_items()
    first = render_calendar(items, meta("ko"), DIRECTORY)
    shuffled = list(items)
    random.Random(3).shuffle(shuffled)
    assert render_calendar(shuffled, meta("ko"), DIRECTORY) == first
    assert render_calendar(article_items(), meta("ko"), DIRECTORY) == first


@pytest.mark.slow  # renders the whole article more than once (~50 ms)
def test_a_feed_assembled_from_cached_pieces_equals_icalendars_own_serialisation() -> None:
    items = article_items()
    pieces = [render_item(item, meta("zh"), DIRECTORY) for item in items]
    random.Random(5).shuffle(pieces)
    assembled = assemble(pieces, meta("zh"))
    assert assembled == render_calendar(items, meta("zh"), DIRECTORY)
    assert assembled == calendar_component(items, meta("zh"), DIRECTORY).to_ical()


def test_after_a_change_only_that_engagements_pieces_are_rendered_again() -> None:
    feed_meta = meta()
    old_items = article_items(refined=False)
    cache = {piece.uid: piece for piece in (render_item(item, feed_meta) for item in old_items)}
    refined, _ = run(
        [Refine(engagement_id=samples.DAVOS_ID, when=samples.DAVOS_DATES)],
        start=samples.davos_invited(),
    )
    changed = items_of(refined)
    for item in old_items:
        if item.engagement.id == samples.DAVOS_ID:
            cache.pop(render_item(item, feed_meta).uid)
    for item in changed:
        piece = render_item(item, feed_meta)
        cache[piece.uid] = piece
    new_items = [item for item in old_items if item.engagement.id != samples.DAVOS_ID] + changed
    assert assemble(cache.values(), feed_meta) == render_calendar(new_items, feed_meta)


def test_a_feed_with_nothing_to_show_is_still_a_calendar() -> None:
    feed = assemble([], meta())
    assert feed.endswith(b"X-WR-TIMEZONE:Asia/Seoul\r\nEND:VCALENDAR\r\n")
    assert parse(feed).walk("VEVENT") == []


def test_two_items_with_one_uid_are_refused() -> None:
    piece = render_item(items_of(samples.expo())[0], meta())
    with pytest.raises(ValueError, match=r"share the UID liaoning-expo-2024@"):
        assemble([piece, piece], meta())


@pytest.mark.slow  # renders the whole article more than once (~50 ms)
def test_uids_are_stable_and_the_uid_domain_can_be_fixed() -> None:
    def engagement_uids(feed: bytes) -> set[str]:
        return {key for key in events(feed) if "--" not in key}

    refined = engagement_uids(render_calendar(article_items(), meta()))
    assert refined == engagement_uids(render_calendar(article_items(refined=False), meta()))
    assert uid(samples.DAVOS_ID) in refined
    fixed = render_calendar(items_of(samples.expo()), meta(uid_domain="calendar.gg.go.kr"))
    assert f"{samples.EXPO_ID}@calendar.gg.go.kr" in events(fixed)


# -- text safety -------------------------------------------------------------------------------


def physical_lines(feed: bytes) -> list[bytes]:
    assert feed.endswith(b"\r\n")
    lines = feed[:-2].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line, line
        assert b"\n" not in line, line
    return lines


def assert_well_folded(feed: bytes) -> None:
    for line in physical_lines(feed):
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold never splits a UTF-8 sequence


@pytest.mark.parametrize("text", samples.INJECTIONS)
def test_hostile_text_adds_no_property_and_comes_back_as_the_feed_guarantees(text: str) -> None:
    feed = render_calendar([samples.hostile_item(text)], meta())
    assert_well_folded(feed)
    calendar = parse(feed)
    [event] = calendar.walk("VEVENT")
    assert "ATTENDEE" not in event
    assert len(calendar.walk("VALARM")) == 2
    assert str(event["SUMMARY"]) == clean_text(text)
    assert str(event["LOCATION"]) == clean_text(f"{text}, Suwon, South Korea")
    description, piece = str(event["DESCRIPTION"]), inside(text)
    assert f"\n- {piece} (guest)\n" in description
    assert f"Notes:\n- {piece}\n" in description
    assert f"Also known as: {piece}\n" in description
    assert f"Our participation: attending ({piece})\n" in description


def inside(text: str) -> str:
    """How `text` reads inside a longer value: as `clean_text` but for the edge trimming."""
    return clean_text(f"|{text}|")[1:-1]


def test_backslash_n_in_a_title_is_kept_as_typed() -> None:
    engagement = replace(samples.expo(), title=LocalizedText(en=r"Files on C:\New and \n, \N"))
    feed = render_calendar(items_of(engagement)[:1], meta())
    summary = (
        b"[Invitation \xc2\xb7 undecided] Files on C:\\\\New and \\\\n\\, \\\\N (to be confirmed)"
    )
    assert b"SUMMARY:" + summary + b"\r\n" in feed.replace(b"\r\n ", b"")
    [event] = parse(feed).walk("VEVENT")
    assert str(event["SUMMARY"]) == (
        r"[Invitation · undecided] Files on C:\New and \n, \N (to be confirmed)"
    )


@pytest.mark.parametrize(
    ("given_text", "carried"),
    [
        ("plain 경기도 京畿道", "plain 경기도 京畿道"),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
        ("cr\ronly", "cr\nonly"),
        ("crlf\r\npair", "crlf\npair"),
        ("nel\x85 ls\u2028 ps\u2029", "nel\n ls\n ps\n"),
        ("nul\x00 esc\x1b del\x7f", "nul\ufffd esc\ufffd del\ufffd"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        (" \tspaces at the edges \t", "spaces at the edges"),
        ("\u3000ideographic space\u3000", "\u3000ideographic space\u3000"),
    ],
)
def test_clean_text_keeps_what_every_parser_reads_back_and_neutralises_the_rest(
    given_text: str, carried: str
) -> None:
    assert clean_text(given_text) == carried


def test_long_korean_and_chinese_text_folds_on_character_boundaries() -> None:
    engagement = replace(
        samples.dalian_meeting(),
        notes=(samples.KOREAN, samples.CHINESE, "a" + samples.KOREAN, "ab" + samples.CHINESE),
    )
    feed = render_calendar(items_of(engagement)[:1], meta("ko"))
    assert_well_folded(feed)
    folded = [line for line in physical_lines(feed) if line.startswith(b" ")]
    assert len(folded) > 20
    [event] = parse(feed).walk("VEVENT")
    assert f"- {samples.KOREAN}\n- {samples.CHINESE}\n" in str(event["DESCRIPTION"])


def test_the_feed_status_words_follow_the_domain() -> None:
    statuses = {
        EventStatus.TENTATIVE: "TENTATIVE",
        EventStatus.CONFIRMED: "CONFIRMED",
        EventStatus.HELD: "CONFIRMED",
        EventStatus.CANCELLED: "CANCELLED",
    }
    for status, word in statuses.items():
        engagement = replace(samples.dalian_meeting(), status=status)
        [event] = parse(render_calendar(items_of(engagement)[:1], meta())).walk("VEVENT")
        assert str(event["STATUS"]) == word


# -- the feed's token in its links -------------------------------------------------------------


@pytest.mark.parametrize("token", ["a" * 43, "Zx_-9" * 8 + "abc", "short", "t" * 128])
def test_filling_the_token_gives_the_bytes_of_a_feed_rendered_with_it(
    token: str, feeds: dict[str, bytes]
) -> None:
    """One rendering serves every feed of an audience and language; putting a feed's token in
    it gives exactly the bytes (folding included) of a rendering that knew the token."""
    items = article_items()
    for lang in LANGUAGES:
        own = meta(lang, engagement_url=lambda base, eid: engagement_page_url(base, token, eid))
        assert with_token(feeds[lang], token) == render_calendar(items, own, DIRECTORY)


def test_a_token_that_is_not_url_safe_is_never_put_in_a_feed(feeds: dict[str, bytes]) -> None:
    assert with_token(feeds["en"], "x\r\nATTENDEE:y") == feeds["en"]
    assert TOKEN_SLOT.encode() in feeds["en"].replace(b"\r\n ", b"")


def test_without_a_url_builder_an_item_has_no_link_rather_than_a_dead_one() -> None:
    """A calendar rendered outside a feed (a reminder's .ics) links only where its caller
    says."""
    [event] = parse(render_calendar(items_of(samples.expo())[:1], meta(engagement_url=None))).walk(
        "VEVENT"
    )
    assert "URL" not in event
    assert "Details" not in str(event["DESCRIPTION"])
