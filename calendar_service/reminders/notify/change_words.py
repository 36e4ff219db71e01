"""The words of one change of one engagement, for a change notice and a digest (`notice.py`).

- `notice_summary`: what the change is, in one word for programs ('rescheduled', 'refined',
  'cancelled', 'attend', 'deadline', 'changed', ...), and `headline`, the subject it makes;
- `change_lines`: each change as rows of 'old → new', the when on its own clock and, for a
  timed item abroad, on the reader's;
- `change_values`: the old and new values for programs (the webhook's `old` and `new`).

Words come from the catalogue and `read.wording`; the clocks from `message`'s helpers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from calendar_service.domain import (
    Engagement,
    EventStatus,
    ImpreciseWhen,
    Participation,
    When,
)
from calendar_service.domain.change_notices import Changes, DeadlineChange
from calendar_service.read.wording import (
    deadline_title,
    describe_audience,
    describe_event_status,
    describe_participation,
    describe_when,
    viewer_clock,
)
from calendar_service.reminders.notify.message import office_clock_label, own_city, own_clock
from calendar_service.words import N_, format_day, words_for

Lines = list[tuple[str, str]]

DECISIONS = {
    Participation.ATTENDING: "attend",
    Participation.DECLINED: "decline",
    Participation.DELEGATED: "delegate",
}
"""The summary of a decision, by the participation decided."""
STATUSES = {
    EventStatus.CANCELLED: "cancelled",
    EventStatus.CONFIRMED: "confirmed",
    EventStatus.HELD: "held",
}
"""The summary of a change of status, by the status it came to."""
HEADLINES = {
    "created": N_("New engagement: %(title)s"),
    "rescheduled": N_("Rescheduled: %(title)s"),
    "refined": N_("Dates set: %(title)s"),
    "cancelled": N_("Cancelled: %(title)s"),
    "confirmed": N_("Confirmed: %(title)s"),
    "held": N_("Held: %(title)s"),
    "attend": N_("Decision: we will attend %(title)s"),
    "decline": N_("Decision: we will decline %(title)s"),
    "delegate": N_("Decision: we will send a delegation to %(title)s"),
}
"""A notice's subject, by its summary (`notice_summary`); deadlines and 'changed' are worded
in `headline`."""


def change_lines(
    before: Engagement | None,
    after: Engagement,
    changes: Changes,
    clock: str,
    lang: str,
) -> Lines:
    """What changed, as rows of 'old → new'; for a new engagement its when. `clock` is the
    reader's zone: a timed when on another clock is shown on theirs too."""
    t = words_for(lang)
    if before is None or changes.created:
        return [
            (t.gettext("When"), own_clock(after.when, after, lang)),
            *_second(after, clock, lang),
        ]
    lines: Lines = []
    if changes.when:
        lines += _moved(*changes.when, before, after, clock, lang)
    if changes.status:
        old, new = (describe_event_status(status, lang) for status in changes.status)
        lines.append((t.gettext("Status"), _arrow(old, new, lang)))
    if changes.participation:
        old = describe_participation(before, lang) or t.gettext("no invitation")
        new = describe_participation(after, lang)
        lines.append((t.gettext("Our participation"), _arrow(old, new, lang)))
    if changes.audience:
        old, new = (describe_audience(audience, lang) for audience in changes.audience)
        lines.append((t.gettext("Who may see it"), _arrow(old, new, lang)))
    lines += [_deadline_line(change, after, lang) for change in changes.deadlines]
    return lines


def notice_summary(before: Engagement | None, changes: Changes) -> str:
    """What the notice is about, for its subject and for programs: 'created', 'rescheduled',
    'refined', 'cancelled', 'confirmed', 'held', 'attend', 'decline', 'delegate',
    'deadline' (only deadline items changed) or 'changed' (several things at once)."""
    if before is None or changes.created:
        return "created"
    if changes.cancelled:
        return "cancelled"
    primary = [kind for kind in changes.kinds if kind != "deadlines"]
    if not primary:
        return "deadline"
    if len(primary) > 1:
        return "changed"
    match primary[0]:
        case "when":
            assert changes.when is not None
            return "refined" if _refined(*changes.when) else "rescheduled"
        case "status":
            assert changes.status is not None
            return STATUSES.get(changes.status[1], "changed")
        case "participation":
            assert changes.participation is not None
            return DECISIONS.get(changes.participation[1], "changed")
    return "changed"


