"""What a reminder says: the title in the recipient's language, both clocks abroad, the place,
a signed link to the engagement's page for the recipient, the .ics; no English word left in a
Korean or Chinese message; and nothing a user typed can become markup."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from calendar_service.domain import (
    AllDayWhen,
    Audience,
    Engagement,
    EngagementId,
    EngagementKind,
    ExactWhen,
    LocalizedText,
    Participant,
    Participation,
    Place,
)
from calendar_service.domain.engagement.values import Direction
from calendar_service.domain.reminder_plan import Target
from calendar_service.feed import page_signature_ok
from calendar_service.reminders.notify.base import Notification
from calendar_service.reminders.notify.message import Composer, ReminderInfo
from tests.unit.domain.builders import weekdays_only
from tests.unit.reminders.shown import as_a_mail_client_shows_it, english_left, names_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 6, 25, 9, 0, tzinfo=SHANGHAI)
DALIAN = Place(
    name=LocalizedText(en="Dalian World Expo Center"),
    city=LocalizedText(en="Dalian", ko="다롄", zh="大连"),
    country="CN",
    tz="Asia/Shanghai",
)
KEY = b"k" * 32
COMPOSER = Composer("https://cal.example", KEY, "Asia/Seoul", is_working_day=weekdays_only)
LINK = re.compile(r"https://cal\.example/[^\s\"<]+")


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


def _invitation() -> Engagement:
    """Summer Davos undecided, invited by the World Economic Forum, known to the day only."""
    wef = Participant(
        party_id="wef",
        name=LocalizedText(en="World Economic Forum", ko="세계경제포럼", zh="世界经济论坛"),
        role="host",
    )
    return replace(
        _engagement(),
        when=AllDayWhen(date(2024, 6, 25), date(2024, 6, 28), "Asia/Shanghai"),
        participation=Participation.INVITED,
        inviter="wef",
        participants=(wef,),
    )


def _info(label: str = "start-P7D") -> ReminderInfo:
    due = START - timedelta(days=7)
    rule = label.removeprefix("deadline-") if label.startswith("deadline-") else None
    return ReminderInfo(f"summer-davos-2024|{label}|v1", label, due.astimezone(UTC), rule)


def _compose(
    engagement: Engagement, target: Target, label: str = "start-P7D", composer: Composer = COMPOSER
) -> Notification:
    return composer.compose(_info(label), engagement, target, last_modified=START)


def test_the_title_comes_in_the_recipients_language_with_both_clocks_place_and_link() -> None:
    for lang, title, second in [
        ("en", "Reminder: Summer Davos 2024 starts in 1 week", "Seoul time: "),
        ("ko", "알림: 하계 다보스포럼 — 1주 후 시작", "서울 시각: "),
        ("zh", "提醒：夏季达沃斯将于1周后开始", "首尔时间："),
    ]:
        message = _compose(_engagement(), Target("email", "kim@x.kr", lang))
        assert message.subject == title
        assert "09:00" in message.text  # Dalian's clock
        assert f"\n{second}" in message.text
        assert "10:00" in message.text  # the same hours on Seoul's clock
        assert "Dalian World Expo Center" in message.text  # a name, in the only language known
        (link,) = set(LINK.findall(message.text))
        assert link.startswith("https://cal.example/e/summer-davos-2024?")
        assert message.html.count(link.replace("&", "&amp;")) == 2  # href and the link's text
        assert f'<html lang="{lang}">' in message.html
        assert message.lang == lang


def test_the_link_opens_the_engagements_page_for_the_recipients_audience_and_language() -> None:
    for lang, audience in [("ko", Audience.RESTRICTED), ("zh", Audience.STAFF), ("en", None)]:
        target = Target("email", "kim@x.kr", lang, ("Kim",), audience)
        message = _compose(_engagement(), target)
        url = urlsplit(message.link)
        query = {k: v for k, (v,) in parse_qs(url.query).items()}
        assert url.path == "/e/summer-davos-2024"
        seen_as = (audience or Audience.STAFF).value  # the log's target: the engagement's
        assert (query["a"], query["l"]) == (seen_as, lang)
        assert page_signature_ok(KEY, "summer-davos-2024", seen_as, lang, query["s"])
        assert not page_signature_ok(KEY, "summer-davos-2024", "restricted", "en", query["s"])
        assert message.link in message.text
        assert message.fields["engagement"]["url"] == message.link
        (event,) = Calendar.from_ical(message.attachments[0].data).walk("VEVENT")
        assert str(event["URL"]) == message.link  # the attachment's link is the same


def test_a_deadline_reminder_links_to_its_engagement() -> None:
    message = _compose(_engagement(), Target("email", "k@x.kr", "ko"), "deadline-visa-check")
    assert urlsplit(message.link).path == "/e/summer-davos-2024"


def test_the_engagements_ics_is_attached_and_parses() -> None:
    message = _compose(_engagement(), Target("email", "k@x.kr", "en"))
    (attachment,) = message.attachments
    assert attachment.content_type.startswith("text/calendar")
    calendar = Calendar.from_ical(attachment.data)
    (event,) = calendar.walk("VEVENT")
    assert "summer-davos-2024" in str(event["UID"])
    assert event.decoded("DTSTART") == START


def test_user_text_is_escaped_in_html_and_the_webhook_gets_structured_fields() -> None:
    title = LocalizedText(en="<script>alert(1)</script> & talks")
    target = Target("webhook", "webhook", "en", ("Kim",), Audience.STAFF)
    message = _compose(_engagement(title), target)
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    fields = message.fields
    assert fields["text"].startswith("*Reminder: <script>")
    assert fields["reminder"]["id"] == "summer-davos-2024|start-P7D|v1"
    assert fields["engagement"]["tz"] == "Asia/Shanghai"
    assert fields["engagement"]["url"].startswith("https://cal.example/e/summer-davos-2024?a=staff")
    assert fields["recipients"] == ["Kim"]
    assert message.key == "summer-davos-2024|start-P7D|v1#webhook|webhook|en"


def test_a_deadline_reminder_names_the_deadline() -> None:
    message = _compose(_engagement(), Target("email", "k@x.kr", "ko"), "deadline-visa-check")
    assert message.subject == "오늘 마감: 여권·비자 확인: 하계 다보스포럼"


def test_the_decision_mornings_reminder_says_the_decision_is_due_today_and_whose_invitation() -> (
    None
):
    for lang, subject, inviter in [
        ("en", "Decision due today: will we attend Summer Davos 2024?", "Invited by: World"),
        ("ko", "오늘 결정 마감: 하계 다보스포럼 참석 여부", "초청: 세계경제포럼"),
        ("zh", "今日决定截止：是否出席夏季达沃斯", "邀请方：世界经济论坛"),
    ]:
        message = _compose(_invitation(), Target("email", "k@x.kr", lang), "deadline-decision")
        assert message.subject == subject
        assert inviter in message.text
        assert message.fields["text"].startswith(f"*{subject}*")


def test_start_offsets_read_as_people_say_them() -> None:
    for label, lang, words in [
        ("start-P1DT2H", "en", "starts in 1 day, 2 hours"),
        ("start-PT30S", "ko", "30초 후 시작"),
        ("start-PT1H30M", "zh", "将于1小时30分钟后开始"),
        ("start-PT0S", "en", "Summer Davos 2024 starts now"),
    ]:
        assert words in _compose(_engagement(), Target("email", "k@x.kr", lang), label).subject


def test_the_office_clock_and_the_audience_are_named_as_the_feed_names_them() -> None:
    """The office's clock by its CLDR city, the footer's audience by the feed's word."""
    seoul = ZoneInfo("Asia/Seoul")
    start = datetime(2024, 4, 24, 15, 0, tzinfo=seoul)
    when = ExactWhen(start, start + timedelta(hours=1), "Asia/Seoul")
    composer = Composer("https://cal.example", KEY, "Asia/Shanghai")
    for lang, clocks, staff, restricted in [
        ("en", ("Seoul time", "Shanghai time: "), "staff", "restricted"),
        ("ko", ("서울 시각", "상하이 시각: "), "직원", "제한"),
        ("zh", ("首尔时间", "上海时间："), "内部", "限阅"),
    ]:
        for audience, word in [(Audience.STAFF, staff), (Audience.RESTRICTED, restricted)]:
            engagement = replace(_engagement(), when=when, place=None, audience=audience)
            message = _compose(engagement, Target("email", "k@x.kr", lang), composer=composer)
            assert f"({clocks[0]})" in message.text
            assert f"\n{clocks[1]}" in message.text
            assert word in message.text.rsplit("\n", 1)[-1]


# A Korean or Chinese reader meets no English word of the catalogue.


@pytest.mark.parametrize("lang", ["ko", "zh"])
@pytest.mark.parametrize(
    ("case", "label"),
    [
        ("timed abroad", "start-P1D"),
        ("all day", "start-P7D"),
        ("deadline", "deadline-decision"),
        ("deadline", "deadline-visa-check"),
    ],
)
def test_a_korean_or_chinese_email_and_webhook_text_hold_no_english_word(
    lang: str, case: str, label: str
) -> None:
    engagement = {"timed abroad": _engagement(), "all day": _invitation()}.get(case)
    if engagement is None:  # the decision's morning of an invitation, a visa check's of a trip
        engagement = _invitation() if label == "deadline-decision" else _engagement()
    names = names_in(engagement, lang)
    mail = _compose(engagement, Target("email", "kim@x.kr", lang, ("Kim",), Audience.STAFF), label)
    for shown in as_a_mail_client_shows_it(mail):
        assert english_left(shown, names) == [], shown
    hook = _compose(engagement, Target("webhook", "webhook", lang, ("Kim",)), label)
    assert english_left(hook.fields["text"], names) == [], hook.fields["text"]
