"""What `make test` runs: format check, lint, types, import contracts, then the whole suite.

Each step runs even if an earlier one failed, so one run shows every problem; the exit code is
non-zero if any step failed. Extra arguments go to pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
STEPS: list[tuple[str, list[str]]] = [
    ("ruff format", [str(BIN / "ruff"), "format", "--check", "."]),
    ("ruff check", [str(BIN / "ruff"), "check", "."]),
    ("mypy", [str(BIN / "mypy")]),
    ("import contracts", [str(BIN / "lint-imports")]),
    ("pytest", [str(BIN / "pytest"), *sys.argv[1:]]),
]


def main() -> int:
    failed = []
    for name, command in STEPS:
        print(f"==> {name}", flush=True)
        if subprocess.call(command) != 0:
            failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
