"""The feed's page in headless Chromium (Debian's `chromium`, driven by Playwright).

Against a real `calendar-service serve` over the seeded calendar plus one exact-time meeting in
Dalian: the agenda renders, times follow the browser's zone (Europe/Berlin vs Asia/Seoul, with
the item's own zone beside them), the history of Summer Davos shows its refinement, the
subscribe links carry the feed URL, and an unknown token gets a 404 page, not a stack trace.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from calendar_service.bootstrap import build
from calendar_service.config import load_settings
from calendar_service.domain import (
    Audience,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    EventStatus,
    ExactWhen,
    LocalizedText,
    RevokeFeed,
    ScheduleEngagement,
)
from calendar_service.feed.tokens import create_feed
from calendar_service.projections import NullNudger
from calendar_service.seed import apply_seed
from calendar_service.service import Envelope, settle
from tests.e2e.server import REPO, served

pytestmark = pytest.mark.slow
ARTIFACTS = REPO / "test-artifacts"
PHONE = {"width": 390, "height": 844}
CALL = "video-call-dalian"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Site:
    base: str
    token: str
    revoked_token: str
    call_start: datetime

    def page(self, token: str | None = None, **query: str) -> str:
        suffix = "&".join(f"{key}={quote(value)}" for key, value in query.items())
        return f"{self.base}/c/{token or self.token}" + (f"?{suffix}" if suffix else "")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("page")
    store = f"sqlite:///{directory}/events.db"
    start = datetime.combine(datetime.now(UTC).date() + timedelta(days=5), time(9), SHANGHAI)
    container = build(load_settings(store=store), nudger=NullNudger())
    try:
        apply_seed(container.store, lambda: datetime.now(UTC))
        container.execute(_call(start), Envelope(actor="Officer Lee Ji-won"))
        token = create_feed(
            container.store,
            container.projector,
            name="Governor's office",
            audience=Audience.STAFF,
            actor="test",
        ).token
        gone = create_feed(
            container.store, container.projector, name="Old", audience=Audience.STAFF, actor="test"
        )
        revoke = RevokeFeed(feed_id=gone.feed.feed_id)
        settle(container.store, container.projector, revoke, Envelope("test"), container.clock)
        container.projector.catch_up_all()
    finally:
        container.close()
    with served(store, directory / "server.log") as base:
        yield Site(base, token, gone.token, start)


def _call(start: datetime) -> ScheduleEngagement:
    return ScheduleEngagement(
        engagement_id=EngagementId(CALL),
        details=EngagementDetails(
            kind=EngagementKind.MEETING,
            direction=Direction.OUTBOUND,
            title=LocalizedText(en="Video call with Dalian", ko="다롄 화상회의"),
            when=ExactWhen(start, start + timedelta(hours=1), "Asia/Shanghai"),
            audience=Audience.STAFF,
        ),
        status=EventStatus.CONFIRMED,
    )


def _open(browser: Any, url: str, zone: str) -> Any:
    context = browser.new_context(timezone_id=zone, viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.goto(url)
    page.wait_for_url("**tz=*")
    return page


def test_the_seeded_agenda_renders_in_the_viewers_zone(browser: Any, site: Site) -> None:
    page = _open(browser, site.page(), "Europe/Berlin")
    assert "tz=Europe%2FBerlin" in page.url or "tz=Europe/Berlin" in page.url
    assert "Europe/Berlin" in page.get_by_test_id("viewer-zone").inner_text()
    engagements = page.locator("[data-testid=item]").evaluate_all(
        "items => items.map(i => i.dataset.engagement)"
    )
    assert {"summer-davos-2024", "liaoning-expo-2024", CALL} <= set(engagements)
    undecided = page.get_by_test_id("undecided").inner_text()
    assert "Summer Davos" in undecided
    assert "Liaoning" in undecided

    berlin = site.call_start.astimezone(ZoneInfo("Europe/Berlin"))
    call = page.locator(f"[data-engagement={CALL}][data-kind=engagement]")
    assert f"{berlin:%H:%M}" in call.get_by_test_id("when").inner_text()
    own = call.get_by_test_id("own-zone").inner_text()
    assert "09:00" in own
    assert "Asia/Shanghai" in own
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-europe-berlin.png"), full_page=True)

    seoul_page = _open(browser, site.page(), "Asia/Seoul")
    seoul = site.call_start.astimezone(ZoneInfo("Asia/Seoul"))
    seoul_call = seoul_page.locator(f"[data-engagement={CALL}][data-kind=engagement]")
    shown = seoul_call.get_by_test_id("when").inner_text()
    assert f"{seoul:%H:%M}" in shown
    assert f"{berlin:%H:%M}" not in shown
    seoul_page.screenshot(path=str(ARTIFACTS / "page-asia-seoul.png"), full_page=True)


def test_the_history_of_summer_davos_shows_its_refinement(browser: Any, site: Site) -> None:
    page = _open(browser, site.page(lang="en"), "Asia/Seoul")
    davos = page.locator("[data-engagement=summer-davos-2024][data-kind=engagement]")
    history = davos.get_by_test_id("history")
    history.locator("summary").click()
    text = history.inner_text()
    assert "date refined" in text
    assert "June 2024 (to be confirmed)" in text
    assert "25–27 Jun 2024" in text
    assert "by seed" in text
    korean = _open(browser, site.page(lang="ko"), "Asia/Seoul")
    assert "결정을 기다리는 초청" in korean.get_by_test_id("undecided").inner_text()


def test_the_subscribe_links_carry_the_feed_url(browser: Any, site: Site) -> None:
    page = _open(browser, site.page(), "Asia/Seoul")
    https = f"{site.base}/feeds/{site.token}.ics"
    webcal = "webcal://" + https.split("://", 1)[1]
    assert page.get_by_test_id("webcal").get_attribute("href") == webcal
    google = page.get_by_test_id("google").get_attribute("href")
    assert google == "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")
    assert page.get_by_test_id("download").get_attribute("href") == https
    assert page.get_by_test_id("feed-url").inner_text() == https


def test_an_unknown_token_gets_a_404_page_and_a_revoked_one_410(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    response = page.goto(site.page("no-such-token"))
    assert response is not None
    assert response.status == 404
    assert page.get_by_test_id("error-title").inner_text() == "No such calendar"
    assert "Traceback" not in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-unknown-token.png"))
    gone = page.goto(site.page(site.revoked_token))
    assert gone is not None
    assert gone.status == 410
    assert "revoked" in page.get_by_test_id("error-title").inner_text()
