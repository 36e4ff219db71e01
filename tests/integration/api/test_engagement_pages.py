"""The pages staff open from a feed or a message: an engagement's page under its feed's page and
by signed link, the feed page's decisions, its words in Korean and Chinese, and /docs offline.

Over the seed plus the coming weeks of `tests.fixtures.coming_weeks` (a new invitation decided
far ahead among thirty-odd deadlines, an overdue one, the seed's 2024 invitations lapsed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from calendar_service.api import create_app
from calendar_service.bootstrap import Container, link_secret
from calendar_service.config import load_settings
from calendar_service.domain import (
    Audience,
    Direction,
    Engagement,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    EventStatus,
    LocalizedText,
    RevokeFeed,
    ScheduleEngagement,
)
from calendar_service.feed import create_feed, signed_page_url
from calendar_service.seed import apply_seed
from calendar_service.service import Envelope, settle
from calendar_service.words import format_day, words_for
from tests.english import english_words
from tests.english_data import seed_texts
from tests.fixtures.coming_weeks import (
    FAR_DECIDE_BY_DAYS,
    LETTER_BASIS,
    NEW_INVITATION,
    NEXT_MEETING,
    OVERDUE_INVITATION,
    add_coming_weeks,
    exact,
)
from tests.integration.api.support import opened

SECRET_TALKS = "secret-talks"
BASE = "http://testserver"


@dataclass(frozen=True)
class Site:
    client: TestClient
    container: Container
    today: date
    tokens: dict[str, str]
    key: bytes

    def page(self, feed: str = "staff", lang: str = "en") -> str:
        response = self.client.get(f"/c/{self.tokens[feed]}", params={"lang": lang})
        assert response.status_code == 200, response.text
        return str(response.text)

    def signed(self, engagement_id: str, audience: str = "staff", lang: str = "en") -> str:
        return signed_page_url(BASE, self.key, engagement_id, audience, lang)[len(BASE) :]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory: Path = tmp_path_factory.mktemp("pages")
    settings = load_settings(store=f"sqlite:///{directory}/events.db", base_url=BASE)
    with opened(settings) as container:
        now = container.clock()
        apply_seed(container.store, lambda: datetime.now(UTC))
        today = now.astimezone(ZoneInfo(container.settings.timezone)).date()
        add_coming_weeks(container, today)
        container.execute(_secret_talks(today), Envelope(actor="test"))
        tokens = {
            audience.value: create_feed(
                container.store, container.projector, name="Office", audience=audience, actor="t"
            ).token
            for audience in Audience
        }
        gone = create_feed(
            container.store, container.projector, name="Old", audience=Audience.STAFF, actor="t"
        )
        revoke = RevokeFeed(feed_id=gone.feed.feed_id)
        settle(container.store, container.projector, revoke, Envelope("t"), container.clock)
        tokens["revoked"] = gone.token
        container.projector.catch_up_all()
        client = TestClient(create_app(container), raise_server_exceptions=False)
        yield Site(client, container, today, tokens, link_secret(settings))


def _secret_talks(today: date) -> ScheduleEngagement:
    return ScheduleEngagement(
        engagement_id=EngagementId(SECRET_TALKS),
        details=EngagementDetails(
            kind=EngagementKind.MEETING,
            direction=Direction.LOCAL,
            title=LocalizedText(en="Secret talks", ko="비공개 협의"),
            when=exact(today + timedelta(days=9), 15, 1, "Asia/Seoul"),
            audience=Audience.RESTRICTED,
        ),
        status=EventStatus.CONFIRMED,
    )


def _section(html: str, testid: str) -> str:
    found = re.search(rf'<section id="[a-z]+" data-testid="{testid}">(.*?)</section>', html, re.S)
    assert found is not None, testid
    return found.group(1)


def _text(html: str) -> str:
    """What a reader sees: the text without tags, scripts, styles or attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


# -- engagement pages ----------------------------------------------------------------------------


