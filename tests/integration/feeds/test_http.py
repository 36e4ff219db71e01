"""The feed route over HTTP: validators and conditional requests, gzip, HEAD, bad requests,
unknown and revoked tokens, and what a change does to all of them."""

from __future__ import annotations

import gzip
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar, Event

from calendar_service.bootstrap import Container
from calendar_service.config import load_settings
from calendar_service.domain import Audience, EngagementId, ExactWhen, Reschedule, RevokeFeed
from calendar_service.eventstore.port import utc_now
from calendar_service.feed.tokens import list_feeds
from calendar_service.projections.feeds import FeedRow
from calendar_service.service import Envelope, settle
from tests.fixtures.ical_values import value as prop
from tests.integration.feeds.support import (
    BASE_URL,
    SHANGHAI,
    TestClient,
    client,
    dalian_meeting,
    execute,
    new_feed,
    opened,
    seed,
    uid,
)

MEETING = "leaders-meeting-dalian-2024-06-25"


@dataclass
class Served:
    container: Container
    http: TestClient
    token: str

    @property
    def path(self) -> str:
        return f"/feeds/{self.token}.ics"

    def get(self, **headers: str) -> httpx.Response:
        answer: httpx.Response = self.http.get(self.path, headers=headers)
        return answer


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    settings = load_settings(store=f"sqlite:///{tmp_path}/events.db", base_url=BASE_URL)
    with opened(settings) as container:
        seed(container)
        execute(container, *dalian_meeting())
        yield Served(container, client(container), new_feed(container))


def meeting_of(body: bytes) -> Event:
    [event] = [e for e in Calendar.from_ical(body).events if str(e["UID"]) == uid(MEETING)]
    return event


def move_meeting(container: Container, hours: int = 1) -> None:
    """Reschedule the meeting in a later second than anything before: LAST-MODIFIED, like
    every iCalendar and HTTP date, counts whole seconds (the ETag and SEQUENCE need no wait)."""
    time.sleep(1.01 - time.time() % 1)
    start = datetime(2024, 6, 25, 9 + hours, 0, tzinfo=SHANGHAI)
    execute(
        container,
        Reschedule(
            engagement_id=EngagementId(MEETING),
            when=ExactWhen(start, start + timedelta(minutes=90), "Asia/Shanghai"),
            reason="the host's schedule changed",
        ),
    )


