"""`GET /api/decisions`: the invitations waiting, each with its decide-by, within the audience
asked for; invitations whose engagement passed undecided are lapsed, not pending."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from calendar_service.domain import Audience
from tests.integration.api.support import Api


def _invitation(officer: Api, engagement_id: str, audience: Audience, month: date) -> None:
    body: dict[str, Any] = {
        "mode": "invitation",
        "engagement_id": engagement_id,
        "kind": "forum",
        "direction": "outbound",
        "title": {"en": f"Forum {engagement_id}", "ko": f"포럼 {engagement_id}"},
        "when": {"kind": "month", "month": month.strftime("%Y-%m"), "tz": "Asia/Shanghai"},
        "inviter": "hao-peng",
        "audience": audience.value,
        "sources": [{"origin": "assumed", "claim": "test"}],
    }
    response = officer.post("/api/engagements", body)
    assert response.status_code == 201, response.text


def test_pending_decisions_are_those_of_the_audience_asked_for_each_with_a_decide_by(
    officer: Api,
) -> None:
    far = date.today().replace(day=1) + timedelta(days=400)
    _invitation(officer, "staff-forum", Audience.STAFF, far)
    _invitation(officer, "restricted-forum", Audience.RESTRICTED, far)
    _invitation(officer, "lapsed-forum", Audience.STAFF, date(2024, 9, 1))
    officer.container.projector.catch_up_all()

    staff = officer.get("/api/decisions", audience="staff", lang="ko")
    restricted = officer.get("/api/decisions", audience="restricted")

    assert staff.status_code == 200, staff.text
    pending = [d["engagement_id"] for d in staff.json()["pending"]]
    assert pending == ["staff-forum"]
    assert [d["engagement_id"] for d in staff.json()["lapsed"]] == ["lapsed-forum"]
    decision = staff.json()["pending"][0]
    assert decision["decide_by"] is not None
    assert decision["days_left"] > 300
    assert decision["overdue"] is False
    assert {d["engagement_id"] for d in restricted.json()["pending"]} == {
        "staff-forum",
        "restricted-forum",
    }
