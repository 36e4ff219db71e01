"""Revocation takes effect at once, and two API processes over one store stay correct: in the
embedded mode (SQLite) and with Redis. Each "process" is a container of its own, with no
background catch-up, so nothing but the shared views store can carry a change between them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import calendar_service.projections.projector as projector_module
from calendar_service.cli import app
from calendar_service.config import load_settings
from calendar_service.domain import EngagementId, Reschedule, RevokeFeed, ScheduleEngagement
from calendar_service.eventstore.port import utc_now
from calendar_service.feed.tokens import list_feeds
from calendar_service.projections.feeds import NAME as FEEDS
from calendar_service.projections.projector import NotSettled
from calendar_service.service import FEED, Envelope, load, settle
from tests.integration.feeds.support import (
    BASE_URL,
    client,
    dalian_meeting,
    execute,
    new_feed,
    opened,
    seed,
    settings_for,
)
from tests.integration.feeds.test_http import MEETING, meeting_of, move_meeting

runner = CliRunner()
BACKENDS = ["sqlite", "redis"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_token_revoked_from_the_cli_gets_410_on_the_very_next_request(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = settings_for(backend, request, tmp_path)
    env = {"CALENDAR_STORE": settings.store, "CALENDAR_REDIS_ALLOW_EPHEMERAL": "true"}
    with opened(settings) as server:
        seed(server)
        token = new_feed(server)
        http = client(server)
        path = f"/feeds/{token}.ics"
        etag = http.get(path).headers["etag"]
        assert http.get(path, headers={"If-None-Match": etag}).status_code == 304

        listed = runner.invoke(app, ["feeds", "list", "--json"], env=env)
        assert listed.exit_code == 0, listed.output
        [feed] = [json.loads(line) for line in listed.output.splitlines()]
        revoked = runner.invoke(
            app, ["feeds", "revoke", feed["feed_id"], "--reason", "phone lost"], env=env
        )
        assert revoked.exit_code == 0, revoked.output

        assert http.get(path).status_code == 410
        assert http.get(path, headers={"If-None-Match": etag}).status_code == 410
        assert http.head(path).status_code == 410


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_api_processes_over_one_store_serve_the_same_bytes_and_see_each_others_changes(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = settings_for(backend, request, tmp_path)
    with opened(settings) as first, opened(settings) as second:
        seed(first)
        execute(first, *dalian_meeting())
        token = new_feed(first)
        one, two = client(first), client(second)
        path = f"/feeds/{token}.ics"
        before = one.get(path)
        assert two.get(path).content == before.content, "the same bytes from either process"
        assert two.get(path, headers={"If-None-Match": before.headers["etag"]}).status_code == 304

        move_meeting(first)  # written and projected by the first process

        after = two.get(path, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]
        assert one.get(path).content == after.content

        assert meeting_of(after.content)["SEQUENCE"] == 1

        first_slot = dalian_meeting()[0]
        assert isinstance(first_slot, ScheduleEngagement)
        execute(
            second,
            Reschedule(
                engagement_id=EngagementId(MEETING),
                when=first_slot.details.when,
                reason="back to the first slot",
            ),
        )
        again = one.get(path, headers={"If-None-Match": after.headers["etag"]})
        assert again.status_code == 200, "a change the second process made, seen by the first"
        assert meeting_of(again.content)["SEQUENCE"] == 2


def test_revoke_waits_out_another_process_holding_the_catch_up_lease(tmp_path: Path) -> None:
    settings = load_settings(store=f"sqlite:///{tmp_path}/events.db", base_url=BASE_URL)
    with opened(settings) as server:
        token = new_feed(server)
        http = client(server)
        [row] = list_feeds(server.projector)
        # A worker that took the feeds projection's lease and died: it expires in 0.3 s.
        assert server.views.try_lock(FEEDS, "crashed-worker", 0.3)
        started = time.monotonic()
        revoke = RevokeFeed(feed_id=row.feed_id)
        assert settle(server.store, server.projector, revoke, Envelope("admin"), utc_now).changed
        assert time.monotonic() - started >= 0.25, "it waited for the lease"
        assert http.get(f"/feeds/{token}.ics").status_code == 410


def test_a_revocation_the_projection_cannot_apply_in_time_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(store=f"sqlite:///{tmp_path}/events.db", base_url=BASE_URL)
    with opened(settings) as server:
        new_feed(server)
        [row] = list_feeds(server.projector)
        assert server.views.try_lock(FEEDS, "busy-worker", 60)
        monkeypatch.setattr(projector_module, "SETTLE_MARGIN", 0.2)  # patience: the lease plus this
        server.projector.lock_ttl = 0.0
        revoke = RevokeFeed(feed_id=row.feed_id)
        with pytest.raises(NotSettled, match="takes effect only once"):
            settle(server.store, server.projector, revoke, Envelope("admin"), utc_now)
        assert load(server.store, FEED, row.feed_id)[0].revoked, "...but the log has it"  # type: ignore[union-attr]
