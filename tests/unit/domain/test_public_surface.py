"""The domain's public surface is deliberate, and the domain stays pure."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import calendar_service.domain as domain

DOMAIN_DIR = Path(domain.__file__).parent


def test_the_domain_exports_exactly_its_public_names() -> None:
    assert len(domain.__all__) == len(set(domain.__all__))
    for name in domain.__all__:
        assert hasattr(domain, name), name
    assert {
        "decide",
        "evolve",
        "replay",
        "derive_deadlines",
        "Engagement",
        "When",
        "ExactWhen",
        "AllDayWhen",
        "ImpreciseWhen",
        "EVENT_TYPES",
        "DomainError",
        "Directory",
        "DEFAULT_RULES",
    } <= set(domain.__all__)
    assert not any(name.startswith("_") for name in domain.__all__)
    assert "korean_working_days" not in domain.__all__  # reached through domain.workdays only


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    for path in sorted(DOMAIN_DIR.glob("*.py")):
        allowed_third_party = {"holidays"} if path.name == "workdays.py" else set()
        for module in _imported_modules(path):
            top = module.split(".")[0]
            if module.startswith("calendar_service."):
                assert module.startswith("calendar_service.domain"), (path.name, module)
                assert module != "calendar_service.domain.workdays", (path.name, module)
            else:
                assert top in sys.stdlib_module_names or top in allowed_third_party, (
                    path.name,
                    module,
                )
