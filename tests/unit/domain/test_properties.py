"""Properties of decide/evolve over random command sequences on one engagement."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calendar_service.domain import (
    EVENT_TYPES,
    Command,
    DomainError,
    Engagement,
    EngagementRescheduled,
    Event,
    decide,
    event_from_data,
    evolve,
    replay,
)
from tests.unit.domain.strategies import COMMANDS, CREATIONS, NOWS

pytestmark = pytest.mark.slow

SEQUENCES = st.builds(
    lambda first, rest: [first, *rest],
    st.tuples(CREATIONS, NOWS),
    st.lists(st.tuples(COMMANDS, NOWS), max_size=30),
)
"""A creating command (which may itself be refused), then any commands."""


def _step(state: Engagement | None, command: Command, now: datetime) -> list[Event] | None:
    """The events, or None when refused; a refusal is any DomainError and nothing else."""
    try:
        events = decide(state, command, now)
    except DomainError:
        return None
    assert events, f"{type(command).__name__} yielded no events and was not refused"
    return events


@given(SEQUENCES)
def test_any_command_either_yields_events_or_is_refused_and_refusals_change_nothing(
    steps: list[tuple[Command, datetime]],
) -> None:
    state: Engagement | None = None
    log: list[Event] = []
    for command, now in steps:
        before = None if state is None else state.to_json()
        events = _step(state, command, now)
        if events is None:
            assert (None if state is None else state.to_json()) == before
            assert replay(log) == state
            continue
        for event in events:
            state = evolve(state, event)
        log.extend(events)


@given(SEQUENCES)
def test_replaying_the_stored_events_gives_the_state_of_the_running_fold(
    steps: list[tuple[Command, datetime]],
) -> None:
    state: Engagement | None = None
    log: list[Event] = []
    for command, now in steps:
        events = _step(state, command, now) or []
        for event in events:
            state = evolve(state, event)
        log.extend(events)
    stored = [(event.event_type, json.dumps(event.to_data())) for event in log]
    decoded = [event_from_data(kind, json.loads(data)) for kind, data in stored]
    assert decoded == log
    assert replay(decoded) == state
    if state is not None:
        assert Engagement.from_json(json.loads(json.dumps(state.to_json()))) == state


@given(SEQUENCES)
def test_a_more_precise_when_is_never_lost_unless_a_reschedule_allows_it(
    steps: list[tuple[Command, datetime]],
) -> None:
    state: Engagement | None = None
    for command, now in steps:
        events = _step(state, command, now) or []
        for event in events:
            after = evolve(state, event)
            if state is not None:
                allowed = isinstance(event, EngagementRescheduled) and event.less_precise
                assert allowed or after.when.precision >= state.when.precision
                assert after.sequence >= state.sequence
            state = after


def test_every_event_type_is_registered_under_its_class_name() -> None:
    assert all(name == cls.__name__ for name, cls in EVENT_TYPES.items())
    assert all(cls.SCHEMA_VERSION >= 1 for cls in EVENT_TYPES.values())
