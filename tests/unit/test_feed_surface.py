"""The feed package's public surface is deliberate: other layers may use exactly these names,
and only its renderer imports icalendar."""

from __future__ import annotations

import ast
from pathlib import Path

import calendar_service.feed as feed

FEED_DIR = Path(feed.__file__).parent


def test_the_feed_package_exports_exactly_what_other_layers_use() -> None:
    assert sorted(feed.__all__) == sorted(
        [
            # the API, the CLI and bootstrap: serving, exporting and administering feeds
            "FeedCache",
            "FeedVersion",
            "WindowSettings",
            "check_lang",
            "parse_as_of",
            "FeedLinks",
            "feed_links",
            # the page and reminder messages: an engagement's page under a feed's page, or by
            # a signed link
            "engagement_page_url",
            "signed_page_url",
            "page_signature_ok",
            "CreatedFeed",
            "create_feed",
            "list_feeds",
            # reminder messages: an engagement's .ics
            "EngagementItem",
            "FeedMeta",
            "render_calendar",
            # calendar invitations: one item's VEVENT, as the feed has it, and its VTIMEZONEs
            "DeadlineItem",
            "event_component",
            "timezones_for",
            # the feed benchmarks: selection and icalendar's own serialisation
            "FeedItem",
            "feed_items",
            "select_for_feed",
            "calendar_component",
        ]
    )
    for name in feed.__all__:
        assert hasattr(feed, name), name


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_renderer_imports_icalendar_in_the_feed_package() -> None:
    importers = sorted(p.name for p in FEED_DIR.glob("*.py") if "icalendar" in _imports(p))
    assert importers == ["ical.py"]
