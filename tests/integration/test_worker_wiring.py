"""How the entry points start worker-side code: by plain imports of `workers`, no plugin lookup.

`serve` with a broker writes through the Celery nudger and leaves reminders to the scheduler
process; without one it catches up in a thread and runs the embedded scheduler. `seed` with a
broker wakes the workers; `scheduler` runs `workers.scheduler.run_process`. Importing the
`workers` package in a fresh process builds the Celery app and reads no settings.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

import calendar_service.api
import calendar_service.logs
import workers.scheduler
from calendar_service.bootstrap import Container
from calendar_service.cli import app
from calendar_service.config import Settings
from calendar_service.projections import ThreadNudger
from workers.nudge import CeleryNudger

runner = CliRunner()


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


@dataclass
class Started:
    """What `serve` started, in place of the server and the threads."""

    containers: list[Container] = field(default_factory=list)
    schedulers: list[Container] = field(default_factory=list)
    celery_nudges: list[object] = field(default_factory=list)
    served: int = 0


class _Scheduler:
    def stop(self, timeout: float = 10.0) -> None:
        pass


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    """`serve` with the HTTP server, log set-up, embedded scheduler and Celery sends stubbed."""
    found = Started()

    def create_app(container: Container) -> object:
        found.containers.append(container)
        return object()

    def run(*_: Any, **__: Any) -> None:
        found.served += 1

    def start_embedded(container: Container) -> _Scheduler:
        found.schedulers.append(container)
        return _Scheduler()

    def nudge(self: CeleryNudger, names: object = None) -> None:
        found.celery_nudges.append(names)

    monkeypatch.setattr(calendar_service.api, "create_app", create_app)
    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setattr(calendar_service.logs, "configure_logging", lambda *_, **__: None)
    monkeypatch.setattr(workers.scheduler, "start_embedded", start_embedded)
    monkeypatch.setattr(CeleryNudger, "nudge", nudge)
    return found


def test_serve_with_a_broker_writes_through_the_celery_nudger_and_runs_no_scheduler(
    started: Started, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALENDAR_STORE", "memory://")
    monkeypatch.setenv("CALENDAR_BROKER", redis_url.rsplit("/", 1)[0] + "/15")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    [container] = started.containers
    assert isinstance(container.nudger, CeleryNudger)
    assert started.celery_nudges == [None], "start-up nudges every projection, through Celery"
    assert started.schedulers == [], "the scheduler process delivers reminders"
    assert started.served == 1


def test_serve_without_a_broker_catches_up_in_a_thread_and_runs_the_embedded_scheduler(
    started: Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALENDAR_STORE", "memory://")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    [container] = started.containers
    assert isinstance(container.nudger, ThreadNudger)
    assert started.schedulers == [container]
    assert started.celery_nudges == []


def test_seed_with_a_broker_wakes_the_workers_through_the_celery_nudger(
    started: Started, redis_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CALENDAR_STORE", f"sqlite:///{tmp_path}/events.db")
    monkeypatch.setenv("CALENDAR_BROKER", redis_url.rsplit("/", 1)[0] + "/15")
    result = runner.invoke(app, ["seed"])
    assert result.exit_code == 0, result.output
    assert started.celery_nudges == [None]


def test_the_scheduler_command_runs_the_scheduler_process_with_its_flags(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[Settings] = []
    monkeypatch.setattr(workers.scheduler, "run_process", ran.append)
    result = runner.invoke(
        app, ["scheduler", "--store", "memory://", "--broker", "redis://127.0.0.1:6379/15"]
    )
    assert result.exit_code == 0, result.output
    [settings] = ran
    assert (settings.store, settings.broker) == ("memory://", "redis://127.0.0.1:6379/15")


def test_nudges_within_the_window_are_run_once_at_its_end_not_dropped() -> None:
    import time

    from workers.tasks import _AtMostEvery

    calls: list[float] = []
    nudge = _AtMostEvery(lambda: calls.append(time.monotonic()), 0.3)
    started = time.monotonic()
    for _ in range(50):  # a burst of outcomes
        nudge()
    assert len(calls) == 1  # the first at once
    time.sleep(0.5)
    assert len(calls) == 2  # the rest, once, at the window's end: the last outcome is shown
    assert calls[1] - started >= 0.29
