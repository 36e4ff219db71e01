"""How the HTML pages are sent: the Jinja2 templates with the catalogue in their context, the
privacy headers every page carries, and the error pages (404, 403, 410, 503) in the reader's
language.

A page's URL is a secret (a feed token, a signed link), so every page tells browsers not to
cache it, index it or send it on as a Referer, and its Content-Security-Policy allows no
outside asset and only the inline script carrying this response's nonce.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from calendar_service.feed.words import KINDS
from calendar_service.words import (
    LANGUAGES,
    format_day,
    format_weekday_day,
    language_name,
    words_for,
    zone_city,
    zone_name,
)

TEMPLATES = Path(__file__).with_name("templates")

KIND_WORDS: dict[str, str] = {kind.value: word for kind, word in KINDS.items()}
"""The kinds the page's filter offers, by `EngagementKind` value."""


class Pages:
    """The templates, and how a page or an error page goes out."""

    def __init__(self) -> None:
        self.templates = Jinja2Templates(directory=str(TEMPLATES))

    def render(
        self, request: Request, name: str, lang: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        nonce = secrets.token_urlsafe(16)
        full = {**words_context(lang), **context, "nonce": nonce}
        response = self.templates.TemplateResponse(request, name, full, status_code=status)
        response.headers.update(page_headers(nonce))
        return response

    def error(self, request: Request, status: int, lang: str, **context: Any) -> Response:
        """The 403, 404, 410 or 503 page: what happened and what the reader can do about it."""
        heading, message = error_words(status, context.get("what"), lang)
        words = {"status": status, "heading": heading, "message": message, **context}
        return self.render(request, "error.html", lang, words, status)


def error_words(status: int, what: str | None, lang: str) -> tuple[str, str]:
    """The error page's heading and message: what happened, and what the reader can do."""
    t = words_for(lang)
    if status == 503:
        return t._("The calendar cannot be read right now"), t._(
            "The calendar's data cannot be reached at the moment. Nothing is lost: try again "
            "in a few seconds, and tell the calendar's administrators if it lasts."
        )
    if status == 410:
        return t._("This calendar link was revoked"), t._(
            "This link was revoked and will not come back. Remove the subscription, and ask "
            "the calendar's administrators for a new link if you still need one."
        )
    if status == 403:
        return t._("This link does not work"), t._(
            "The link is incomplete or was changed after it was sent. Ask the calendar's "
            "administrators for a new link, or open the engagement from your calendar's page."
        )
    if what == "engagement":
        return t._("No such engagement here"), t._(
            "This engagement does not exist, or it is not shown to this calendar's readers. "
            "Check the link, or ask the calendar's administrators."
        )
    return t._("No such calendar"), t._(
        "No calendar has this address. Check the link, or ask the calendar's administrators "
        "for a new one."
    )


def words_context(lang: str) -> dict[str, Any]:
    """What every template may call: the catalogue (`_`, `ngettext`, `pgettext`) and the CLDR
    formats, all in `lang`."""
    words = words_for(lang)
    return {
        "lang": words.lang,
        "_": words.gettext,
        "ngettext": words.ngettext,
        "pgettext": words.pgettext,
        "day": lambda d: format_day(d, words.lang),
        "weekday_day": lambda d: format_weekday_day(d, words.lang),
        "zone_city": lambda tz: zone_city(tz, words.lang),
        "zone_name": lambda tz: zone_label(tz, words.lang),
        "kind_word": lambda kind: kind_word(kind, words.lang),
        "languages": [(code, language_name(code)) for code in LANGUAGES],
    }


def kind_word(kind: str, lang: str) -> str:
    """A kind of engagement in `lang`: 'Meeting', '회담', '会见'."""
    return words_for(lang).pgettext("kind", KIND_WORDS.get(kind) or kind)


def zone_label(tz: str, lang: str) -> str:
    """The zone as its region's time ('Germany (Berlin) Time', '독일(베를린) 시간'); UTC by its
    name (CLDR calls it an unknown region)."""
    return "UTC" if tz in ("UTC", "Etc/UTC") else zone_name(tz, lang)


def page_headers(nonce: str) -> dict[str, str]:
    return {
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
    }
