"""Small pure pieces of the HTTP edge: the page's words, the feed links, the If-Match reader."""

from __future__ import annotations

import pytest

from calendar_service.api.auth import expected_version
from calendar_service.api.errors import ApiError
from calendar_service.api.page_render import KIND_WORDS
from calendar_service.domain import LANGUAGES, EngagementKind
from calendar_service.feed.links import feed_links
from calendar_service.words import words_for


def test_the_page_names_every_kind_of_engagement_in_each_language() -> None:
    assert set(KIND_WORDS) == {kind.value for kind in EngagementKind}
    for lang in LANGUAGES:
        words = {words_for(lang).pgettext("kind", word) for word in KIND_WORDS.values()}
        assert len(words) == len(KIND_WORDS), lang
        if lang != "en":
            assert not words & set(KIND_WORDS.values()), lang


def test_feed_links_offer_https_webcal_google_and_the_page() -> None:
    links = feed_links("https://cal.example.org", "tok_EN-123")
    assert links.url == "https://cal.example.org/feeds/tok_EN-123.ics"
    assert links.webcal == "webcal://cal.example.org/feeds/tok_EN-123.ics"
    assert links.google == (
        "https://calendar.google.com/calendar/r?cid="
        "webcal%3A%2F%2Fcal.example.org%2Ffeeds%2Ftok_EN-123.ics"
    )
    assert links.page == "https://cal.example.org/c/tok_EN-123"


@pytest.mark.parametrize(
    ("header", "version"), [('"v3"', 3), ('W/"v12"', 12), (" *", None), ('"v0"', 0)]
)
def test_if_match_names_a_version_or_any(header: str, version: int | None) -> None:
    assert expected_version(header, "x") == version


@pytest.mark.parametrize(("header", "status"), [(None, 428), ("v3", 422), ('"3"', 422)])
def test_a_missing_if_match_is_428_and_a_malformed_one_422(header: str | None, status: int) -> None:
    with pytest.raises(ApiError) as raised:
        expected_version(header, "summer-davos-2024")
    assert raised.value.status == status
    assert "/api/engagements/summer-davos-2024" in raised.value.message
