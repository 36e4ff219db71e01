"""What a change notice says: the change in its subject, each change as old → new (a timed
item abroad on both clocks), the decide-by while undecided, the place, the status and a link;
in the reader's language with no English word left in Korean or Chinese; nothing a user typed
becomes markup; and a day's digest lists each engagement's change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from calendar_service.domain import (
    DEFAULT_RULES,
    Accept,
    AllDayWhen,
    Audience,
    Cancel,
    ChangeAudience,
    Command,
    Confirm,
    Decline,
    Delegate,
    Direction,
    Engagement,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    ExactWhen,
    ImpreciseWhen,
    LocalizedText,
    MarkHeld,
    Participant,
    Place,
    ReceiveInvitation,
    Refine,
    Reschedule,
    ScheduleEngagement,
    SetDeadline,
    When,
    derive_deadlines,
)
from calendar_service.domain.change_notices import Changes, changes_between
from calendar_service.domain.engagement.deadlines import Deadline
from calendar_service.domain.engagement.records import ExplicitDeadline
from calendar_service.domain.reminder_plan import Target
from calendar_service.feed import page_signature_ok
from calendar_service.reminders.notify.base import Notification
from calendar_service.reminders.notify.message import Composer
from calendar_service.reminders.notify.notice import NoticeComposer
from tests.unit.domain.builders import details, run, weekdays_only
from tests.unit.reminders.shown import as_a_mail_client_shows_it, english_left, names_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 4, 28, 1, 0, tzinfo=UTC)
"""The notice goes out at 10:00 in Seoul on Monday, April 28, 2025."""
AFTER_DAVOS = datetime(2025, 6, 28, tzinfo=UTC)
KEY = b"k" * 32
NOTICES = NoticeComposer(
    Composer("https://cal.example", KEY, "Asia/Seoul", is_working_day=weekdays_only)
)
DAVOS = EngagementId("summer-davos-2025")
TITLE = LocalizedText(en="Summer Davos 2025", ko="2025 하계 다보스포럼", zh="2025夏季达沃斯论坛")
DALIAN = Place(
    name=LocalizedText(en="Dalian International Conference Center", ko="다롄 국제회의센터"),
    city=LocalizedText(en="Dalian", ko="다롄", zh="大连"),
    country="CN",
    tz="Asia/Shanghai",
)
JUNE = ImpreciseWhen.month("2025-06", "Asia/Shanghai")
JUNE_25_TO_27 = AllDayWhen(date(2025, 6, 25), date(2025, 6, 28), "Asia/Shanghai")
LEE_NAME = LocalizedText(en="Vice-Governor Lee", ko="이 부지사", zh="李副知事")
LEE = Participant(party_id="lee", name=LEE_NAME, role="delegate")


def _timed(first: int, last: int) -> ExactWhen:
    """June `first`, 09:00 to June `last`, 17:00, 2025, on Dalian's clock."""
    start = datetime(2025, 6, first, 9, tzinfo=SHANGHAI)
    return ExactWhen(start, datetime(2025, 6, last, 17, tzinfo=SHANGHAI), "Asia/Shanghai")


def _details(when: When, title: LocalizedText = TITLE) -> EngagementDetails:
    return replace(details(when), title=title, place=DALIAN, participants=())


def _trip(when: When | None = None, title: LocalizedText = TITLE) -> Engagement:
    """Summer Davos, attending, June 25-27 on Dalian's clock, recorded through the domain."""
    details = _details(when or _timed(25, 27), title)
    command = ScheduleEngagement(engagement_id=DAVOS, details=details)
    return run([command], NOW)[0]


def _invitation(when: When = JUNE) -> Engagement:
    """Summer Davos as the article has it: invited, in June, undecided."""
    command = ReceiveInvitation(engagement_id=DAVOS, inviter="wef", details=_details(when))
    return run([command], NOW)[0]


def _then(state: Engagement, *commands: Command) -> Engagement:
    return run(commands, NOW, start=state)[0]


def _changes(before: Engagement | None, after: Engagement) -> Changes:
    def items(state: Engagement | None) -> list[Deadline]:
        return [] if state is None else derive_deadlines(state, DEFAULT_RULES, weekdays_only)

    return changes_between(before, after, items(before), items(after))


