"""Calendar invitations (iTIP over email): what a subscriber's calendar receives for one
engagement's life, and the email that carries it, as a mail client reads it.

The same messages in every parser clients use, and libical's iTIP restriction check, are in
tests/integration/reminders/test_invitations.py.
"""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

import pytest
from icalendar import Calendar, Event

from calendar_service.domain import (
    DeliveryRecord,
    EngagementId,
    EventStatus,
    ImpreciseWhen,
    InvalidValue,
    LocalizedText,
    Precision,
    ReminderSent,
)
from calendar_service.feed import FeedMeta, event_component
from calendar_service.reminders.notify import Attachment, Notification
from calendar_service.reminders.notify.email import SmtpNotifier
from tests.english import english_words
from tests.fixtures.ical_samples import (
    DIRECTORY,
    INJECTIONS,
    davos_refined,
    hostile_engagement,
    items_of,
)
from tests.fixtures.ical_values import value
from tests.fixtures.invitations import (
    HOST,
    INVITER,
    KIM,
    OFFICE,
    RECORDED,
    Step,
    feed_of,
    kickoff,
    life,
    parse,
)
from tests.unit.domain.builders import DAVOS, JUNE_2024, invitation, run, scheduled

MAIL_FROM = "calendar@gg.example"


def _event(ics: bytes) -> Event:
    calendar = parse(ics)
    (event,) = calendar.events
    return event


def _invite(engagement, target=KIM, **options) -> Notification:
    options = {"method": "REQUEST", "sequence": 1, "last_modified": RECORDED, **options}
    message = INVITER.invite(engagement, target, notice_id="n|change|v1", **options)
    assert message is not None
    return message


def _ics(message: Notification) -> bytes:
    (attachment,) = message.attachments
    return attachment.data


# -- one engagement's life -------------------------------------------------------------------


@pytest.fixture(scope="module")
def steps() -> tuple[Step, ...]:
    return life()


def test_a_create_two_reschedules_and_a_cancel_keep_one_uid_with_a_growing_sequence(
    steps: tuple[Step, ...],
) -> None:
    calendars = [parse(step.ics) for step in steps]
    assert [str(c["METHOD"]) for c in calendars] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    events = [_event(step.ics) for step in steps]
    uids = {str(e["UID"]) for e in events}
    assert uids == {f"{DAVOS}@{HOST}"}
    assert uids <= {str(e["UID"]) for e in feed_of(steps[0].engagement).events}
    sequences = [int(value(e, "SEQUENCE")) for e in events]
    assert sequences == sorted(set(sequences)) == [1, 2, 3, 4]
    stamps = [value(e, "DTSTAMP").dt for e in events]
    assert stamps == sorted(stamps)
    # each request moves the event in the reader's calendar, on Dalian's clock
    assert [e.start for e in events[:3]] == [
        kickoff().start,
        kickoff(days=1).start,
        kickoff(days=1, hours=5).start,
    ]
    assert all(value(e, "DTSTART").params["TZID"] == "Asia/Shanghai" for e in events)
    assert all([tz.tz_name for tz in c.timezones] == ["Asia/Shanghai"] for c in calendars)


def test_requests_carry_the_feeds_status_and_alarms_and_the_cancel_neither(
    steps: tuple[Step, ...],
) -> None:
    *requests, cancel = [_event(step.ics) for step in steps]
    for event in requests:
        assert str(event["STATUS"]) in ("TENTATIVE", "CONFIRMED")
        assert [value(alarm, "TRIGGER").dt.days for alarm in event.walk("VALARM")] == [-1]
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert cancel.walk("VALARM") == []


def test_the_subscriber_is_an_optional_attendee_asked_for_no_reply_and_the_office_organizes(
    steps: tuple[Step, ...],
) -> None:
    for step in steps:
        event = _event(step.ics)
        attendee = value(event, "ATTENDEE")
        assert not isinstance(attendee, list)  # exactly one
        assert str(attendee) == "mailto:kim.minji@gg.example"
        assert dict(attendee.params) == {
            "CN": "김민지",
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "OPT-PARTICIPANT",
            "PARTSTAT": "NEEDS-ACTION",
            "RSVP": "FALSE",
        }
        organizer = value(event, "ORGANIZER")
        assert str(organizer) == f"mailto:{OFFICE}"
        assert organizer.params["CN"] == "국제협력과"  # the office, in the reader's language
    first = steps[0].message
    assert first.subject == "일정 안내: 2024 하계 다보스포럼 (다롄)"
    assert steps[1].message.subject == "일정 변경 안내: 2024 하계 다보스포럼 (다롄)"
    assert steps[3].message.subject == "일정 취소: 2024 하계 다보스포럼 (다롄)"
    assert "회신하지 않으셔도 됩니다" in first.text


