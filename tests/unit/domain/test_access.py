"""Staff tokens in the domain: only a hash is recorded, a revocation is final and idempotent."""

from __future__ import annotations

import pytest

from calendar_service.domain import InvalidValue, hash_token
from calendar_service.domain.staff_tokens import (
    IssueStaffToken,
    RevokeStaffToken,
    StaffTokenAlreadyExists,
    StaffTokenIssued,
    StaffTokenNotFound,
    StaffTokenRevoked,
    decide_token,
    evolve_token,
    token_event_from_data,
    token_stream,
)

SECRET = "x" * 43


def issue(actor: str = "Officer Lee", admin: bool = False) -> IssueStaffToken:
    return IssueStaffToken(
        token_id="a1b2c3", actor=actor, admin=admin, token_hash=hash_token(SECRET)
    )


def test_issuing_records_the_hash_and_never_the_token() -> None:
    (event,) = decide_token(None, issue(admin=True))
    assert isinstance(event, StaffTokenIssued)
    assert SECRET not in str(event.to_data())
    assert event.to_data()["token_hash"] == hash_token(SECRET)
    state = evolve_token(None, event)
    assert (state.actor, state.admin, state.revoked) == ("Officer Lee", True, False)
    assert token_stream("a1b2c3") == "token:a1b2c3"


def test_a_revocation_is_final_and_a_second_one_decides_nothing() -> None:
    state = evolve_token(None, decide_token(None, issue())[0])
    (revoked,) = decide_token(state, RevokeStaffToken(token_id="a1b2c3", reason="left"))
    assert isinstance(revoked, StaffTokenRevoked)
    state = evolve_token(state, revoked)
    assert state.revoked
    assert state.revoke_reason == "left"
    assert decide_token(state, RevokeStaffToken(token_id="a1b2c3")) == []


def test_unknown_and_taken_ids_are_refused_with_the_id_named() -> None:
    with pytest.raises(StaffTokenNotFound, match="'nope'"):
        decide_token(None, RevokeStaffToken(token_id="nope"))
    state = evolve_token(None, decide_token(None, issue())[0])
    with pytest.raises(StaffTokenAlreadyExists, match="a1b2c3"):
        decide_token(state, issue())


@pytest.mark.parametrize(
    ("actor", "field"), [("", "actor"), ("a\nb", "actor"), ("x" * 101, "actor")]
)
def test_an_actor_must_be_one_short_visible_line(actor: str, field: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        decide_token(None, issue(actor=actor))
    assert raised.value.field == field


def test_events_round_trip_through_their_data() -> None:
    (event,) = decide_token(None, issue())
    assert token_event_from_data(event.event_type, event.to_data()) == event
    with pytest.raises(InvalidValue, match="staff token event type"):
        token_event_from_data("FeedCreated", {})
