"""Calendar invitations in the parsers real clients use (icalendar, vobject, ical, ical.js and
libical, with libical's iTIP restriction check), and through a real SMTP server as this
deployment wires them (`bootstrap.open_notifiers`, `bootstrap.open_inviter`).

The ical.js and libical fixtures, and when their tests are skipped (never under CI=true), are in
tests/integration/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, timedelta
from typing import Any

import pytest

from calendar_service.bootstrap import open_inviter, open_notifiers
from calendar_service.config import ConfigError, Settings
from calendar_service.domain import Engagement
from calendar_service.domain.reminder_plan import Target
from tests.fixtures.invitations import (
    HOST,
    INVITER,
    KEY,
    KIM,
    OFFICE,
    RECORDED,
    kickoff,
    life,
)
from tests.fixtures.parsers import PARSERS, PYTHON_PARSERS, LibIcal, Parsed, from_ical_js
from tests.reminders_support import SmtpSink
from tests.unit.domain.builders import DAVOS, JUNE_2024, invitation, run

UID = f"{DAVOS}@{HOST}"


def _messages() -> dict[str, bytes]:
    """The four messages of one engagement's life, and the other kinds an invitation takes."""
    steps = life()
    found = {f"{step.sequence}-{step.method}": step.ics for step in steps}
    june, _ = run([invitation(JUNE_2024)])
    kinds: list[tuple[str, Engagement, Target, dict[str, Any]]] = [
        ("month", june, KIM, {"method": "REQUEST"}),
        ("deadline", june, replace(KIM, item="deadline-decision"), {"method": "REQUEST"}),
        ("lost", steps[2].engagement, KIM, {"method": "CANCEL", "lost": True}),
    ]
    for name, engagement, target, options in kinds:
        message = INVITER.invite(
            engagement,
            target,
            sequence=5,
            last_modified=RECORDED,
            notice_id="n|change|v5",
            **options,
        )
        assert message is not None
        (attachment,) = message.attachments
        found[name] = attachment.data
    return found


MESSAGES = _messages()


@pytest.fixture(scope="module")
def parsed(request: pytest.FixtureRequest) -> Callable[[str, str], Parsed]:
    cache: dict[tuple[str, str], Parsed] = {}
    keys = list(MESSAGES)

    def get(parser: str, key: str) -> Parsed:
        if (parser, key) not in cache:
            if parser == "ical.js":
                results = request.getfixturevalue("ical_js")([MESSAGES[k] for k in keys])
                for k, result in zip(keys, results, strict=True):
                    cache["ical.js", k] = from_ical_js(result)
            elif parser == "libical":
                libical: LibIcal = request.getfixturevalue("libical")
                result, complaints = libical.read(MESSAGES[key])
                assert complaints == [], (key, complaints)  # RFC 5546 iTIP restrictions hold
                cache[parser, key] = result
            else:
                cache[parser, key] = PYTHON_PARSERS[parser](MESSAGES[key])
        return cache[parser, key]

    return get


@pytest.mark.parametrize("parser", PARSERS)
def test_a_create_two_reschedules_and_a_cancel_read_alike_in_every_parser(
    parser: str, parsed: Callable[[str, str], Parsed]
) -> None:
    life_keys = ["1-REQUEST", "2-REQUEST", "3-REQUEST", "4-CANCEL"]
    calendars = [parsed(parser, key) for key in life_keys]
    assert [c.calendar["METHOD"] for c in calendars] == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    events = [next(iter(c.events.items())) for c in calendars]
    assert all(len(c.events) == 1 for c in calendars)
    assert {uid for uid, _ in events} == {UID}
    sequences = [event.sequence for _, event in events]
    assert sequences == sorted(set(sequences))
    assert [event.start for _, event in events[:3]] == [
        when.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for when in (kickoff(), kickoff(days=1), kickoff(days=1, hours=5))
    ]
    assert [event.status for _, event in events] == ["CONFIRMED"] * 3 + ["CANCELLED"]
    assert all(event.attendees == 1 for _, event in events)
    assert all(c.timezones == ["Asia/Shanghai"] for c in calendars)
    assert [event.triggers for _, event in events] == [[-timedelta(days=1)]] * 3 + [[]]


