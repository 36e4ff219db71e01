"""The feed page over HTTP (its 404 and 410 pages, its languages, its privacy headers), and the
admin routes for feeds and staff subscriptions."""

from __future__ import annotations

from tests.integration.api.support import Api, invitation


def _feed(admin: Api, audience: str = "staff") -> dict[str, object]:
    created = admin.post("/api/admin/feeds", {"name": "Press office", "audience": audience})
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_an_admin_creates_lists_and_revokes_a_feed_and_its_page_follows(admin: Api) -> None:
    feed = _feed(admin)
    token = str(feed["token"])
    links = feed["links"]
    assert isinstance(links, dict)
    assert links["webcal"] == f"webcal://testserver/feeds/{token}.ics"
    assert token not in str(admin.get("/api/admin/feeds").json())
    admin.container.projector.catch_up_all()

    page = admin.client.get(f"/c/{token}?tz=Asia/Seoul")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Invitations waiting for a decision" in page.text
    assert links["google"] in page.text.replace("&amp;", "&")
    korean = admin.client.get(f"/c/{token}?tz=Asia/Seoul&lang=ko")
    assert "결정을 기다리는 초청" in korean.text
    chinese = admin.client.get(f"/c/{token}?tz=Asia/Seoul&lang=zh")
    assert "待决定的邀请" in chinese.text
    odd_zone = admin.client.get(f"/c/{token}?tz=Mars/Olympus")
    assert odd_zone.status_code == 200
    assert "Mars/Olympus" in odd_zone.text

    revoked = admin.post(f"/api/admin/feeds/{feed['feed_id']}/revoke", {"reason": "leaked"})
    assert revoked.json() == {"id": feed["feed_id"], "revoked": True}
    gone = admin.client.get(f"/c/{token}")
    assert gone.status_code == 410
    assert "revoked" in gone.text
    assert admin.client.get(f"/feeds/{token}.ics").status_code == 410


def test_an_unknown_token_gets_a_404_page_not_a_stack_trace(admin: Api) -> None:
    for token in ("nope", "x" * 500, "%00"):
        page = admin.client.get(f"/c/{token}")
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "No such calendar" in page.text
        assert "Traceback" not in page.text


def test_the_page_shows_only_what_the_feeds_audience_may_see(admin: Api) -> None:
    secret = invitation("secret-talks", title={"en": "Secret talks"}, audience="restricted")
    assert admin.post("/api/engagements", secret).status_code == 201
    admin.container.projector.catch_up_all()
    public = str(_feed(admin, "public")["token"])
    restricted = str(_feed(admin, "restricted")["token"])
    assert "Secret talks" not in admin.client.get(f"/c/{public}?tz=UTC").text
    assert "Secret talks" in admin.client.get(f"/c/{restricted}?tz=UTC").text


def test_an_admin_subscribes_and_unsubscribes_staff_for_reminders(admin: Api) -> None:
    body = {"name": "Interpreter Choi", "email": "choi@example.org", "channels": ["email"]}
    subscribed = admin.client.put(
        "/api/admin/staff/interpreter-choi", json=body, headers=admin.headers()
    )
    assert subscribed.status_code == 200, subscribed.text
    assert subscribed.json()["active"] is True
    assert subscribed.json()["updated_by"] == "Admin Park"
    listed = admin.get("/api/admin/staff").json()
    assert [row["staff_id"] for row in listed] == ["interpreter-choi"]
    done = admin.post("/api/admin/staff/interpreter-choi/unsubscribe", {"reason": "left"})
    assert done.json() == {"staff_id": "interpreter-choi", "unsubscribed": True}
    assert admin.get("/api/admin/staff").json() == []
    unknown = admin.post("/api/admin/staff/nobody/unsubscribe")
    assert unknown.status_code == 404
    bad = admin.client.put(
        "/api/admin/staff/x", json={"name": "X", "email": "not-an-address"}, headers=admin.headers()
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "email"
