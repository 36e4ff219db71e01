"""Nudges: coalesced in the embedded thread, and harmless when duplicated, late or out of order
(the projector pulls from its checkpoint). That the write path nudges after its append commits,
through a container, is in tests/integration/test_container_nudges.py."""

from __future__ import annotations

import json
import threading
import time

import pytest

from calendar_service.domain import AddNote
from calendar_service.projections import (
    MemoryViewStore,
    Projector,
    ThreadNudger,
    default_projections,
    digest,
)
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
