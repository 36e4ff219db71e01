"""What every benchmark shares: targets, interleaved repeats, scratch space and the results file.

A benchmark is a `Benchmark`: a name, the peer it is measured against, the checks that make up
its target, and a `run(config)` that returns its figures. The harness adds the target text and
`met`, prints one JSON line and appends the same line, with a timestamp and the machine, to
`benchmarks/results/<name>.jsonl`.

Ratios are always "our speed / peer speed" (for latencies: peer time / our time), so a ratio
above 1 means we are faster, whichever unit the figure uses.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

T = TypeVar("T")
Figures = dict[str, Any]
Sampler = Callable[[], float]
"""One repeat of one contender: does its own set-up, returns the seconds of the timed part."""


@dataclass(frozen=True)
class Config:
    """How hard to try. `quick` is a smoke run: small N, few repeats, figures mean little."""

    quick: bool = False

    def pick(self, full: int, quick: int) -> int:
        return quick if self.quick else full


@dataclass(frozen=True)
class Check:
    """One clause of a target: a figure compared with a bound."""

    figure: str
    at_least: float | None = None
    at_most: float | None = None

    def describe(self) -> str:
        if self.at_least is not None:
            return f"{self.figure} >= {self.at_least:g}"
        return f"{self.figure} <= {self.at_most:g}"

    def holds(self, figures: Mapping[str, Any]) -> bool:
        value = figures.get(self.figure)
        if not isinstance(value, int | float):
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return not (self.at_most is not None and value > self.at_most)


@dataclass(frozen=True)
class Benchmark:
    name: str
    peer: str
    checks: tuple[Check, ...]
    run: Callable[[Config], Figures]

    @property
    def target(self) -> str:
        return " and ".join(check.describe() for check in self.checks)


class Skipped(Exception):
    """The benchmark cannot run here (e.g. no Redis); the reason is printed, nothing recorded."""


def interleaved(samplers: Mapping[str, Sampler], repeats: int) -> dict[str, list[float]]:
    """Run every contender `repeats` times, alternating the order, and collect their seconds.

    Alternating (A B C, B C A, ...) spreads slow phases of a shared machine over all of them.
    """
    names = list(samplers)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            samples[name].append(samplers[name]())
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> float:
    """Relative spread of the samples (max - min) / median: how much to trust a median."""
    mid = statistics.median(values)
    return (max(values) - min(values)) / mid if mid else 0.0


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_each(fn: Callable[[T], object], items: Sequence[T]) -> float:
    """Seconds to call `fn` on every item, dropping each result at once.

    Keeping them (say, in a list comprehension) would make the cyclic GC walk every result
    already produced, and time that instead of `fn`.
    """

    def run() -> None:
        for item in items:
            fn(item)

    return timed(run)


def rnd(value: float, digits: int = 3) -> float:
    """Round to `digits` significant figures: enough for a ratio, readable in a JSON line."""
    return float(f"{value:.{digits}g}")


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A fresh directory on a real disk, removed afterwards.

    fsync on tmpfs costs nothing, so a durable-append figure measured there would lie: /tmp is
    used only when it is not tmpfs/ramfs, otherwise the repository's ignored `var/bench/`.
    """
    base = Path(tempfile.gettempdir())
    if filesystem_of(base)["type"] in {"tmpfs", "ramfs"}:
        base = REPO / "var" / "bench"
        base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=prefix, dir=base) as directory:
        yield Path(directory)


def filesystem_of(path: Path) -> dict[str, str]:
    """The mount holding `path`, from /proc/self/mounts (longest matching mount point)."""
    resolved = str(path.resolve())
    best = {"type": "unknown", "device": "unknown", "mount": "/"}
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return best
    best_len = -1
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        device, mount, fstype = parts[0], parts[1].replace("\\040", " "), parts[2]
        inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > best_len:
            best, best_len = {"type": fstype, "device": device, "mount": mount}, len(mount)
    return best


def describe_dir(path: Path) -> str:
    fs = filesystem_of(path)
    return f"{fs['type']} ({fs['device']} on {fs['mount']}) {path.parent}"


def fsync_ms(directory: Path, rounds: int = 50) -> float:
    """Median latency of write(4 KiB) + fsync in `directory`: the floor under a durable commit."""
    target = directory / "fsync-probe"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        latencies = []
        for _ in range(rounds):
            os.write(fd, b"x" * 4096)
            start = time.perf_counter()
            os.fsync(fd)
            latencies.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        target.unlink()
    return median(latencies) * 1000


def machine_info() -> dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_benchmark(bench: Benchmark, config: Config) -> Figures:
    """Run one benchmark and return its line: benchmark, figures, target, met."""
    figures = bench.run(config)
    return {
        "benchmark": bench.name,
        **figures,
        "peer": bench.peer,
        "target": bench.target,
        "met": all(check.holds(figures) for check in bench.checks),
        **({"quick": True} if config.quick else {}),
    }


def record(line: Figures, machine: Mapping[str, Any]) -> Path:
    """Append `line`, stamped with the time and the machine, to results/<benchmark>.jsonl."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{line['benchmark']}.jsonl"
    entry = {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), **line}
    entry["machine"] = dict(machine)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return path


def progress(message: str) -> None:
    """Progress goes to stderr so stdout stays one JSON line per benchmark."""
    print(message, file=sys.stderr, flush=True)
