"""The container's write path nudges the projections only after its append committed, and the
embedded container projects in its background thread.

Integration, not unit: the container comes from the composition root (`bootstrap.build`), which
imports every adapter, Redis's client among them. The nudger itself is unit-tested in
tests/unit/projections/test_nudge.py."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import uuid4

import pytest

from calendar_service.bootstrap import build
from calendar_service.config import Settings
from calendar_service.domain import Confirm, DomainError
from calendar_service.projections import ThreadNudger
from calendar_service.service import Envelope
from tests.unit.domain.builders import DAVOS, scheduled


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
