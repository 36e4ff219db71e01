"""Staff tokens carry a clearance, and every /api read is filtered by it (issue 13).

A token created without --admin is cleared for staff: it never sees a restricted engagement
through the agenda, one engagement, its history or the decisions; asking for a wider audience
than the clearance is refused with 403. A public clearance reads what a public reader reads.
Tokens issued before clearances existed read as restricted if they were an admin's, else staff.
"""

from __future__ import annotations

import json

from calendar_service.domain import Audience, hash_token
from calendar_service.domain.staff_tokens import token_stream
from calendar_service.eventstore import NewEvent
from tests.integration.api.support import Api, invitation, token

SECRET = "secret-talks-2027"
SECRET_TITLE = "Back-channel talks"
OPEN = "open-forum-2027"


def _calendar(officer: Api) -> None:
    """A restricted invitation (pending, so it is on the decisions board too) and a staff one."""
    restricted = invitation(SECRET, title={"en": SECRET_TITLE}, audience="restricted")
    assert officer.post("/api/engagements", restricted).status_code == 201
    assert officer.post("/api/engagements", invitation(OPEN, audience="staff")).status_code == 201
    officer.container.projector.catch_up_all()


def _reads(api: Api) -> dict[str, tuple[int, str]]:
    """Every /api read a token can make about the calendar, by name: status and body."""
    answers: dict[str, tuple[int, str]] = {}
    for name, path, params in [
        ("agenda", "/api/agenda", {"from": "2027-01-01", "to": "2027-12-31"}),
        ("decisions", "/api/decisions", {}),
        ("engagement", f"/api/engagements/{SECRET}", {}),
        ("history", f"/api/engagements/{SECRET}/history", {}),
        ("open engagement", f"/api/engagements/{OPEN}", {}),
        ("open history", f"/api/engagements/{OPEN}/history", {}),
    ]:
        response = api.get(path, **params)
        answers[name] = (response.status_code, response.text)
    return answers


def test_a_staff_token_never_sees_a_restricted_engagement_through_the_api(officer: Api) -> None:
    _calendar(officer)
    staff = officer.as_(token(officer.container, "Officer Kim"))  # no --admin, no --clearance

    answers = _reads(staff)

    for name, (status, text) in answers.items():
        assert SECRET_TITLE not in text, name
        assert status in (200, 404), (name, status)
        if status == 200:
            assert SECRET not in text, name
    assert answers["engagement"][0] == answers["history"][0] == 404
    # the answer for an id that names nothing, word for word: nothing tells the secret exists
    nothing = staff.get("/api/engagements/no-such-talks-2027").text
    assert answers["engagement"][1] == nothing.replace("no-such-talks-2027", SECRET)
    assert answers["open engagement"][0] == answers["open history"][0] == 200
    assert OPEN in answers["agenda"][1]
    assert OPEN in answers["decisions"][1]
    # the same token, cleared for restricted, does see it: the filter is the clearance
    cleared = officer.as_(token(officer.container, "Officer Kim", clearance=Audience.RESTRICTED))
    assert all(SECRET in text for _, text in list(_reads(cleared).values())[:4])


def test_asking_for_more_than_the_clearance_is_refused_not_narrowed(officer: Api) -> None:
    _calendar(officer)
    staff = officer.as_(token(officer.container, "Officer Kim"))

    for path in ("/api/agenda", "/api/decisions"):
        refused = staff.get(path, audience="restricted")
        assert refused.status_code == 403, refused.text
        assert "cleared for 'staff'" in refused.json()["message"]
        assert staff.get(path, audience="staff").status_code == 200
        assert staff.get(path, audience="public").status_code == 200


