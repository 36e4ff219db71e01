"""Fixtures of the integration tier: the ical.js and libical parsers, started once a session.

ical.js: `tests/js/` pins it; it is installed there with npm on first use. Without node and npm
the tests that need it fail under CI=true and are skipped, with the reason, elsewhere. libical:
the runtime library `libical.so.3` (Debian: libical3, which .ci/run installs); the same rule.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from typing import Any, NoReturn

import pytest

from tests.fixtures.parsers import JS_DIR, LibIcal

# -- fixtures ----------------------------------------------------------------------------------


def _missing(what: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI=true: a missing parser is a failure)")
    pytest.skip(f"PARSER MISSING, its tests are skipped: {what}")


@pytest.fixture(scope="session")
def ical_js() -> Callable[[list[bytes]], list[dict[str, Any]]]:
    """Parse feeds with ical.js; installs it into tests/js/node_modules on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _missing("node and npm are needed for the ical.js parser (apt-get install nodejs npm)")
    assert node is not None
    assert npm is not None
    if not (JS_DIR / "node_modules" / "ical.js" / "package.json").exists():
        install = [npm, "ci" if (JS_DIR / "package-lock.json").exists() else "install"]
        done = subprocess.run(
            [*install, "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(f"npm could not install ical.js into {JS_DIR}:\n{done.stderr}")

    def parse(feeds: list[bytes]) -> list[dict[str, Any]]:
        done = subprocess.run(
            [node, str(JS_DIR / "parse.mjs")],
            input=json.dumps([feed.decode("utf-8") for feed in feeds]),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    return parse


@pytest.fixture(scope="session")
def libical() -> LibIcal:
    name = ctypes.util.find_library("ical") or "libical.so.3"
    try:
        library = ctypes.CDLL(name)
    except OSError:
        _missing("no libical.so.3 (apt-get install libical3)")
    return LibIcal(library)
