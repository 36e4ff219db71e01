"""How the workers are wired: a Celery app that opens nothing on import, JSON only, late acks,
no result backend, one queue per deployment; and how the write path finds its Celery nudger."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import time

import pytest

from calendar_service import bootstrap
from calendar_service.bootstrap import build
from calendar_service.config import ConfigError, Settings
from calendar_service.projections import PROJECTION_NAMES, ThreadNudger
from workers.celery_app import celery_config, queue_name
from workers.nudge import CeleryNudger, celery_nudger

BROKER = "redis://127.0.0.1:6379/15"


def test_importing_the_workers_package_builds_the_app_and_reads_no_settings() -> None:
    script = (
        "import workers, sys\n"
        "assert workers.app is workers.celery\n"
        "assert 'calendar_service.config' in sys.modules\n"
        "try:\n"
        "    workers.app.conf.broker_url\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ConfigError CALENDAR_BROKER: unset"), done.stdout


def test_the_celery_configuration_is_json_only_with_late_acks_and_no_results() -> None:
    settings = Settings(store="redis://10.0.0.5:6379/0?prefix=gyeonggi", broker=BROKER)
    config = celery_config(settings)

    assert config["broker_url"] == BROKER
    assert config["task_serializer"] == "json"
    assert config["accept_content"] == ["json"]
    assert config["task_acks_late"] is True
    assert config["task_reject_on_worker_lost"] is True
    assert config["result_backend"] is None
    assert config["task_ignore_result"] is True
    assert config["task_default_queue"] == queue_name(settings) == "gyeonggi"
    assert queue_name(Settings(store="sqlite:///var/events.db", broker=BROKER)) == "calendar"


def test_the_project_task_has_a_stable_name_late_acks_and_no_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALENDAR_BROKER", BROKER)  # the app reads its settings on first use
    from workers.celery_app import app
    from workers.tasks import PROJECT, project

    assert PROJECT == "calendar.project"
    assert project.name == "calendar.project"
    assert project.acks_late is True
    assert project.ignore_result is True
    assert "calendar.project" in app.tasks


def test_with_a_broker_the_write_path_gets_the_celery_nudger_from_its_entry_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plugin = importlib.metadata.EntryPoint(
        name="celery", value="workers.nudge:celery_nudger", group=bootstrap.NUDGER_GROUP
    )
    monkeypatch.setattr(bootstrap, "entry_points", lambda **_: [plugin])
    container = build(Settings(store="memory://", broker=BROKER))
    try:
        assert isinstance(container.nudger, CeleryNudger)
    finally:
        container.close()


def test_with_a_broker_and_no_celery_nudger_installed_start_up_names_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bootstrap, "entry_points", lambda **_: [])
    with pytest.raises(ConfigError, match=r"^CALENDAR_BROKER: .*pip install -e \."):
        build(Settings(store="memory://", broker=BROKER))


def test_without_a_broker_the_embedded_thread_nudges() -> None:
    container = build(Settings(store="memory://"))
    try:
        assert isinstance(container.nudger, ThreadNudger)
    finally:
        container.close()


def test_a_nudge_to_an_unreachable_broker_is_logged_and_never_fails_the_write(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nudger = celery_nudger(
        Settings(store="memory://", broker="redis://127.0.0.1:1/0"), PROJECTION_NAMES
    )
    started = time.monotonic()
    nudger.nudge(["calendar"])
    assert time.monotonic() - started < 10
    assert "nudge of projection calendar not sent" in caplog.text
