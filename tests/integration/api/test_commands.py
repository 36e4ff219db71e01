"""Every command route through HTTP, on SQLite and on Redis: what a protocol officer's client sees.

Each write needs a staff token and (for task commands) If-Match with the version from the ETag;
a stale version gets 412 and the log is unchanged; an Idempotency-Key makes a retry harmless.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.integration.api.support import Api, invitation

FORUM = "summer-davos-2027"


def head(api: Api) -> int:
    return api.container.store.head()


def test_every_command_route_changes_the_engagement_and_bumps_its_version(officer: Api) -> None:
    created = officer.post("/api/engagements", invitation(FORUM))
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"v1"'
    assert created.headers["location"] == f"/api/engagements/{FORUM}"
    assert created.json()["events"][0]["type"] == "InvitationReceived"

    steps = [
        ("refine", {"when": days("2027-06-24", "2027-06-28")}, "EngagementRefined"),
        (
            "reschedule",
            {"when": exact("2027-06-25T09:00", "2027-06-25T11:00"), "reason": "opening"},
            "EngagementRescheduled",
        ),
        ("confirm", None, "EngagementConfirmed"),
        ("accept", {"note": "The Governor attends."}, "InvitationAccepted"),
        ("decline", {"reason": "Budget session."}, "InvitationDeclined"),
        (
            "delegate",
            {"delegate": {"party_id": "vice-governor", "role": "head_of_delegation"}},
            "InvitationDelegated",
        ),
        (
            "participants",
            {"participant": {"party_id": "interpreter-kim", "role": "interpreter"}},
            "ParticipantAdded",
        ),
        ("notes", {"text": "Bring the gifts list."}, "NoteAdded"),
        (
            "reminder-policy",
            {"offsets": ["P7D", "PT2H"], "channels": ["email"]},
            "ReminderPolicyChanged",
        ),
    ]
    for number, (verb, body, event_type) in enumerate(steps, start=2):
        response = officer.command(FORUM, verb, body)
        assert response.json()["events"][0]["type"] == event_type, verb
        assert response.headers["etag"] == f'"v{number}"', verb

    removed = officer.delete(
        f"/api/engagements/{FORUM}/participants/interpreter-kim?role=interpreter",
        **{"If-Match": officer.version(FORUM)},
    )
    assert removed.status_code == 200, removed.text
    assert removed.json()["events"][0]["type"] == "ParticipantRemoved"

    state = officer.get(f"/api/engagements/{FORUM}").json()
    assert state["when"]["kind"] == "exact"
    assert state["status"] == "confirmed"
    assert state["participation"] == "delegated"
    assert state["delegate"]["party_id"] == "vice-governor"
    assert state["notes"] == ["Bring the gifts list."]
    assert state["reminder_policy"] == {"offsets": ["P7D", "PT2H"], "channels": ["email"]}
    assert [p["party_id"] for p in state["participants"]] == []
    assert state["deadlines"], "derived deadlines come with the engagement"
    assert all(d["derived"] and d["rule_text"] for d in state["deadlines"])

    cancelled = officer.command(FORUM, "cancel", {"reason": "Postponed by the organisers."})
    assert cancelled.json()["events"][0]["type"] == "EngagementCancelled"
    assert officer.get(f"/api/engagements/{FORUM}").json()["status"] == "cancelled"


def test_complete_marks_an_engagement_that_has_started_as_held(officer: Api) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    body = {
        "mode": "schedule",
        "engagement_id": "briefing-yesterday",
        "kind": "meeting",
        "direction": "local",
        "title": {"en": "Briefing"},
        "when": days(
            yesterday.isoformat(), (yesterday + timedelta(days=1)).isoformat(), "Asia/Seoul"
        ),
        "status": "confirmed",
    }
    assert officer.post("/api/engagements", body).status_code == 201
    response = officer.command("briefing-yesterday", "complete")
    assert response.json()["events"][0]["type"] == "EngagementHeld"
    assert officer.get("/api/engagements/briefing-yesterday").json()["status"] == "held"


def test_a_stale_if_match_gets_412_and_the_log_is_unchanged(officer: Api) -> None:
    officer.post("/api/engagements", invitation(FORUM))
    officer.command(FORUM, "notes", {"text": "First."})
    before = head(officer)
    response = officer.post(
        f"/api/engagements/{FORUM}/notes", {"text": "Second."}, **{"If-Match": '"v1"'}
    )
    assert response.status_code == 412
    body = response.json()
    assert body["error"] == "version_mismatch"
    assert body["current_version"] == 2
    assert body["expected_version"] == 1
    assert "v2" in body["message"]
    assert response.headers["etag"] == '"v2"'
    assert head(officer) == before


def test_a_task_command_without_if_match_is_refused_with_428(officer: Api) -> None:
    officer.post("/api/engagements", invitation(FORUM))
    before = head(officer)
    response = officer.post(f"/api/engagements/{FORUM}/confirm")
    assert response.status_code == 428
    assert response.json()["error"] == "precondition_required"
    assert "If-Match" in response.json()["message"]
    assert head(officer) == before
    star = officer.post(f"/api/engagements/{FORUM}/confirm", **{"If-Match": "*"})
    assert star.status_code == 200, star.text


def test_a_retried_post_with_the_same_idempotency_key_gets_the_same_answer_once(
    officer: Api,
) -> None:
    key = str(uuid.uuid4())
    first = officer.post("/api/engagements", invitation(FORUM), **{"Idempotency-Key": key})
    after_first = head(officer)
    again = officer.post("/api/engagements", invitation(FORUM), **{"Idempotency-Key": key})
    assert (
        (again.status_code, again.json())
        == (first.status_code, first.json())
        == (201, first.json())
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert head(officer) == after_first

    note_key = str(uuid.uuid4())
    if_match = {"If-Match": '"v1"', "Idempotency-Key": note_key}
    note = officer.post(f"/api/engagements/{FORUM}/notes", {"text": "Once."}, **if_match)
    officer.command(FORUM, "notes", {"text": "Someone else's note."})
    retried = officer.post(f"/api/engagements/{FORUM}/notes", {"text": "Once."}, **if_match)
    assert retried.status_code == 200
    assert retried.json() == note.json()
    assert officer.get(f"/api/engagements/{FORUM}").json()["notes"] == [
        "Once.",
        "Someone else's note.",
    ]

    reused = officer.post("/api/engagements", invitation("other-forum"), **{"Idempotency-Key": key})
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_reused"
    assert officer.get("/api/engagements/other-forum").status_code == 404


def test_errors_are_json_with_a_kind_and_a_message_a_person_can_act_on(officer: Api) -> None:
    missing = officer.get("/api/engagements/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    assert "no-such-thing" in missing.json()["message"]

    officer.post("/api/engagements", invitation(FORUM))
    officer.command(FORUM, "cancel", {"reason": "Called off."})
    refused = officer.post(
        f"/api/engagements/{FORUM}/confirm", **{"If-Match": officer.version(FORUM)}
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == "command_refused"
    assert "cancelled" in refused.json()["message"]

    duplicate = officer.post("/api/engagements", invitation(FORUM))
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "already_exists"

    bad_zone = officer.post(
        "/api/engagements",
        invitation("x-1", when={"kind": "month", "month": "2027-06", "tz": "Mars/Base"}),
    )
    assert bad_zone.status_code == 422
    assert bad_zone.json()["field"] == "when.tz"
    assert "Mars/Base" in bad_zone.json()["message"]

    no_when = invitation("x-2")
    del no_when["when"]
    shape = officer.post("/api/engagements", no_when)
    assert shape.status_code == 422
    assert shape.json()["field"] == "body.invitation.when"

    bad_key = officer.post("/api/engagements", invitation("x-3"), **{"Idempotency-Key": "nope"})
    assert bad_key.status_code == 422
    assert "Idempotency-Key" in bad_key.json()["field"]


def test_a_body_over_the_limit_gets_413_whether_declared_or_streamed(officer: Api) -> None:
    before = head(officer)
    declared = officer.client.post(
        "/api/engagements",
        content=b"{" + b" " * 70_000 + b"}",
        headers=officer.headers(**{"Content-Type": "application/json"}),
    )
    assert declared.status_code == 413
    assert declared.json()["limit_bytes"] == 64 * 1024
    assert "64 KiB" in declared.json()["message"]

    def chunks():
        yield b"{"
        for _ in range(20):
            yield b" " * 4096
        yield b"}"

    streamed = officer.client.post(
        "/api/engagements",
        content=chunks(),
        headers=officer.headers(**{"Content-Type": "application/json"}),
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"] == "payload_too_large"
    assert head(officer) == before


def days(first: str, end_exclusive: str, tz: str = "Asia/Shanghai") -> dict[str, str]:
    return {"kind": "all_day", "start_date": first, "end_date_exclusive": end_exclusive, "tz": tz}


def exact(start: str, end: str) -> dict[str, str]:
    return {
        "kind": "exact",
        "start": f"{start}:00+08:00",
        "end": f"{end}:00+08:00",
        "tz": "Asia/Shanghai",
    }
