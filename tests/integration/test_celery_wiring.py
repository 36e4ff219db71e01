"""How the workers are wired: JSON only, late acks, no result backend, one queue per
deployment, task names in the app (so nothing in `workers` imports in a circle); and how the
write path gets its Celery nudger: given by the caller, never looked up.

Importing `workers` in a fresh process, and the CLI's `serve` and `seed` with a broker, are in
`test_worker_wiring.py`. (Integration, not unit: these import Celery and build containers.)"""

from __future__ import annotations

import ast
import time
import tomllib
from pathlib import Path

import pytest

import workers
from calendar_service.bootstrap import build
from calendar_service.config import Settings
from calendar_service.projections import PROJECTION_NAMES, NullNudger, ThreadNudger
from workers.celery_app import DELIVER_REMINDER, PROJECT, celery_config, queue_name
from workers.nudge import CeleryNudger, celery_nudger

BROKER = "redis://127.0.0.1:6379/15"
REPO = Path(__file__).resolve().parents[2]


def test_the_celery_configuration_is_json_only_with_late_acks_and_no_results() -> None:
    settings = Settings(store="redis://10.0.0.5:6379/0?prefix=gyeonggi", broker=BROKER)
    config = celery_config(settings)

    assert config["broker_url"] == BROKER
    assert config["task_serializer"] == "json"
    assert config["accept_content"] == ["json"]
    assert config["task_acks_late"] is True
    assert config["task_reject_on_worker_lost"] is True
    assert config["result_backend"] is None
    assert config["task_ignore_result"] is True
    assert config["task_default_queue"] == queue_name(settings) == "gyeonggi"
    assert queue_name(Settings(store="sqlite:///var/events.db", broker=BROKER)) == "calendar"


def test_the_project_task_has_a_stable_name_late_acks_and_no_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CALENDAR_BROKER", BROKER)  # the app reads its settings on first use
    from workers.celery_app import app
    from workers.tasks import deliver_reminder, project

    assert (PROJECT, DELIVER_REMINDER) == ("calendar.project", "calendar.deliver_reminder")
    assert project.name == "calendar.project"
    assert project.acks_late is True
    assert project.ignore_result is True
    assert deliver_reminder.name == "calendar.deliver_reminder"
    assert {"calendar.project", "calendar.deliver_reminder"} <= set(app.tasks)


def test_no_module_of_workers_imports_another_in_a_circle() -> None:
    imports = {path.stem: _workers_imported_by(path) for path in _workers_modules()}
    assert imports["nudge"] == {"celery_app"}, "the task names come from the app, not the tasks"

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            found == goal or (found not in seen and reaches(found, goal, seen | {found}))
            for found in imports.get(start, set())
        )

    assert [name for name in imports if reaches(name, name)] == []


def test_with_a_broker_the_write_path_uses_the_nudger_it_is_given() -> None:
    given = celery_nudger(Settings(store="memory://", broker=BROKER), PROJECTION_NAMES)
    container = build(Settings(store="memory://", broker=BROKER), nudger=given)
    try:
        assert container.nudger is given
        assert isinstance(container.nudger, CeleryNudger)
    finally:
        container.close()


def test_with_a_broker_and_no_nudger_given_build_refuses_before_opening_anything(
    tmp_path: Path,
) -> None:
    store = tmp_path / "events.db"
    with pytest.raises(ValueError, match=r"CALENDAR_BROKER is set, so build\(\) needs nudger="):
        build(Settings(store=f"sqlite:///{store}", broker=BROKER))
    assert not store.exists()
    build(Settings(store="memory://", broker=BROKER), nudger=NullNudger()).close()


def test_our_own_code_is_found_by_imports_not_by_entry_points() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "entry-points" not in project, "a plugin mechanism is for third parties"
    sources = [*(REPO / "calendar_service").rglob("*.py"), *_workers_modules()]
    assert [str(p) for p in sources if "entry_points" in p.read_text()] == []


def test_without_a_broker_the_embedded_thread_nudges() -> None:
    container = build(Settings(store="memory://"))
    try:
        assert isinstance(container.nudger, ThreadNudger)
    finally:
        container.close()


