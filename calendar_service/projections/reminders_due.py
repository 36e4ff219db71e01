"""The reminder schedule: what is due when, one row per engagement, offset and schedule version.

Tables (projection name `reminders_due`)::

    reminders  key "{engagement}|{offset}|v{version}"   sort: due instant (UTC)
    plans      key engagement id                      the state the plan is computed from, the
                                                      schedule version, every planned instant
    problems   key position                           events that could not apply

An engagement's plan is: each offset of its reminder policy (or the default, P7D and P1D)
before its start, while it is tentative or confirmed, the province has not declined, and its
when is precise to the day; and the morning (09:00) of each of its deadline items, in the
deadline's own zone (the office's, where the work is done). When the planned instants change,
the schedule version goes up and the previous version's rows go: rescheduling moves pending
reminders, cancelling removes them, and a reminder for a superseded time can never be found
again. A planned instant already past when the event that planned it was recorded is not
scheduled at all (the seed's 2024 history, any backfill): it is neither sent nor missed.

Change notices (`domain.change_notices`) are rows of the same table, `{engagement}|change|v{n}`
(n counts the engagement's notices), so the scheduler, the delivery, the claims and the outcome
events are the reminders' own. A fact that changes what a notice is about (the when, status,
participation, audience, a deadline item's date) opens a notice due `window` after it was
recorded, holding the state before it (`before`, null for a new engagement) and after it
(`after`); later facts recorded before that instant, while the notice is pending, update its
`after`, so a burst of edits makes one notice. A fact whose `known_at` is well before its
recording (the seed, backfills) opens none. The plan keeps the last `notice_version` and the
ids of the notices that may still be pending (`notice_ids`).

Daily digests are rows of the same table too, `digest-{staff}|day-{YYYYMMDD}|v1`, due at the
subscriber's `digest_at` on their clock (`office_timezone` when they gave none), listing the
notices (`notices`) whose windows close by then and after the previous digest. The projection
follows the staff streams for that (table `digesters`: who takes a digest, when, up to which
audience); a notice that opens adds itself to the next digest of each digester who may see its
engagement (before or after the change). The plan keeps those rows' ids (`digest_ids`).

A subscriber who starts taking invitations (the `invite` channel added, or a new subscription
with it) gets a catch-up, `invites-{staff}|sync|v{n}`, due `window` after: an invitation for
each engagement they may see that has not ended (`reminders.notices.InviteSync`).

Outcomes: an event of type ReminderSent, ReminderFailed or ReminderMissed whose data names a
`reminder_id` sets that row's `status` (pending -> sent | failed | missed; the first of one
delivery's outcomes decides it, a `ReminderFailed` of one channel beside a `ReminderSent` adds
that channel to `failed_channels`). A `ReminderRetried` (an operator's retry) makes the row
pending again, with `retry`: the retry's number, its channels, and when it was recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    DEFAULT_RULES,
    Audience,
    Deadline,
    DeadlineRules,
    Engagement,
    WorkingDayPredicate,
)
from calendar_service.domain.change_notices import (
    DEFAULT_WINDOW,
    NOTICE_LABEL,
    is_backfill,
    notice_basis,
)
from calendar_service.domain.reminder_plan import (
    DEADLINE_MORNING,
    DEFAULT_OFFSETS,
    Planned,
    reminder_id,
)
from calendar_service.domain.reminder_plan import plan as plan_reminders
from calendar_service.domain.subscriptions import STAFF_STREAM_PREFIX
from calendar_service.eventstore import StoredEvent
from calendar_service.projections._folding import (
    EngagementProjection,
    Entry,
    entry_from_doc,
    fold_engagement,
    instant_key,
)
from calendar_service.projections.base import Batch
from calendar_service.projections.views import Doc, ViewStore

NAME = "reminders_due"
REMINDERS, PLANS, DIGESTERS = "reminders", "plans", "digesters"
DIGEST_PREFIX = "digest-"
"""A digest's id starts with it: `digest-{staff}|day-{YYYYMMDD}|v1`."""
INVITES_PREFIX = "invites-"
"""An invitation catch-up's id starts with it: `invites-{staff}|sync|v{n}`."""
STAFF_ROWS = (DIGEST_PREFIX, INVITES_PREFIX)
"""The ids of rows about a staff member rather than an engagement."""
OUTCOMES = {"ReminderSent": "sent", "ReminderFailed": "failed", "ReminderMissed": "missed"}
RETRIED = "ReminderRetried"
__all__ = [
    "DEADLINE_MORNING",
    "DEFAULT_OFFSETS",
    "DEFAULT_WINDOW",
    "NAME",
    "PLANS",
    "REMINDERS",
    "STAFF_ROWS",
    "Planned",
    "RemindersDueProjection",
    "due_between",
    "notices_between",
    "pending",
    "reminder",
    "reminder_id",
    "reminders_of",
]


