"""The Redis store goes away under a real `calendar-service serve`, then comes back.

A redis-server of the test's own (AOF on, every write fsynced) holds the log and the views.
While it is stopped, the feed (plain text), the page (HTML in the reader's language), an API
read and an API write each answer 503 with `Retry-After`: a client or a load balancer can tell
the outage from a bug. When the same server comes back on the same port and directory, a write
succeeds again and every write acknowledged before the outage is still in the log.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from calendar_service.bootstrap import build
from calendar_service.config import load_settings
from calendar_service.domain import Audience
from calendar_service.feed.tokens import create_feed
from calendar_service.projections import NullNudger
from calendar_service.staff.tokens import issue_token
from tests.conftest import free_port, start_redis_server
from tests.e2e.server import served

pytestmark = pytest.mark.slow
ACKNOWLEDGED = 5
DURABLE = ("--appendonly", "yes", "--appendfsync", "always")


class Redis:
    """A redis-server on a fixed port and directory that the test can stop and start again."""

    def __init__(self, directory: str) -> None:
        self.directory, self.port = directory, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = start_redis_server(self.port, directory, *DURABLE)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)

    def start(self) -> None:
        self.process = start_redis_server(self.port, self.directory, *DURABLE)


@pytest.fixture
def redis_server() -> Iterator[Redis]:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed for the outage test (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="calendar-outage-") as directory:
        server = Redis(directory)
        try:
            yield server
        finally:
            if server.process.poll() is None:
                server.stop()


def _meeting(engagement_id: str, days: int) -> dict[str, object]:
    start = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    return {
        "mode": "schedule",
        "engagement_id": engagement_id,
        "kind": "meeting",
        "direction": "inbound",
        "title": {"en": f"Meeting {engagement_id}"},
        "when": {
            "kind": "exact",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "tz": "Asia/Seoul",
        },
        "status": "confirmed",
    }


def test_with_redis_stopped_every_route_answers_503_and_nothing_acknowledged_is_lost(
    redis_server: Redis, tmp_path: Path
) -> None:
    container = build(load_settings(store=redis_server.url), nudger=NullNudger())
    try:
        feed = create_feed(
            container.store,
            container.projector,
            name="Outage test",
            audience=Audience.STAFF,
            lang="en",
            actor="test",
        ).token
        secret = issue_token(
            container.store, container.projector, actor="Officer Lee", by="test"
        ).token
    finally:
        container.close()
    auth = {"Authorization": f"Bearer {secret}"}

    with (
        served(redis_server.url, tmp_path / "server.log") as base,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        acknowledged = []
        for n in range(ACKNOWLEDGED):
            engagement_id = f"before-outage-{n}"
            answer = http.post(
                "/api/engagements", json=_meeting(engagement_id, 30 + n), headers=auth
            )
            assert answer.status_code == 201, answer.text
            acknowledged.append(engagement_id)
        assert http.get(f"/feeds/{feed}.ics").status_code == 200

        redis_server.stop()
        outage = {
            "feed": http.get(f"/feeds/{feed}.ics"),
            "page": http.get(f"/c/{feed}", params={"lang": "ko"}),
            "read": http.get("/api/agenda", headers=auth),
            "write": http.post(
                "/api/engagements", json=_meeting("during-outage", 60), headers=auth
            ),
        }
        for route, answer in outage.items():
            assert answer.status_code == 503, (route, answer.status_code, answer.text)
            assert int(answer.headers["retry-after"]) > 0, route
        assert outage["feed"].headers["content-type"] == "text/plain; charset=utf-8"
        assert "try again" in outage["feed"].text
        assert outage["page"].headers["content-type"].startswith("text/html")
        assert "일정을 지금 읽을 수 없습니다" in outage["page"].text
        for route in ("read", "write"):
            body = outage[route].json()
            assert body["error"] == "unavailable", body
            assert "Try again" in body["message"], body

        redis_server.start()
        deadline = time.monotonic() + 30
        while True:
            answer = http.post("/api/engagements", json=_meeting("after-outage", 61), headers=auth)
            if answer.status_code == 201 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert answer.status_code == 201, answer.text
        for engagement_id in [*acknowledged, "after-outage"]:
            found = http.get(f"/api/engagements/{engagement_id}", headers=auth)
            assert found.status_code == 200, (engagement_id, found.text)
        assert http.get(f"/feeds/{feed}.ics").status_code == 200
        assert http.get(f"/c/{feed}").status_code == 200
    log = (tmp_path / "server.log").read_text()
    assert "status=500" not in log, log[-3000:]