def test_the_email_says_when_on_both_clocks_where_the_status_and_links_the_page(
    steps: tuple[Step, ...],
) -> None:
    text = steps[1].message.text
    assert "일시: 2024년 6월 26일 09:00 ~ 12:00 (다롄 시각)" in text
    assert "서울 시각: 2024년 6월 26일 10:00 ~ 13:00" in text
    assert "장소: 다롄" in text
    assert "상태: 확정; 참석" in text
    link = steps[1].message.link
    assert link.startswith("https://cal.example/e/summer-davos-2024-dalian?a=staff&l=ko&s=")
    assert f"자세히: {link}" in text
    assert str(_event(steps[1].ics)["URL"]) == link
    assert "상태: 취소" in steps[3].message.text
    # the subscriber's own clock, where they keep one
    abroad = _invite(steps[0].engagement, replace(KIM, lang="en", timezone="Europe/Berlin"))
    assert "\nBerlin time: Jun 25, 2024 03:00" in abroad.text


@pytest.mark.parametrize("lang", ["en", "ko", "zh"])
def test_the_event_is_the_feeds_own_but_for_its_sequence_organizer_and_attendee(
    lang: str,
) -> None:
    """The refined Summer Davos as a staff feed in `lang` renders it, with the article's names
    directory: every property and alarm the same bytes."""
    davos = davos_refined()
    inviter = replace(INVITER, directory=DIRECTORY, default_reminders=(timedelta(days=7),))
    message = inviter.invite(
        davos,
        replace(KIM, lang=lang),
        method="REQUEST",
        sequence=9,
        last_modified=RECORDED,
        notice_id="n",
    )
    assert message is not None
    link = message.link
    feed_meta = FeedMeta(
        name="Staff",
        lang=lang,
        base_url="https://cal.example",
        engagement_url=lambda _base, _id: link,
        default_reminders=(timedelta(days=7),),
    )
    (item, *_) = items_of(davos, RECORDED)
    feed_event = event_component(item, feed_meta, DIRECTORY)
    event = _event(_ics(message))
    scheduling = {"SEQUENCE", "ORGANIZER", "ATTENDEE"}
    assert set(event.keys()) - scheduling == set(feed_event.keys()) - {"SEQUENCE"}
    for name in set(feed_event.keys()) - {"SEQUENCE"}:
        assert event[name].to_ical() == feed_event[name].to_ical(), name
    assert [a.to_ical() for a in event.walk("VALARM")] == [
        a.to_ical() for a in feed_event.walk("VALARM")
    ]
    assert "Hao Peng" in str(event["DESCRIPTION"]) or lang != "en"  # named by the directory


def test_an_imprecise_engagement_goes_as_a_tentative_all_day_span_as_in_the_feed() -> None:
    june, _ = run([invitation(JUNE_2024)])
    assert june.when.precision is Precision.MONTH
    event = _event(_ics(_invite(june)))
    (feed_event,) = [e for e in feed_of(june).events if str(e["UID"]) == f"{DAVOS}@{HOST}"]
    assert (event.start, event.end) == (date(2024, 6, 1), date(2024, 7, 1))
    assert str(event["STATUS"]) == "TENTATIVE"
    for name in ("UID", "DTSTART", "DTEND", "STATUS", "SUMMARY", "TRANSP"):
        assert event[name].to_ical() == feed_event[name].to_ical(), name


def test_a_deadline_item_goes_with_the_feeds_deadline_uid_and_dates() -> None:
    june, _ = run([invitation(JUNE_2024)])
    message = _invite(june, replace(KIM, item="deadline-decision"))
    event = _event(_ics(message))
    uid = f"{DAVOS}--decision@{HOST}"
    (feed_event,) = [e for e in feed_of(june).events if str(e["UID"]) == uid]
    assert str(event["UID"]) == uid
    assert (event.start, event.end) == (feed_event.start, feed_event.end)
    assert str(event["RELATED-TO"]) == f"{DAVOS}@{HOST}"
    assert message.subject.startswith("일정 안내: ")
    assert "(미정)" in message.text  # counted from "June": to be confirmed
    gone = INVITER.invite(
        june,
        replace(KIM, item="deadline-no-such-rule"),
        method="REQUEST",
        sequence=2,
        last_modified=RECORDED,
        notice_id="n|change|v2",
    )
    assert gone is None


