"""The browser for the page tests: Debian's `chromium`, driven by Playwright's Python package.

Never `playwright install`: the browser is the system package, launched by its executable
path. Without it the browser tests fail under CI=true (`.ci/run` installs it) and are
skipped, loudly, elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.parsers import JS_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_SKIPPED_FOR_BROWSER: list[str] = []


def chromium_path() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = "no Chromium: /usr/bin/chromium is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: a missing browser is a failure)")
        _SKIPPED_FOR_BROWSER.append(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's browser bundle (npm, pinned in tests/js), installed there on first use."""
    bundle = JS_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not bundle.exists():
        npm = shutil.which("npm")
        if npm is None:
            message = "npm is needed for axe-core (apt-get install nodejs npm)"
            if os.environ.get("CI") == "true":
                pytest.fail(f"{message} (CI=true: a missing part is a failure)")
            _SKIPPED_FOR_BROWSER.append(message)
            pytest.skip(message)
        install = [npm, "ci", "--no-audit", "--no-fund"]
        done = subprocess.run(
            install, cwd=JS_DIR, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0 or not bundle.exists():
            pytest.fail(f"npm could not install axe-core into {JS_DIR}:\n{done.stderr}")
    return bundle


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED_FOR_BROWSER:
        terminalreporter.section("BROWSER MISSING", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            "The page tests in a real browser were SKIPPED: " + _SKIPPED_FOR_BROWSER[0]
        )
