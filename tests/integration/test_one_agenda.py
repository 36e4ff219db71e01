"""One agenda: the CLI's `agenda`, the JSON `GET /api/agenda` and the feed's page list the same
items in the same order for the same audience, as-of moment and language.

Over the seed plus two meetings on one day, at 15:31 and 15:35, whose titles sort the other way
round ("Zhejiang" before "Anhui" in time): each edge lists them by start instant. The CLI is
read through its `--json` lines (its table wraps to the terminal), the page's HTML by what it
shows: `data-engagement`, `data-kind` and the `<time datetime>` of each item, section by
section.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from calendar_service.api import create_app
from calendar_service.bootstrap import Container, build
from calendar_service.cli import app
from calendar_service.config import load_settings
from calendar_service.domain import (
    Audience,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    ExactWhen,
    LocalizedText,
    ScheduleEngagement,
)
from calendar_service.feed.tokens import create_feed
from calendar_service.projections import NullNudger
from calendar_service.read import years_around
from calendar_service.seed import apply_seed
from calendar_service.service import Envelope
from calendar_service.staff.tokens import issue_token

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SEOUL = ZoneInfo("Asia/Seoul")
SECTIONS = ("undecided", "next", "deadlines", "coming", "past")
LATER, EARLIER = "zhejiang-call", "anhui-call"
"""Ids of the two meetings: Zhejiang's call starts first, though 'Anhui' sorts first."""

Key = tuple[str, str, datetime]
"""An item as the page and the API both show it: engagement id, kind, start instant."""


@dataclass
class Edges:
    store_url: str
    client: TestClient
    admin: str
    feeds: dict[Audience, str]
    window: tuple[date, date]


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edges]:
    store_url = f"sqlite:///{tmp_path_factory.mktemp('one-agenda')}/events.db"
    settings = load_settings(store=store_url, base_url="http://testserver", timezone="Asia/Seoul")
    container = build(settings, nudger=NullNudger())
    try:
        apply_seed(container.store, lambda: datetime.now(UTC))
        day = datetime.now(SEOUL).date() + timedelta(days=10)
        _meeting(container, LATER, "Zhejiang delegation call", day, time(15, 31))
        _meeting(container, EARLIER, "Anhui delegation call", day, time(15, 35))
        feeds = {
            audience: create_feed(
                container.store,
                container.projector,
                name=f"{audience.value} feed",
                audience=audience,
                actor="test",
            ).token
            for audience in Audience
        }
        admin = issue_token(
            container.store, container.projector, actor="Admin", admin=True, by="test"
        ).token
        container.projector.catch_up_all()
        client = TestClient(create_app(container), raise_server_exceptions=True)
        yield Edges(store_url, client, admin, feeds, years_around(datetime.now(SEOUL).date()))
        client.close()
    finally:
        container.close()


def _meeting(container: Container, engagement_id: str, title: str, day: date, at: time) -> None:
    start = datetime.combine(day, at, SEOUL)
    details = EngagementDetails(
        kind=EngagementKind.MEETING,
        direction=Direction.INBOUND,
        title=LocalizedText(en=title),
        when=ExactWhen(start, start + timedelta(minutes=30), "Asia/Seoul"),
        audience=Audience.STAFF,
    )
    command = ScheduleEngagement(engagement_id=EngagementId(engagement_id), details=details)
    container.execute(command, Envelope(actor="officer.lee"))


def _api(edges: Edges, audience: Audience, lang: str, **extra: str) -> list[dict[str, Any]]:
    first, last = edges.window
    params = {"audience": audience.value, "lang": lang, "tz": "Asia/Seoul", **extra}
    params.update({"from": first.isoformat(), "to": last.isoformat()})
    headers = {"Authorization": f"Bearer {edges.admin}"}
    response = edges.client.get("/api/agenda", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _cli(edges: Edges, audience: Audience, lang: str, *extra: str) -> list[tuple[str, str, str]]:
    """The CLI agenda's items, as its `--json` lines give them: (when, engagement id, kind)."""
    first, last = edges.window
    args = ["agenda", "--store", edges.store_url, "--audience", audience.value, "--lang", lang]
    args += ["--tz", "Asia/Seoul", "--from", first.isoformat(), "--to", last.isoformat(), *extra]
    result = CliRunner().invoke(app, [*args, "--json"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    items = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    return [(i["when_text"], i["engagement_id"], i["kind"]) for i in items]


def _page(edges: Edges, audience: Audience, lang: str) -> dict[str, list[Key]]:
    """The page's items, section by section, as its HTML shows them."""
    token = edges.feeds[audience]
    response = edges.client.get(f"/c/{token}", params={"lang": lang, "tz": "Asia/Seoul"})
    assert response.status_code == 200, response.text
    html = response.text
    sections = {}
    for name in SECTIONS:
        found = re.search(rf'<section id="[a-z]+" data-testid="{name}">(.*?)</section>', html, re.S)
        assert found is not None, name
        sections[name] = [
            (engagement, kind, datetime.fromisoformat(start))
            for engagement, kind, start in re.findall(
                r'<li [^>]*data-engagement="([^"]+)" data-kind="([^"]+)"[^>]*>.*?'
                r'<time datetime="([^"]+)"',
                found.group(1),
                re.S,
            )
        ]
    return sections


def _keys(items: list[dict[str, Any]]) -> list[Key]:
    return [(i["engagement_id"], i["kind"], datetime.fromisoformat(i["start"])) for i in items]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("audience", list(Audience))
def test_the_cli_the_api_and_the_page_list_the_same_items_in_the_same_order(
    edges: Edges, audience: Audience, lang: str
) -> None:
    api = _api(edges, audience, lang)
    cli = _cli(edges, audience, lang)
    page = _page(edges, audience, lang)

    assert cli == [(i["when_text"], i["engagement_id"], i["kind"]) for i in api]
    agenda = _keys(api)
    for name in SECTIONS:
        shown = page[name]
        assert set(shown) <= set(agenda), name
        order = list(reversed(agenda)) if name == "past" else agenda
        if name == "deadlines":  # grouped per engagement: each group in the agenda's order
            groups = list(dict.fromkeys(key[0] for key in shown))
            order = sorted(order, key=lambda key: groups.index(key[0]) if key[0] in groups else -1)
        assert shown == [key for key in order if key in set(shown)], name
    assert sum(len(shown) for shown in page.values()) > 0
    meetings = [key[0] for key in agenda if key[0] in (LATER, EARLIER) and key[1] == "engagement"]
    coming = [key[0] for key in page["next"] + page["coming"] if key[0] in (LATER, EARLIER)]
    if audience is Audience.PUBLIC:
        assert meetings == coming == []
    else:
        assert meetings == coming == [LATER, EARLIER]


@pytest.mark.parametrize(
    ("as_of", "recorded"),
    [("2024-04-25", False), ("2024-06-20T12:00:00+09:00", False), ("2099-01-01", True)],
)
def test_the_cli_and_the_api_agree_as_of_a_moment_on_either_axis(
    edges: Edges, as_of: str, recorded: bool
) -> None:
    axis = {"axis": "recorded_at"} if recorded else {}
    api = _api(edges, Audience.STAFF, "zh", as_of=as_of, **axis)
    cli = _cli(edges, Audience.STAFF, "zh", "--as-of", as_of, *(["--as-recorded"] * recorded))

    assert api, "the seed's engagements were known by then"
    assert cli == [(i["when_text"], i["engagement_id"], i["kind"]) for i in api]