KEPT_NOTICES = 5
"""Notice ids a plan keeps for the scheduler's incremental pass (its full pass finds any)."""


@dataclass
class Plan:
    basis: tuple[object, ...] | None = None
    version: int = 0
    items: dict[str, str] = field(default_factory=dict)
    reminder_ids: list[str] = field(default_factory=list)
    last: Engagement | None = None
    """The state after the last applied event (what a new notice's `before` is)."""
    notice_version: int = 0
    notice_ids: list[str] = field(default_factory=list)
    digest_ids: list[str] = field(default_factory=list)


def _basis(state: Engagement) -> tuple[object, ...]:
    """Everything the planned instants depend on."""
    return (
        state.kind,
        state.direction,
        state.participation,
        state.status,
        state.when,
        state.reminder_policy,
        state.deadlines,
    )


class RemindersDueProjection(EngagementProjection):
    name = NAME
    table = PLANS

    def __init__(
        self,
        rules: DeadlineRules = DEFAULT_RULES,
        is_working_day: WorkingDayPredicate | None = None,
        default_offsets: tuple[timedelta, ...] = DEFAULT_OFFSETS,
        notice_window: timedelta = DEFAULT_WINDOW,
        office_timezone: str = "Asia/Seoul",
    ) -> None:
        super().__init__(rules, is_working_day)
        self._default_offsets = default_offsets
        self._window = notice_window
        self._office = office_timezone

    def apply(self, event: StoredEvent, batch: Batch) -> None:
        if event.type in OUTCOMES or event.type == RETRIED:
            _record_outcome(event, batch)
            return
        if event.stream.startswith(STAFF_STREAM_PREFIX):
            _record_digester(event, batch, self._window)
            return
        entry = fold_engagement(event, batch, _load)
        if entry is None:
            return
        assert entry.state is not None
        plan: Plan = entry.extra
        before, plan.last = plan.last, entry.state
        if before is None or _notice_key(before) != _notice_key(entry.state):
            self._notice(batch, entry, plan, before, event)
        basis = _basis(entry.state)
        if basis == plan.basis:
            return
        plan.basis = basis
        planned = self.plan(entry.state, self.deadlines(entry, entry.state))
        items = {p.label: instant_key(p.due) for p in planned}
        if items != plan.items:
            self._reschedule(batch, entry, plan, planned, items, event.recorded_at)

    def write(self, batch: Batch, entry: Entry, state: Engagement) -> None:
        plan: Plan = entry.extra
        doc = {
            "id": entry.id,
            "engagement": entry.state_json(state),
            **entry.coordinates(),
            "schedule_version": plan.version,
            "items": plan.items,
            "reminder_ids": plan.reminder_ids,
            "notice_version": plan.notice_version,
            "notice_ids": plan.notice_ids,
            "digest_ids": plan.digest_ids,
        }
        batch.put(PLANS, entry.id, doc)

    def _notice(
        self,
        batch: Batch,
        entry: Entry,
        plan: Plan,
        before: Engagement | None,
        event: StoredEvent,
    ) -> None:
        """Open a change notice for `event`, or fold it into the one still open."""
        after = entry.state
        assert after is not None
        if before is not None and self._notice_basis(entry, before) == self._notice_basis(
            entry, after
        ):
            return
        recorded = instant_key(event.recorded_at)
        open_id = plan.notice_ids[-1] if plan.notice_ids else None
        row = None if open_id is None else batch.get(REMINDERS, open_id)
        if row is not None and row["status"] == "pending" and recorded < row["due_at"]:
            row = {**row, "after": entry.state_json(after), "last_at": recorded}
            batch.put(REMINDERS, row["reminder_id"], row, row["due_at"])
            return
        if is_backfill(event.recorded_at, event.known_at):
            return
        plan.notice_version += 1
        rid = reminder_id(entry.id, NOTICE_LABEL, plan.notice_version)
        plan.notice_ids = [*plan.notice_ids, rid][-KEPT_NOTICES:]
        due = instant_key(event.recorded_at + self._window)
        doc: Doc = {
            "reminder_id": rid,
            "engagement_id": entry.id,
            "offset": NOTICE_LABEL,
            "rule": None,
            "schedule_version": plan.notice_version,
            "due_at": due,
            "channels": [],
            "status": "pending",
            "before": None if before is None else entry.state_json(before),
            "after": entry.state_json(after),
            "first_at": recorded,
            "last_at": recorded,
        }
        batch.put(REMINDERS, rid, doc, due)
        audiences = {after.audience} | (set() if before is None else {before.audience})
        self._digest(batch, plan, rid, event.recorded_at + self._window, audiences)

    def _digest(
        self,
        batch: Batch,
        plan: Plan,
        notice_id: str,
        notice_due: datetime,
        audiences: set[Audience],
    ) -> None:
        """Add the notice to the next digest of each digester who may see it."""
        digesters = (batch.get(DIGESTERS, "all") or {}).get("staff", {})
        for staff_id, who in sorted(digesters.items()):
            if not any(Audience(who["audience"]).admits(a) for a in audiences):
                continue
            zone = who.get("timezone") or self._office
            due = next_digest(notice_due, who["digest_at"], zone)
            day = due.astimezone(ZoneInfo(zone)).date()
            rid = reminder_id(f"{DIGEST_PREFIX}{staff_id}", f"day-{day:%Y%m%d}", 1)
            row = batch.get(REMINDERS, rid) or {
                "reminder_id": rid,
                "engagement_id": f"{DIGEST_PREFIX}{staff_id}",
                "offset": f"day-{day:%Y%m%d}",
                "kind": "digest",
                "staff_id": staff_id,
                "day": day.isoformat(),
                "rule": None,
                "schedule_version": 1,
                "due_at": instant_key(due),
                "channels": [],
                "status": "pending",
                "notices": [],
            }
            if row["status"] != "pending" or notice_id in row["notices"]:
                continue  # a digest already sent lists nothing more
            row["notices"] = [*row["notices"], notice_id]
            batch.put(REMINDERS, rid, row, row["due_at"])
            plan.digest_ids = [*plan.digest_ids, rid][-KEPT_NOTICES:]

    def _notice_basis(self, entry: Entry, state: Engagement) -> tuple[object, ...]:
        return notice_basis(state, self.deadlines(entry, state))

    def plan(self, state: Engagement, deadlines: list[Deadline] | None = None) -> list[Planned]:
        """Every instant a reminder is planned for, whether or not it is already past (the
        rules are `calendar_service.domain.reminder_plan.plan`'s); `deadlines`, if given, are
        the state's deadline items already derived."""
        return plan_reminders(
            state,
            offsets=self._default_offsets,
            rules=self._rules,
            is_working_day=self._is_working_day,
            deadlines=deadlines,
        )

    @staticmethod
    def _reschedule(
        batch: Batch,
        entry: Entry,
        plan: Plan,
        planned: list[Planned],
        items: dict[str, str],
        recorded_at: datetime,
    ) -> None:
        for stale in plan.reminder_ids:
            batch.delete(REMINDERS, stale)
        plan.version += 1
        plan.items, plan.reminder_ids = items, []
        policy = entry.state.reminder_policy if entry.state is not None else None
        channels = sorted(c.value for c in policy.channels) if policy is not None else []
        for item in planned:
            if item.due <= recorded_at:
                continue
            rid = reminder_id(entry.id, item.label, plan.version)
            plan.reminder_ids.append(rid)
            due = instant_key(item.due)
            doc = {
                "reminder_id": rid,
                "engagement_id": entry.id,
                "offset": item.label,
                "rule": item.rule,
                "schedule_version": plan.version,
                "due_at": due,
                "channels": channels,
                "status": "pending",
            }
            batch.put(REMINDERS, rid, doc, due)


