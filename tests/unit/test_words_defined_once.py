"""Words defined once: the calendar's languages in the domain, and every translation in the
gettext catalogue, so no module holds a table keyed by a language code, nor a table of zone
cities or country names (those come from CLDR through `calendar_service.words`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import calendar_service
from calendar_service.domain import LANGUAGES, Audience

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


def _tables_keyed_by(keys: set[str]) -> Iterator[str]:
    """Modules holding a dict literal with one of `keys` as a constant key (a word table), but
    for one that is a field of a record (under a key such as "title": data, as in the API's
    examples of a request)."""
    for name, tree in _modules():
        nested = {
            id(value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Dict)
            for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.isalpha()
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Dict)
                and id(node) not in nested
                and any(isinstance(k, ast.Constant) and k.value in keys for k in node.keys)
            ):
                yield name
                break


@pytest.mark.slow  # reads and parses every module of the package
def test_no_module_holds_a_table_keyed_by_language() -> None:
    assert set(_tables_keyed_by(set(LANGUAGES))) == set()


@pytest.mark.slow  # reads and parses every module of the package
def test_zone_cities_and_countries_come_from_cldr_not_from_tables() -> None:
    assert set(_tables_keyed_by({"Asia/Seoul", "Asia/Shanghai", "KR", "CN"})) == set()


def test_the_feeds_words_are_catalogue_words_in_every_language() -> None:
    from calendar_service.feed.words import calendar_name

    names = {lang: calendar_name(Audience.STAFF, lang) for lang in LANGUAGES}
    assert names == {
        "en": "Diplomatic calendar (staff)",
        "ko": "외교 일정 (직원)",
        "zh": "外事日程（内部）",
    }
