"""Staff bearer tokens: no token 401, a revoked one 401 at once, a non-admin 403 on admin routes,
and the token's actor on every event it causes (so it shows in the history)."""

from __future__ import annotations

from calendar_service.domain import hash_token
from calendar_service.domain.staff_tokens import IssueStaffToken, RevokeStaffToken, decide_token
from calendar_service.eventstore import NewEvent
from calendar_service.projections.staff_tokens import token_for_secret
from calendar_service.service import Envelope, settle
from tests.integration.api.support import Api, invitation

FORUM = "summer-davos-2027"


def test_a_write_without_a_token_gets_401_and_changes_nothing(officer: Api) -> None:
    before = officer.container.store.head()
    anonymous = officer.as_(None)
    response = anonymous.post("/api/engagements", invitation(FORUM))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert "Authorization: Bearer" in response.json()["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.get("/api/agenda").status_code == 401
    wrong_scheme = officer.client.post(
        "/api/engagements", json=invitation(FORUM), headers={"Authorization": "Basic eDp5"}
    )
    assert wrong_scheme.status_code == 401
    assert officer.as_("not-a-token").post("/api/engagements", invitation(FORUM)).status_code == 401
    assert officer.container.store.head() == before


def test_a_revoked_token_gets_401_from_the_next_request(officer: Api, admin: Api) -> None:
    assert officer.post("/api/engagements", invitation(FORUM)).status_code == 201
    secret = officer.secret
    assert secret is not None
    row = token_for_secret(officer.container.views, secret)
    assert row is not None
    container, revoke = officer.container, RevokeStaffToken(token_id=row.token_id)
    settle(container.store, container.projector, revoke, Envelope("test"), container.clock)
    response = officer.post(
        f"/api/engagements/{FORUM}/notes", {"text": "Too late."}, **{"If-Match": '"v1"'}
    )
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]


def test_an_admin_revokes_a_token_over_http_and_it_stops_working(officer: Api, admin: Api) -> None:
    issued = admin.post("/api/admin/tokens", {"actor": "Interpreter Choi"})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert len(body["token"]) >= 43
    assert body["admin"] is False
    assert hash_token(body["token"]) not in str(admin.get("/api/admin/tokens").json())
    interpreter = admin.as_(body["token"])
    assert interpreter.post("/api/engagements", invitation(FORUM)).status_code == 201

    revoked = admin.post(f"/api/admin/tokens/{body['token_id']}/revoke", {"reason": "left"})
    assert revoked.status_code == 200
    assert revoked.json() == {
        "id": body["token_id"],
        "revoked": True,
    }
    assert interpreter.get(f"/api/engagements/{FORUM}").status_code == 401
    again = admin.post(f"/api/admin/tokens/{body['token_id']}/revoke")
    assert again.json()["revoked"] is False
    unknown = admin.post("/api/admin/tokens/abcdef012345/revoke")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"


def test_a_non_admin_on_an_admin_route_gets_403(officer: Api) -> None:
    for path in ("/api/log", "/api/admin/tokens", "/api/admin/feeds"):
        response = officer.get(path)
        assert response.status_code == 403, path
        assert response.json()["error"] == "forbidden"
        assert "Officer Lee Ji-won" in response.json()["message"]
    created = officer.post("/api/admin/tokens", {"actor": "Mallory", "admin": True})
    assert created.status_code == 403


def test_the_tokens_actor_is_on_every_event_and_in_the_history(officer: Api, admin: Api) -> None:
    officer.post("/api/engagements", invitation(FORUM))
    officer.command(FORUM, "accept", {"note": "Attending."})
    rows = officer.get(f"/api/engagements/{FORUM}/history", tz="Europe/Berlin").json()["rows"]
    assert [row["actor"] for row in rows] == ["Officer Lee Ji-won", "Officer Lee Ji-won"]
    assert rows[1]["what"] == "invitation accepted"
    assert rows[0]["known_at"].endswith(("+01:00", "+02:00"))
    assert rows[0]["sources"][0]["claim"] == "A test invitation."
    log = admin.get("/api/log", after=0, limit=1000).json()
    mine = [e for e in log["events"] if e["stream"] == f"engagement:{FORUM}"]
    assert {e["actor"] for e in mine} == {"Officer Lee Ji-won"}


def test_a_token_issued_by_another_process_works_on_its_first_request(officer: Api) -> None:
    """The API catches the tokens projection up once before refusing an unknown hash."""
    container = officer.container
    secret = "s" * 43
    command = IssueStaffToken(
        token_id="fromcli", actor="Clerk Yoon", admin=False, token_hash=hash_token(secret)
    )
    (event,) = decide_token(None, command)
    container.store.append(
        "token:fromcli",
        [NewEvent(type=event.event_type, data=event.to_data(), actor="cli")],
        expected_version=0,
    )
    response = officer.as_(secret).post("/api/engagements", invitation(FORUM))
    assert response.status_code == 201, response.text
    history = officer.get(f"/api/engagements/{FORUM}/history").json()["rows"]
    assert history[0]["actor"] == "Clerk Yoon"
