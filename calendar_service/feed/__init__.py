"""The iCalendar feed staff subscribe to: feed tokens, which items a feed shows, how they are
rendered with icalendar, and the cache that serves the bytes.

Other layers use the names below; the modules behind them are internal:

- `tokens`: create and list feeds (each with its secret token; a `RevokeFeed` is settled
  through `service.settle`);
- `select`: an engagement's items and the window and audience that pick the shown ones;
- `describe` and `words`: what an item says, and the catalogue's words it says it with;
- `ical`: the items rendered with the icalendar library (the only module here importing it);
  one item's VEVENT and its VTIMEZONEs for a calendar invitation (`reminders.notify.invitation`);
- `cache`: each feed rendered once per change, gzipped once (`gzip`), with its validators;
- `links`: a feed's https, webcal, Google and page addresses; an engagement's page, under the
  feed's page or by a signed link for messages.
"""

from calendar_service.feed.cache import FeedCache, FeedVersion, check_lang, parse_as_of
from calendar_service.feed.ical import (
    FeedMeta,
    calendar_component,
    event_component,
    render_calendar,
    timezones_for,
)
from calendar_service.feed.links import (
    FeedLinks,
    engagement_page_url,
    feed_links,
    page_signature_ok,
    signed_page_url,
)
from calendar_service.feed.select import (
    DeadlineItem,
    EngagementItem,
    FeedItem,
    WindowSettings,
    feed_items,
    select_for_feed,
)
from calendar_service.feed.tokens import CreatedFeed, create_feed, list_feeds

__all__ = [
    "CreatedFeed",
    "DeadlineItem",
    "EngagementItem",
    "FeedCache",
    "FeedItem",
    "FeedLinks",
    "FeedMeta",
    "FeedVersion",
    "WindowSettings",
    "calendar_component",
    "check_lang",
    "create_feed",
    "engagement_page_url",
    "event_component",
    "feed_items",
    "feed_links",
    "list_feeds",
    "page_signature_ok",
    "parse_as_of",
    "render_calendar",
    "select_for_feed",
    "signed_page_url",
    "timezones_for",
]