def _notice(
    before: Engagement | None, after: Engagement, lang: str = "en", channel: str = "email"
) -> Notification:
    target = Target(channel, "kim@gg.example", lang, ("Kim",), Audience.STAFF)
    changes = _changes(before, after)
    return NOTICES.compose_notice(
        f"{DAVOS}|change|v1", NOW, before, after, changes, target, last_modified=NOW
    )


def _row(notice: Notification, label: str) -> str:
    """The value of the row `label` (thin spaces read as spaces)."""
    for line in notice.text.replace("\u2009", " ").splitlines():
        for colon in (": ", "："):
            if line.startswith(f"{label}{colon}"):
                return line.removeprefix(f"{label}{colon}")
    raise AssertionError(f"no row {label!r} in:\n{notice.text}")


def _old_new(notice: Notification, label: str) -> tuple[str, str]:
    old, new = _row(notice, label).split(" → ")
    return old, new


# -- what each kind of change says ---------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject", "when", "clock", "dalian", "seoul"),
    [
        (
            "en",
            "Rescheduled: Summer Davos 2025",
            "When",
            "Seoul time",
            (
                "Jun 25, 2025 09:00 – Jun 27, 2025 17:00",
                "Jun 24, 2025 09:00 – Jun 26, 2025 17:00 (Dalian time)",
            ),
            ("Jun 25, 2025 10:00 – Jun 27, 2025 18:00", "Jun 24, 2025 10:00 – Jun 26, 2025 18:00"),
        ),
        (
            "ko",
            "일정 변경: 2025 하계 다보스포럼",
            "일시",
            "서울 시각",
            (
                "2025년 6월 25일 09:00 ~ 2025년 6월 27일 17:00",
                "2025년 6월 24일 09:00 ~ 2025년 6월 26일 17:00 (다롄 시각)",
            ),
            (
                "2025년 6월 25일 10:00 ~ 2025년 6월 27일 18:00",
                "2025년 6월 24일 10:00 ~ 2025년 6월 26일 18:00",
            ),
        ),
        (
            "zh",
            "日程调整：2025夏季达沃斯论坛",
            "时间",
            "首尔时间",
            (
                "2025年6月25日 09:00 – 2025年6月27日 17:00",
                "2025年6月24日 09:00 – 2025年6月26日 17:00 (大连时间)",
            ),
            (
                "2025年6月25日 10:00 – 2025年6月27日 18:00",
                "2025年6月24日 10:00 – 2025年6月26日 18:00",
            ),
        ),
    ],
)
def test_a_reschedule_abroad_names_the_old_and_the_new_dates_on_both_clocks(
    lang: str, subject: str, when: str, clock: str, dalian: tuple[str, str], seoul: tuple[str, str]
) -> None:
    before = _trip()
    after = _then(before, Reschedule(engagement_id=DAVOS, when=_timed(24, 26)))
    notice = _notice(before, after, lang)
    assert notice.subject == subject
    assert notice.text.startswith(f"{subject}\n")
    assert _old_new(notice, when) == dalian
    assert _old_new(notice, clock) == seoul
    assert notice.lang == lang


def test_a_reschedule_lists_the_deadlines_it_moved_after_the_when() -> None:
    before = _trip()
    notice = _notice(before, _then(before, Reschedule(engagement_id=DAVOS, when=_timed(24, 26))))
    rows = notice.text.splitlines()
    visa = rows.index(next(row for row in rows if row.startswith("Check passports and visas:")))
    assert rows[visa] == "Check passports and visas: Summer Davos 2025: May 16, 2025 → May 15, 2025"
    assert visa > rows.index(next(row for row in rows if row.startswith("Seoul time:")))
    assert "Departure: Summer Davos 2025: Jun 25, 2025 → Jun 24, 2025" in rows


