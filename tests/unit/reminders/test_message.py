"""What a reminder says: the title in the recipient's language, both clocks abroad, the place,
the link, the .ics; and nothing a user typed can become markup."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from calendar_service.domain import (
    Audience,
    Engagement,
    EngagementId,
    EngagementKind,
    ExactWhen,
    LocalizedText,
    Participation,
    Place,
)
from calendar_service.domain.engagement.values import Direction
from calendar_service.domain.reminder_plan import Target
from calendar_service.reminders.notify.message import Composer, ReminderInfo, relative
from tests.unit.domain.builders import weekdays_only

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 6, 25, 9, 0, tzinfo=SHANGHAI)
DALIAN = Place(
    name=LocalizedText(en="Dalian World Expo Center"),
    city=LocalizedText(en="Dalian", ko="다롄", zh="大连"),
    country="CN",
    tz="Asia/Shanghai",
)
COMPOSER = Composer("https://cal.example", "Asia/Seoul", is_working_day=weekdays_only)


def _engagement(title: LocalizedText | None = None) -> Engagement:
    return Engagement(
        id=EngagementId("summer-davos-2024"),
        kind=EngagementKind.FORUM,
        direction=Direction.OUTBOUND,
        title=title or LocalizedText(en="Summer Davos 2024", ko="하계 다보스포럼", zh="夏季达沃斯"),
        when=ExactWhen(START, START + timedelta(hours=3), "Asia/Shanghai"),
        place=DALIAN,
        audience=Audience.STAFF,
        participation=Participation.ATTENDING,
    )


def _info(label: str = "start-P7D") -> ReminderInfo:
    due = START - timedelta(days=7)
    return ReminderInfo(f"summer-davos-2024|{label}|v1", label, due.astimezone(UTC))


def test_the_title_comes_in_the_recipients_language_with_both_clocks_place_and_link() -> None:
    stamp = datetime(2024, 5, 1, tzinfo=UTC)
    for lang, title, when, second in [
        ("en", "Summer Davos 2024 starts in 7 days", "25 Jun 2024 09:00–12:00", "Seoul time"),
        ("ko", "하계 다보스포럼 — 7일 후 시작", "2024년 6월 25일 09:00–12:00", "서울 시각"),
        ("zh", "夏季达沃斯将于7天后开始", "2024年6月25日 09:00–12:00", "首尔时间"),
    ]:
        message = COMPOSER.compose(
            _info(), _engagement(), Target("email", "kim@x.kr", lang), last_modified=stamp
        )
        assert title in message.subject
        assert when in message.text
        assert f"{second}: " in message.text
        assert "10:00–13:00" in message.text  # the same hours on Seoul's clock
        assert "Dalian World Expo Center" in message.text
        assert "https://cal.example/engagements/summer-davos-2024" in message.text
        assert message.html.count("https://cal.example/engagements/summer-davos-2024") == 2
        assert message.lang == lang


def test_the_engagements_ics_is_attached_and_parses() -> None:
    message = COMPOSER.compose(
        _info(), _engagement(), Target("email", "k@x.kr", "en"), last_modified=START
    )
    (attachment,) = message.attachments
    assert attachment.content_type.startswith("text/calendar")
    calendar = Calendar.from_ical(attachment.data)
    (event,) = calendar.walk("VEVENT")
    assert "summer-davos-2024" in str(event["UID"])
    assert event.decoded("DTSTART") == START


def test_user_text_is_escaped_in_html_and_the_webhook_gets_structured_fields() -> None:
    title = LocalizedText(en="<script>alert(1)</script> & talks")
    message = COMPOSER.compose(
        _info(), _engagement(title), Target("webhook", "webhook", "en", ("Kim",)),
        last_modified=START,
    )  # fmt: skip
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    fields = message.fields
    assert fields["text"].startswith("*Reminder: <script>")
    assert fields["reminder"]["id"] == "summer-davos-2024|start-P7D|v1"
    assert fields["engagement"]["tz"] == "Asia/Shanghai"
    assert fields["engagement"]["url"] == "https://cal.example/engagements/summer-davos-2024"
    assert fields["recipients"] == ["Kim"]
    assert message.key == "summer-davos-2024|start-P7D|v1#webhook|webhook|en"


def test_a_deadline_reminder_names_the_deadline() -> None:
    message = COMPOSER.compose(
        _info("deadline-visa-check"), _engagement(), Target("email", "k@x.kr", "ko"),
        last_modified=START,
    )  # fmt: skip
    assert message.subject == "오늘 마감: 여권·비자 확인: 하계 다보스포럼"


def test_offsets_read_as_people_say_them() -> None:
    assert relative(timedelta(days=1, hours=2), "en") == "1 day 2 hours"
    assert relative(timedelta(seconds=5), "en") == "5 seconds"
    assert relative(timedelta(hours=1, minutes=30), "ko") == "1시간 30분"
    assert relative(timedelta(days=7), "zh") == "7天"
    assert relative(timedelta(0), "en") == ""


def test_the_office_clock_in_china_and_the_audience_keep_the_messages_own_words() -> None:
    """Messages take zone cities and audience names from the feed's words, but for the words
    they say otherwise (until issue 12 makes the two agree): "Beijing time" from "{city} time",
    and 직원용 and 限阅 where the feed says 직원 and 限制."""
    seoul = ZoneInfo("Asia/Seoul")
    start = datetime(2024, 4, 24, 15, 0, tzinfo=seoul)
    when = ExactWhen(start, start + timedelta(hours=1), "Asia/Seoul")
    composer = Composer("https://cal.example", "Asia/Shanghai")
    for lang, clocks, staff, restricted in [
        ("en", ("Seoul time", "Beijing time"), "staff", "restricted"),
        ("ko", ("서울 시각", "베이징 시각"), "직원용", "제한"),
        ("zh", ("首尔时间", "北京时间"), "内部", "限阅"),
    ]:
        for audience, word in [(Audience.STAFF, staff), (Audience.RESTRICTED, restricted)]:
            engagement = replace(_engagement(), when=when, place=None, audience=audience)
            message = composer.compose(
                _info(), engagement, Target("email", "k@x.kr", lang), last_modified=start
            )
            assert f"({clocks[0]})" in message.text
            assert f"\n{clocks[1]}: " in message.text
            assert word in message.text.rsplit("\n", 1)[-1]