def headline(summary: str, after: Engagement, changes: Changes, lang: str) -> str:
    """The subject for `summary` (`notice_summary`), with the title in `lang`."""
    t, title = words_for(lang), after.title.best(lang)
    if summary in HEADLINES:
        return t.gettext(HEADLINES[summary], title=title)
    if summary == "deadline" and len(changes.deadlines) == 1:
        deadline = _deadline_title(changes.deadlines[0], after, lang)
        if title in deadline:  # a default rule's title names its engagement already
            return t.gettext("Deadline moved: %(deadline)s", deadline=deadline)
        return t.gettext("Deadline moved: %(deadline)s (%(title)s)", deadline=deadline, title=title)
    if summary == "deadline":
        return t.ngettext(
            "%(n)d deadline moved: %(title)s",
            "%(n)d deadlines moved: %(title)s",
            len(changes.deadlines),
            title=title,
        )
    return t.gettext("Changed: %(title)s", title=title)


def _refined(old: When, new: When) -> bool:
    """An imprecise when made precise within its own span: 'June' to 25-27 June."""
    return (
        isinstance(old, ImpreciseWhen) and not isinstance(new, ImpreciseWhen) and old.contains(new)
    )


def _moved(
    old: When, new: When, before: Engagement, after: Engagement, clock: str, lang: str
) -> Lines:
    """The when's rows, old → new: on its own clock (named once when both sides keep it) and,
    if either side is timed on another clock than the reader's, on the reader's."""
    t = words_for(lang)
    if old.tz == new.tz and own_city(before, old.tz, lang) == own_city(after, new.tz, lang):
        own = _arrow(describe_when(old, lang), own_clock(new, after, lang), lang)
    else:
        own = _arrow(own_clock(old, before, lang), own_clock(new, after, lang), lang)
    lines = [(t.gettext("When"), own)]
    seen = [viewer_clock(when, clock, lang) for when in (old, new)]
    if any(seen):
        old_seen, new_seen = (
            shown or describe_when(when, lang) for shown, when in zip(seen, (old, new), strict=True)
        )
        lines.append((office_clock_label(clock, lang), _arrow(old_seen, new_seen, lang)))
    return lines


def _second(engagement: Engagement, clock: str, lang: str) -> Lines:
    seen = viewer_clock(engagement.when, clock, lang)
    return [] if seen is None else [(office_clock_label(clock, lang), seen)]


def _deadline_line(change: DeadlineChange, after: Engagement, lang: str) -> tuple[str, str]:
    t = words_for(lang)
    if change.before is None:
        assert change.after is not None
        value = t.gettext("%(day)s (new)", day=format_day(change.after, lang))
    elif change.after is None:
        value = t.gettext("%(day)s (removed)", day=format_day(change.before, lang))
    else:
        value = _arrow(format_day(change.before, lang), format_day(change.after, lang), lang)
    return _deadline_title(change, after, lang), value


def _deadline_title(change: DeadlineChange, after: Engagement, lang: str) -> str:
    doc = {"rule": change.rule, "title": change.deadline.title.to_json()}
    return deadline_title(doc, after.title, lang)


def change_values(changes: Changes) -> dict[str, dict[str, Any]]:
    """`old` and `new`: each changed value for programs (codes, ISO-8601 dates and instants)."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    if changes.when:
        old["when"], new["when"] = (_when_json(when) for when in changes.when)
    for name, pair in (
        ("status", changes.status),
        ("participation", changes.participation),
        ("audience", changes.audience),
    ):
        if pair:
            old[name], new[name] = (value.value for value in pair)
    if changes.deadlines:
        old["deadlines"] = {c.rule: _iso(c.before) for c in changes.deadlines}
        new["deadlines"] = {c.rule: _iso(c.after) for c in changes.deadlines}
    return {"old": old, "new": new}


def _when_json(when: When) -> dict[str, Any]:
    start, end = when.bounds()
    return {**when.to_json(), "start": start.isoformat(), "end": end.isoformat()}


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _arrow(old: str, new: str, lang: str) -> str:
    return words_for(lang).gettext("%(before)s → %(after)s", before=old, after=new)
