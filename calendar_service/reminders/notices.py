"""What one change notice asks of the delivery: whom it reaches and what each recipient gets.

A notice row of the reminder schedule (`{engagement}|change|v{n}`, see
`projections.reminders_due`) holds the engagement before its first change in the window and
after its last. `Notice.of(row, plan)` reads it; `notice.recipients(subscriptions, available)`
names the targets (`domain.reminder_plan.notice_targets`); `notice.message(target, ...)` is the
one message a target gets, or None when there is nothing to tell them:

- email and webhook: a change notice in their language (`notify.notice`), saying what changed
  from what they could see before (a subscriber who could not see the engagement before reads it
  as new);
- `invite`: an iTIP message (`notify.invitation`): METHOD:REQUEST with SEQUENCE n for the
  engagement (or one of its deadline items) as it is now, METHOD:CANCEL once it is cancelled, or
  once the subscriber may no longer see it.

Deliveries, claims, marks and outcome events are the reminders' (`reminders.deliver`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Literal, Protocol

from calendar_service.domain import (
    DEFAULT_RULES,
    Audience,
    ChangeNotices,
    Channel,
    DeadlineRules,
    Engagement,
    EventStatus,
    Subscription,
    WorkingDayPredicate,
    derive_deadlines,
)
from calendar_service.domain.change_notices import Changes, changes_between
from calendar_service.domain.engagement.deadlines import Deadline
from calendar_service.domain.reminder_plan import Target, notice_targets
from calendar_service.projections.views import Doc
from calendar_service.reminders.notify import Notification

Method = Literal["REQUEST", "CANCEL"]


class NoticeWords(Protocol):
    """Words a change notice (email, webhook) and a daily digest."""

    def compose_notice(
        self,
        notice_id: str,
        due_at: datetime,
        before: Engagement | None,
        after: Engagement,
        changes: Changes,
        target: Target,
        *,
        last_modified: datetime,
    ) -> Notification: ...

    def compose_digest(
        self,
        digest_id: str,
        items: list[tuple[Engagement | None, Engagement, Changes]],
        target: Target,
        *,
        day: date,
        due_at: datetime | None = None,
    ) -> Notification: ...


class Invitations(Protocol):
    """Builds one iTIP message (by email) for a calendar item."""

    def invite(
        self,
        engagement: Engagement,
        target: Target,
        *,
        method: Method,
        sequence: int,
        last_modified: datetime,
        notice_id: str,
        lost: bool = False,
        updated: bool = False,
        due_at: datetime | None = None,
    ) -> Notification | None: ...


@dataclass(frozen=True)
class Notice:
    """One change notice: the engagement `before` (None: new) and `after`, its number."""

    notice_id: str
    due_at: datetime
    version: int
    before: Engagement | None
    after: Engagement
    rules: DeadlineRules = DEFAULT_RULES
    is_working_day: WorkingDayPredicate | None = None

    @classmethod
    def of(
        cls,
        row: Doc,
        plan: Doc,
        due_at: datetime,
        *,
        rules: DeadlineRules = DEFAULT_RULES,
        is_working_day: WorkingDayPredicate | None = None,
    ) -> Notice:
        """The notice of `row`; the engagement as it is now when this is its latest notice
        (a later note or title is shown as it now reads), else as the row kept it."""
        latest = (plan.get("notice_ids") or [None])[-1] == row["reminder_id"]
        after = Engagement.from_json(plan["engagement"] if latest else row["after"])
        before = None if row.get("before") is None else Engagement.from_json(row["before"])
        return cls(
            row["reminder_id"],
            due_at,
            int(row["schedule_version"]),
            before,
            after,
            rules,
            is_working_day,
        )

    def deadlines(self, state: Engagement | None) -> list[Deadline]:
        if state is None or self.is_working_day is None:
            return []
        return derive_deadlines(state, self.rules, self.is_working_day)

    def seen_before(self, audience: Audience | None) -> Engagement | None:
        """The engagement as a reader of `audience` knew it before: None if they could not
        see it (or it is new)."""
        if self.before is None or audience is None or not audience.admits(self.before.audience):
            return None
        return self.before.seen_by(audience)

    def changes_for(self, audience: Audience | None) -> Changes:
        """What changed for a reader of `audience`; nothing for a new engagement cancelled
        before anyone heard of it."""
        before = self.seen_before(audience)
        if before is None and self.after.status is EventStatus.CANCELLED:
            return Changes()
        return changes_between(
            before, self.after, self.deadlines(before), self.deadlines(self.after)
        )

    def recipients(
        self, subscriptions: list[Subscription], available: frozenset[str]
    ) -> list[Target]:
        """Whom this notice reaches (the log alone when nobody)."""
        changes = self.changes_for(Audience.RESTRICTED)
        if not changes:
            return [Target("log", "log", "en")]
        invitation = bool(changes.kinds != ("deadlines",))
        if self.after.status is EventStatus.CANCELLED:
            items = tuple(f"deadline-{d.rule}" for d in self.deadlines(self.before))
        else:
            items = tuple(f"deadline-{change.rule}" for change in changes.deadlines)
        before = None if self.before is None else self.before.audience
        return notice_targets(
            subscriptions,
            before,
            self.after.audience,
            available,
            invitation=invitation,
            deadline_items=items,
        )

    def message(
        self,
        target: Target,
        words: NoticeWords,
        invitations: Invitations | None,
        last_modified: datetime,
    ) -> Notification | None:
        """The one message `target` gets; None when there is nothing to tell them."""
        if target.channel != "invite":
            changes = self.changes_for(target.audience)
            if not changes and target.channel != "log":
                return None
            before = self.seen_before(target.audience)
            after = self.after.seen_by(target.audience or Audience.RESTRICTED)
            return words.compose_notice(
                self.notice_id,
                self.due_at,
                before,
                after,
                changes,
                target,
                last_modified=last_modified,
            )
        if invitations is None:
            return None
        audience = target.audience or Audience.STAFF
        lost = not audience.admits(self.after.audience)
        present = not lost and self.after.status is not EventStatus.CANCELLED
        if present and target.item:
            rule = target.item.removeprefix("deadline-")
            present = any(deadline.rule == rule for deadline in self.deadlines(self.after))
        method: Method = "REQUEST" if present else "CANCEL"
        source = self.after if present or self.before is None else self.before
        shown = source.seen_by(audience)
        return invitations.invite(
            shown,
            target,
            method=method,
            sequence=self.version,
            last_modified=last_modified,
            notice_id=self.notice_id,
            lost=lost,
            updated=self.seen_before(audience) is not None,
            due_at=self.due_at,
        )


@dataclass(frozen=True)
class Digest:
    """One subscriber's daily digest (`{digest}-{staff}|day-{YYYYMMDD}|v1`): the notices whose
    windows closed since their last digest, as that subscriber may read them."""

    digest_id: str
    staff_id: str
    day: date
    notices: tuple[Notice, ...]
    due_at: datetime | None = None

    def recipients(
        self, subscriptions: list[Subscription], available: frozenset[str]
    ) -> list[Target]:
        """The subscriber's email (else their team webhook), if they still take a digest."""
        found = [sub for sub in subscriptions if sub.staff_id == self.staff_id]
        if not found or found[0].changes is not ChangeNotices.DIGEST:
            return [Target("log", "log", "en")]
        sub = found[0]
        for channel in (Channel.EMAIL, Channel.WEBHOOK):
            if channel in sub.channels and channel.value in available:
                to = sub.email if channel is Channel.EMAIL and sub.email else channel.value
                return [
                    Target(channel.value, to, sub.lang, (sub.name,), sub.audience, "", sub.timezone)
                ]
        return [Target("log", "log", "en", (sub.name,))]

    def message(self, target: Target, words: NoticeWords) -> Notification | None:
        """The digest, or None when no change is left to tell (reverted, or not theirs)."""
        audience = target.audience or Audience.STAFF
        items = []
        for notice in self.notices:
            if not audience.admits(notice.after.audience):
                continue  # no longer theirs to read about
            changes = notice.changes_for(audience)
            if changes:
                after = notice.after.seen_by(audience)
                items.append((notice.seen_before(audience), after, changes))
        if not items or target.channel == "log":
            return None
        return words.compose_digest(self.digest_id, items, target, day=self.day, due_at=self.due_at)


