"""`calendar-service projections status|rebuild|catch-up` on the embedded SQLite deployment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calendar_service.bootstrap import build
from calendar_service.config import Settings, SqliteLocation
from calendar_service.domain import AddNote
from calendar_service.projections import PROJECTION_NAMES, NullNudger
from calendar_service.service import Envelope
from tests.unit.domain.builders import DAVOS, scheduled

runner = CliRunner()


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/events.db"
    monkeypatch.setenv("CALENDAR_STORE", url)
    container = build(Settings(store=url), nudger=NullNudger())
    try:
        container.execute(scheduled(), Envelope(actor="kim"))
        for n in range(4):
            container.execute(AddNote(engagement_id=DAVOS, text=f"note {n}"), Envelope(actor="kim"))
    finally:
        container.close()
    return url


def _status() -> dict[str, dict[str, int]]:
    from calendar_service.cli.projections import projections_app

    result = runner.invoke(projections_app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    return {row["projection"]: row for row in map(json.loads, result.output.splitlines())}


def test_status_reports_the_lag_of_every_projection_until_it_catches_up(store_url: str) -> None:
    from calendar_service.cli.projections import projections_app

    assert {name: row["lag"] for name, row in _status().items()} == dict.fromkeys(
        PROJECTION_NAMES, 5
    )
    table = runner.invoke(projections_app, ["status"])
    assert table.exit_code == 0
    assert "reminders_due" in table.output
    assert "lag" in table.output

    caught = runner.invoke(projections_app, ["catch-up", "calendar"])
    assert caught.exit_code == 0, caught.output
    assert "calendar: caught_up, applied 5, at 5" in caught.output
    assert {name: row["lag"] for name, row in _status().items()} == {
        **dict.fromkeys(PROJECTION_NAMES, 5),
        "calendar": 0,
    }


def test_rebuild_shows_progress_swaps_in_the_new_projection_and_keeps_its_bytes(
    store_url: str,
) -> None:
    from calendar_service.cli.projections import projections_app

    runner.invoke(projections_app, ["catch-up"])
    settings = Settings(store=store_url)
    container = build(settings, nudger=NullNudger())
    try:
        before = {name: container.projector.digest(name) for name in container.projector.names}
        generations = {name: container.views.live(name).number for name in before}
    finally:
        container.close()

    result = runner.invoke(projections_app, ["rebuild"])
    assert result.exit_code == 0, result.output
    for name in before:
        assert f"rebuild {name}" in result.output
        assert f"{name}: rebuilt 5 events up to position 5, digest {before[name][:16]}" in (
            result.output
        )
    assert "5/5" in result.output, "the progress bar counted the events"

    container = build(settings, nudger=NullNudger())
    try:
        assert {n: container.projector.digest(n) for n in before} == before
        assert all(container.views.live(n).number > generations[n] for n in before)
    finally:
        container.close()
    location = settings.location
    assert isinstance(location, SqliteLocation)
    assert location.views.name == "events.views.db"


def test_an_unknown_projection_is_refused_with_the_names_that_exist(store_url: str) -> None:
    from calendar_service.cli.projections import projections_app

    result = runner.invoke(projections_app, ["rebuild", "calender"])
    assert result.exit_code == 2
    assert "no projection 'calender'" in result.output
    assert ", ".join(PROJECTION_NAMES) in result.output


def test_a_bad_store_setting_stops_the_command_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from calendar_service.cli.projections import projections_app

    monkeypatch.setenv("CALENDAR_STORE", "postgres://db/x")
    result = runner.invoke(projections_app, ["status"])
    assert result.exit_code == 2
    assert "CALENDAR_STORE" in result.output
    assert "Traceback" not in result.output
