"""The house's layout stays readable: a short root, and every package says what it is for.

A new maintainer finds their way by the package names and the first lines of each `__init__`;
`lint-imports` (in `make test`) holds the layers, exhaustively, so a new module fails the check
until it is placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(
    path.parent
    for top in ("calendar_service", "workers")
    for path in (ROOT / top).rglob("__init__.py")
)


def test_the_service_root_holds_at_most_six_modules() -> None:
    modules = sorted(
        path.name for path in (ROOT / "calendar_service").glob("*.py") if path.name != "__init__.py"
    )
    assert len(modules) <= 6, f"calendar_service/ root has {len(modules)} modules: {modules}"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_package_says_in_two_lines_what_it_is_for(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text("utf-8")))
    assert docstring, f"{package.relative_to(ROOT)}/__init__.py has no docstring"
    summary = docstring.split("\n\n", 1)[0].splitlines()
    assert 1 <= len(summary) <= 2, (
        f"{package.relative_to(ROOT)}/__init__.py: the first paragraph, what the package is for, "
        f"runs to {len(summary)} lines; say it in two and put the detail after a blank line"
    )