@dataclass(frozen=True)
class InviteSync:
    """A subscriber who starts taking invitations gets one for each engagement they may see
    that has not ended (`invites-{staff}|sync|v{n}`), SEQUENCE its latest notice's number, so
    each later change (a higher number) updates it; and its deadline items with them, if they
    take those too."""

    sync_id: str
    staff_id: str
    engagements: tuple[tuple[Engagement, int], ...]
    """Each engagement not ended nor cancelled, with its latest notice's number."""
    rules: DeadlineRules = DEFAULT_RULES
    is_working_day: WorkingDayPredicate | None = None

    @classmethod
    def of(
        cls,
        staff_id: str,
        plans: list[Doc],
        now: datetime,
        rules: DeadlineRules = DEFAULT_RULES,
        is_working_day: WorkingDayPredicate | None = None,
    ) -> InviteSync:
        """From the reminder schedule's plans (each holds its engagement and notice number)."""
        found = []
        for plan in plans:
            if "engagement" not in plan:
                continue
            engagement = Engagement.from_json(plan["engagement"])
            if engagement.status is EventStatus.CANCELLED or engagement.when.bounds()[1] < now:
                continue
            found.append((engagement, int(plan.get("notice_version", 0))))
        found.sort(key=lambda pair: (pair[0].when.bounds()[0], str(pair[0].id)))
        return cls(f"{staff_id}-sync", staff_id, tuple(found), rules, is_working_day)

    def recipients(
        self, subscriptions: list[Subscription], available: frozenset[str]
    ) -> list[Target]:
        """An invitation per engagement (and deadline item) the subscriber may see; the log
        when they no longer take invitations."""
        found = [sub for sub in subscriptions if sub.staff_id == self.staff_id and sub.invited]
        email = found[0].email if found else None
        if email is None or "invite" not in available:
            return [Target("log", "log", "en")]
        sub = found[0]
        targets = []
        for engagement, _ in self.engagements:
            if not sub.admits(engagement.audience):
                continue
            items = [""]
            if sub.invite_deadlines and self.is_working_day is not None:
                deadlines = derive_deadlines(engagement, self.rules, self.is_working_day)
                items += [f"deadline-{deadline.rule}" for deadline in deadlines]
            targets += [
                Target(
                    "invite",
                    email,
                    sub.lang,
                    (sub.name,),
                    sub.audience,
                    f"{engagement.id}/{item}",
                    sub.timezone,
                )
                for item in items
            ]
        return targets or [Target("log", "log", "en")]

    def message(self, target: Target, invitations: Invitations) -> Notification | None:
        """The invitation of one target's item (`{engagement}/{item}`)."""
        if target.channel != "invite":
            return None
        engagement_id, _, item = target.item.partition("/")
        found = [pair for pair in self.engagements if str(pair[0].id) == engagement_id]
        if not found:
            return None
        engagement, sequence = found[0]
        audience = target.audience or Audience.STAFF
        return invitations.invite(
            engagement.seen_by(audience),
            replace(target, item=item),
            method="REQUEST",
            sequence=sequence,
            last_modified=datetime.now(UTC),
            notice_id=self.sync_id,
        )
