"""Start-up against a wrong or unreachable CALENDAR_STORE or CALENDAR_BROKER (issue 8, "must
show" item 3): each process exits within seconds, non-zero, with one line naming the variable
and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
UNREACHABLE = "redis://127.0.0.1:1/0"
PROCESSES = {
    "serve": ["-m", "calendar_service", "serve"],
    "scheduler": ["-m", "calendar_service", "scheduler"],
    "worker": ["-m", "celery", "-A", "workers", "worker", "--pool=solo"],
}


def _start(argv: list[str], store: str, broker: str) -> tuple[int, str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
    env.update(CALENDAR_STORE=store, CALENDAR_BROKER=broker, CALENDAR_REDIS_ALLOW_EPHEMERAL="true")
    env["CALENDAR_PORT"] = "1"  # never reached: nothing may listen if start-up went on
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, *argv],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


@pytest.mark.parametrize("process", list(PROCESSES))
@pytest.mark.parametrize(
    ("variable", "fault"),
    [
        ("CALENDAR_STORE", "unreachable"),
        ("CALENDAR_BROKER", "unreachable"),
        ("CALENDAR_STORE", "wrong"),
        ("CALENDAR_BROKER", "wrong"),
    ],
)
def test_a_bad_store_or_broker_stops_start_up_with_one_line(
    process: str, variable: str, fault: str, redis_url: str
) -> None:
    store, broker = f"{redis_url}?prefix=test-startup", redis_url.rsplit("/", 1)[0] + "/15"
    bad = UNREACHABLE if fault == "unreachable" else "postgres://db.example/calendar"
    if variable == "CALENDAR_STORE":
        store = bad
    else:
        broker = bad
    code, output, seconds = _start(PROCESSES[process], store, broker)
    assert code != 0, output
    assert "Traceback" not in output, output
    assert variable in output, output
    lines = [line for line in output.splitlines() if variable in line]
    assert len(lines) == 1, output
    assert seconds < 15, f"{seconds:.1f} s"


def test_the_celery_console_script_stops_with_one_line_too(redis_url: str) -> None:
    celery = Path(sys.executable).with_name("celery")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
    env["CALENDAR_STORE"] = f"{redis_url}?prefix=test-startup"  # and no CALENDAR_BROKER
    done = subprocess.run(
        [str(celery), "-A", "workers", "worker", "--pool=solo"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    assert "CALENDAR_BROKER: unset" in output, output
