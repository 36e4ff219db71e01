"""The browser for the page tests: Debian's `chromium`, driven by Playwright's Python package.

Never `playwright install`: the browser is the system package, launched by its executable
path. Without it the browser tests fail under CI=true (`.ci/run` installs it) and are
skipped, loudly, elsewhere.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED_FOR_BROWSER:
        terminalreporter.section("BROWSER MISSING", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            "The page tests in a real browser were SKIPPED: " + _SKIPPED_FOR_BROWSER[0]
        )