def test_a_feed_is_text_calendar_with_a_strong_etag_and_its_last_change(served: Served) -> None:
    answer = served.http.get(served.path, headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    etag = answer.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"'), "strong: no W/ prefix"
    assert "gzip" not in answer.headers.get("content-encoding", "")
    assert answer.headers["vary"] == "Accept-Encoding"
    assert answer.headers["cache-control"] == "private, no-cache"
    assert int(answer.headers["content-length"]) == len(answer.content) > 1000
    assert answer.content.startswith(b"BEGIN:VCALENDAR\r\n")
    changed = [
        prop(e, "LAST-MODIFIED").dt for e in Calendar.from_ical(answer.content).walk("VEVENT")
    ]
    last_modified = parsedate_to_datetime(answer.headers["last-modified"])
    assert last_modified == max(changed).replace(microsecond=0)


def test_a_reschedule_bumps_sequence_and_last_modified_and_changes_the_etag(
    served: Served,
) -> None:
    before = served.get()
    old_etag = before.headers["etag"]
    old = meeting_of(before.content)
    assert served.get(**{"If-None-Match": old_etag}).status_code == 304

    move_meeting(served.container)

    after = served.get(**{"If-None-Match": old_etag})
    assert after.status_code == 200, "the old ETag gets the new body"
    new_etag = after.headers["etag"]
    assert new_etag != old_etag
    new = meeting_of(after.content)
    assert prop(new, "SEQUENCE") == prop(old, "SEQUENCE") + 1
    assert prop(new, "LAST-MODIFIED").dt > prop(old, "LAST-MODIFIED").dt
    assert prop(new, "DTSTAMP").dt == prop(new, "LAST-MODIFIED").dt
    assert new.start == datetime(2024, 6, 25, 10, 0, tzinfo=SHANGHAI)
    current = served.get(**{"If-None-Match": new_etag})
    assert current.status_code == 304
    assert current.headers["etag"] == new_etag
    assert current.content == b""


def test_if_none_match_takes_lists_weak_tags_either_coding_and_star(served: Served) -> None:
    plain = served.http.get(served.path, headers={"Accept-Encoding": "identity"})
    zipped = served.http.get(served.path, headers={"Accept-Encoding": "gzip"})
    tag, gzip_tag = plain.headers["etag"], zipped.headers["etag"]
    assert tag != gzip_tag, "a coding is another representation: its own strong ETag"
    for header in (
        tag,
        gzip_tag,
        f'"stale", {tag}',
        f"W/{tag}",
        f'W/"stale",W/{gzip_tag}',
        "*",
    ):
        answer = served.get(**{"If-None-Match": header, "Accept-Encoding": "gzip"})
        assert answer.status_code == 304, header
        assert answer.headers["etag"] == gzip_tag
        assert answer.headers["cache-control"] == "private, no-cache"
        assert answer.headers["vary"] == "Accept-Encoding"
    for header in ('"stale"', 'W/"stale", "older"', tag.strip('"')):
        assert served.get(**{"If-None-Match": header}).status_code == 200, header


def test_if_modified_since_answers_304_until_something_changes(served: Served) -> None:
    first = served.get()
    stamp = first.headers["last-modified"]
    assert served.get(**{"If-Modified-Since": stamp}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(stamp) - timedelta(seconds=1), usegmt=True)
    assert served.get(**{"If-Modified-Since": earlier}).status_code == 200
    assert served.get(**{"If-Modified-Since": "not a date"}).status_code == 200
    etag = first.headers["etag"]
    stale_tag = served.get(**{"If-None-Match": '"stale"', "If-Modified-Since": stamp})
    assert stale_tag.status_code == 200, "If-None-Match wins over If-Modified-Since"

    move_meeting(served.container)

    assert served.get(**{"If-Modified-Since": stamp}).status_code == 200
    assert served.get(**{"If-None-Match": etag}).status_code == 200


def test_head_has_the_same_headers_and_no_body(served: Served) -> None:
    for encoding in ("gzip", "identity"):
        got = served.http.get(served.path, headers={"Accept-Encoding": encoding})
        head = served.http.head(served.path, headers={"Accept-Encoding": encoding})
        assert head.status_code == 200
        assert head.content == b""
        unique = "x-correlation-id"  # one per request (calendar_service/api/requestlog.py)
        assert head.headers.keys() == got.headers.keys()
        assert {k: v for k, v in head.headers.items() if k != unique} == {
            k: v for k, v in got.headers.items() if k != unique
        }
        assert int(head.headers["content-length"]) > 0


def test_gzip_is_sent_when_asked_and_inflates_to_the_same_bytes(served: Served) -> None:
    plain = served.http.get(served.path, headers={"Accept-Encoding": "identity"})
    raw = served.http.build_request("GET", served.path, headers={"Accept-Encoding": "gzip, br"})
    zipped = served.http.send(raw, stream=True)
    assert zipped.headers["content-encoding"] == "gzip"
    compressed = b"".join(zipped.iter_raw())
    assert int(zipped.headers["content-length"]) == len(compressed) < len(plain.content) / 2
    assert gzip.decompress(compressed) == plain.content
    refused = served.http.get(served.path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    assert refused.content == plain.content


def test_a_public_feed_with_nothing_to_show_is_still_a_calendar(tmp_path: Path) -> None:
    settings = load_settings(store=f"sqlite:///{tmp_path}/events.db", base_url=BASE_URL)
    with opened(settings) as container:
        token = new_feed(container, Audience.PUBLIC)
        answer = client(container).get(f"/feeds/{token}.ics")
    assert answer.status_code == 200
    assert answer.content.startswith(b"BEGIN:VCALENDAR\r\n")
    assert answer.content.endswith(b"END:VCALENDAR\r\n")
    assert "last-modified" not in answer.headers
    assert answer.headers["etag"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"as_of": "yesterday"}, "as_of 'yesterday' is not a date or a time"),
        ({"as_of": "2024-02-30"}, "is not a date or a time"),
        ({"as_of": "2024-04-25T25:00"}, "is not a date or a time"),
        ({"as_of": ""}, "is not a date or a time"),
        ({"as_of": "0001-01-01"}, "is out of range"),
        ({"as_of": "9999-12-31T23:59:59Z"}, "is out of range"),
        ({"lang": "fr"}, "lang 'fr' is not a language of the calendar: use en, ko or zh"),
        ({"lang": ""}, "is not a language of the calendar"),
    ],
)
def test_bad_requests_get_400_with_a_clear_message(
    served: Served, query: dict[str, str], message: str
) -> None:
    answer = served.http.get(served.path, params=query)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert message in answer.text


def test_good_as_of_forms_are_accepted(served: Served) -> None:
    for value in (
        "2024-04-25",
        "2024-04-25T09:00:00+09:00",
        "2024-04-25T00:00:00Z",
        "2024-04-25T09:00",
    ):
        answer = served.http.get(served.path, params={"as_of": value, "lang": "zh"})
        assert answer.status_code == 200, (value, answer.text)
        assert "外事日程" in answer.content.decode()


def test_unknown_token_is_404_and_a_revoked_one_410_in_plain_text(served: Served) -> None:
    for path in (
        "/feeds/not-a-token.ics",
        f"/feeds/{served.token[:-1]}x.ics",
        f"/feeds/{'a' * 300}.ics",
    ):
        answer = served.http.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert "No feed has this address" in answer.text
    [row] = [r for r in _feeds(served) if not r.revoked]
    revoke = RevokeFeed(feed_id=row.feed_id)
    container = served.container
    settle(container.store, container.projector, revoke, Envelope("admin"), utc_now)
    gone = served.get()
    assert gone.status_code == 410
    assert "revoked" in gone.text
    assert served.http.head(served.path).status_code == 410
    assert served.http.post(served.path).status_code == 405


def _feeds(served: Served) -> list[FeedRow]:
    return list_feeds(served.container.projector)


def test_tokens_never_reach_the_access_log(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", served.path, "1.1", 200)
        access.info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/c/{served.token}?x=1", "1.1", 200
        )
    assert served.token not in caplog.text
    assert '"GET /feeds/….ics HTTP/1.1" 200' in caplog.text
    assert '"GET /c/…?x=1 HTTP/1.1" 200' in caplog.text