def test_an_engagement_page_under_the_feed_shows_its_when_place_and_decide_by(site: Site) -> None:
    token = site.tokens["staff"]
    page = site.client.get(f"/c/{token}/e/{NEW_INVITATION}", params={"lang": "ko"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "nonce-" in page.headers["content-security-policy"]
    text = _text(page.text)
    assert "동북아 지사 포럼" in text
    assert "다롄" in text
    due = site.today + timedelta(days=FAR_DECIDE_BY_DAYS)
    decide = words_for("ko").gettext("Decide by %(day)s", day=format_day(due, "ko"))
    assert decide in text
    assert f'href="{BASE}/c/{token}' in page.text  # back to the feed's page


def test_an_unknown_engagement_or_one_above_the_feeds_audience_gets_a_404_in_its_language(
    site: Site,
) -> None:
    for feed, engagement in (("staff", "no-such-engagement"), ("staff", SECRET_TALKS)):
        page = site.client.get(f"/c/{site.tokens[feed]}/e/{engagement}", params={"lang": "zh"})
        assert page.status_code == 404
        assert "没有此日程" in page.text
        assert "Secret talks" not in page.text
    public = site.client.get(f"/c/{site.tokens['public']}/e/{NEXT_MEETING}")
    assert public.status_code == 404
    restricted = site.client.get(f"/c/{site.tokens['restricted']}/e/{SECRET_TALKS}")
    assert restricted.status_code == 200
    assert "Secret talks" in restricted.text


def test_a_revoked_feed_token_gets_410_on_its_engagement_pages(site: Site) -> None:
    page = site.client.get(f"/c/{site.tokens['revoked']}/e/{NEXT_MEETING}")
    assert page.status_code == 410
    assert "revoked" in page.text


def test_a_signed_link_opens_the_engagement_in_its_language(site: Site) -> None:
    page = site.client.get(site.signed(NEXT_MEETING, lang="zh"))
    assert page.status_code == 200
    assert "拜会中国驻韩总领事" in page.text
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert page.headers["cache-control"] == "private, no-store"


def test_a_tampered_or_incomplete_signed_link_gets_a_403_page_asking_for_a_new_link(
    site: Site,
) -> None:
    good = urlsplit(site.signed(NEXT_MEETING, audience="public", lang="en"))
    query = {k: v[0] for k, v in parse_qs(good.query).items()}
    tampered = [
        f"{good.path}?{urlencode({**query, 'a': 'restricted'})}",
        f"/e/{SECRET_TALKS}?{good.query}",
        f"{good.path}?{urlencode({**query, 's': 'x' * 22})}",
        f"{good.path}?{urlencode({'a': 'staff', 'l': 'en'})}",
        good.path,
    ]
    for url in tampered:
        page = site.client.get(url)
        assert page.status_code == 403, url
        assert "ask the calendar's administrators for a new link" in unescape(page.text).lower()
        assert "Traceback" not in page.text
        assert "Secret talks" not in page.text


def test_a_signed_link_to_an_engagement_above_its_audience_gets_a_404(site: Site) -> None:
    page = site.client.get(site.signed(SECRET_TALKS, audience="staff", lang="ko"))
    assert page.status_code == 404
    assert "비공개 협의" not in page.text


def test_every_engagement_and_deadline_on_the_feed_page_links_to_a_page_that_answers(
    site: Site,
) -> None:
    html = site.page()
    links = set(re.findall(r'href="(http://testserver/c/[^"]+/e/[^"]+)"', html))
    shown = set(re.findall(r'data-engagement="([^"]+)"', html))
    linked = {urlsplit(unescape(link)).path.rsplit("/", 1)[1] for link in links}
    assert shown <= linked
    deadlines = _section(html, "deadlines")
    assert re.search(r'class="item deadline".*?href="http://testserver/c/', deadlines, re.S)
    for link in sorted(links):
        assert site.client.get(unescape(link)[len(BASE) :]).status_code == 200, link


@pytest.mark.parametrize("lang", ["en", "ko", "zh"])
@pytest.mark.parametrize("audience", ["public", "staff", "restricted"])
def test_every_link_of_a_feed_that_points_at_the_service_answers_200(
    site: Site, audience: str, lang: str
) -> None:
    token = site.tokens[audience]
    feed = site.client.get(f"/feeds/{token}.ics", params={"lang": lang})
    assert feed.status_code == 200
    unfolded = feed.content.replace(b"\r\n ", b"").decode()
    links = set(re.findall(rf"{re.escape(BASE)}/[^\s\\<>]+", unfolded))
    assert len(links) >= 2, "each item links to its engagement's page"
    for link in sorted(links):
        answer = site.client.get(link[len(BASE) :])
        assert answer.status_code == 200, (link, answer.status_code)


# -- the feed page: decisions first -----------------------------------------------------------


def test_a_far_decide_by_shows_among_thirty_deadlines_and_2024_invitations_are_lapsed(
    site: Site,
) -> None:
    html = site.page()
    deadlines = _section(html, "deadlines")
    assert deadlines.count('class="item deadline"') >= 30
    pending = _section(html, "undecided")
    ids = re.findall(r'data-testid="decision" data-engagement="([^"]+)"', pending)
    assert ids == [OVERDUE_INVITATION, NEW_INVITATION]  # the nearest decide-by first
    due = site.today + timedelta(days=FAR_DECIDE_BY_DAYS)
    assert f"Decide by {format_day(due, 'en')}" in _text(pending)
    assert f"{FAR_DECIDE_BY_DAYS} days left" in _text(pending)
    assert "summer-davos-2024" not in pending
    assert "liaoning-expo-2024" not in pending
    past = _section(html, "past")
    davos = re.search(r'data-engagement="summer-davos-2024".*?</li>', past, re.S)
    assert davos is not None
    assert "Lapsed: no decision recorded" in davos.group(0)


def test_an_overdue_decision_is_marked(site: Site) -> None:
    pending = _section(site.page(), "undecided")
    card = re.search(rf'data-engagement="{OVERDUE_INVITATION}".*?</li>', pending, re.S)
    assert card is not None
    assert "overdue" in card.group(0)
    assert "Overdue by 3 days" in _text(card.group(0))


def test_the_next_engagement_comes_right_after_the_decisions(site: Site) -> None:
    html = site.page()
    assert html.index('data-testid="undecided"') < html.index('data-testid="next"')
    assert html.index('data-testid="next"') < html.index('data-testid="deadlines"')
    assert f'data-engagement="{NEXT_MEETING}"' in _section(html, "next")
    for anchor in ("#decisions", "#next", "#deadlines", "#coming", "#past"):
        assert f'href="{anchor}"' in html


def test_the_page_renders_in_the_default_zone_without_pinning_it_in_the_url(site: Site) -> None:
    html = site.page()
    assert "searchParams.set" not in html  # no first-visit redirect to ?tz=
    assert "Times in South Korea Time" in _text(html)
    berlin = site.client.get(f"/c/{site.tokens['staff']}", params={"tz": "Europe/Berlin"})
    assert "Times in Germany (Berlin) Time" in _text(berlin.text)
    assert "data-tz-given" in berlin.text


@pytest.mark.parametrize("lang", ["ko", "zh"])
def test_korean_and_chinese_pages_hold_no_english_catalogue_word(site: Site, lang: str) -> None:
    pages = {
        "feed": site.page(lang=lang),
        "engagement": site.client.get(
            f"/c/{site.tokens['staff']}/e/summer-davos-2024", params={"lang": lang}
        ).text,
        "signed": site.client.get(site.signed(NEW_INVITATION, lang=lang)).text,
        "404": site.client.get(f"/c/{site.tokens['staff']}/e/nope", params={"lang": lang}).text,
    }
    names = (*_names(site), *seed_texts(), LETTER_BASIS)
    for name, html in pages.items():
        # The seed's sources quote English articles: what a source says is data, not words.
        text = _text(re.sub(r'<(div|li) class="src">.*?</\1>', " ", html, flags=re.S))
        found = english_words(text, names=names)
        assert found == [], f"{lang} {name} page: {found}"


def _names(site: Site) -> list[str]:
    """Names of engagements, places and people in every language, longest first: they come
    from the data in their own language (an engagement with no Chinese title shows its
    English one)."""
    found: set[str] = set()
    for doc in _engagements(site):
        texts = [doc.title, *(p.name for p in doc.participants if p.name is not None)]
        if doc.place is not None:
            texts += [t for t in (doc.place.name, doc.place.city) if t is not None]
        for text in texts:
            found.update(v for v in (text.en, text.ko, text.zh) if v)
    return sorted(found, key=len, reverse=True)


def _engagements(site: Site) -> list[Engagement]:
    from calendar_service.projections.calendar import engagement

    views = site.container.views
    ids = set(re.findall(r'data-engagement="([^"]+)"', site.page()))
    return [state for eid in sorted(ids) if (state := engagement(views, eid)) is not None]


# -- /docs ----------------------------------------------------------------------------------------


def test_docs_are_served_from_the_package_not_a_cdn(site: Site) -> None:
    docs = site.client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assets = re.findall(r'(?:href|src)="(/docs/static/[^"]+)"', docs.text)
    assert len(assets) == 3
    for asset in assets:
        assert site.client.get(asset).status_code == 200, asset
    assert re.findall(r'(?:href|src)="(https?:)', docs.text) == []
    assert site.client.get("/redoc").status_code == 404


def test_a_yearly_observances_page_shows_its_next_occurrence(site: Site) -> None:
    token = site.tokens["staff"]
    page = site.client.get(f"/c/{token}/e/sisterhood-anniversary", params={"lang": "en"})
    assert page.status_code == 200
    when = re.search(r'<div class="when" data-testid="when">(.*?)</div>', page.text, re.S)
    assert when is not None
    upcoming = site.today.year + (1 if site.today.month > 10 else 0)
    assert str(upcoming) in _text(when.group(1))
