"""`python -m benchmarks [NAME ...] [--quick] [--no-record] [--strict]`.

NAME selects a group (`eventlog`) or one benchmark (`eventlog.append_one_durable`); none runs
everything. Each benchmark prints one JSON line on stdout; progress goes to stderr. Full runs
append their line to `benchmarks/results/<name>.jsonl`; `--quick` runs (small N, for smoke
tests) record nothing, since their figures mean little. A group whose peer library or server
is missing prints a `skipped` line instead of failing the others.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from benchmarks._harness import Benchmark, Config, Skipped, machine_info, record, run_benchmark

GROUPS = ("eventlog", "eventlog_redis", "projections", "feeds", "reminders", "notices")
"""Modules of this package, each with a `BENCHMARKS` tuple, in the order they run."""


def load(group: str) -> tuple[Benchmark, ...]:
    """The group's benchmarks; `Skipped` if a library it needs is not installed."""
    try:
        module = importlib.import_module(f"benchmarks.{group}")
    except ModuleNotFoundError as error:
        missing = (error.name or "?").split(".")[0]
        if missing in {"benchmarks", "calendar_service"}:
            raise
        raise Skipped(
            f"{missing} is not installed: install the bench extra (pip install -e '.[bench]')"
        ) from None
    benchmarks: tuple[Benchmark, ...] = module.BENCHMARKS
    return benchmarks


def plan(names: Sequence[str]) -> list[tuple[str, set[str] | None]]:
    """(group, benchmark names or None for all of it) in run order; unknown groups refused."""
    wanted: dict[str, set[str] | None] = {}
    for name in names or GROUPS:
        group = name.split(".", 1)[0]
        if group not in GROUPS:
            raise SystemExit(f"no benchmark group {group!r}; groups: {', '.join(GROUPS)}")
        if name == group:
            wanted[group] = None
        elif group not in wanted:
            wanted[group] = {name}
        elif (chosen := wanted[group]) is not None:
            chosen.add(name)
    return [(group, wanted[group]) for group in GROUPS if group in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="group or benchmark name")
    parser.add_argument("--quick", action="store_true", help="small N smoke run; not recorded")
    parser.add_argument("--no-record", action="store_true", help="do not write results/")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    config = Config(quick=args.quick)
    machine = machine_info()
    missed: list[str] = []
    failed: list[str] = []
    for group, only in plan(args.names):
        try:
            benchmarks = load(group)
        except Skipped as reason:
            print(json.dumps({"benchmark": group, "skipped": str(reason)}), flush=True)
            continue
        if only is not None:
            unknown = set(only) - {b.name for b in benchmarks}
            if unknown:
                known = ", ".join(b.name for b in benchmarks)
                raise SystemExit(f"no benchmark {sorted(unknown)[0]!r}; {group} has: {known}")
            benchmarks = tuple(b for b in benchmarks if b.name in only)
        for bench in benchmarks:
            print(f"-- {bench.name}", file=sys.stderr, flush=True)
            try:
                line = run_benchmark(bench, config)
            except Skipped as reason:
                print(json.dumps({"benchmark": bench.name, "skipped": str(reason)}), flush=True)
                continue
            except Exception as error:  # one broken benchmark must not hide the others' figures
                failed.append(bench.name)
                print(json.dumps({"benchmark": bench.name, "error": repr(error)}), flush=True)
                continue
            print(json.dumps(line, ensure_ascii=False), flush=True)
            if not line["met"]:
                missed.append(bench.name)
            if not (config.quick or args.no_record):
                record(line, machine)
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
    if failed:
        print(f"benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 2
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
