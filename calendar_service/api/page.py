"""`GET /c/{token}`: the page of a feed, for staff on a phone or a desk.

Keyed by the feed's own secret token (`projections.feeds.feed_for_token`, the feeds' lookup),
it shows what that feed's audience may see (`read.agenda_view`: the items and order of the
CLI's agenda and the JSON agenda, laid out in sections), in the viewer's time zone (`?tz=`;
without it, a tiny inline script asks the browser for its zone and reloads with `?tz=`; the
server's default is CALENDAR_TIMEZONE), with each item's own zone beside it:

1. invitations still waiting for a decision (`read.decisions`), then the next deadlines;
2. what is coming up, then what is past (within the feed's window);
3. each engagement's history (`read.engagement_history`), in an expandable <details>;
4. subscribe links: webcal://, Google Calendar's add-by-URL, and the .ics download.

`?lang=ko|en|zh` picks the language (default: the feed's). An unknown token gets a 404 page, a
revoked one a 410 page; both are plain HTML, never a stack trace. The URL is a secret, so the
page tells browsers not to cache it, index it, or send it on as a Referer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from calendar_service.api.page_labels import LABELS, label_set
from calendar_service.bootstrap import Container
from calendar_service.domain import DomainError, Engagement
from calendar_service.feed.links import feed_links
from calendar_service.projections.feeds import NAME as FEEDS
from calendar_service.projections.feeds import FeedRow, feed_for_token
from calendar_service.read import (
    HistoryRow,
    ItemView,
    agenda_view,
    decisions,
    engagement_history,
    viewer_zone,
    years_around,
)
from calendar_service.read.wording import describe_source, describe_status

TEMPLATES = Path(__file__).with_name("templates")
MAX_TOKEN_CHARS = 128
NEXT_DEADLINES = 8
MAX_PAST_ITEMS = 60


@dataclass(frozen=True)
class Shown:
    """One item as the template shows it."""

    item: ItemView
    primary: str
    own: str
    status: str
    history_id: str | None
    undecided: bool


def router_for(container: Container) -> APIRouter:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    router = APIRouter(tags=["page"], include_in_schema=False)
    page = _Page(container, templates)
    router.add_api_route("/c/{token}", page.get, methods=["GET"], response_class=HTMLResponse)
    return router


class _Page:
    def __init__(self, container: Container, templates: Jinja2Templates) -> None:
        self.container, self.templates = container, templates

    def get(self, request: Request, token: str) -> Response:
        query = request.query_params
        lang = query.get("lang") if query.get("lang") in LABELS else None
        row = self._feed(token)
        if row is None or row.revoked:
            status = 404 if row is None else 410
            return self._error(request, status, lang or "en")
        lang = lang or row.lang
        default = self.container.settings.timezone
        asked = query.get("tz")
        zone_problem = None
        try:
            viewer = viewer_zone(asked or default)
        except DomainError:
            viewer, zone_problem = ZoneInfo(default), asked
        context = self._context(row, token, viewer, lang)
        context.update(zone_problem=zone_problem, tz_given=asked is not None, default_tz=default)
        return self._render(request, "page.html", context, 200)

    def _feed(self, token: str) -> FeedRow | None:
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        row = feed_for_token(self.container.views, token)
        if row is None:
            # A feed created a moment ago by another process: catch the projection up once.
            self.container.projector.catch_up(FEEDS)
            row = feed_for_token(self.container.views, token)
        return row

    def _context(self, row: FeedRow, token: str, viewer: ZoneInfo, lang: str) -> dict[str, Any]:
        now = self.container.clock().astimezone(viewer)
        first, last = years_around(now.date())
        views = self.container.views
        items = agenda_view(views, first, last, audience=row.audience, viewer=viewer, lang=lang)
        waiting = {decision.item.id for decision in decisions(views, items)}
        histories = self._histories(items, lang)
        shown = [self._shown(item, lang, histories, item.id in waiting) for item in items]
        undecided = [s for s in shown if s.undecided]
        deadlines = [s for s in shown if s.item.kind == "deadline" and s.item.end > now]
        rest = [s for s in shown if s.item.kind != "deadline" and not s.undecided]
        coming = [s for s in rest if s.item.end > now]
        past = [s for s in reversed(rest) if s.item.end <= now][:MAX_PAST_ITEMS]
        return {
            "t": label_set(lang),
            "lang": lang,
            "languages": list(LABELS),
            "feed": row,
            "tz": viewer.key,
            "now": now,
            "undecided": undecided,
            "deadlines": deadlines[:NEXT_DEADLINES],
            "coming": coming,
            "past": past,
            "histories": histories,
            "links": feed_links(self.container.settings.base_url, token),
            "fmt": _clock,
        }

    def _histories(self, items: list[ItemView], lang: str) -> dict[str, list[HistoryRow]]:
        ids = dict.fromkeys(item.engagement_id for item in items if item.engagement is not None)
        found = (engagement_history(self.container.store, eid, lang) for eid in ids)
        return {history.engagement_id: history.rows for history in found if history is not None}

    def _shown(
        self, item: ItemView, lang: str, histories: dict[str, Any], undecided: bool
    ) -> Shown:
        state: Engagement | None = item.engagement
        primary = item.viewer_time or item.when_text
        own = f"{item.when_text} · {item.own_tz}" if item.viewer_time else item.own_tz
        if item.deadline is not None:
            status = item.deadline.get("rule_text") or item.deadline["rule"]
        else:
            status = "" if state is None else describe_status(state, lang)
        return Shown(
            item=item,
            primary=primary,
            own=own,
            status=status,
            history_id=item.engagement_id if item.engagement_id in histories else None,
            undecided=undecided,
        )

    def _error(self, request: Request, status: int, lang: str) -> Response:
        context = {"t": label_set(lang), "lang": lang, "status": status}
        return self._render(request, "error.html", context, status)

    def _render(
        self, request: Request, name: str, context: dict[str, Any], status: int
    ) -> Response:
        nonce = secrets.token_urlsafe(16)
        context.update(nonce=nonce, source_text=describe_source)
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(
            {
                "Cache-Control": "private, no-store",
                "Referrer-Policy": "no-referrer",
                "X-Robots-Tag": "noindex, nofollow",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": (
                    f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; "
                    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
                ),
            }
        )
        return response


def _clock(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M}"
