"""Embedded mode: a change is rendered into the feeds served lately as soon as the calendar
projection applies it, so a subscriber's next conditional GET gets the new bytes without
waiting for a rendering."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from calendar_service.bootstrap import build
from calendar_service.config import load_settings
from calendar_service.domain import Audience, EngagementId, ExactWhen, Reschedule
from calendar_service.projections import ThreadNudger
from calendar_service.service import Envelope
from tests.integration.feeds.support import (
    BASE_URL,
    SHANGHAI,
    TODAY,
    client,
    dalian_meeting,
    execute,
    new_feed,
    seed,
)
from tests.integration.feeds.test_http import MEETING, meeting_of


def test_a_change_is_rendered_for_the_feeds_served_lately_before_they_ask(tmp_path: Path) -> None:
    container = build(load_settings(store=f"sqlite:///{tmp_path}/events.db", base_url=BASE_URL))
    container.clock = lambda: TODAY
    nudger = container.nudger
    assert isinstance(nudger, ThreadNudger), "embedded mode: catch-up in this process"
    try:
        seed(container)
        execute(container, *dalian_meeting())
        token = new_feed(container)
        app = client(container)
        path = f"/feeds/{token}.ics"
        first = app.get(path, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200
        front = app.app.feed_front  # type: ignore[attr-defined]
        cache = front.endpoint.cache

        start = datetime(2024, 6, 25, 11, 0, tzinfo=SHANGHAI)
        moved = ExactWhen(start, start.replace(hour=12, minute=30), "Asia/Shanghai")
        container.execute(
            Reschedule(engagement_id=EngagementId(MEETING), when=moved, reason="traffic"),
            Envelope(actor="officer-lee"),
        )
        assert nudger.wait_idle(30)

        ready = cache.peek_feed(Audience.STAFF, "en", token)
        assert ready is not None, "the new version was built before any GET asked for it"
        assert ready.gzip_etag != first.headers["etag"], "a new version"
        again = app.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 200
        assert again.content == ready.body
        assert meeting_of(again.content).decoded("DTSTART") == start
    finally:
        container.close()
