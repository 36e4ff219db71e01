"""What a change notice concerns and whom it reaches: the pure rules behind the delivery."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from calendar_service.domain import (
    Accept,
    AllDayWhen,
    Audience,
    Cancel,
    ChangeAudience,
    ChangeNotices,
    Channel,
    Engagement,
    EngagementId,
    Refine,
    Reschedule,
    Subscription,
)
from calendar_service.domain.change_notices import changes_between, is_backfill
from calendar_service.domain.engagement.values import EventStatus, Participation
from calendar_service.domain.reminder_plan import Target
from calendar_service.reminders.notices import Digest, InviteSync, Notice
from tests.unit.domain.builders import (
    DAVOS,
    DAVOS_DATES,
    invitation,
    run,
    scheduled,
    weekdays_only,
)

DUE = datetime(2024, 5, 1, tzinfo=UTC)
MOVED = AllDayWhen(date(2024, 6, 26), date(2024, 6, 29), "Asia/Shanghai")


def _sub(
    staff_id: str,
    audience: Audience = Audience.STAFF,
    channels: frozenset[Channel] = frozenset({Channel.EMAIL}),
    changes: ChangeNotices = ChangeNotices.IMMEDIATE,
    invite_deadlines: bool = False,
) -> Subscription:
    return Subscription(
        staff_id=staff_id,
        name=staff_id,
        email=f"{staff_id}@example.org",
        audience=audience,
        channels=channels,
        lang="ko",
        changes=changes,
        invite_deadlines=invite_deadlines,
    )


def _notice(before: Engagement | None, after: Engagement) -> Notice:
    return Notice(f"{DAVOS}|change|v2", DUE, 2, before, after, is_working_day=weekdays_only)


def _states(*commands: object) -> tuple[Engagement, Engagement]:
    first, _ = run([scheduled(DAVOS_DATES)])
    last, _ = run(list(commands), start=first)  # type: ignore[arg-type]
    return first, last


def test_a_reschedule_names_the_old_and_new_when_and_every_deadline_it_moved() -> None:
    before, after = _states(Reschedule(engagement_id=DAVOS, when=MOVED))
    changes = _notice(before, after).changes_for(Audience.STAFF)
    assert changes.when == (DAVOS_DATES, MOVED)
    assert changes.kinds == ("when", "deadlines")
    assert all(c.before is not None and c.after is not None for c in changes.deadlines)


def test_a_refinement_a_decision_and_a_cancellation_are_each_a_change() -> None:
    month, _ = run([invitation()])
    refined, _ = run([Refine(engagement_id=DAVOS, when=DAVOS_DATES)], start=month)
    assert changes_between(month, refined, [], []).when is not None
    accepted, _ = run([Accept(engagement_id=DAVOS)], start=refined)
    decided = changes_between(refined, accepted, [], [])
    assert decided.participation is not None
    assert decided.participation[1] is Participation.ATTENDING
    cancelled, _ = run([Cancel(engagement_id=DAVOS, reason="Host")], start=accepted)
    assert changes_between(accepted, cancelled, [], []).cancelled


def test_readers_who_take_changes_at_once_and_may_see_it_get_a_notice_others_nothing() -> None:
    before, after = _states(Reschedule(engagement_id=DAVOS, when=MOVED))
    subs = [
        _sub("kim"),
        _sub("lee", audience=Audience.PUBLIC),
        _sub("choi", changes=ChangeNotices.DIGEST),
        _sub("oh", changes=ChangeNotices.NONE),
    ]
    found = _notice(before, after).recipients(subs, frozenset({"email", "webhook", "invite"}))
    assert [(t.channel, t.to) for t in found] == [("email", "kim@example.org")]


def test_a_reader_who_loses_the_engagement_gets_a_cancellation_invitation_not_a_notice() -> None:
    before, after = _states(ChangeAudience(engagement_id=DAVOS, audience=Audience.RESTRICTED))
    subs = [
        _sub("kim", channels=frozenset({Channel.EMAIL, Channel.INVITE})),
        _sub("boss", audience=Audience.RESTRICTED),
    ]
    notice = _notice(before, after)
    found = notice.recipients(subs, frozenset({"email", "invite"}))
    assert [(t.channel, t.to) for t in found] == [
        ("email", "boss@example.org"),
        ("invite", "kim@example.org"),
    ]

    sent: list[dict[str, object]] = []

    class Recorder:
        def invite(self, engagement: Engagement, target: Target, **kw: object) -> object:
            sent.append({"audience": engagement.audience, **kw})
            return object()

    notice.message(found[1], None, Recorder(), DUE)  # type: ignore[arg-type]
    assert sent[0]["method"] == "CANCEL"
    assert sent[0]["lost"] is True
    assert sent[0]["audience"] is Audience.STAFF  # what they knew, not what it is now
    assert sent[0]["sequence"] == 2


def test_deadline_invitations_follow_the_deadlines_that_moved_and_all_go_on_cancellation() -> None:
    before, moved = _states(Reschedule(engagement_id=DAVOS, when=MOVED))
    subs = [_sub("kim", channels=frozenset({Channel.INVITE}), invite_deadlines=True)]
    found = _notice(before, moved).recipients(subs, frozenset({"email", "invite"}))
    items = [t.item for t in found]
    assert items[0] == ""  # the engagement itself
    assert len(items) > 1
    assert all(item.startswith("deadline-") for item in items[1:])

    cancelled, _ = run([Cancel(engagement_id=DAVOS, reason="Host")], start=moved)
    assert cancelled.status is EventStatus.CANCELLED
    gone = _notice(moved, cancelled).recipients(subs, frozenset({"email", "invite"}))
    every = {f"deadline-{d.rule}" for d in _notice(None, moved).deadlines(moved)}
    assert {t.item for t in gone} == {"", *every}  # each item it had goes from the calendar


def test_an_engagement_new_and_cancelled_inside_one_window_tells_nobody() -> None:
    _, cancelled = _states(Cancel(engagement_id=DAVOS, reason="Host"))
    found = _notice(None, cancelled).recipients([_sub("kim")], frozenset({"email"}))
    assert [t.channel for t in found] == ["log"]


def test_a_digest_goes_to_its_reader_alone_and_only_while_they_take_one() -> None:
    before, after = _states(Reschedule(engagement_id=DAVOS, when=MOVED))
    digest = Digest(
        "digest-choi|day-20240501|v1", "choi", date(2024, 5, 1), (_notice(before, after),)
    )
    subs = [_sub("choi", changes=ChangeNotices.DIGEST), _sub("kim")]
    (target,) = digest.recipients(subs, frozenset({"email"}))
    assert (target.channel, target.to) == ("email", "choi@example.org")
    (logged,) = digest.recipients([_sub("choi")], frozenset({"email"}))
    assert logged.channel == "log"


def test_history_filled_in_is_no_news() -> None:
    recorded = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert is_backfill(recorded, datetime(2024, 4, 1, tzinfo=UTC))
    assert not is_backfill(recorded, recorded)
    assert not is_backfill(recorded, None)


def test_a_reader_who_starts_taking_invitations_gets_each_engagement_not_ended() -> None:
    _, upcoming = _states()
    cancelled, _ = run([Cancel(engagement_id=DAVOS, reason="Host")], start=upcoming)
    other = replace(upcoming, id=EngagementId("expo-2024"), audience=Audience.RESTRICTED)
    plans: list[dict[str, Any]] = [
        {"engagement": upcoming.to_json(), "notice_version": 3},
        {"engagement": other.to_json(), "notice_version": 1},
        {"engagement": replace(cancelled, id=EngagementId("gone")).to_json()},
    ]
    sync = InviteSync.of("kim", plans, DUE, is_working_day=weekdays_only)
    assert sorted(str(e.id) for e, _ in sync.engagements) == ["expo-2024", str(DAVOS)]
    subs = [_sub("kim", channels=frozenset({Channel.INVITE}))]
    (target,) = sync.recipients(subs, frozenset({"email", "invite"}))  # not the restricted one
    assert target.item == f"{DAVOS}/"

    sent: list[dict[str, object]] = []

    class Recorder:
        def invite(self, engagement: Engagement, target: Target, **kw: object) -> object:
            sent.append({"id": str(engagement.id), "item": target.item, **kw})
            return object()

    sync.message(target, Recorder())  # type: ignore[arg-type]
    assert sent == [
        {
            "id": str(DAVOS),
            "item": "",
            "method": "REQUEST",
            "sequence": 3,  # the next notice, 4, updates it
            "last_modified": sent[0]["last_modified"],
            "notice_id": "kim-sync",
        }
    ]
    ended = InviteSync.of("kim", plans, datetime(2030, 1, 1, tzinfo=UTC))
    assert ended.engagements == ()