def test_a_deadline_of_a_cancelled_engagement_is_cancelled_by_its_uid() -> None:
    june, _ = run([invitation(JUNE_2024)])
    called_off = replace(june, status=EventStatus.CANCELLED)  # no deadline is derived any more
    message = _invite(called_off, replace(KIM, item="deadline-decision"), method="CANCEL")
    event = _event(_ics(message))
    assert str(parse(_ics(message))["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == f"{DAVOS}--decision@{HOST}"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(value(event, "SEQUENCE")) == 1


def test_a_reader_who_may_no_longer_see_it_is_told_only_that_it_left_their_calendar(
    steps: tuple[Step, ...],
) -> None:
    message = _invite(steps[2].engagement, method="CANCEL", sequence=4, lost=True)
    calendar = parse(_ics(message))
    assert str(calendar["METHOD"]) == "CANCEL"
    event = _event(_ics(message))
    # RFC 5546 3.2.5: uninviting an attendee carries no STATUS; the page's link would not open
    assert {"STATUS", "DESCRIPTION", "URL"}.isdisjoint(event.keys())
    assert str(event["UID"]) == f"{DAVOS}@{HOST}"
    assert message.subject == "일정표에서 제외: 2024 하계 다보스포럼 (다롄)"
    assert "취소" not in message.text  # not "cancelled": it was not
    assert "상태" not in message.text
    assert "https://" not in message.text + message.html
    assert message.link == ""


def test_nothing_to_invite_to_and_a_request_for_what_is_gone_are_refused() -> None:
    vague = replace(run([invitation()])[0], when=ImpreciseWhen.year(2024, "Asia/Shanghai"))
    assert vague.when.precision is Precision.YEAR
    assert (
        INVITER.invite(
            vague, KIM, method="REQUEST", sequence=1, last_modified=RECORDED, notice_id="n"
        )
        is None
    )
    cancel = _invite(vague, method="CANCEL")  # a CANCEL needs only the UID
    assert str(_event(_ics(cancel))["UID"]) == f"{DAVOS}@{HOST}"
    cancelled, _ = run([scheduled(kickoff())])
    with pytest.raises(ValueError, match="send a CANCEL"):
        _invite(replace(cancelled, status=EventStatus.CANCELLED))
    with pytest.raises(ValueError, match="plain address"):
        _invite(cancelled, replace(KIM, to="kim@x\r\nATTENDEE:mailto:evil@x"))


@pytest.mark.parametrize("text", INJECTIONS)
def test_no_user_text_adds_a_line_or_an_attendee(text: str) -> None:
    engagement = replace(hostile_engagement(0, text), id=EngagementId("hostile"))
    target = replace(KIM, names=(text,))
    # without working days: its deadlines would carry the text into titles the domain checks
    inviter = replace(INVITER, is_working_day=None)
    message = inviter.invite(
        engagement, target, method="REQUEST", sequence=1, last_modified=RECORDED, notice_id="n"
    )
    assert message is not None
    ics = _ics(message)
    calendar = Calendar.from_ical(ics)
    (event,) = calendar.events
    attendee = value(event, "ATTENDEE")
    assert not isinstance(attendee, list)
    assert str(attendee) == "mailto:kim.minji@gg.example"
    assert "\n" not in attendee.params["CN"]
    lines = ics.replace(b"\r\n ", b"").split(b"\r\n")
    assert sum(line.startswith(b"ATTENDEE") for line in lines) == 1
    assert not any(line.startswith((b"END:VEVENT\r", b"ATTENDEE:mailto:x@evil")) for line in lines)
    assert sum(line == b"BEGIN:VEVENT" for line in lines) == 1


# -- the email, as a mail client reads it ------------------------------------------------------


def _raw(message: Notification, mail_from: str = MAIL_FROM) -> bytes:
    return SmtpNotifier("smtp://localhost:25", mail_from).message(message).as_bytes()


def _parts(message: EmailMessage) -> list[EmailMessage]:
    parts = list(message.iter_parts())
    assert all(isinstance(part, EmailMessage) for part in parts)
    return parts  # type: ignore[return-value]


def _mail(message: Notification, mail_from: str = MAIL_FROM) -> EmailMessage:
    parsed = email.message_from_bytes(_raw(message, mail_from), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_calendar_goes_inline_last_among_the_alternatives_with_its_method(
    steps: tuple[Step, ...],
) -> None:
    for step in steps:
        mail = _mail(step.message)
        assert mail.get_content_type() == "multipart/mixed"
        body, copy = _parts(mail)
        assert body.get_content_type() == "multipart/alternative"
        plain, html, calendar = _parts(body)
        assert [p.get_content_type() for p in (plain, html, calendar)] == [
            "text/plain",
            "text/html",
            "text/calendar",
        ]
        wire = f'Content-Type: text/calendar; charset="UTF-8"; method={step.method}\n'
        assert wire.encode() in _raw(step.message)  # unquoted, upper case, as Outlook writes it
        assert calendar.get_param("method") == str(parse(step.ics)["METHOD"]) == step.method
        assert calendar["Content-Disposition"] is None
        assert calendar.get_payload(decode=True) == step.ics  # CRLF and folds intact
        assert copy.get_content_type() == "application/ics"
        assert copy.get_filename() == "invite.ics"
        assert copy.get_payload(decode=True) == step.ics
        assert mail["Content-Class"] == "urn:content-classes:calendarmessage"


def test_the_invitation_comes_from_the_office_to_its_attendee_with_a_korean_subject(
    steps: tuple[Step, ...],
) -> None:
    mail = _mail(steps[0].message)
    assert str(mail["Subject"]) == "일정 안내: 2024 하계 다보스포럼 (다롄)"
    assert mail["From"].addresses[0].display_name == "국제협력과"
    assert mail["From"].addresses[0].addr_spec == OFFICE
    assert str(mail["Sender"]) == MAIL_FROM  # the service sends on the office's behalf
    assert (
        str(mail["To"]) == KIM.to == str(_event(steps[0].ics)["ATTENDEE"]).removeprefix("mailto:")
    )
    same = _mail(steps[0].message, mail_from=f"Protocol <{OFFICE}>")
    assert same["Sender"] is None
    assert parseaddr(str(same["From"]))[1] == OFFICE


def test_a_reminders_ics_stays_a_plain_attachment() -> None:
    reminder = replace(
        life()[0].message,
        channel="email",
        author=None,
        attachments=(Attachment("davos.ics", "text/calendar; method=PUBLISH", b"BEGIN:VCALENDAR"),),
    )
    mail = _mail(reminder)
    body, attached = _parts(mail)
    assert [p.get_content_type() for p in _parts(body)] == ["text/plain", "text/html"]
    assert attached.get_content_type() == "text/calendar"
    assert attached.get_param("method") == "PUBLISH"
    assert attached.get_content_disposition() == "attachment"
    assert mail["Content-Class"] is None
    assert str(mail["From"]) == MAIL_FROM


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _shown(message: Notification) -> list[str]:
    """The subject, the sender's name and every text part, as a mail client decodes them."""
    mail = _mail(message)
    shown = [str(mail["Subject"]), mail["From"].addresses[0].display_name]
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            shown.append(part.get_content())
        elif part.get_content_type() == "text/html":
            visible = _Visible()
            visible.feed(part.get_content())
            shown.append(" ".join(visible.parts))
    return shown


@pytest.mark.parametrize("lang", ["ko", "zh"])
@pytest.mark.parametrize("kind", ["new", "updated", "cancelled", "lost", "deadline"])
def test_a_korean_or_chinese_invitation_holds_no_english_word(lang: str, kind: str) -> None:
    june, _ = run([invitation(JUNE_2024)])
    engagement = june if kind == "deadline" else life()[0].engagement
    target = replace(KIM, lang=lang, item="deadline-decision" if kind == "deadline" else "")
    kinds: dict[str, dict[str, Any]] = {
        "new": {},
        "updated": {"updated": True},
        "cancelled": {"method": "CANCEL"},
        "lost": {"method": "CANCEL", "lost": True},
        "deadline": {},
    }
    options = kinds[kind]
    message = _invite(engagement, target, **options)
    names = (engagement.title.best(lang), "Dalian", "다롄", "大连", "김민지", "hao-peng")
    shown = _shown(message)
    assert len(shown) == 4
    for text in shown:
        assert english_words(text, names=names) == [], text


def test_an_invite_is_a_delivery_channel_of_its_own() -> None:
    record = DeliveryRecord(channel="invite", to=KIM.to, at=RECORDED)
    sent = ReminderSent(
        engagement_id=DAVOS,
        reminder_id=f"{DAVOS}|change|v1",
        offset="change",
        due_at=datetime(2024, 4, 25, tzinfo=UTC),
        deliveries=(record,),
    )
    assert sent.deliveries[0].channel == "invite"
    with pytest.raises(InvalidValue, match="invite"):
        DeliveryRecord(channel="fax", to=KIM.to, at=RECORDED)


def test_titles_in_the_readers_language_name_the_invitation() -> None:
    titled = replace(
        life()[0].engagement,
        title=LocalizedText(en="Summer Davos", ko="하계 다보스", zh="夏季达沃斯"),
    )
    for lang, subject in [
        ("en", "Invitation: Summer Davos"),
        ("ko", "일정 안내: 하계 다보스"),
        ("zh", "日程通知：夏季达沃斯"),
    ]:
        message = _invite(titled, replace(KIM, lang=lang))
        assert message.subject == subject
        assert message.lang == lang
        assert message.channel == "invite"
        assert message.key == f"n|change|v1#{KIM.channel}|{KIM.to}|{lang}"