def _notice_key(state: Engagement) -> tuple[object, ...]:
    """Cheap to compare: equal keys, equal notice bases (the deadlines derive from these)."""
    return (_basis(state), state.audience)


def _load(batch: Batch, engagement_id: str) -> Entry:
    doc = batch.get(PLANS, engagement_id)
    entry = entry_from_doc(engagement_id, doc)
    if doc is None or entry.state is None:
        entry.extra = Plan()
    else:
        entry.extra = Plan(
            _basis(entry.state),
            doc["schedule_version"],
            dict(doc["items"]),
            list(doc["reminder_ids"]),
            entry.state,
            doc.get("notice_version", 0),
            list(doc.get("notice_ids", [])),
            list(doc.get("digest_ids", [])),
        )
    return entry


def next_digest(after: datetime, digest_at: str, zone: str) -> datetime:
    """The first digest time (`digest_at`, HH:MM, on the clock of `zone`) at or after `after`."""
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    hour, minute = (int(part) for part in digest_at.split(":"))
    day = local.date()
    while True:
        candidate = datetime.combine(day, time(hour, minute), tz)
        if candidate >= local:
            return candidate
        day += timedelta(days=1)


def _record_digester(event: StoredEvent, batch: Batch, window: timedelta) -> None:
    """Keep who takes a daily digest and who takes invitations (from the staff streams: the
    latest fact holds); open an invitation catch-up for one who starts taking invitations."""
    staff_id = event.stream[len(STAFF_STREAM_PREFIX) :]
    doc = batch.get(DIGESTERS, "all") or {}
    staff, invited = dict(doc.get("staff", {})), dict(doc.get("invited", {}))
    data = event.data
    subscribed = event.type == "StaffSubscribed"
    if subscribed and data.get("changes") == "digest":
        staff[staff_id] = {
            "audience": data.get("audience", "staff"),
            "digest_at": data.get("digest_at", "18:00"),
            "timezone": data.get("timezone"),
        }
    else:
        staff.pop(staff_id, None)
    was = invited.get(staff_id, {"active": False, "syncs": 0})
    now = subscribed and "invite" in data.get("channels", [])
    if now and not was["active"]:
        _invite_sync(batch, staff_id, was["syncs"] + 1, event.recorded_at + window)
        was = {"active": True, "syncs": was["syncs"] + 1}
    elif not now:
        was = {**was, "active": False}
    invited[staff_id] = was
    batch.put(DIGESTERS, "all", {"staff": staff, "invited": invited})


