"""Start-up: a wrong setting stops it with one line naming the variable; `serve` really serves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from calendar_service.cli import app
from calendar_service.config import ConfigError, load_settings
from tests.conftest import free_port

runner = CliRunner()


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("CALENDAR_STORE", "postgres://db/x", "sqlite:///var/events.db"),
        ("CALENDAR_STORE", "sqlite:///", "names no file"),
        ("CALENDAR_BROKER", "amqp://guest@localhost//", "redis://"),
        ("CALENDAR_TIMEZONE", "Asia/Seol", "IANA time zone"),
        ("CALENDAR_REMINDER_GRACE", "fifteen minutes", "CALENDAR_REMINDER_GRACE"),
        ("CALENDAR_BASE_URL", "calendar.example", "http(s) URL"),
        ("CALENDAR_FEED_DECLINED", "hide", "'mark' or 'omit'"),
    ],
)
def test_wrong_setting_stops_check_config_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, hint: str
) -> None:
    monkeypatch.setenv(variable, value)
    result = runner.invoke(app, ["check-config"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert variable in lines[0]
    assert hint in lines[0]
    assert "Traceback" not in result.output


def test_cli_flag_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDAR_STORE", "postgres://wrong")
    settings = load_settings(store="memory://")
    assert settings.store == "memory://"


def test_check_config_masks_passwords_and_reports_the_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CALENDAR_SMTP_URL", "smtp://officer:s3cret-pw@mail.example:587")
    monkeypatch.setenv("CALENDAR_STORE", f"sqlite:///{tmp_path}/events.db")
    result = runner.invoke(app, ["check-config"])
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    assert "***" in result.output
    assert "event store: ok, 0 events" in result.output


def test_redis_store_without_persistence_is_refused_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    # The Redis on these machines keeps nothing on disk (appendonly no, save "").
    monkeypatch.setenv("CALENDAR_STORE", redis_url)
    result = runner.invoke(app, ["check-config"])
    assert result.exit_code == 2
    assert "CALENDAR_STORE" in result.output
    assert "appendonly" in result.output


def test_unreachable_redis_store_fails_fast_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALENDAR_STORE", "redis://127.0.0.1:1/0")
    started = time.monotonic()
    result = runner.invoke(app, ["check-config"])
    assert result.exit_code == 2
    assert "CALENDAR_STORE" in result.output
    assert time.monotonic() - started < 10


def test_unknown_zone_is_refused_by_load_settings() -> None:
    with pytest.raises(ConfigError, match=r"CALENDAR_TIMEZONE: 'Mars/Olympus' is not an IANA"):
        load_settings(timezone="Mars/Olympus")


def test_serve_answers_health_checks_over_http(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CALENDAR_STORE": f"sqlite:///{tmp_path}/events.db"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "calendar_service", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"serve did not start: {log.read_text()}")
                time.sleep(0.2)
        assert response.status_code == 200
        ready = response.json()
        assert (ready["status"], ready["log_head"]) == ("ready", 0)
        assert all(p["lag"] == 0 for p in ready["projections"])
    finally:
        process.terminate()
        process.wait(timeout=10)
