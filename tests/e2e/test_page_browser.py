"""The feed's page and an engagement's page in headless Chromium (Debian's `chromium`, driven by
Playwright), against a real `calendar-service serve` over the seed plus the coming weeks of
`tests.fixtures.coming_weeks` (a new invitation decided far ahead among thirty-odd deadlines,
an overdue one, the next meeting tomorrow, a call in Dalian's zone).

Screenshots at desktop (1280) and phone (390) width, in en/ko/zh, with the browser in
Asia/Seoul and in Europe/Berlin, go to test-artifacts/screenshots/ (the path is printed); axe-core
checks each of those pages and an engagement's page. One browser, one server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from calendar_service.bootstrap import build
from calendar_service.config import load_settings
from calendar_service.domain import Audience, RevokeFeed
from calendar_service.feed import create_feed
from calendar_service.projections import NullNudger
from calendar_service.seed import apply_seed
from calendar_service.service import Envelope, settle
from calendar_service.words import format_day
from tests.e2e.server import REPO, served
from tests.fixtures.coming_weeks import (
    CALL,
    FAR_DECIDE_BY_DAYS,
    NEW_INVITATION,
    NEXT_MEETING,
    OVERDUE_INVITATION,
    add_coming_weeks,
)

pytestmark = pytest.mark.slow
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ZONES = ("Asia/Seoul", "Europe/Berlin")
LANGS = ("en", "ko", "zh")


@dataclass(frozen=True)
class Site:
    base: str
    token: str
    revoked_token: str
    today: date

    def page(self, token: str | None = None, **query: str) -> str:
        suffix = "&".join(f"{key}={value}" for key, value in query.items())
        return f"{self.base}/c/{token or self.token}" + (f"?{suffix}" if suffix else "")

    def engagement(self, engagement_id: str, lang: str = "en") -> str:
        return f"{self.base}/c/{self.token}/e/{engagement_id}?lang={lang}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("page")
    store = f"sqlite:///{directory}/events.db"
    container = build(load_settings(store=store), nudger=NullNudger())
    try:
        apply_seed(container.store, lambda: datetime.now(UTC))
        today = container.clock().astimezone(ZoneInfo(container.settings.timezone)).date()
        add_coming_weeks(container, today)
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
        yield Site(base, token, gone.token, today)


def _open(browser: Any, url: str, zone: str, viewport: dict[str, int] = PHONE, **extra: Any) -> Any:
    context = browser.new_context(timezone_id=zone, viewport=viewport, locale="en-US", **extra)
    page = context.new_page()
    page.goto(url)
    return page


def _axe(page: Any, axe_script: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe_script))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in found
    ]


def test_screenshots_in_each_language_zone_and_width_are_axe_clean_and_show_the_next_engagement(
    browser: Any, site: Site, axe_script: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SCREENSHOTS}")
    problems = {}
    for lang in LANGS:
        for zone in ZONES:
            for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                # bypass_csp: axe is injected as a script of its own; the page's own script
                # runs under its CSP in the other tests.
                page = _open(browser, site.page(lang=lang), zone, viewport, bypass_csp=True)
                name = f"page-{lang}-{zone.replace('/', '-')}-{width}.png"
                page.screenshot(path=str(SCREENSHOTS / name), full_page=width == "desktop")
                if width == "phone":
                    card = page.locator(f"#next [data-engagement={NEXT_MEETING}]")
                    box = card.bounding_box()
                    assert box is not None
                    assert box["y"] + box["height"] <= PHONE["height"], (name, box)
                if violations := _axe(page, axe_script):
                    problems[name] = violations
                page.context.close()
    for lang in LANGS:
        page = _open(
            browser, site.engagement(NEW_INVITATION, lang), "Europe/Berlin", bypass_csp=True
        )
        page.locator("#history summary").click()
        name = f"engagement-{lang}-phone.png"
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
        if violations := _axe(page, axe_script):
            problems[name] = violations
        page.context.close()
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_times_follow_the_browsers_zone_and_the_zone_picked_is_remembered_not_put_in_the_url(
    browser: Any, site: Site
) -> None:
    page = _open(browser, site.page(), "Europe/Berlin")
    card = page.locator(f"[data-engagement={CALL}][data-kind=engagement]").first
    when = card.get_by_test_id("when").inner_text()
    start = _call_start(site).astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{start:%H:%M}" in when
    own = card.get_by_test_id("own-zone")
    assert own.is_visible()
    assert "09:00" in own.inner_text()
    assert "Shanghai" in own.inner_text()
    assert "Germany" in page.get_by_test_id("viewer-zone").inner_text()
    assert "tz=" not in page.url

    page.get_by_test_id("zone").select_option("Asia/Shanghai")
    assert "09:00" in card.get_by_test_id("when").inner_text()
    assert not own.is_visible()  # the item's own zone: no second clock
    page.reload()
    assert "tz=" not in page.url
    card = page.locator(f"[data-engagement={CALL}][data-kind=engagement]").first
    assert "09:00" in card.get_by_test_id("when").inner_text()
    assert "China" in page.get_by_test_id("viewer-zone").inner_text()
    page.context.close()

    seoul = _open(browser, site.page(), "Asia/Seoul")
    shown = seoul.locator(f"[data-engagement={CALL}][data-kind=engagement]").first
    assert "10:00" in shown.get_by_test_id("when").inner_text()
    seoul.context.close()


def _call_start(site: Site) -> datetime:
    return datetime.combine(site.today + timedelta(days=5), time(9), ZoneInfo("Asia/Shanghai"))


def test_decisions_come_first_with_their_decide_by_and_the_overdue_one_marked(
    browser: Any, site: Site
) -> None:
    page = _open(browser, site.page(lang="en"), "Asia/Seoul")
    decisions = page.get_by_test_id("undecided")
    cards = decisions.get_by_test_id("decision")
    assert cards.evaluate_all("cs => cs.map(c => c.dataset.engagement)") == [
        OVERDUE_INVITATION,
        NEW_INVITATION,
    ]
    far = site.today + timedelta(days=FAR_DECIDE_BY_DAYS)
    new = decisions.locator(f"[data-engagement={NEW_INVITATION}]")
    assert f"Decide by {format_day(far, 'en')}" in new.inner_text()
    overdue = decisions.locator(f"[data-engagement={OVERDUE_INVITATION}]")
    assert overdue.get_by_test_id("overdue").inner_text() == "Overdue by 3 days"
    assert "Summer Davos" not in decisions.inner_text()
    davos = page.locator("#past [data-engagement=summer-davos-2024]").first
    assert "Lapsed: no decision recorded" in davos.inner_text()
    page.context.close()


def test_the_filter_keeps_the_kind_or_the_words_asked_for(browser: Any, site: Site) -> None:
    page = _open(browser, site.page(lang="en"), "Asia/Seoul")
    items = page.locator("li[data-filter-kind]")
    everything = items.count()
    page.get_by_test_id("filter-kind").select_option("signing")
    visible = items.evaluate_all("ls => ls.filter(l => !l.hidden).map(l => l.dataset.filterKind)")
    assert visible
    assert set(visible) == {"signing"}
    page.get_by_test_id("filter-kind").select_option("")
    page.get_by_test_id("filter-text").fill("Tokyo")
    visible = items.evaluate_all("ls => ls.filter(l => !l.hidden).map(l => l.dataset.engagement)")
    assert set(visible) == {"tokyo-governors-visit"}
    page.get_by_test_id("filter-text").fill("")
    assert items.evaluate_all("ls => ls.filter(l => !l.hidden).length") == everything
    page.context.close()


def test_the_history_of_summer_davos_shows_its_refinement(browser: Any, site: Site) -> None:
    page = _open(browser, site.engagement("summer-davos-2024"), "Asia/Seoul")
    history = page.get_by_test_id("history")
    history.locator("summary").click()
    text = history.inner_text()
    assert "date refined" in text
    assert "by seed" in text
    sources = page.get_by_test_id("sources").locator("a[href^=http]")
    assert sources.count() >= 3
    page.context.close()


def test_the_subscribe_links_carry_the_feed_url(browser: Any, site: Site) -> None:
    page = _open(browser, site.page(), "Asia/Seoul")
    https = f"{site.base}/feeds/{site.token}.ics"
    webcal = "webcal://" + https.split("://", 1)[1]
    assert page.get_by_test_id("webcal").get_attribute("href") == webcal
    assert page.get_by_test_id("download").get_attribute("href") == https
    assert page.get_by_test_id("feed-url").inner_text() == https
    page.context.close()


def test_an_unknown_token_gets_a_404_page_and_a_revoked_one_410(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    response = page.goto(site.page("no-such-token"))
    assert response is not None
    assert response.status == 404
    assert page.get_by_test_id("error-title").inner_text() == "No such calendar"
    assert "Traceback" not in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "page-unknown-token.png"))
    gone = page.goto(site.page(site.revoked_token))
    assert gone is not None
    assert gone.status == 410
    assert "revoked" in page.get_by_test_id("error-title").inner_text()
    context.close()


def test_docs_render_swagger_ui_with_every_outside_request_aborted(
    browser: Any, site: Site
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    outside: list[str] = []

    def route(handle: Any) -> None:
        if urlsplit(handle.request.url).hostname == "127.0.0.1":
            handle.continue_()
        else:
            outside.append(handle.request.url)
            handle.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(f"{site.base}/docs")
    page.locator(".opblock").first.wait_for(timeout=15000)
    assert page.locator(".opblock").count() > 10
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "docs.png"))
    assert outside == []
    context.close()
