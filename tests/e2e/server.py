"""A real `calendar-service serve` process for end-to-end tests, and the CLI as scripts run it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]


def environment(store: str, **settings: str) -> dict[str, str]:
    """The process environment for a service over `store`, with CALENDAR_* `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
    env["CALENDAR_STORE"] = store
    env.update({f"CALENDAR_{key.upper()}": value for key, value in settings.items()})
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `calendar-service ARGS` as a script would, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "calendar_service", *args],
        env={**env, "COLUMNS": "200"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def served(store: str, log: Path, **settings: str) -> Iterator[str]:
    """Start `calendar-service serve` on a free port; yield its base URL; stop it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = environment(store, base_url=base, port=str(port), **settings)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "calendar_service", "serve"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within 60 s:\n{log.read_text()}")
