"""Store URLs and the listening address, as an operator meets them at start-up (issue 13).

- `CALENDAR_STORE=sqlite://` (no path) is refused naming CALENDAR_STORE, and creates no file
  named after the URL in the working directory.
- A password in a URL is masked wherever the URL is printed: in the refusal of a URL of an
  unknown scheme, in check-config, in the line `serve` starts with.
- `serve` on an address already in use exits 2 with one line naming the address.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from calendar_service.config import ConfigError, load_settings
from calendar_service.plumbing.urls import mask_url

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SECRET = "hunter2-s3cret"


def _run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
    clean["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "calendar_service", *args],
        env={**clean, **env, "COLUMNS": "200"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite://host/events.db"])
def test_a_sqlite_url_without_a_path_is_refused_naming_calendar_store(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(ConfigError, match=r"^CALENDAR_STORE: .* names no file: use sqlite:///"):
        load_settings(store=url)
    done = _run(tmp_path, "check-config", CALENDAR_STORE=url)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "CALENDAR_STORE" in lines[0]
    assert "names no file" in lines[0]
    assert list(tmp_path.iterdir()) == [], "nothing may be created in the working directory"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"ftp://officer:{SECRET}@files.example/x", "ftp://officer:***@files.example/x"),
        (f"redis://:{SECRET}@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0"),
        (f"smtp://u:{SECRET}@mail:587?starttls=true", "smtp://u:***@mail:587?starttls=true"),
        (f"postgres://u:{SECRET}@db@host/x", "postgres://u:***@host/x"),
        (f"odd:u:{SECRET}@host", "odd:u:***@host"),
        ("sqlite:///var/events.db", "sqlite:///var/events.db"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("http://[::1", "http://[::1"),
    ],
)
def test_mask_url_hides_the_password_of_any_scheme(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_a_store_url_of_an_unknown_scheme_is_refused_with_its_password_masked(
    tmp_path: Path,
) -> None:
    url = f"postgres://officer:{SECRET}@db.example/calendar"
    with pytest.raises(ConfigError) as refused:
        load_settings(store=url)
    assert SECRET not in str(refused.value)
    assert "postgres://officer:***@db.example/calendar" in str(refused.value)
    for command in ("check-config", "serve", "agenda"):
        done = _run(tmp_path, command, CALENDAR_STORE=url)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert SECRET not in done.stdout + done.stderr, command
        assert "CALENDAR_STORE" in done.stderr, command


def test_check_config_and_an_unreachable_store_mask_the_password(tmp_path: Path) -> None:
    url = f"redis://:{SECRET}@127.0.0.1:1/0"
    broker = f"redis://:{SECRET}@127.0.0.1:1/1"
    done = _run(tmp_path, "check-config", CALENDAR_STORE=url, CALENDAR_BROKER=broker)
    assert done.returncode == 2, done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "redis://:***@127.0.0.1:1/0" in done.stdout + done.stderr


def test_serve_on_a_busy_port_exits_2_with_one_line_naming_the_address(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run(
            tmp_path,
            "serve",
            CALENDAR_STORE=f"sqlite:///{tmp_path}/events.db",
            CALENDAR_HOST="127.0.0.1",
            CALENDAR_PORT=str(port),
        )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"127.0.0.1:{port}" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
