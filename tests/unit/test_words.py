"""The catalogue: every word translated into Korean and Chinese, none fuzzy, placeholders kept,
and the `.pot` file in step with the code (a word added to the code and not to the catalogue
would reach Korean readers in English)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from calendar_service.words import (
    LOCALE_DIR,
    english_msgids,
    format_days,
    format_duration,
    words_for,
)

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("ko", "zh")


def _catalog(lang: str):
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalogue_entry_is_translated_and_confirmed(lang: str) -> None:
    catalog = _catalog(lang)
    untranslated = [m.id for m in catalog if m.id and not all(_strings(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"{lang}: {len(untranslated)} untranslated: {untranslated[:10]}"
    assert fuzzy == [], f"{lang}: fuzzy entries never reach a reader: {fuzzy[:10]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_translation_keeps_the_placeholders_of_its_english(lang: str) -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalog(lang).check()]
    assert problems == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_each_language_holds_exactly_the_catalogues_words(lang: str) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(lang) if m.id}
    assert ids <= english_msgids()
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert template - ids == set(), "run `python scripts/words.py update`, then translate"


@pytest.mark.slow  # extracts the words of every module and template
def test_the_catalogue_holds_every_word_the_code_marks() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/words.py", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_an_unknown_language_reads_english() -> None:
    assert words_for("fr").lang == "en"
    assert words_for("ko").lang == "ko"


def test_dates_and_durations_come_from_cldr_in_each_language() -> None:
    june = (date(2024, 6, 25), date(2024, 6, 27))
    assert format_days(*june, "en") == "Jun 25\u2009–\u200927, 2024"
    assert format_days(*june, "ko") == "2024년 6월 25일~27일"
    assert format_days(*june, "zh") == "2024年6月25日\u2009–\u200927日"
    assert format_duration(timedelta(minutes=15), "ko") == "15분"
    assert format_duration(timedelta(days=1, hours=2), "en") == "1 day, 2 hours"
    assert format_duration(timedelta(days=14), "zh") == "2周"


def _strings(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (str(value),)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_word_is_in_a_catalogue_twice(lang: str) -> None:
    """Babel keeps the last of two entries for one msgid, silently: a merge that left both
    (two translations of one word) would lose one without a trace."""
    text = (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    keys = re.findall(r'^(?:msgctxt (".*")\n)?msgid ((?:".*"\n)+)', text, flags=re.M)
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    assert repeated == []
