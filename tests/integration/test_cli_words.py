"""What an officer reads in a terminal: `agenda`, `history` and `decisions` in Korean and
Chinese carry no English catalogue word, and `agenda` at 80 columns keeps every column.

Over the seed plus one engagement abroad with a 120-character title, in a temporary SQLite
store, through the installed command's own entry (Typer's runner, COLUMNS=80 as a terminal
of that width sets it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from calendar_service.bootstrap import build
from calendar_service.cli import app
from calendar_service.config import load_settings
from calendar_service.domain import (
    Audience,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    ExactWhen,
    LocalizedText,
    Place,
    ScheduleEngagement,
)
from calendar_service.projections import NullNudger
from calendar_service.seed import apply_seed
from calendar_service.service import Envelope
from tests.english import english_words
from tests.english_data import seed_texts

ABROAD = "hangzhou-long-title"
LONG_TITLE = (
    "Working visit of the Gyeonggi Province economic delegation to the Zhejiang Province "
    "digital trade and green industry partnership forum"
)[:120]
HANGZHOU = Place(
    name=LocalizedText(
        en="Hangzhou International Expo Center", ko="항저우 국제박람센터", zh="杭州国际博览中心"
    ),
    city=LocalizedText(en="Hangzhou", ko="항저우", zh="杭州"),
    country="CN",
    tz="Asia/Shanghai",
)


@dataclass(frozen=True)
class Store:
    url: str
    abroad_day: str

    def run(self, *args: str, columns: int = 80) -> str:
        result = CliRunner().invoke(
            app, list(args), env={"CALENDAR_STORE": self.url, "COLUMNS": str(columns)}
        )
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-words')}/events.db"
    container = build(load_settings(store=url), nudger=NullNudger())
    try:
        apply_seed(container.store, lambda: datetime.now(UTC))
        start = datetime.now(ZoneInfo("Asia/Shanghai")).replace(
            hour=9, minute=30, second=0, microsecond=0
        ) + timedelta(days=20)
        details = EngagementDetails(
            kind=EngagementKind.FORUM,
            direction=Direction.OUTBOUND,
            title=LocalizedText(en=LONG_TITLE),
            when=ExactWhen(start, start + timedelta(hours=3), "Asia/Shanghai"),
            place=HANGZHOU,
            audience=Audience.STAFF,
        )
        command = ScheduleEngagement(engagement_id=EngagementId(ABROAD), details=details)
        container.execute(command, Envelope(actor="officer.lee"))
        container.projector.catch_up_all()
        yield Store(url, start.date().isoformat())
    finally:
        container.close()


def test_agenda_at_80_columns_keeps_id_when_status_and_place_of_a_long_title_abroad(
    store: Store,
) -> None:
    day = store.abroad_day
    output = store.run("agenda", "--lang", "en", "--tz", "Asia/Seoul", "--from", day, "--to", day)
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.strip().endswith(ABROAD) or ABROAD in line.split() for line in lines), (
        "the id is whole on one line, so it can be copied"
    )
    header = next(line for line in lines if line.startswith("When"))
    item, status = header.index("Item"), header.index("Status")
    block = next(b for b in _blocks(lines) if ABROAD in b[-1] and "deadline" not in b[0])
    text = " ".join(" ".join(line.split()) for line in block)
    title = " ".join(line[item:status].strip() for line in block)
    assert "09:30" in text, "its own clock"
    assert "10:30" in text, "the viewer's clock (Seoul), beside it"
    assert "tentative;" in text, "its status"
    assert "attending" in text, "and the province's part"
    assert "Hangzhou" in text, "its place"
    assert "Zhejiang" in text, "the title wraps instead of being cut"
    assert title == f"{LONG_TITLE} {ABROAD}", "the whole title, wrapped, then the id"


@pytest.mark.parametrize("lang", ["ko", "zh"])
@pytest.mark.parametrize(
    "command",
    [
        ("agenda", "--from", "2024-01-01", "--to", "2027-12-31"),
        ("decisions",),
        ("history", "summer-davos-2024"),
        ("history", "liaoning-expo-2024"),
        ("history", "dodamso-meeting-2024-04-24"),
        ("history", ABROAD),
    ],
    ids=lambda c: "-".join(c[:2]) if isinstance(c, tuple) else c,
)
def test_korean_and_chinese_output_has_no_english_catalogue_word(
    store: Store, lang: str, command: tuple[str, ...]
) -> None:
    output = store.run(*command, "--lang", lang, columns=300)
    left = english_words(output, names=(*seed_texts(), LONG_TITLE, "officer.lee", "seed"))
    assert left == [], f"{' '.join(command)} --lang {lang}: {left}\n{output}"


def _blocks(lines: list[str]) -> list[list[str]]:
    """The agenda's rows (English, so one character is one cell): each ends with the line
    that holds its id, alone in the item column."""
    header = next(i for i, line in enumerate(lines) if line.startswith("When"))
    item, status = lines[header].index("Item"), lines[header].index("Status")
    blocks: list[list[str]] = [[]]
    for line in lines[header + 1 :]:
        blocks[-1].append(line)
        if re.fullmatch(r"[a-z0-9-]+", line[item:status].strip()):
            blocks.append([])
    return [block for block in blocks if block]
