"""Shared fixtures: a real Redis (never a mock), a clean environment for every test.

Redis comes from, in order: `CALENDAR_TEST_REDIS_URL`; a server already answering on
127.0.0.1:6379; a throwaway `redis-server` started on a free port for this session. With none
of these, tests that need Redis fail under `CI=true` and are skipped, loudly, elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

_SKIPPED_FOR_REDIS: list[str] = []


def _answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis_server(port: int, directory: str, *extra: str) -> subprocess.Popen[bytes]:
    """Start a throwaway redis-server on `port` and wait until it answers."""
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            directory,
            "--save",
            "",
            "--appendonly",
            "no",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _answers(f"redis://127.0.0.1:{port}/0"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"redis-server on port {port} did not start")
        time.sleep(0.05)
    return process


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The URL of a real Redis for this test session."""
    configured = os.environ.get("CALENDAR_TEST_REDIS_URL")
    if configured:
        if not _answers(configured):
            pytest.fail(f"CALENDAR_TEST_REDIS_URL={configured} does not answer PING")
        yield configured
        return
    if _answers("redis://127.0.0.1:6379/0"):
        yield "redis://127.0.0.1:6379/0"
        return
    if shutil.which("redis-server"):
        with tempfile.TemporaryDirectory(prefix="calendar-redis-") as directory:
            port = free_port()
            process = start_redis_server(port, directory)
            try:
                yield f"redis://127.0.0.1:{port}/0"
            finally:
                process.terminate()
                process.wait(timeout=10)
        return
    message = "no Redis: none on 127.0.0.1:6379 and no redis-server binary to start one"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing Redis is a failure)")
    _SKIPPED_FOR_REDIS.append(message)
    pytest.skip(message)


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own, deleted afterwards, so tests share one server safely."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CALENDAR_* setting leaks from the developer's shell into a test."""
    for name in list(os.environ):
        if name.startswith("CALENDAR_") and name != "CALENDAR_TEST_REDIS_URL":
            monkeypatch.delenv(name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED_FOR_REDIS:
        terminalreporter.section("REDIS MISSING", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            "Tests that need Redis were SKIPPED: "
            + _SKIPPED_FOR_REDIS[0]
            + ". Install redis-server (apt-get install redis-server) to run them."
        )