def test_june_made_25_to_27_june_reads_as_dates_set_with_the_decide_by_that_follows() -> None:
    before = _invitation()
    notice = _notice(before, _then(before, Refine(engagement_id=DAVOS, when=JUNE_25_TO_27)))
    assert notice.subject == "Dates set: Summer Davos 2025"
    old, new = _old_new(notice, "When")
    assert old == "June 2025 (to be confirmed)"
    assert new == "Jun 25 – 27, 2025 (Shanghai)"
    assert "Seoul time" not in notice.text  # whole days are the same dates on every clock
    # 45 days before June 25 is Sunday, May 11: the Friday before; 11 days after April 28
    assert "\nDecide by May 9, 2025 (in 11 days)\n" in notice.text
    assert _old_new(notice, "Decide: attend Summer Davos 2025?") == ("Apr 17, 2025", "May 9, 2025")
    ko = _notice(before, _then(before, Refine(engagement_id=DAVOS, when=JUNE_25_TO_27)), "ko")
    assert ko.subject == "일자 확정: 2025 하계 다보스포럼"
    assert "\n2025년 5월 9일까지 결정 (11일 후)\n" in ko.text


def test_a_cancellation_says_so_and_lists_no_deadline_and_no_decide_by() -> None:
    before = _invitation(JUNE_25_TO_27)
    after = _then(before, Cancel(engagement_id=DAVOS, reason="the forum moved to Tianjin"))
    notice = _notice(before, after)
    assert notice.subject == "Cancelled: Summer Davos 2025"
    assert _old_new(notice, "Status") == ("tentative", "cancelled")
    assert "Decide" not in notice.text
    assert "Tianjin" not in notice.text  # the office's reason is not the subscriber's news
    assert _notice(before, after, "ko").subject == "일정 취소: 2025 하계 다보스포럼"
    assert _notice(before, after, "zh").subject == "日程取消：2025夏季达沃斯论坛"


@pytest.mark.parametrize(
    ("command", "en", "ko", "participation"),
    [
        (
            Accept(engagement_id=DAVOS),
            "Decision: we will attend Summer Davos 2025",
            "참석 결정: 2025 하계 다보스포럼",
            "attending",
        ),
        (
            Decline(engagement_id=DAVOS, reason="the budget"),
            "Decision: we will decline Summer Davos 2025",
            "불참 결정: 2025 하계 다보스포럼",
            "declined",
        ),
        (
            Delegate(engagement_id=DAVOS, delegate=LEE),
            "Decision: we will send a delegation to Summer Davos 2025",
            "대표단 파견 결정: 2025 하계 다보스포럼",
            "delegated to Vice-Governor Lee",
        ),
    ],
)
def test_each_decision_is_named_and_ends_the_decide_by(
    command: Command, en: str, ko: str, participation: str
) -> None:
    before = _invitation(JUNE_25_TO_27)
    assert "Decide by" in _notice(_invitation(), before).text
    notice = _notice(before, _then(before, command))
    assert notice.subject == en
    assert _old_new(notice, "Our participation") == (
        "invited, participation undecided",
        participation,
    )
    assert "Decide by" not in notice.text
    assert _notice(before, _then(before, command), "ko").subject == ko


def test_a_deadline_set_by_hand_reads_as_a_deadline_moved() -> None:
    before = _invitation(JUNE_25_TO_27)
    rsvp = ExplicitDeadline(key="decision", due=date(2025, 5, 2), basis="the WEF's letter")
    notice = _notice(before, _then(before, SetDeadline(engagement_id=DAVOS, deadline=rsvp)))
    assert notice.subject == "Deadline moved: Decide: attend Summer Davos 2025?"
    assert _old_new(notice, "Decide: attend Summer Davos 2025?") == ("May 9, 2025", "May 2, 2025")
    assert "\nDecide by May 2, 2025 (in 4 days)\n" in notice.text
    assert "When" not in notice.text  # the engagement itself did not move


def test_a_new_engagement_gives_its_when_on_both_clocks() -> None:
    notice = _notice(None, _trip())
    assert notice.subject == "New engagement: Summer Davos 2025"
    assert _row(notice, "When") == "Jun 25, 2025 09:00 – Jun 27, 2025 17:00 (Dalian time)"
    assert _row(notice, "Seoul time") == "Jun 25, 2025 10:00 – Jun 27, 2025 18:00"
    assert _row(notice, "Status") == "tentative; attending"
    assert notice.fields["changes"] == ["created"]


