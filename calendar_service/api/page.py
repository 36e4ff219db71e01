"""The pages staff read in a browser, every word from the catalogue in the reader's language:

- `GET /c/{token}`: the page of a feed, keyed by the feed's own secret token, showing what that
  feed's audience may see (`read.agenda_view`), decisions first (`page_sections`): a "today"
  line, the invitations waiting for a decision with their decide-by and days left, the next
  engagements, the deadlines grouped per engagement, then what is coming and what is past;
  each engagement's history behind a toggle; subscribe links (webcal://, Google Calendar's
  add-by-URL, the .ics download). Times are rendered in CALENDAR_TIMEZONE, or in `?tz=` when
  given; an inline script then shows them in the zone the reader picked (kept in the browser's
  localStorage, never in the URL) or the browser's own, and filters the items by kind and text.
- `GET /c/{token}/e/{engagement_id}`: one engagement's page under its feed's page;
- `GET /e/{engagement_id}?a=&l=&s=`: the same page from a signed link in a message
  (`feed.links.signed_page_url`), checked with the deployment's link key.

`?lang=ko|en|zh` picks the language (default: the feed's, or the signed link's). An unknown
token or engagement gets a 404 page, an engagement above the audience too, a revoked token 410,
a bad signature 403: plain HTML saying what to do, never a stack trace. When the store or the
views cannot be reached, `api/app.py`'s one error handler sends `unavailable`: a 503 page with
`Retry-After`, in `?lang=` or the browser's first language the calendar speaks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from calendar_service.api.page_render import Pages
from calendar_service.api.page_sections import sections
from calendar_service.bootstrap import Container, link_secret
from calendar_service.domain import LANGUAGES, Audience, DomainError, Engagement, ExactWhen, Source
from calendar_service.feed import engagement_page_url, feed_links, page_signature_ok
from calendar_service.projections.calendar import engagement as engagement_state
from calendar_service.projections.feeds import NAME as FEEDS
from calendar_service.projections.feeds import FeedRow, feed_for_token
from calendar_service.read import (
    HistoryRow,
    ItemView,
    agenda_view,
    decide_by,
    decisions,
    engagement_history,
    viewer_zone,
    years_around,
)
from calendar_service.read.wording import (
    describe_place,
    describe_source,
    describe_status,
    describe_when,
)

MAX_TOKEN_CHARS = 128
MAX_ID_CHARS = 200
COMMON_ZONES = (
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


PAGE_PATHS = ("/c/", "/e/")


def is_page(path: str) -> bool:
    """Whether `path` is one of the pages (a browser's), not the API or a feed."""
    return path.startswith(PAGE_PATHS)


def unavailable(request: Request, headers: dict[str, str]) -> Response:
    """The 503 page: the calendar cannot be read right now; try again in a moment."""
    lang = _language(request) or _accepted_language(request) or "en"
    response = _error_pages().error(request, 503, lang)
    response.headers.update(headers)
    return response


@cache
def _error_pages() -> Pages:
    return Pages()


def _accepted_language(request: Request) -> str | None:
    """The first language of Accept-Language the calendar speaks (ko-KR counts as ko)."""
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return None


def router_for(container: Container) -> APIRouter:
    router = APIRouter(tags=["page"], include_in_schema=False)
    page = _Pages(container, link_secret(container.settings))
    html = {"methods": ["GET"], "response_class": HTMLResponse}
    router.add_api_route("/c/{token}", page.feed, **html)  # type: ignore[arg-type]
    router.add_api_route("/c/{token}/e/{engagement_id}", page.under_feed, **html)  # type: ignore[arg-type]
    router.add_api_route("/e/{engagement_id}", page.signed, **html)  # type: ignore[arg-type]
    return router


class _Pages:
    def __init__(self, container: Container, key: bytes) -> None:
        self.container, self.key = container, key
        self.pages = Pages()

    # -- routes --------------------------------------------------------------------------------

    def feed(self, request: Request, token: str) -> Response:
        row, lang = self._feed(token), _language(request)
        if row is None or row.revoked:
            return self.pages.error(request, 404 if row is None else 410, lang or "en")
        lang = lang or row.lang
        viewer, context = self._viewer(request)
        context.update(self._feed_context(row, token, viewer, lang))
        return self.pages.render(request, "page.html", lang, context)

    def under_feed(self, request: Request, token: str, engagement_id: str) -> Response:
        row, lang = self._feed(token), _language(request)
        if row is None or row.revoked:
            return self.pages.error(request, 404 if row is None else 410, lang or "en")
        lang = lang or row.lang
        back = feed_links(self._base(), token).page
        return self._engagement(request, engagement_id, row.audience, lang, back)

    def signed(self, request: Request, engagement_id: str) -> Response:
        query = request.query_params
        audience, lang, signature = query.get("a", ""), query.get("l", ""), query.get("s", "")
        shown_lang = lang if lang in LANGUAGES else "en"
        known = audience in {a.value for a in Audience} and lang in LANGUAGES
        if not (known and page_signature_ok(self.key, engagement_id, audience, lang, signature)):
            return self.pages.error(request, 403, shown_lang)
        return self._engagement(request, engagement_id, Audience(audience), lang, None)

    # -- the feed page -------------------------------------------------------------------------

    def _feed(self, token: str) -> FeedRow | None:
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        row = feed_for_token(self.container.views, token)
        if row is None:
            # A feed created a moment ago by another process: catch the projection up once.
            self.container.projector.catch_up(FEEDS)
            row = feed_for_token(self.container.views, token)
        return row

    def _viewer(self, request: Request) -> tuple[ZoneInfo, dict[str, Any]]:
        default = self.container.settings.timezone
        asked = request.query_params.get("tz")
        try:
            return viewer_zone(asked or default), {"tz_given": asked is not None}
        except DomainError:
            return ZoneInfo(default), {"tz_given": False, "zone_problem": asked}

    def _feed_context(
        self, row: FeedRow, token: str, viewer: ZoneInfo, lang: str
    ) -> dict[str, Any]:
        now = self.container.clock().astimezone(viewer)
        today = now.date()
        views = self.container.views
        items = agenda_view(
            views, *years_around(today), audience=row.audience, viewer=viewer, lang=lang
        )
        laid_out = sections(items, decisions(views, items), now, today)
        base = self._base()
        titles = {i.engagement_id: i.title for i in items if i.kind != "deadline"}
        for group in laid_out.deadline_groups:
            if group.engagement_id not in titles:
                state = engagement_state(views, group.engagement_id)
                titles[group.engagement_id] = state.title.best(lang) if state else ""
        shown_ids = {i.engagement_id for i in (*laid_out.next, *laid_out.coming, *laid_out.past)}
        return {
            "feed": row,
            "tz": viewer.key,
            "now": now,
            "today": today,
            "s": laid_out,
            "titles": titles,
            "histories": self._histories(shown_ids, lang, row.audience),
            "public": row.audience is Audience.PUBLIC,
            "links": feed_links(base, token),
            "url_of": lambda eid: engagement_page_url(base, token, eid) + f"?lang={lang}",
            "card": _card,
            "zones": _zones(viewer.key, self.container.settings.timezone, items),
            "kinds": sorted({i.engagement_kind for i in items}),
            "source_parts": _source_parts,
            "status_of": lambda item: describe_status(item.engagement, lang),
        }

    def _histories(
        self, ids: set[str], lang: str, audience: Audience
    ) -> dict[str, list[HistoryRow]]:
        store = self.container.store
        found = (engagement_history(store, eid, lang, audience=audience) for eid in sorted(ids))
        return {history.engagement_id: history.rows for history in found if history is not None}

    # -- an engagement's page ------------------------------------------------------------------

    def _engagement(
        self,
        request: Request,
        engagement_id: str,
        audience: Audience,
        lang: str,
        back: str | None,
    ) -> Response:
        views = self.container.views
        state = (
            None if len(engagement_id) > MAX_ID_CHARS else engagement_state(views, engagement_id)
        )
        if state is None or not audience.admits(state.audience):
            return self.pages.error(request, 404, lang, what="engagement", back=back)
        viewer, context = self._viewer(request)
        now = self.container.clock().astimezone(viewer)
        items = [
            item
            for item in agenda_view(
                views, *years_around(now.date()), audience=audience, viewer=viewer, lang=lang
            )
            if item.engagement_id == engagement_id
        ]
        history = engagement_history(self.container.store, engagement_id, lang, audience=audience)
        context.update(
            {
                "e": state.seen_by(audience),
                "title": state.title.best(lang),
                "tz": viewer.key,
                "now": now,
                "when": _engagement_when(state, items, now, lang),
                "place": describe_place(state.place, lang),
                "status": describe_status(state, lang),
                "decision": _decision(state, views, now),
                "deadlines": [i for i in items if i.kind == "deadline"],
                "history": history.rows if history is not None else [],
                "public": audience is Audience.PUBLIC,
                "back": back,
                "source_parts": _source_parts,
                "card": _card,
            }
        )
        return self.pages.render(request, "engagement.html", lang, context)

    def _base(self) -> str:
        return self.container.settings.base_url


def _language(request: Request) -> str | None:
    asked = request.query_params.get("lang")
    return asked if asked in LANGUAGES else None


def _card(item: ItemView) -> dict[str, Any]:
    """What a card shows of an item's when: the viewer's clock first when it differs from the
    item's own clock (which is then shown beside it), and the instants the inline script
    re-renders in the reader's zone (timed items only: whole days are the same everywhere)."""
    return {
        "primary": item.viewer_time or item.when_text,
        "own": item.when_text,
        "own_shown": item.viewer_time is not None,
        "timed": isinstance(item.when, ExactWhen),
        "zone": item.own_tz,
        "start": item.start.isoformat(),
        "end": item.end.isoformat(),
    }


def _engagement_when(
    state: Engagement, items: list[ItemView], now: datetime, lang: str
) -> dict[str, Any]:
    own = [i for i in items if i.kind != "deadline"]
    if own:  # a yearly observance: its next occurrence, else its latest
        return _card(next((i for i in own if i.end > now), own[-1]))
    start, end = state.when.bounds()
    return {
        "primary": describe_when(state.when, lang),
        "own": describe_when(state.when, lang),
        "own_shown": False,
        "timed": False,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "zone": state.when.tz,
    }


def _decision(state: Engagement, views: Any, now: datetime) -> dict[str, Any] | None:
    if not (state.has_open_invitation and state.is_active):
        return None
    due: date | None = decide_by(views, str(state.id))
    _, end = state.when.bounds()
    days_left = None if due is None else (due - now.date()).days
    return {
        "decide_by": due,
        "days_left": days_left,
        "overdue": days_left is not None and days_left < 0,
        "lapsed": end <= now,
    }


def _zones(viewer: str, default: str, items: list[ItemView]) -> list[str]:
    in_use = sorted({item.own_tz for item in items})
    return list(dict.fromkeys((viewer, default, *COMMON_ZONES, *in_use)))


def _source_parts(source: Source) -> tuple[str, str | None]:
    """A source as words (its tag, reference, quote or claim: `wording.describe_source`) and
    its URL apart, so that the page shows the URL as a link."""
    text = describe_source(replace(source, url=None))
    return text, source.url