def test_a_nudge_to_an_unreachable_broker_is_logged_and_never_fails_the_write(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nudger = celery_nudger(
        Settings(store="memory://", broker="redis://127.0.0.1:1/0"), PROJECTION_NAMES
    )
    started = time.monotonic()
    nudger.nudge(["calendar"])
    assert time.monotonic() - started < 10
    assert "nudge of projection calendar not sent" in caplog.text


def _workers_modules() -> list[Path]:
    return sorted(Path(workers.__file__).parent.glob("*.py"))


def _workers_imported_by(path: Path) -> set[str]:
    """The modules of `workers` that `path` imports, anywhere in it (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name.split(".")[1] for name in names if name.startswith("workers.")}
    return found


def test_a_reminder_the_broker_fails_to_take_is_published_again_never_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis going away under kombu: AttributeError from its pool, then OperationalError; each
    failure gets a new producer, and the reminder is published once the broker takes it."""
    from kombu.exceptions import OperationalError

    import workers.scheduler as scheduler

    failures: list[Exception] = [
        AttributeError("'NoneType' object has no attribute 'send_command'"),
        OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    ]
    made: list[object] = []
    published: list[list[str]] = []

    class FakeProducer:
        def send_task(self, name: str, args: list[str], **_: object) -> None:
            if failures:
                raise failures.pop(0)
            published.append(args)

        def close(self) -> None:
            pass

    def producer_app(settings: Settings) -> FakeProducer:
        made.append(object())
        return FakeProducer()

    monkeypatch.setattr(scheduler, "producer_app", producer_app)
    settings = Settings(store="memory://", broker="redis://127.0.0.1:1/0")
    pauses: list[float] = []
    publish = scheduler._publisher(settings, sleep=pauses.append)
    publish("talks|start-P1D|v1")
    assert published == [["talks|start-P1D|v1"]]
    assert len(made) == 3  # the first producer and one new after each failure
    assert pauses == [0.2, 0.4]

    failures.extend([OperationalError("down")] * 100)
    stubborn = scheduler._publisher(settings, patience=0.0, sleep=pauses.append)
    with pytest.raises(OperationalError):  # then the scheduler's refire hands it on again
        stubborn("talks|start-P1D|v1")


def test_reminders_handed_on_together_go_out_in_one_task_and_a_later_one_in_its_own() -> None:
    """A burst's reminders (handed on within the window) share a task, up to its size; one
    handed on later is not held back for company."""
    import threading

    from workers.scheduler import Batches

    published: list[list[str]] = []
    done = threading.Event()

    def publish(ids: list[str]) -> None:
        published.append(ids)
        if sum(len(batch) for batch in published) == 41:
            done.set()

    batches = Batches(publish, window=0.05, most=32)
    try:
        for n in range(40):
            batches(f"e{n}|start-P1D|v1")
        deadline = time.monotonic() + 5
        while sum(len(batch) for batch in published) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        batches("late|start-P1D|v1")
        assert done.wait(5)
    finally:
        batches.close()
    assert [len(batch) for batch in published] == [32, 8, 1]
    assert [rid for batch in published for rid in batch][:40] == [
        f"e{n}|start-P1D|v1" for n in range(40)
    ]


def test_reminders_due_within_one_slot_share_a_job_which_hands_each_on_at_the_slots_end() -> None:
    from datetime import UTC, datetime, timedelta

    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    import workers.scheduler as scheduler

    aps = BackgroundScheduler(jobstores={"default": MemoryJobStore()}, timezone=UTC)
    aps.start()
    handed: list[tuple[str, datetime]] = []
    scheduler._hand_on = lambda rid: handed.append((rid, datetime.now(UTC)))
    try:
        table = scheduler.ApsJobTable(aps, 60)
        base = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        dues = {f"e{n}|start-P1D|v1": base + timedelta(milliseconds=10 + 20 * n) for n in range(4)}
        for rid, due in dues.items():
            table.put(rid, due)
        table.put("later|start-P1D|v1", base + timedelta(seconds=30))
        table.remove("e3|start-P1D|v1")  # cancelled
        table.flush()
        assert len(aps.get_jobs()) == 2  # one slot for the four (three left), one for later
        expected = {rid: due for rid, due in dues.items() if not rid.startswith("e3")}
        assert table.jobs() == {**expected, "later|start-P1D|v1": base + timedelta(seconds=30)}
        deadline = time.monotonic() + 10
        while len(handed) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        aps.shutdown(wait=True)
        scheduler._hand_on = None
    assert [rid for rid, _ in handed] == sorted(expected)
    assert all(at >= max(expected.values()) for _, at in handed)  # none before it is due
