"""The API in a real `calendar-service serve` process: concurrent writers, and the CLI round trip.

- 20 threads reschedule one engagement at once, all with the same If-Match: exactly one wins,
  the 19 others get 412, and the log holds exactly one new event (SQLite and Redis).
- A script's day: `tokens create`, a POST with that token, then `agenda`, `history` and
  `export` show it, each with the exit code a script relies on.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from calendar_service.bootstrap import build
from calendar_service.config import load_settings
from calendar_service.projections import NullNudger
from tests.e2e.server import cli, environment, served

pytestmark = pytest.mark.slow
WRITERS = 20


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/events.db"
    redis_url = request.getfixturevalue("redis_url")
    return f"{redis_url}?prefix={request.getfixturevalue('redis_prefix')}"


def _settings(store: str) -> dict[str, str]:
    return {"redis_allow_ephemeral": "true"} if store.startswith("redis") else {}


def test_twenty_concurrent_reschedules_with_one_if_match_give_exactly_one_success(
    store_url: str, tmp_path: Path
) -> None:
    env = environment(store_url, **_settings(store_url))
    created = cli(env, "tokens", "create", "--actor", "Officer Lee", "--json")
    assert created.returncode == 0, created.stderr
    auth = {"Authorization": f"Bearer {json.loads(created.stdout)['token']}"}
    with served(store_url, tmp_path / "server.log", **_settings(store_url)) as base:
        body = _meeting("concurrency-test", datetime.now(UTC) + timedelta(days=30))
        response = httpx.post(f"{base}/api/engagements", json=body, headers=auth, timeout=10)
        assert response.status_code == 201, response.text
        etag = response.headers["etag"]
        log_head = _head(store_url)

        barrier = threading.Barrier(WRITERS)
        statuses: list[int] = []
        lock = threading.Lock()

        def reschedule(hour: int) -> None:
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40, hours=hour)
            when = {
                "kind": "exact",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "tz": "Asia/Seoul",
            }
            with httpx.Client(timeout=30) as client:
                barrier.wait()
                answer = client.post(
                    f"{base}/api/engagements/concurrency-test/reschedule",
                    json={"when": when},
                    headers={**auth, "If-Match": etag},
                )
            with lock:
                statuses.append(answer.status_code)

        threads = [threading.Thread(target=reschedule, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(statuses) == [200] + [412] * (WRITERS - 1)
        assert _head(store_url) == log_head + 1
        state = httpx.get(f"{base}/api/engagements/concurrency-test", headers=auth, timeout=10)
        assert state.headers["etag"] == '"v2"'


def test_cli_round_trip_token_http_write_agenda_history_export(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/events.db"
    env = environment(store)
    created = cli(env, "tokens", "create", "--actor", "Officer Lee Ji-won")
    assert created.returncode == 0, created.stderr
    secret = next(
        line.split(":", 1)[1].strip() for line in created.stdout.splitlines() if "token:" in line
    )
    assert len(secret) >= 43
    listed = cli(env, "tokens", "list", "--json")
    assert listed.returncode == 0
    assert secret not in listed.stdout
    assert json.loads(listed.stdout.splitlines()[0])["actor"] == "Officer Lee Ji-won"

    start = (datetime.now(UTC) + timedelta(days=10)).replace(hour=1, minute=0, second=0)
    with served(store, tmp_path / "server.log") as base:
        response = httpx.post(
            f"{base}/api/engagements",
            json=_meeting("consul-call", start, title="Courtesy call of the Consul General"),
            headers={"Authorization": f"Bearer {secret}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text

    day = start.date().isoformat()
    agenda = cli(env, "agenda", "--from", day, "--to", day)
    assert agenda.returncode == 0, agenda.stderr
    assert "Courtesy call of the Consul General" in agenda.stdout

    history = cli(env, "history", "consul-call")
    assert history.returncode == 0, history.stderr
    assert "by Officer Lee Ji-won" in history.stdout

    feed = cli(env, "feeds", "create", "--name", "Protocol office", "--audience", "staff")
    assert feed.returncode == 0, feed.stderr
    feed_id = feed.stdout.split()[1]
    exported = cli(env, "export", "--feed", feed_id, "-o", str(tmp_path / "staff.ics"))
    assert exported.returncode == 0, exported.stderr
    ics = (tmp_path / "staff.ics").read_text(encoding="utf-8")
    assert "Courtesy call of the Consul General" in ics.replace("\r\n ", "")

    revoked = cli(env, "tokens", "revoke", "0123456789ab")
    assert revoked.returncode == 1
    assert "names no staff token" in revoked.stderr
    bad = cli(env, "tokens", "create", "--actor", " ")
    assert bad.returncode == 2


def _meeting(engagement_id: str, start: datetime, title: str = "Meeting") -> dict[str, object]:
    start = start.replace(microsecond=0)
    return {
        "mode": "schedule",
        "engagement_id": engagement_id,
        "kind": "meeting",
        "direction": "inbound",
        "title": {"en": title},
        "when": {
            "kind": "exact",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "tz": "Asia/Seoul",
        },
        "status": "confirmed",
    }


def _head(store: str) -> int:
    settings = load_settings(store=store, redis_allow_ephemeral=store.startswith("redis"))
    container = build(settings, nudger=NullNudger())
    try:
        return container.store.head()
    finally:
        container.close()