def test_a_public_clearance_reads_public_notes_only_and_no_names(officer: Api) -> None:
    body = invitation("press-day-2027", audience="public")
    assert officer.post("/api/engagements", body).status_code == 201
    officer.command(
        "press-day-2027", "notes", {"text": "Open to the press", "visibility": "public"}
    )
    officer.command("press-day-2027", "notes", {"text": "Seat the Vice-Governor left"})
    public = officer.as_(token(officer.container, "Press desk", clearance=Audience.PUBLIC))

    engagement = public.get("/api/engagements/press-day-2027")
    history = public.get("/api/engagements/press-day-2027/history")
    staff_history = officer.get("/api/engagements/press-day-2027/history")

    assert engagement.status_code == history.status_code == 200
    for text in (engagement.text, history.text):
        assert "Open to the press" in text
        assert "Seat the Vice-Governor left" not in text
        assert "Officer Lee Ji-won" not in text
        assert "letter" not in text  # the invitation's channel: how, not what
    rows = staff_history.json()["rows"]
    assert [row["visibility"] for row in rows if row["event_type"] == "NoteAdded"] == [
        "public",
        "internal",
    ]
    assert public.get(f"/api/engagements/{OPEN}").status_code == 404  # not even a staff one


def test_clearances_are_chosen_in_the_admin_api_and_an_admin_is_restricted(admin: Api) -> None:
    made = admin.post("/api/admin/tokens", {"actor": "Press desk", "clearance": "public"})
    boss = admin.post("/api/admin/tokens", {"actor": "Director", "admin": True})
    wrong = admin.post(
        "/api/admin/tokens", {"actor": "Director", "admin": True, "clearance": "staff"}
    )
    plain = admin.post("/api/admin/tokens", {"actor": "Officer Kim"})

    assert made.status_code == 201
    assert made.json()["clearance"] == "public"
    assert boss.json()["clearance"] == "restricted"
    assert plain.json()["clearance"] == "staff"
    assert wrong.status_code == 422, wrong.text
    assert "clearance" in wrong.text


def test_tokens_issued_before_clearances_read_as_restricted_if_admin_else_staff(
    officer: Api,
) -> None:
    _calendar(officer)
    container = officer.container
    secrets = {"old-admin": "a" * 43, "old-staff": "s" * 43}
    for token_id, secret in secrets.items():
        # the event as it was stored before clearances: no clearance field
        data = {
            "token_id": token_id,
            "actor": token_id,
            "admin": token_id == "old-admin",
            "token_hash": hash_token(secret),
        }
        container.store.append(
            token_stream(token_id),
            [NewEvent(type="StaffTokenIssued", data=json.loads(json.dumps(data)), actor="t")],
            expected_version=0,
        )
    container.projector.catch_up_all()

    old_admin = officer.as_(secrets["old-admin"]).get(f"/api/engagements/{SECRET}")
    old_staff = officer.as_(secrets["old-staff"]).get(f"/api/engagements/{SECRET}")

    assert old_admin.status_code == 200, old_admin.text
    assert old_staff.status_code == 404, old_staff.text
    listed = {
        row["token_id"]: row["clearance"]
        for row in officer.as_(secrets["old-admin"]).get("/api/admin/tokens").json()
    }
    assert listed["old-admin"] == "restricted"
    assert listed["old-staff"] == "staff"


def test_a_staff_token_cannot_write_to_or_create_a_restricted_engagement(officer: Api) -> None:
    """Writes are held to the clearance as reads are: a write to an engagement above it is
    not found, word for word as for an id that names nothing, and appends nothing; making an
    engagement restricted is refused."""
    _calendar(officer)
    staff = officer.as_(token(officer.container, "Officer Kim"))
    head = officer.container.store.head()

    note = {"text": "Seen at the airport", "visibility": "internal"}
    written = staff.post(f"/api/engagements/{SECRET}/notes", note, **{"If-Match": "*"})
    nothing = staff.post("/api/engagements/no-such-talks-2027/notes", note, **{"If-Match": "*"})
    created = staff.post("/api/engagements", invitation("new-secret-2027", audience="restricted"))

    assert written.status_code == 404, written.text
    assert written.json() == {
        **nothing.json(),
        "message": nothing.json()["message"].replace("no-such-talks-2027", SECRET),
    }
    assert created.status_code == 403, created.text
    assert "cleared for 'staff'" in created.json()["message"]
    assert officer.container.store.head() == head, "nothing was appended"
    assert (
        staff.post(f"/api/engagements/{OPEN}/notes", note, **{"If-Match": "*"}).status_code == 200
    )
