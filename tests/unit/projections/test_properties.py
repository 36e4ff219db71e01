"""Must show 4: for random command sequences, incremental catch-up in random batch sizes, with
the log growing in between, gives byte for byte what a rebuild from zero gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calendar_service.domain import Command, DomainError, EngagementId
from calendar_service.projections import (
    MemoryViewStore,
    catch_up,
    default_projections,
    digest,
    rebuild,
)
from tests.unit.domain.strategies import COMMANDS, CREATIONS
from tests.unit.projections.helpers import Log, project

pytestmark = pytest.mark.slow

ENGAGEMENTS = [EngagementId(name) for name in ("davos", "expo", "dodamso")]
STEP = st.tuples(
    COMMANDS,
    st.sampled_from(ENGAGEMENTS),
    st.integers(1, 60 * 24 * 10),  # minutes since the previous command
    st.integers(1, 9),  # batch size of the catch-up that follows, or none (above 6)
)
STEPS = st.builds(
    lambda creations, rest: (
        [
            (command, engagement_id, 1, 9)
            for command, engagement_id in zip(creations, ENGAGEMENTS, strict=True)
        ]
        + rest
    ),
    st.lists(CREATIONS, min_size=len(ENGAGEMENTS), max_size=len(ENGAGEMENTS)),
    st.lists(STEP, min_size=5, max_size=40),
)
"""Each engagement created first (the creation may still be refused), then any commands."""


@given(STEPS)
def test_incremental_catch_up_in_random_batches_equals_a_rebuild(
    steps: list[tuple[Command, EngagementId, int, int]],
) -> None:
    log = Log()
    incremental = MemoryViewStore()
    projections = default_projections()
    for command, engagement_id, minutes, batch in steps:
        try:
            log.run(replace(command, engagement_id=engagement_id), step=timedelta(minutes=minutes))
        except DomainError:
            continue
        if batch <= 6:
            for projection in projections:
                catch_up(projection, log.store, incremental, page_size=batch)
    for projection in projections:
        catch_up(projection, log.store, incremental, page_size=3)

    rebuilt = project(log, default_projections(), page_size=1000)
    swapped = project(log, default_projections())
    for projection in projections:
        rebuild(projection, log.store, swapped, page_size=2)
        assert incremental.checkpoint(projection.name) == log.store.head()
        assert digest(incremental, projection.name) == digest(rebuilt, projection.name)
        assert digest(swapped, projection.name) == digest(rebuilt, projection.name)
