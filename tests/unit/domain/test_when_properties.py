"""When's properties: every when survives JSON, containment implies consistency.

Property tests, so the whole module is slow (see tests/conftest.py); the examples are in
test_when.py.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from calendar_service.domain import AllDayWhen, ExactWhen, ImpreciseWhen, when_from_json
from tests.unit.domain.strategies import whens

pytestmark = pytest.mark.slow


@given(whens())
def test_every_when_survives_a_json_round_trip(when: object) -> None:
    assert hasattr(when, "to_json")
    data = json.loads(json.dumps(when.to_json()))
    assert when_from_json(data) == when


@given(whens(), whens())
def test_containment_implies_consistency_and_is_reflexive(one: object, other: object) -> None:
    assert isinstance(one, AllDayWhen | ExactWhen | ImpreciseWhen)
    assert isinstance(other, AllDayWhen | ExactWhen | ImpreciseWhen)
    assert one.contains(one)
    if one.contains(other):
        assert one.consistent_with(other)
    assert one.consistent_with(other) == other.consistent_with(one)
