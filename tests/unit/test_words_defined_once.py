"""Words defined once: the calendar's languages in the domain, and the feed's word tables in
`feed.words`, which reminder messages import instead of writing their own."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import calendar_service
from calendar_service.domain import LANGUAGES
from calendar_service.feed.words import WORDS

PACKAGE = Path(calendar_service.__file__).parent


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        yield name, ast.parse(path.read_text(encoding="utf-8"))


def _strings(node: ast.expr) -> set[object] | None:
    """The values of a tuple, list or set literal of constants; None for anything else."""
    if not isinstance(node, ast.Tuple | ast.List | ast.Set):
        return None
    values = [element.value for element in node.elts if isinstance(element, ast.Constant)]
    return set(values) if len(values) == len(node.elts) else None


def _language_lists(tree: ast.Module) -> Iterator[int]:
    """Lines of a tuple, list or set literal of exactly the calendar's languages, but in a
    subscript (`Literal["en", "ko", "zh"]`: a type can only spell them out)."""
    in_subscripts = {id(node.slice) for node in ast.walk(tree) if isinstance(node, ast.Subscript)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr) or id(node) in in_subscripts:
            continue
        if _strings(node) == set(LANGUAGES):
            yield node.lineno


@pytest.mark.slow  # reads and parses every module of the package
def test_the_calendars_languages_are_written_out_once() -> None:
    found = {f"{name}:{line}" for name, tree in _modules() for line in _language_lists(tree)}
    assert [place.split(":")[0] for place in found] == ["domain/engagement/values.py"], found


def _tables_keyed_by(key: str) -> Iterator[str]:
    """Modules holding a dict literal that maps `key` to a dict literal (a word table)."""
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and any(
                isinstance(k, ast.Constant) and k.value == key and isinstance(v, ast.Dict)
                for k, v in zip(node.keys, node.values, strict=True)
            ):
                yield name


@pytest.mark.slow  # reads and parses every module of the package
def test_zone_cities_and_countries_are_tabled_once_in_the_feeds_words() -> None:
    assert list(_tables_keyed_by("Asia/Seoul")) == ["feed/words.py"]
    assert list(_tables_keyed_by("KR")) == ["feed/words.py"]


def test_every_feed_word_is_there_in_every_language() -> None:
    assert tuple(WORDS) == LANGUAGES
    keys = set(WORDS["en"])
    for lang in LANGUAGES:
        assert set(WORDS[lang]) == keys, lang
        empty = {key for key, word in WORDS[lang].items() if not word.strip()}
        assert empty <= {"month_suffix"}, lang  # English writes no suffix after a month
