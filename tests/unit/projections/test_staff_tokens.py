"""The staff tokens projection: a token is found by its hash, and a revocation shows at once."""

from __future__ import annotations

import pytest

import calendar_service.projections.projector as projector_module
from calendar_service.domain.staff_tokens import RevokeStaffToken
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.eventstore.port import utc_now
from calendar_service.projections import MemoryViewStore, Projector, default_projections
from calendar_service.projections.projector import NotSettled
from calendar_service.projections.staff_tokens import token_by_id, token_for_secret
from calendar_service.service import Envelope, settle
from calendar_service.staff.tokens import authenticate, issue_token, list_tokens


def projector() -> Projector:
    return Projector(MemoryEventStore(), MemoryViewStore(), default_projections())


def test_an_issued_token_authenticates_as_its_actor_until_revoked() -> None:
    built = projector()
    issued = issue_token(built.store, built, actor="Lee", admin=True, by="t")
    principal = authenticate(built, issued.token)
    assert principal is not None
    assert (principal.actor, principal.admin) == ("Lee", True)
    assert authenticate(built, issued.token + "x") is None
    assert authenticate(built, "") is None

    assert _revoke(built, issued.row.token_id) is True
    assert authenticate(built, issued.token) is None
    row = token_for_secret(built.views, issued.token)
    assert row is not None
    assert row.revoked
    assert row.revoked_by == "t"
    assert _revoke(built, issued.row.token_id) is False


def test_the_views_keep_hashes_only_and_list_every_token() -> None:
    built = projector()
    first = issue_token(built.store, built, actor="Lee", by="t")
    second = issue_token(built.store, built, actor="Park", by="t")
    rows = list_tokens(built)
    assert [row.actor for row in rows] == ["Lee", "Park"]
    stored = "".join(doc for _, _, _, doc in built.views.rows("staff_tokens"))
    assert first.token not in stored
    assert second.token not in stored
    assert token_by_id(built.views, second.row.token_id) == second.row


def test_a_rebuild_gives_the_same_rows_as_catching_up() -> None:
    built = projector()
    issued = issue_token(built.store, built, actor="Lee", by="t")
    _revoke(built, issued.row.token_id)
    before = built.digest("staff_tokens")
    built.rebuild("staff_tokens")
    assert built.digest("staff_tokens") == before


@pytest.mark.slow  # waits out the settle margin
def test_a_token_the_projection_cannot_apply_in_time_is_recorded_and_says_what_to_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = projector()
    assert built.views.try_lock("staff_tokens", "busy-worker", 60)
    built.lock_ttl = 0.0
    monkeypatch.setattr(projector_module, "SETTLE_MARGIN", 0.05)
    advice = (
        r"log position 1\), but the staff tokens projection is still at 0 after \d+ s, so it "
        r"takes effect only once that projection catches up: run "
        r"`calendar-service projections catch-up staff_tokens`"
    )
    with pytest.raises(NotSettled, match=advice) as caught:
        issue_token(built.store, built, actor="Lee", by="t")
    assert (caught.value.name, caught.value.position, caught.value.checkpoint) == (
        "staff_tokens",
        1,
        0,
    )
    assert [event.type for event in built.store.read_all()] == ["StaffTokenIssued"]


def _revoke(built: Projector, token_id: str) -> bool:
    """Settle the token's revocation by "t"; whether this call revoked it."""
    revoke = RevokeStaffToken(token_id=token_id)
    return settle(built.store, built, revoke, Envelope("t"), utc_now).changed
