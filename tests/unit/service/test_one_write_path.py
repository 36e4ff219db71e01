"""One write path, read off the source: one append to the log, one retry loop, one NotSettled.

These read the package's files (no import, no IO beyond reading them) and walk their syntax
trees, so a comment or a docstring that mentions `store.append(` does not count, and a call
spread over several lines does.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import calendar_service

PACKAGE = Path(calendar_service.__file__).parent
EVENTSTORE = PACKAGE / "eventstore"
STORE_NAME = re.compile(r"(?:^|_)(?:store|log)$")
"""Receivers that name the event log: store, self.store, container.store, log, event_log..."""


def _modules(outside_eventstore: bool = True) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if outside_eventstore and path.is_relative_to(EVENTSTORE):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        yield path.relative_to(PACKAGE).as_posix(), tree


def _receiver(node: ast.expr) -> str:
    """The last name of an attribute chain (`self.container.store` -> "store"), or ""."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _appends_to_a_store(call: ast.Call) -> bool:
    """An `x.append(...)` that is the event store's: on a receiver named like the log, or with
    the store's arity (stream, events, expected_version) that a list's append never has."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "append":
        return False
    by_arity = len(call.args) >= 2 or any(k.arg == "expected_version" for k in call.keywords)
    return by_arity or STORE_NAME.search(_receiver(func.value)) is not None


@pytest.mark.slow  # reads and parses every module of the package
def test_exactly_one_place_outside_the_eventstore_appends_to_the_log() -> None:
    """Counts every call `<receiver>.append(...)` in calendar_service outside eventstore/ whose
    receiver's last name is `store` or `log` (or ends in `_store`/`_log`), or which passes two
    or more arguments or `expected_version=`, as only `EventStore.append` does."""
    found = [
        f"{name}:{node.lineno}"
        for name, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _appends_to_a_store(node)
    ]
    assert len(found) == 1, found
    assert found[0].startswith("service.py:"), found


def test_the_pattern_recognises_a_store_append_in_its_usual_spellings() -> None:
    spellings = [
        "store.append(stream, events, None)",
        "self.store.append(stream, [event], expected_version=3)",
        "container.store.append(s, e, 0)",
        "log.append(batch)",
        "event_log.append(s, e, None)",
        "writer.append(stream, events, version)",
    ]
    not_stores = ["rows.append(row)", "self.logged.append(x)", "storey.append(1)"]
    calls = {text: ast.parse(text).body[0].value for text in spellings + not_stores}  # type: ignore[attr-defined]
    assert [text for text, call in calls.items() if _appends_to_a_store(call)] == spellings


@pytest.mark.slow  # reads and parses every module of the package
def test_there_is_one_retry_loop_and_one_limit_on_its_attempts() -> None:
    """Counts `for attempt... in range(...)` loops and assignments to a name ending in
    MAX_ATTEMPTS, in calendar_service outside eventstore/."""
    loops, limits = [], []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.For) and "attempt" in ast.unparse(node.target):
                loops.append(f"{name}:{node.lineno}")
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            limits += [
                f"{name}:{node.lineno}"
                for target in targets
                if isinstance(target, ast.Name) and target.id.endswith("MAX_ATTEMPTS")
            ]
    assert [where.split(":")[0] for where in loops] == ["service.py"], loops
    assert [where.split(":")[0] for where in limits] == ["service.py"], limits


@pytest.mark.slow  # reads and parses every module of the package
def test_one_not_settled_error_for_every_projection() -> None:
    classes = [
        f"{name}:{node.name}"
        for name, tree in _modules(outside_eventstore=False)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name.endswith("NotSettled")
    ]
    assert classes == ["projections/projector.py:NotSettled"]
