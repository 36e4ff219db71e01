"""`/readyz` (200 with each projection's lag; 503 in JSON when the store stops answering) and
the structured request log line, in process against real stores (issue 8)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest

from calendar_service.api import create_app
from calendar_service.api.requestlog import redact
from calendar_service.bootstrap import build
from calendar_service.config import Settings
from calendar_service.logs import KeyValueFormatter
from calendar_service.projections import PROJECTION_NAMES, NullNudger
from tests.conftest import free_port, start_redis_server
from tests.integration.api.support import TestClient  # type: ignore[attr-defined]


def test_readyz_lists_every_projection_with_its_checkpoint_and_lag(tmp_path: Path) -> None:
    container = build(Settings(store=f"sqlite:///{tmp_path}/events.db"), nudger=NullNudger())
    try:
        with TestClient(create_app(container)) as client:
            answer = client.get("/readyz")
        assert answer.status_code == 200
        body = answer.json()
        assert body["status"] == "ready"
        assert body["log_head"] == 0
        assert [p["name"] for p in body["projections"]] == list(PROJECTION_NAMES)
        assert all(p["lag"] == 0 and p["checkpoint"] == 0 for p in body["projections"])
    finally:
        container.close()


def test_readyz_is_a_json_503_when_the_store_stops_answering() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="calendar-readyz-") as directory:
        server = start_redis_server(port, directory)
        settings = Settings(store=f"redis://127.0.0.1:{port}/0", redis_allow_ephemeral=True)
        container = build(settings, nudger=NullNudger())
        try:
            with TestClient(create_app(container)) as client:
                assert client.get("/readyz").status_code == 200
                server.terminate()
                server.wait(timeout=10)
                answer = client.get("/readyz")
                assert client.get("/healthz").status_code == 200  # the process is still up
            assert answer.status_code == 503
            assert answer.json()["status"] == "unavailable"
            assert "do not answer" in answer.json()["message"]
        finally:
            if server.poll() is None:
                server.kill()
            container.close()


def test_one_line_per_request_with_the_correlation_id_echoed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    container = build(Settings(store=f"sqlite:///{tmp_path}/events.db"), nudger=NullNudger())
    try:
        with TestClient(create_app(container)) as client, caplog.at_level(logging.INFO):
            given = client.get("/healthz", headers={"Idempotency-Key": "cmd-42"})
            client.get("/feeds/s3cr3t-t0ken.ics")
            fresh = client.get("/healthz", headers={"X-Correlation-Id": "bad id with spaces"})
    finally:
        container.close()
    assert given.headers["x-correlation-id"] == "cmd-42"
    assert len(fresh.headers["x-correlation-id"]) == 32  # a new one, not the unsafe value
    lines = [KeyValueFormatter().format(r) for r in caplog.records if r.msg == "request"]
    assert len(lines) == 3
    assert "method=GET path=/healthz status=200 duration_ms=" in lines[0]
    assert lines[0].endswith("correlation_id=cmd-42")
    assert "path=/feeds/REDACTED.ics status=404" in lines[1]
    assert all("s3cr3t" not in line and "\n" not in line for line in lines)


def test_tokens_in_feed_and_page_paths_are_redacted() -> None:
    assert redact("/feeds/abc.ics") == "/feeds/REDACTED.ics"
    assert redact("/c/abc/engagements/x") == "/c/REDACTED/engagements/x"
    assert redact("/api/engagements/x") == "/api/engagements/x"
