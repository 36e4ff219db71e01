"""Injection at the HTTP level: engagements recorded through the write path with hostile text
(in titles, notes, places and names), served by the feed route, read by every parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from calendar_service.config import load_settings
from calendar_service.domain import AddNote, EngagementId, InvalidValue
from calendar_service.feed.ical import clean_text
from tests.fixtures.ical_samples import CHINESE, INJECTIONS, KOREAN
from tests.fixtures.parsers import PARSERS
from tests.integration.feeds.support import (
    BASE_URL,
    client,
    dalian_meeting,
    execute,
    new_feed,
    opened,
    read_feed,
    uid,
)
from tests.unit.test_ical import inside

ONE_LINE = (
    "semi;colon, comma\\backslash \\n \\N \\, \\; C:\\New",
    "ends with a backslash\\",
    'Summit"; ATTENDEE:mailto:x@evil',
    KOREAN.strip(),
    CHINESE,
)
"""Titles, places and names: one line each, as the domain requires."""
FORGED = "Summit\nATTENDEE;CN=Eve:mailto:x@evil\nEND:VEVENT\nBEGIN:VEVENT\nUID:forged@evil"
NOTES = (*(text for text in INJECTIONS if "\r" not in text), FORGED)
"""Notes may hold newlines: each must stay inside its DESCRIPTION."""
EXPECTED_NAMES = {
    "SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "UID", "SEQUENCE", "CATEGORIES", "CREATED",
    "DESCRIPTION", "LAST-MODIFIED", "LOCATION", "STATUS", "TRANSP", "URL",
}  # fmt: skip


@pytest.fixture(scope="module")
def hostile_feed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("hostile")
    settings = load_settings(store=f"sqlite:///{tmp}/events.db", base_url=BASE_URL)
    with opened(settings) as container:
        for index, note in enumerate(NOTES):
            text = ONE_LINE[index % len(ONE_LINE)]
            execute(
                container,
                *dalian_meeting(
                    f"hostile-{index}", title=text, note=note, place_name=text, guest=text
                ),
            )
        answer = client(container).get(f"/feeds/{new_feed(container, lang='ko')}.ics")
    assert answer.status_code == 200
    body: bytes = answer.content
    return body


def test_the_write_path_refuses_a_carriage_return_before_it_reaches_any_feed(
    tmp_path: Path,
) -> None:
    settings = load_settings(store=f"sqlite:///{tmp_path}/events.db", base_url=BASE_URL)
    with opened(settings) as container:
        execute(container, *dalian_meeting("cr"))
        recorded = container.store.head()
        for text in (t for t in INJECTIONS if "\r" in t):
            with pytest.raises(InvalidValue, match="control character"):
                execute(container, AddNote(engagement_id=EngagementId("cr"), text=text))
            with pytest.raises(InvalidValue, match="control character"):
                execute(container, *dalian_meeting("cr-title", title=text))
        assert container.store.head() == recorded, "nothing more was recorded"


@pytest.mark.parametrize("parser", PARSERS)
def test_no_hostile_text_adds_a_property_or_an_event_in_any_parser(
    parser: str, hostile_feed: bytes, request: pytest.FixtureRequest
) -> None:
    feed = read_feed(request, parser, hostile_feed)
    assert sorted(feed.events) == sorted(uid(f"hostile-{n}") for n in range(len(NOTES)))
    for index, note in enumerate(NOTES):
        text = ONE_LINE[index % len(ONE_LINE)]
        event = feed.events[uid(f"hostile-{index}")]
        assert event.summary == clean_text(text)
        assert event.location == f"{clean_text(text)}, 다롄, 중국"
        assert f"\n- {inside(text)} (주최)\n" in event.description
        assert f"\n- {inside(note)}\n" in event.description
        assert event.attendees == 0
        assert event.names <= EXPECTED_NAMES, event.names - EXPECTED_NAMES
        assert event.start == "2024-06-25T01:00:00Z"


def test_hostile_lines_are_folded_at_75_octets_on_character_boundaries(
    hostile_feed: bytes,
) -> None:
    assert hostile_feed.endswith(b"\r\n")
    lines = hostile_feed[:-2].split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")
    assert not any(line.startswith((b"ATTENDEE", b"UID:forged")) for line in lines)
