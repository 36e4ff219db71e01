"""`calendar-service staff add|list|remove` on the embedded store; each change is in the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calendar_service.cli import app

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    monkeypatch.setenv("CALENDAR_STORE", url)
    return url


def _rows(*extra: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["staff", "list", "--json", *extra])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def test_staff_are_added_changed_listed_and_removed(store: str) -> None:
    added = runner.invoke(
        app,
        ["staff", "add", "kim-minji", "--name", "Kim Min-ji", "--email", "kim@gg.go.kr",
         "--channel", "email", "--channel", "webhook", "--lang", "ko", "--by", "park"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "subscribed kim-minji (Kim Min-ji): email to kim@gg.go.kr, the team webhook" in (
        added.output
    )
    (row,) = _rows()
    assert row["channels"] == ["email", "webhook"]
    assert row["subscribed_by"] == "park"

    changed = runner.invoke(
        app, ["staff", "add", "kim-minji", "--name", "Kim Min-ji", "--email", "kim@gg.go.kr",
              "--audience", "restricted"],
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    assert _rows()[0]["audience"] == "restricted"

    table = runner.invoke(app, ["staff", "list"])
    assert "kim-minji" in table.output

    removed = runner.invoke(app, ["staff", "remove", "kim-minji", "--reason", "moved on"])
    assert removed.exit_code == 0, removed.output
    assert _rows() == []
    assert _rows("--all")[0]["reason"] == "moved on"
    again = runner.invoke(app, ["staff", "remove", "kim-minji"])
    assert "already unsubscribed" in again.output


def test_bad_input_is_one_line_naming_the_fix(store: str) -> None:
    no_email = runner.invoke(app, ["staff", "add", "kim", "--name", "Kim"])
    assert no_email.exit_code == 2
    assert "--email" in no_email.output
    bad_audience = runner.invoke(app, ["staff", "add", "kim", "--name", "K", "--audience", "vip"])
    assert bad_audience.exit_code == 2
    unknown = runner.invoke(app, ["staff", "remove", "nobody"])
    assert unknown.exit_code == 1
    assert "staff list" in unknown.output
