"""Nudges: sent after the append commits, coalesced in the embedded thread, and harmless when
duplicated, late or out of order (the projector pulls from its checkpoint)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from uuid import uuid4

import pytest

from calendar_service.bootstrap import build
from calendar_service.config import Settings
from calendar_service.domain import AddNote, Confirm, DomainError
from calendar_service.projections import (
    MemoryViewStore,
    Projector,
    ThreadNudger,
    default_projections,
    digest,
)
from calendar_service.service import Envelope
from tests.unit.domain.builders import DAVOS, scheduled
from tests.unit.projections.counting import NAME, CountingProjection
from tests.unit.projections.helpers import Log, project


def _projector(log: Log) -> Projector:
    return Projector(
        log.store, MemoryViewStore(), [*default_projections(), CountingProjection()], page_size=2
    )


def test_duplicate_late_and_out_of_order_nudges_change_nothing() -> None:
    log = Log()
    projector = _projector(log)
    nudger = ThreadNudger(projector.catch_up, projector.names)
    try:
        log.run(scheduled(), *(AddNote(engagement_id=DAVOS, text=f"n{n}") for n in range(6)))
        for names in (["feeds", "calendar"], ["calendar"] * 5, None, ["reminders_due", NAME]):
            nudger.nudge(names)
        assert nudger.wait_idle(10)
        settled = {name: digest(projector.views, name) for name in projector.names}

        for names in (None, ["counting", "calendar", "counting"], list(reversed(projector.names))):
            nudger.nudge(names)  # late: everything is already caught up
        assert nudger.wait_idle(10)
    finally:
        nudger.close()

    assert {name: digest(projector.views, name) for name in projector.names} == settled
    rebuilt = project(log, [*default_projections(), CountingProjection()])
    assert settled == {name: digest(rebuilt, name) for name in projector.names}
    counts = [json.loads(doc)["times"] for *_, doc in projector.views.rows(NAME, "applied")]
    assert counts == [1] * log.store.head()


def test_nudges_arriving_during_a_pass_are_coalesced_into_one_more() -> None:
    passes: list[str] = []
    started, release = threading.Event(), threading.Event()

    def slow_catch_up(name: str) -> None:
        passes.append(name)
        started.set()
        release.wait(5)

    nudger = ThreadNudger(slow_catch_up, ["calendar"])
    try:
        nudger.nudge()
        assert started.wait(5)
        for _ in range(50):
            nudger.nudge()
        release.set()
        assert nudger.wait_idle(5)
    finally:
        nudger.close()
    assert passes == ["calendar", "calendar"]


@pytest.mark.slow  # waits for the safety-net interval
def test_the_thread_survives_a_failing_pass_and_the_safety_net_wakes_it_unasked() -> None:
    calls: list[str] = []

    def flaky(name: str) -> None:
        calls.append(name)
        if len(calls) == 1:
            raise RuntimeError("views store unavailable")

    nudger = ThreadNudger(flaky, ["calendar"], interval=0.05)
    try:
        nudger.nudge()
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        nudger.close()
    assert len(calls) >= 3, "the failure was logged and the interval nudged again"


class _Spy:
    def __init__(self, store_head: object) -> None:
        self.head = store_head
        self.seen: list[int] = []

    def nudge(self, names: Iterable[str] | None = None) -> None:
        self.seen.append(self.head())  # type: ignore[operator]

    def close(self) -> None:
        pass


def test_the_write_path_nudges_only_after_its_append_committed() -> None:
    container = build(Settings(store="memory://"))
    spy = _Spy(container.store.head)
    container.nudger = spy
    try:
        outcome = container.execute(scheduled(), Envelope(actor="kim"))
        assert spy.seen == [outcome.positions[-1]] == [1]

        with pytest.raises(DomainError):
            container.execute(scheduled(), Envelope(actor="kim"))  # already exists: refused
        assert spy.seen == [1]

        retry = Envelope(actor="kim", command_id=uuid4())
        container.execute(Confirm(engagement_id=DAVOS), retry)
        container.execute(Confirm(engagement_id=DAVOS), retry)  # a retried request
        assert spy.seen == [1, 2, 2], "a retry nudges again: the first nudge may have been lost"
    finally:
        container.close()


def test_the_embedded_container_projects_a_command_in_its_background_thread() -> None:
    container = build(Settings(store="memory://"))
    try:
        assert isinstance(container.nudger, ThreadNudger)
        container.execute(scheduled(), Envelope(actor="kim"))
        assert container.nudger.wait_idle(10)
        assert {s.lag for s in container.projector.status()} == {0}
    finally:
        container.close()
