"""The addresses of a feed: its https URL, the webcal:// twin, Google's add-by-URL link, the page;
and the addresses of one engagement's page, for the feed's items and for messages.

An engagement's page is reached in one of two ways, neither needing an API token:
- under a feed's page, `/c/{token}/e/{engagement_id}`: the feed's secret is the key, and the
  page shows what that feed's audience may see (`engagement_page_url`);
- from a message, by a signed link `/e/{engagement_id}?a=<audience>&l=<lang>&s=<signature>`
  (`signed_page_url`): the signature (HMAC-SHA256 under the deployment's link key, 128 bits)
  binds the engagement, the audience and the language, so the link opens that one page for
  that audience and nothing else (`page_signature_ok`).

Google Calendar adds a calendar by URL from `https://calendar.google.com/calendar/r?cid=` with
the webcal URL, percent-encoded, as `cid`; Apple Calendar and Outlook open webcal:// links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote, urlencode

GOOGLE_ADD = "https://calendar.google.com/calendar/r?cid="
TOKEN_SLOT = "~" * 43
"""Where a feed's token goes in the links of a feed rendered once for every feed of its audience
and language (`feed.ical.with_token` fills it per request): as long as a token
(`feed.tokens.TOKEN_BYTES`, 43 characters), and of a character no token has."""


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


def engagement_page_url(base_url: str, token: str, engagement_id: str) -> str:
    """The page of one engagement under the page of the feed whose secret is `token`."""
    return f"{base_url.rstrip('/')}/c/{token}/e/{engagement_id}"


def signed_page_url(base_url: str, key: bytes, engagement_id: str, audience: str, lang: str) -> str:
    """A link to one engagement's page, for a reader of `audience` in `lang`, signed with `key`
    (the deployment's link key: `bootstrap.link_secret`)."""
    signature = page_signature(key, engagement_id, audience, lang)
    query = urlencode({"a": audience, "l": lang, "s": signature})
    return f"{base_url.rstrip('/')}/e/{engagement_id}?{query}"


def page_signature(key: bytes, engagement_id: str, audience: str, lang: str) -> str:
    message = "\n".join((engagement_id, audience, lang)).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def page_signature_ok(
    key: bytes, engagement_id: str, audience: str, lang: str, signature: str
) -> bool:
    """Whether `signature` is the one `signed_page_url` gave for these values (in constant
    time)."""
    expected = page_signature(key, engagement_id, audience, lang)
    return hmac.compare_digest(expected.encode(), signature.encode())
