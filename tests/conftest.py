"""Shared fixtures: a real Redis (never a mock), a clean environment for every test.

Redis comes from, in order: `CALENDAR_TEST_REDIS_URL`; a server already answering on
127.0.0.1:6379; a throwaway `redis-server` started on a free port for this session. With none
of these, tests that need Redis fail under `CI=true` and are skipped, loudly, elsewhere.

Hypothesis profiles: "dev" (the default: few examples, for quick runs) and "ci" (chosen by
`CI=true`: many examples, derandomized so a failure reproduces with the same command, the
reproduction blob printed). `HYPOTHESIS_PROFILE=<name>` or `--hypothesis-profile=<name>` picks
one. Neither has a deadline: on a loaded machine deadlines make property tests flaky.

The fast unit tier is `pytest tests/unit -m "not slow"`. Nothing it runs needs Redis or
Hypothesis, which cost startup time to import: the redis client is imported inside the functions
that use it, the Hypothesis profiles are registered only when a module that uses Hypothesis is
about to be imported, and under exactly `-m "not slow"` a module marked slow as a whole (the
line `pytestmark = pytest.mark.slow`, where the property tests live) is not imported at all.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_SKIPPED_FOR_REDIS: list[str] = []
_NOT_IMPORTED_AS_SLOW: list[Path] = []
_SLOW_MODULE = "pytestmark = pytest.mark.slow"
_HYPOTHESIS_PROFILE_OPTION = "--hypothesis-profile"
_hypothesis_profiles_registered = False


# -- Hypothesis profiles and the fast tier -----------------------------------------------------


def _register_hypothesis_profiles(config: pytest.Config) -> None:
    """Register "dev" and "ci" once, and load the one this run asks for."""
    global _hypothesis_profiles_registered
    if _hypothesis_profiles_registered:
        return
    _hypothesis_profiles_registered = True
    from hypothesis import HealthCheck, settings

    # Hypothesis' own "default" and "ci" profiles are the parents; ours name every change. The
    # ci profile's 100 examples are as many as the most any property test asked for before the
    # profiles, so CI runs no longer than it did.
    settings.register_profile(
        "dev", settings.get_profile("default"), max_examples=25, deadline=None
    )
    settings.register_profile(
        "ci",
        settings.get_profile("ci"),
        max_examples=100,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    if config.getoption(_HYPOTHESIS_PROFILE_OPTION):
        return  # Hypothesis' own plugin loads the profile the option names
    default = "ci" if os.environ.get("CI") == "true" else "dev"
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or default)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Before Hypothesis' plugin loads the profile its option names, or, verbose, imports
    # Hypothesis anyway to name the profile in the header.
    if config.getoption(_HYPOTHESIS_PROFILE_OPTION) or config.option.verbose >= 1:
        _register_hypothesis_profiles(config)


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Settings are fixed when `@settings`/`@given` run, so the profile is loaded before a
    module that uses Hypothesis is imported, and only then."""
    if (
        isinstance(collector, pytest.Module)
        and not _hypothesis_profiles_registered
        and "hypothesis" in collector.path.read_text(encoding="utf-8")
    ):
        _register_hypothesis_profiles(collector.config)


def _fast_tier(config: pytest.Config) -> bool:
    return " ".join(str(config.getoption("markexpr") or "").split()) == "not slow"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under `-m "not slow"` a module slow as a whole would be imported only to deselect every
    test in it: skip it (its import may be the slowest part of the run)."""
    if not (collection_path.suffix == ".py" and collection_path.name.startswith("test_")):
        return None
    if not _fast_tier(config) or not collection_path.is_file():
        return None
    lines = collection_path.read_text(encoding="utf-8").splitlines()
    if _SLOW_MODULE not in lines:
        return None
    _NOT_IMPORTED_AS_SLOW.append(collection_path)
    return True


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    if not _NOT_IMPORTED_AS_SLOW:
        return None
    return f"{len(_NOT_IMPORTED_AS_SLOW)} modules marked slow as a whole were not imported"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Hypothesis' plugin imports all of Hypothesis (~0.7 s) for its terminal summary, even in a
    run that never used it; when nothing imported Hypothesis, it has nothing to report."""
    if "hypothesis" not in sys.modules:
        plugin = session.config.pluginmanager.get_plugin("hypothesispytest")
        if plugin is not None:
            session.config.pluginmanager.unregister(plugin)


# -- Redis -------------------------------------------------------------------------------------


def _answers(url: str) -> bool:
    import redis

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
    import redis

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