def test_several_changes_at_once_read_as_changed_and_are_all_listed() -> None:
    before = _trip()
    moved = Reschedule(engagement_id=DAVOS, when=_timed(24, 26))
    notice = _notice(before, _then(before, moved, Confirm(engagement_id=DAVOS)))
    assert notice.subject == "Changed: Summer Davos 2025"
    assert _old_new(notice, "When")[1].startswith("Jun 24, 2025 09:00")
    assert _old_new(notice, "Status") == ("tentative", "confirmed")
    assert _row(notice, "Our participation") == "attending"
    assert notice.fields["changes"] == ["when", "status", "deadlines"]


def test_every_notice_ends_with_the_place_the_link_and_why_the_reader_gets_it() -> None:
    before = _trip()
    notice = _notice(before, _then(before, Confirm(engagement_id=DAVOS)), "ko")
    rows = notice.text.splitlines()
    assert rows[-3].startswith("자세히: https://cal.example/e/summer-davos-2025?")
    assert rows[-1] == "직원 일정의 변경 알림을 신청하셔서 받으신 메일입니다."
    assert _row(notice, "장소") == "다롄 국제회의센터, 다롄"
    query = dict(part.split("=") for part in urlsplit(notice.link).query.split("&"))
    assert (query["a"], query["l"]) == ("staff", "ko")
    assert page_signature_ok(KEY, "summer-davos-2025", "staff", "ko", query["s"])
    assert notice.key == "summer-davos-2025|change|v1#email|kim@gg.example|ko"
    assert notice.reminder_id == "summer-davos-2025|change|v1"
    assert notice.attachments == ()


# -- HTML and the webhook -------------------------------------------------------------------


def test_user_text_is_escaped_in_the_html() -> None:
    title = LocalizedText(en="<script>alert(1)</script> & talks")
    before = _trip(title=title)
    notice = _notice(before, _then(before, Reschedule(engagement_id=DAVOS, when=_timed(24, 26))))
    assert "<script>" not in notice.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; talks" in notice.html
    assert notice.html.count(notice.link.replace("&", "&amp;")) == 2  # href and its text


def test_the_webhook_gets_the_kinds_and_the_old_and_new_values() -> None:
    before = _trip()
    after = _then(before, Reschedule(engagement_id=DAVOS, when=_timed(24, 26)))
    fields = _notice(before, after, "en", channel="webhook").fields
    assert fields["event"] == "change"
    assert fields["summary"] == "rescheduled"
    assert fields["changes"] == ["when", "deadlines"]
    assert fields["old"]["when"]["start"] == "2025-06-25T09:00:00+08:00"
    assert fields["new"]["when"]["start"] == "2025-06-24T09:00:00+08:00"
    assert fields["old"]["deadlines"]["visa-check"] == "2025-05-16"
    assert fields["new"]["deadlines"]["visa-check"] == "2025-05-15"
    assert fields["engagement"]["id"] == "summer-davos-2025"
    assert fields["engagement"]["url"].startswith("https://cal.example/e/summer-davos-2025?")
    assert fields["notice"]["id"] == "summer-davos-2025|change|v1"
    assert fields["text"].startswith("*Rescheduled: Summer Davos 2025*\nWhen: ")
    assert fields["recipients"] == ["Kim"]


# -- no English word in Korean or Chinese ---------------------------------------------------


def _every_kind() -> list[tuple[Engagement | None, Engagement]]:
    trip, invited = _trip(), _invitation(JUNE_25_TO_27)
    rsvp = ExplicitDeadline(key="decision", due=date(2025, 5, 2), basis="the WEF's letter")
    return [
        (trip, _then(trip, Reschedule(engagement_id=DAVOS, when=_timed(24, 26)))),
        (_invitation(), invited),
        (trip, _then(trip, Cancel(engagement_id=DAVOS, reason="moved"))),
        (invited, _then(invited, Accept(engagement_id=DAVOS))),
        (invited, _then(invited, Decline(engagement_id=DAVOS))),
        (invited, _then(invited, Delegate(engagement_id=DAVOS, delegate=LEE))),
        (invited, _then(invited, SetDeadline(engagement_id=DAVOS, deadline=rsvp))),
        (None, trip),
        (trip, _then(trip, ChangeAudience(engagement_id=DAVOS, audience=Audience.PUBLIC))),
        (trip, run([MarkHeld(engagement_id=DAVOS)], AFTER_DAVOS, start=trip)[0]),
        (
            trip,
            _then(
                trip,
                Reschedule(engagement_id=DAVOS, when=_timed(24, 26)),
                Confirm(engagement_id=DAVOS),
            ),
        ),
    ]


