"""The README's and docs' command examples work as written.

Every `calendar-service ...` line in a code block of README.md and docs/*.md is run, in the
order the documents give them, against one fresh store, and must exit 0. Documentation
notation is read as a person reads it: `[--admin]` and `[NAME]` are optional parts (left out),
a trailing backslash continues the line, `# ...` is a comment. The long-running commands
(`serve`, `scheduler`) are started by the e2e tests instead, as are `make`, `celery` and
`docker compose` (the compose file has its own tests).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calendar_service.cli import app

ROOT = Path(__file__).parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LONG_RUNNING = {"serve", "scheduler"}
_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.M | re.S)
_OPTIONAL = re.compile(r"\s\[[^\]]*\]")


def documented_commands() -> Iterator[tuple[str, list[str]]]:
    for document in DOCUMENTS:
        for block in _BLOCK.findall(document.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(_OPTIONAL.sub("", line), comments=True)
                if words[:1] == ["calendar-service"] and words[1] not in LONG_RUNNING:
                    yield f"{document.name}: {line.strip()}", words[1:]


def test_the_documents_show_commands_to_run() -> None:
    commands = [words[0] for _, words in documented_commands()]
    assert {"seed", "agenda", "history", "feeds", "tokens", "staff", "export"} <= set(commands)


def test_every_documented_command_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALENDAR_STORE", f"sqlite:///{tmp_path}/events.db")
    runner = CliRunner()
    for where, args in documented_commands():
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{where}\nexit {result.exit_code}: {result.output}"
