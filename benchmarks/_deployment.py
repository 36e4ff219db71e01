"""What the delivery benchmarks (`reminders`, `notices`) share: a distributed deployment on
Redis under a fresh key prefix, its worker and scheduler subprocesses, and their clean-up.

`Deployment(name, values)` opens Redis (`CALENDAR_BENCH_REDIS_URL`, else
`redis://127.0.0.1:6379/0`; `Skipped` if none answers), the settings (`values` are CALENDAR_*
settings without the prefix; the store, the broker on database 15 and the ephemeral-Redis
permission are added), and this process's container. `start(workers=...)` starts that many
`celery -A workers worker` processes and one `calendar-service scheduler` (the helpers of
`tests.reminders_support`), each logging to a file in `directory`, and waits until they are up.
Leaving the `with` block kills them, deletes every key under the prefix, the deployment's
queue and the tasks its killed workers left unacknowledged. The logs stay in `directory` for a
look afterwards.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from benchmarks._harness import REPO, Skipped

if TYPE_CHECKING:
    from calendar_service.bootstrap import Container
    from calendar_service.config import Settings
    from tests.reminders_support import Proc

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
_TICKS = os.sysconf("SC_CLK_TCK")


def redis_url() -> str:
    return os.environ.get("CALENDAR_BENCH_REDIS_URL", DEFAULT_REDIS)


def knob(name: str, default: int) -> int:
    """An integer knob from the environment (`CALENDAR_BENCH_<NAME>`), else `default`."""
    text = os.environ.get(f"CALENDAR_BENCH_{name}")
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise SystemExit(f"CALENDAR_BENCH_{name}={text!r}: give a whole number") from None
    if value < 1:
        raise SystemExit(f"CALENDAR_BENCH_{name}={text!r}: give 1 or more")
    return value


def worker_pool() -> tuple[str, int]:
    """The workers' pool and concurrency: CALENDAR_BENCH_WORKER_POOL (threads) and
    CALENDAR_BENCH_WORKER_CONCURRENCY (8)."""
    return os.environ.get("CALENDAR_BENCH_WORKER_POOL", "threads"), knob("WORKER_CONCURRENCY", 8)


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _with_children(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(int(child) for child in children)]


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its children (a prefork worker's pool), in MB."""
    total = 0.0
    for each in _with_children(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) `pid` and its children (a prefork pool) have used so far."""
    total = 0.0
    for each in _with_children(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


class PeakMemory:
    """Samples the resident memory of named processes every half second until `stop`."""

    def __init__(self, procs: Mapping[str, Proc]) -> None:
        self.procs = dict(procs)
        self.peak = dict.fromkeys(self.procs, 0.0)
        self._stop = threading.Event()

    def start(self) -> PeakMemory:
        threading.Thread(target=self._sample, name="peak-memory", daemon=True).start()
        return self

    def stop(self) -> dict[str, float]:
        self._stop.set()
        return dict(self.peak)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            for name, proc in self.procs.items():
                if proc.process is not None:
                    self.peak[name] = max(self.peak[name], rss_mb(proc.process.pid))


class Deployment:
    """One deployment on Redis under a fresh prefix; see the module docstring.

    `nudge`: this process's writes nudge the projections through Celery (as the API's do in
    the distributed mode); otherwise it never nudges and catches up itself.
    `results`: the workers keep task results on the broker's database (`CELERY_RESULT_BACKEND`
    in their environment), for a peer that reads them back; our own tasks ignore results.
    """

    def __init__(
        self,
        name: str,
        values: Mapping[str, str],
        *,
        nudge: bool = False,
        results: bool = False,
    ) -> None:
        import redis

        sys.path.insert(0, str(REPO))
        from calendar_service.bootstrap import build
        from calendar_service.config import Settings
        from calendar_service.projections import PROJECTION_NAMES, NullNudger
        from workers.nudge import celery_nudger

        self.url = redis_url()
        self.client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            self.client.ping()
        except redis.RedisError as error:
            self.client.close()
            raise Skipped(f"no Redis at {self.url} ({error})") from None
        self.prefix = f"bench-{name}-{uuid.uuid4().hex[:10]}"
        self.broker = self.url.rsplit("/", 1)[0] + "/15"
        settings_values = {
            "STORE": f"{self.url}?prefix={self.prefix}",
            "BROKER": self.broker,
            "REDIS_ALLOW_EPHEMERAL": "true",
            **values,
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_")}
        env.update({f"CALENDAR_{k}": v for k, v in settings_values.items()})
        self.env = env
        self.worker_env = {**env, **({"CELERY_RESULT_BACKEND": self.broker} if results else {})}
        options: dict[str, Any] = {k.lower(): v for k, v in settings_values.items()}
        self.settings: Settings = Settings(**options)
        nudger = celery_nudger(self.settings, PROJECTION_NAMES) if nudge else NullNudger()
        self.container: Container = build(self.settings, nudger=nudger)
        self.directory = Path(os.environ.get("TMPDIR", "/tmp")) / self.prefix
        self.directory.mkdir(parents=True)
        self.workers: list[Proc] = []
        self.scheduler: Proc | None = None

    def start(
        self,
        *,
        workers: int = 1,
        pool: str = "threads",
        threads: int = 8,
        include: Sequence[str] = (),
    ) -> None:
        """Start `workers` Celery workers (`include`: more task modules) and one scheduler;
        return once every worker is ready and the scheduler active."""
        from tests.reminders_support import SCHEDULER_ACTIVE, WORKER_READY, scheduler, worker

        self.workers = [
            worker(
                self.worker_env,
                self.directory,
                name=f"worker{n + 1}",
                threads=threads,
                pool=pool,
                include=tuple(include),
            )
            for n in range(workers)
        ]
        self.scheduler = scheduler(self.env, self.directory)
        for proc in [*self.workers, self.scheduler]:
            proc.start(None)
        for proc in self.workers:
            proc.wait_for(WORKER_READY, 60)
        self.scheduler.wait_for(SCHEDULER_ACTIVE, 60)

    def worker_cpu_s(self) -> dict[str, float]:
        """CPU seconds each worker has used so far, by name."""
        return {
            proc.name: cpu_s(proc.process.pid) if proc.process is not None else 0.0
            for proc in self.workers
        }

    def worker_command(self, pool: str, threads: int) -> str:
        return f"{len(self.workers)} x celery -A workers worker --pool={pool} -c {threads}"

    def close(self) -> None:
        for proc in [*self.workers, *([self.scheduler] if self.scheduler else [])]:
            proc.kill()
        try:
            self.container.close()
        finally:
            self._delete(self.client, f"{self.prefix}*")
            self.client.close()
            self._forget_queue()

    def _forget_queue(self) -> None:
        import redis

        broker = redis.Redis.from_url(self.broker)
        try:
            self._delete(broker, f"*{self.prefix}*")
            # Tasks a killed worker held are kept for redelivery in kombu's shared `unacked`
            # hash, which any worker on this database restores to our (deleted) queue.
            mine = self.prefix.encode()
            for tag, message in broker.hscan_iter("unacked"):
                if mine in message:
                    broker.hdel("unacked", tag)
                    broker.zrem("unacked_index", tag)
        finally:
            broker.close()

    @staticmethod
    def _delete(client: Any, pattern: str) -> None:
        keys = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])

    def __enter__(self) -> Deployment:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