def _invite_sync(batch: Batch, staff_id: str, number: int, due: datetime) -> None:
    rid = reminder_id(f"{INVITES_PREFIX}{staff_id}", "sync", number)
    doc: Doc = {
        "reminder_id": rid,
        "engagement_id": f"{INVITES_PREFIX}{staff_id}",
        "offset": "sync",
        "kind": "sync",
        "staff_id": staff_id,
        "rule": None,
        "schedule_version": number,
        "due_at": instant_key(due),
        "channels": [],
        "status": "pending",
    }
    batch.put(REMINDERS, rid, doc, instant_key(due))


def _record_outcome(event: StoredEvent, batch: Batch) -> None:
    rid = event.data.get("reminder_id")
    if not isinstance(rid, str):
        return
    doc = batch.get(REMINDERS, rid)
    if doc is None:
        return
    if event.type == RETRIED:
        retry = {
            "attempt": event.data.get("attempt", 1),
            "channels": list(event.data.get("channels", [])),
            "at": instant_key(event.recorded_at),
        }
        updated = {**doc, "status": "pending", "retry": retry, "failed_channels": []}
    elif doc["status"] == "pending":
        updated = {**doc, "status": OUTCOMES[event.type], "outcome_position": event.position}
        if event.type == "ReminderFailed" and event.data.get("channel"):
            updated["failed_channels"] = [event.data["channel"]]
    elif event.type == "ReminderFailed" and event.data.get("channel"):
        failed = sorted({*doc.get("failed_channels", []), str(event.data["channel"])})
        updated = {**doc, "failed_channels": failed}
    else:
        return
    batch.put(REMINDERS, rid, updated, doc["due_at"])


# --- queries -------------------------------------------------------------------------------


def due_between(
    views: ViewStore, start: datetime, end: datetime, *, limit: int | None = None
) -> list[Doc]:
    """Reminders due in [start, end), by due instant, whatever their status (change notices
    left out: `notices_between`)."""
    found = views.range(NAME, REMINDERS, instant_key(start), instant_key(end), None)
    docs = [doc for _, _, text in found if (doc := json.loads(text))["offset"] != NOTICE_LABEL]
    return docs if limit is None else docs[:limit]


def pending(views: ViewStore, until: datetime, *, limit: int | None = None) -> list[Doc]:
    """Reminders and change notices not yet sent, failed or missed, due before `until`."""
    found = views.range(NAME, REMINDERS, "", instant_key(until))
    docs = [doc for _, _, text in found if (doc := json.loads(text))["status"] == "pending"]
    return docs if limit is None else docs[:limit]


def reminder(views: ViewStore, rid: str) -> Doc | None:
    """The reminder row, or None if it is not (or no longer) scheduled."""
    found = views.get(NAME, REMINDERS, [rid]).get(rid)
    return None if found is None else dict(json.loads(found))


def reminders_of(views: ViewStore, engagement_id: str) -> list[Doc]:
    """The engagement's scheduled reminders (current schedule version), by due instant."""
    found = views.get(NAME, PLANS, [engagement_id]).get(engagement_id)
    if found is None:
        return []
    ids = json.loads(found)["reminder_ids"]
    rows = views.get(NAME, REMINDERS, ids)
    docs = [json.loads(rows[rid]) for rid in ids if rid in rows]
    return sorted(docs, key=lambda doc: (doc["due_at"], doc["reminder_id"]))


def notices_between(views: ViewStore, start: datetime, end: datetime) -> list[Doc]:
    """Change notices due in [start, end) (what a digest lists), by due instant."""
    found = views.range(NAME, REMINDERS, instant_key(start), instant_key(end), None)
    return [doc for _, _, text in found if (doc := json.loads(text))["offset"] == NOTICE_LABEL]