@pytest.mark.parametrize("parser", PARSERS)
def test_a_month_a_deadline_and_a_lost_reader_read_alike_in_every_parser(
    parser: str, parsed: Callable[[str, str], Parsed]
) -> None:
    ((uid, month),) = parsed(parser, "month").events.items()
    assert uid == UID
    assert (month.start, month.end, month.status) == ("2024-06-01", "2024-07-01", "TENTATIVE")
    ((uid, deadline),) = parsed(parser, "deadline").events.items()
    assert uid == f"{DAVOS}--decision@{HOST}"
    assert deadline.start < deadline.end
    lost = parsed(parser, "lost")
    assert lost.calendar["METHOD"] == "CANCEL"
    ((uid, event),) = lost.events.items()
    assert (uid, event.status, event.description, event.attendees) == (UID, "", "", 1)


def test_libicals_restriction_check_catches_what_rfc_5546_forbids(libical: LibIcal) -> None:
    """The check the tests above rely on does refuse broken messages: a REQUEST without an
    ATTENDEE or saying CANCELLED, a CANCEL without its ORGANIZER or SEQUENCE. (libical 3.0
    does not check sub-components: no VALARM in a CANCEL is the unit tests' to assert.)"""
    request, cancel = MESSAGES["1-REQUEST"], MESSAGES["4-CANCEL"]
    unfolded = request.replace(b"\r\n ", b"")
    no_attendee = b"\r\n".join(
        line for line in unfolded.split(b"\r\n") if not line.startswith(b"ATTENDEE")
    )
    broken = {
        "no attendee": no_attendee,
        "cancelled request": unfolded.replace(b"STATUS:CONFIRMED", b"STATUS:CANCELLED"),
        "cancel without organizer": cancel.replace(b"\r\nORGANIZER;", b"\r\nX-ORGANIZER;"),
        "cancel without sequence": cancel.replace(b"SEQUENCE:4\r\n", b""),
    }
    for what, data in broken.items():
        assert data not in (request, unfolded, cancel), what
        _, complaints = libical.read(data)
        assert complaints, what


# -- through a real SMTP server, as bootstrap wires it -----------------------------------------


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def test_an_invitation_goes_by_the_email_notifier_from_the_office_mailbox(smtp: SmtpSink) -> None:
    settings = Settings(
        store="memory://",
        smtp_url=smtp.url,
        mail_from="Calendar <calendar@gg.example>",
        office_mailbox=OFFICE,
        base_url="https://cal.example",
    )
    notifiers = open_notifiers(settings)
    assert notifiers["invite"] is notifiers["email"]
    inviter = open_inviter(settings, KEY)
    (step, *_) = life()
    message = inviter.invite(
        step.engagement,
        KIM,
        method="REQUEST",
        sequence=1,
        last_modified=RECORDED,
        notice_id=f"{DAVOS}|change|v1",
    )
    assert message is not None
    try:
        notifiers["invite"].send(message)
    finally:
        notifiers["invite"].close()
    (received,) = smtp.messages
    assert received.rcpt == [KIM.to]
    assert received.mail_from == "calendar@gg.example"  # bounces come back to the service
    mail = received.message
    assert mail["From"].addresses[0].addr_spec == OFFICE
    assert str(mail["Sender"]) == "Calendar <calendar@gg.example>"
    (calendar,) = [part for part in mail.walk() if part.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "REQUEST"
    ics = calendar.get_payload(decode=True)
    assert isinstance(ics, bytes)
    assert b"\r\nORGANIZER;CN=" in ics
    assert f"mailto:{OFFICE}".encode() in ics.replace(b"\r\n ", b"")
    assert f"UID:{UID}".encode() in ics


def test_without_smtp_there_is_no_invite_channel_and_a_bad_mailbox_is_named() -> None:
    assert "invite" not in open_notifiers(Settings(store="memory://"))
    plain = open_inviter(Settings(store="memory://", mail_from="Cal <cal@gg.example>"), KEY)
    assert plain.organizer == "cal@gg.example"
    assert plain.directory is not None  # parties named as the feed names them
    with pytest.raises(ConfigError, match="CALENDAR_OFFICE_MAILBOX"):
        open_inviter(Settings(store="memory://", office_mailbox="not an address"), KEY)
    assert timedelta(days=7) in open_inviter(Settings(store="memory://"), KEY).default_reminders
