"""`calendar-service feeds create|list|revoke|ensure-local` and `export`, on a SQLite store."""

from __future__ import annotations

import json
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner, Result

from calendar_service.cli import app
from calendar_service.config import load_settings
from calendar_service.eventstore import iter_all
from calendar_service.feed.links import TOKEN_SLOT
from tests.integration.feeds.support import BASE_URL, client, opened, seed

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "CALENDAR_STORE": f"sqlite:///{tmp_path}/events.db",
        "CALENDAR_BASE_URL": BASE_URL,
        "COLUMNS": "200",
    }


def invoke(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(app, list(args), env=env)


def token_in(output: str) -> str:
    found = re.search(r"/feeds/([A-Za-z0-9_-]+)\.ics", output)
    assert found is not None, output
    return found.group(1)


def test_create_prints_the_urls_and_the_token_once_and_the_log_keeps_only_its_hash(
    env: dict[str, str], tmp_path: Path
) -> None:
    created = invoke(
        env, "feeds", "create", "--name", "Press office", "--audience", "staff", "--lang", "ko"
    )
    assert created.exit_code == 0, created.output
    token = token_in(created.output)
    assert len(token) >= 43, "256 random bits"
    assert f"{BASE_URL}/feeds/{token}.ics" in created.output
    assert f"webcal://calendar.example.org/feeds/{token}.ics" in created.output
    assert "calendar.google.com/calendar/r?cid=webcal" in created.output
    assert f"{BASE_URL}/c/{token}" in created.output
    assert "shown this once" in created.output

    listed = invoke(env, "feeds", "list")
    assert listed.exit_code == 0, listed.output
    assert "Press office" in listed.output
    assert "staff" in listed.output
    assert "active" in listed.output
    assert token not in listed.output
    with opened(load_settings(store=env["CALENDAR_STORE"])) as container:
        log = b"".join(json.dumps(e.data).encode() for e in iter_all(container.store))
        feed_streams = {e.stream for e in iter_all(container.store)}
    assert token.encode() not in log
    assert any(stream.startswith("feed:staff-") for stream in feed_streams)


def test_revoke_is_recorded_listed_and_idempotent_and_unknown_ids_are_named(
    env: dict[str, str],
) -> None:
    invoke(env, "feeds", "create", "--name", "Interpreters", "--audience", "restricted")
    [row] = [
        json.loads(line) for line in invoke(env, "feeds", "list", "--json").output.splitlines()
    ]
    assert (row["name"], row["audience"], row["lang"], row["revoked"]) == (
        "Interpreters",
        "restricted",
        "en",
        False,
    )
    assert "token" not in json.dumps(row)

    revoked = invoke(env, "feeds", "revoke", row["feed_id"], "--reason", "left the office")
    assert revoked.exit_code == 0, revoked.output
    assert "410 Gone" in revoked.output
    again = invoke(env, "feeds", "revoke", row["feed_id"])
    assert again.exit_code == 0
    assert "already revoked" in again.output
    [after] = [
        json.loads(line) for line in invoke(env, "feeds", "list", "--json").output.splitlines()
    ]
    assert after["revoked"] is True
    assert after["revoked_at"] is not None
    assert "revoked" in invoke(env, "feeds", "list").output

    unknown = invoke(env, "feeds", "revoke", "staff-00000000")
    assert unknown.exit_code == 2
    assert "names no feed" in unknown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["feeds", "create", "--name", "X", "--audience", "everyone"],
            "use public, staff or restricted",
        ),
        (
            ["feeds", "create", "--name", "X", "--audience", "staff", "--lang", "fr"],
            "use en, ko or zh",
        ),
        (["feeds", "create", "--name", "   ", "--audience", "staff"], "blank"),
        (["export"], "give one of --feed FEED_ID, --token FEED_SECRET or --audience"),
        (
            ["export", "--audience", "staff", "--feed", "x"],
            "give one of --feed FEED_ID, --token FEED_SECRET or --audience",
        ),
        (["export", "--audience", "staff", "--as-of", "soon"], "--as-of 'soon' is not a date"),
        (["export", "--audience", "staff", "--lang", "de"], "--lang 'de' is not a language"),
        (["export", "--feed", "staff-12345678"], "no feed 'staff-12345678'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    env: dict[str, str], args: list[str], message: str
) -> None:
    result = invoke(env, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_export_writes_the_bytes_the_feed_url_serves(env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings(store=env["CALENDAR_STORE"], base_url=BASE_URL)
    with opened(settings, clock=lambda: datetime.now(UTC)) as container:
        seed(container)
        http = client(container)
        staff = token_in(
            invoke(
                env, "feeds", "create", "--name", "S", "--audience", "staff", "--lang", "zh"
            ).output
        )
        public = token_in(
            invoke(env, "feeds", "create", "--name", "P", "--audience", "public").output
        )
        [staff_row, _] = [
            json.loads(x) for x in invoke(env, "feeds", "list", "--json").output.splitlines()
        ]
        for attempt in range(2):  # the live window follows the hour: retry once across one
            exported = invoke(env, "export", "--token", staff, "-o", str(tmp_path / "s.ics"))
            assert exported.exit_code == 0, exported.output
            served = http.get(f"/feeds/{staff}.ics").content
            if (tmp_path / "s.ics").read_bytes() == served or attempt == 1:
                break
        assert (tmp_path / "s.ics").read_bytes() == served, "the bytes its URL serves"
        assert f"/c/{staff}/e/".encode() in served
        assert "外事日程" in served.decode()

        # Without the feed's secret nothing can open the engagement pages: no link at all,
        # rather than a dead one; everything else is what the feed serves.
        by_id = invoke(env, "export", "--feed", staff_row["feed_id"])
        assert by_id.exit_code == 0, by_id.output
        assert TOKEN_SLOT.encode() not in by_id.stdout_bytes
        assert b"/c/" not in by_id.stdout_bytes
        parsed = Calendar.from_ical(by_id.stdout_bytes)
        assert len(parsed.walk("VEVENT")) == len(Calendar.from_ical(served).walk("VEVENT"))
        assert all("URL" not in event for event in parsed.walk("VEVENT"))

        to_stdout = invoke(
            env, "export", "--audience", "public", "--as-of", "2024-04-25", "--lang", "ko"
        )
        assert to_stdout.exit_code == 0
        as_of = http.get(f"/feeds/{public}.ics", params={"as_of": "2024-04-25", "lang": "ko"})
        exported_events = Calendar.from_ical(to_stdout.stdout_bytes).walk("VEVENT")
        served_events = Calendar.from_ical(as_of.content).walk("VEVENT")
        assert [(e["UID"], e["SUMMARY"], e["DTSTART"].to_ical()) for e in exported_events] == [
            (e["UID"], e["SUMMARY"], e["DTSTART"].to_ical()) for e in served_events
        ]
        assert b"/c/" not in to_stdout.stdout_bytes

        invoke(env, "feeds", "revoke", staff_row["feed_id"])
        refused = invoke(env, "export", "--feed", staff_row["feed_id"])
        assert refused.exit_code == 2
        assert "revoked" in refused.output


def test_ensure_local_keeps_one_staff_feed_in_a_private_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    kept = tmp_path / "var" / "local-feed.json"
    first = invoke(env, "feeds", "ensure-local", "--file", str(kept))
    assert first.exit_code == 0, first.output
    token = token_in(first.output)
    assert f"staff feed: {BASE_URL}/feeds/{token}.ics" in first.output
    assert f"page:       {BASE_URL}/c/{token}" in first.output
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert json.loads(kept.read_text())["token"] == token

    second = invoke(env, "feeds", "ensure-local", "--file", str(kept))
    assert second.exit_code == 0
    assert second.output == first.output, "a second `make run` prints the same URLs"
    [row] = [json.loads(x) for x in invoke(env, "feeds", "list", "--json").output.splitlines()]
    assert row["audience"] == "staff"

    invoke(env, "feeds", "revoke", row["feed_id"])
    third = invoke(env, "feeds", "ensure-local", "--file", str(kept))
    assert token_in(third.output) != token, "a revoked local feed is replaced"
    other_store = {**env, "CALENDAR_STORE": f"sqlite:///{tmp_path}/other.db"}
    fourth = invoke(other_store, "feeds", "ensure-local", "--file", str(kept))
    assert token_in(fourth.output) not in (token, token_in(third.output))