@pytest.mark.parametrize("lang", ["ko", "zh"])
def test_a_korean_or_chinese_notice_holds_no_english_word(lang: str) -> None:
    for before, after in _every_kind():
        names = [*names_in(after, lang), LEE_NAME.best(lang)]
        mail = _notice(before, after, lang)
        for shown in as_a_mail_client_shows_it(mail):
            assert english_left(shown, names) == [], shown
        hook = _notice(before, after, lang, channel="webhook")
        assert english_left(hook.fields["text"], names) == [], hook.fields["text"]


# -- the daily digest -----------------------------------------------------------------------


def _three_changes() -> list[tuple[Engagement | None, Engagement, Changes]]:
    trip = _trip()
    moved = _then(trip, Reschedule(engagement_id=DAVOS, when=_timed(24, 26)))
    expo_id = EngagementId("liaoning-expo-2025")
    expo = run(
        [
            ReceiveInvitation(
                engagement_id=expo_id,
                inviter="liaoning",
                details=replace(
                    _details(ImpreciseWhen.month("2025-09", "Asia/Shanghai")),
                    title=LocalizedText(en="Liaoning Expo", ko="랴오닝 박람회", zh="辽宁博览会"),
                ),
            )
        ],
        NOW,
    )[0]
    declined = _then(expo, Decline(engagement_id=expo_id))
    seoul = ZoneInfo("Asia/Seoul")
    start = datetime(2025, 6, 2, 15, tzinfo=seoul)
    visit = run(
        [
            ScheduleEngagement(
                engagement_id=EngagementId("hao-peng-visit-2025"),
                details=EngagementDetails(
                    kind=EngagementKind.MEETING,
                    direction=Direction.INBOUND,
                    title=LocalizedText(
                        en="Hao Peng <visit>", ko="하오펑 서기 <방문>", zh="郝鹏 <来访>"
                    ),
                    when=ExactWhen(start, start.replace(hour=17), "Asia/Seoul"),
                    audience=Audience.STAFF,
                ),
            )
        ],
        NOW,
    )[0]
    return [
        (trip, moved, _changes(trip, moved)),
        (expo, declined, _changes(expo, declined)),
        (None, visit, _changes(None, visit)),
    ]


def test_a_korean_digest_lists_the_days_changes_one_section_per_engagement() -> None:
    target = Target("email", "kim@gg.example", "ko", ("Kim",), Audience.STAFF)
    items = _three_changes()
    digest = NOTICES.compose_digest("digest|kim|2025-06-24", items, target, day=date(2025, 6, 24))
    assert digest.subject == "6월 24일 변경 사항: 일정 3건"
    rows = digest.text.splitlines()
    headings = [
        "일정 변경: 2025 하계 다보스포럼",
        "불참 결정: 랴오닝 박람회",
        "신규 일정: 하오펑 서기 <방문>",
    ]
    assert [rows.index(heading) for heading in headings] == sorted(
        rows.index(heading) for heading in headings
    )
    assert digest.text.count("자세히: https://cal.example/e/") == 3
    assert "서울 시각: 2025년 6월 25일 10:00" in digest.text  # the trip abroad, on both clocks
    assert "우리 측 참석: 초청, 참석 미정 → 불참" in digest.text
    assert "하오펑 서기 &lt;방문&gt;" in digest.html
    assert "<방문>" not in digest.html
    assert digest.key == "digest|kim|2025-06-24#email|kim@gg.example|ko"
    fields = digest.fields
    assert fields["event"] == "digest"
    assert [item["summary"] for item in fields["engagements"]] == [
        "rescheduled",
        "decline",
        "created",
    ]
    names = [name for _, after, _ in items for name in names_in(after, "ko")]
    for shown in [*as_a_mail_client_shows_it(digest), fields["text"]]:
        assert english_left(shown, names) == [], shown
