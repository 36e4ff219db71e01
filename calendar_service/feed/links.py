"""The addresses of a feed: its https URL, the webcal:// twin, Google's add-by-URL link, the page.

Google Calendar adds a calendar by URL from `https://calendar.google.com/calendar/r?cid=` with
the webcal URL, percent-encoded, as `cid`; Apple Calendar and Outlook open webcal:// links.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

GOOGLE_ADD = "https://calendar.google.com/calendar/r?cid="


@dataclass(frozen=True)
class FeedLinks:
    url: str
    webcal: str
    google: str
    page: str

    def as_dict(self) -> dict[str, str]:
        return {"url": self.url, "webcal": self.webcal, "google": self.google, "page": self.page}


def feed_links(base_url: str, token: str) -> FeedLinks:
    """The links of the feed whose secret is `token`, under `base_url` (no trailing slash)."""
    url = f"{base_url}/feeds/{token}.ics"
    webcal = "webcal://" + url.split("://", 1)[1]
    return FeedLinks(
        url=url,
        webcal=webcal,
        google=GOOGLE_ADD + quote(webcal, safe=""),
        page=f"{base_url}/c/{token}",
    )
