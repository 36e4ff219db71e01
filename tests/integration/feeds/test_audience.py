"""No feed ever shows an engagement above its audience: a property over random engagements,
audiences and audience changes, checked on the bytes the feed route serves, before and after
the changes (so a cached version cannot outlive them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_service.config import Settings
from calendar_service.domain import (
    AllDayWhen,
    Audience,
    Cancel,
    ChangeAudience,
    Command,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    LocalizedText,
    ScheduleEngagement,
)
from tests.integration.feeds.support import TestClient, client, execute, new_feed, opened


@dataclass(frozen=True)
class Plan:
    """One engagement: its first audience, its day, and what happens to it later."""

    audience: Audience
    days: int
    later_audience: Audience | None
    cancelled: bool


PLANS = st.lists(
    st.builds(
        Plan,
        audience=st.sampled_from(Audience),
        days=st.integers(-400, 400),
        later_audience=st.none() | st.sampled_from(Audience),
        cancelled=st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


def shown(body: bytes) -> set[str]:
    """The engagement ids a feed shows (deadline UIDs are '<engagement>--<rule>@host')."""
    return {
        line[4:].split(b"@")[0].split(b"--")[0].decode()
        for line in body.split(b"\r\n")
        if line.startswith(b"UID:")
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans=PLANS)
def test_no_feed_ever_shows_an_engagement_above_its_audience(plans: list[Plan]) -> None:
    today = datetime.now(UTC).date()
    with opened(Settings(store="memory://"), clock=lambda: datetime.now(UTC)) as container:
        tokens = {audience: new_feed(container, audience) for audience in Audience}
        http = client(container)
        first = [
            ScheduleEngagement(
                engagement_id=EngagementId(f"e{index}"),
                details=EngagementDetails(
                    kind=EngagementKind.MEETING,
                    direction=Direction.LOCAL,
                    title=LocalizedText(en=f"Engagement {index}"),
                    when=AllDayWhen.on(today + timedelta(days=plan.days), "Asia/Seoul"),
                    audience=plan.audience,
                ),
            )
            for index, plan in enumerate(plans)
        ]
        execute(container, *first)
        audiences = {f"e{index}": plan.audience for index, plan in enumerate(plans)}
        check(http, tokens, audiences)

        later: list[Command] = []
        for index, plan in enumerate(plans):
            eid = EngagementId(f"e{index}")
            if plan.later_audience is not None and plan.later_audience is not plan.audience:
                later.append(ChangeAudience(engagement_id=eid, audience=plan.later_audience))
                audiences[str(eid)] = plan.later_audience
            if plan.cancelled:
                later.append(Cancel(engagement_id=eid, reason="called off"))
        execute(container, *later)
        check(http, tokens, audiences)


def check(http: TestClient, tokens: dict[Audience, str], audiences: dict[str, Audience]) -> None:
    for feed_audience, token in tokens.items():
        for lang in ("en", "ko"):
            answer = http.get(f"/feeds/{token}.ics", params={"lang": lang})
            assert answer.status_code == 200
            seen = shown(answer.content)
            above = {eid for eid in seen if not feed_audience.admits(audiences[eid])}
            assert not above, f"{feed_audience.value} feed shows {above}"
            # ...and it shows every engagement meant for it (a cancelled one stays a while).
            assert seen == {eid for eid, aud in audiences.items() if feed_audience.admits(aud)}
