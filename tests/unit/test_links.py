"""Links to an engagement's page: under a feed's page, or signed for one audience and language."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from calendar_service.feed import engagement_page_url, page_signature_ok, signed_page_url

KEY = b"k" * 32


def test_an_engagement_page_sits_under_its_feeds_page() -> None:
    url = engagement_page_url("https://cal.example/", "tok", "eng-1")
    assert url == "https://cal.example/c/tok/e/eng-1"


def test_a_signed_link_opens_only_the_engagement_audience_and_language_it_was_made_for() -> None:
    url = signed_page_url("https://cal.example", KEY, "eng-1", "staff", "ko")
    parts = urlsplit(url)
    assert parts.path == "/e/eng-1"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["a"] == "staff"
    assert query["l"] == "ko"
    assert page_signature_ok(KEY, "eng-1", "staff", "ko", query["s"])
    assert not page_signature_ok(KEY, "eng-2", "staff", "ko", query["s"])
    assert not page_signature_ok(KEY, "eng-1", "restricted", "ko", query["s"])
    assert not page_signature_ok(KEY, "eng-1", "staff", "en", query["s"])
    assert not page_signature_ok(b"x" * 32, "eng-1", "staff", "ko", query["s"])
