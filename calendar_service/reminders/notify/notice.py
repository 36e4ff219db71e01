"""What a change notice says, and a daily digest of them, in the recipient's language.

`NoticeComposer(composer).compose_notice(...)` words one change of one engagement
(`domain.change_notices.Changes`, from the state the reader last heard of to the state now):

- a subject naming the change and the title: 'Rescheduled: …', 'Dates set: …' (an imprecise
  when made precise inside its span), 'Cancelled: …', 'Decision: we will attend …' (decline,
  send a delegation), 'New engagement: …', 'Deadline moved: … (…)', 'Confirmed: …', 'Held: …';
  'Changed: …' when several things changed at once. Deadlines that move because the
  engagement moved or was decided are listed, not named in the subject;
- each change as 'old → new': the when on its own clock and, for a timed item abroad, on the
  reader's (their subscription's zone, else the office's), the status, the participation, the
  audience, each deadline item that moved, appeared or went;
- the decide-by while the province has not decided, with the days left; the place, the status,
  the link (`Composer.link`), and a footer saying why the reader receives it.

`compose_digest` lists one day's changes, one section per engagement. Both come as text, HTML
(every user text escaped) and the webhook's JSON (`event` 'change' or 'digest', the kinds that
changed, their old and new values for programs). No .ics: the feed and the invitations carry the
calendar items. How one change reads is `change_words`; the rows, the HTML and the link are
`message`'s, as a reminder's are.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calendar_service.domain import (
    Audience,
    Engagement,
    derive_deadlines,
)
from calendar_service.domain.change_notices import Changes
from calendar_service.domain.reminder_plan import Target
from calendar_service.read.decisions import DECISION_RULE, decide_by_text
from calendar_service.read.wording import (
    describe_audience,
    describe_participation,
    describe_place,
    describe_status,
)
from calendar_service.reminders.notify.base import Notification
from calendar_service.reminders.notify.change_words import (
    Lines,
    change_lines,
    change_values,
    headline,
    notice_summary,
)
from calendar_service.reminders.notify.message import (
    Composer,
    addressed,
    engagement_fields,
    html_document,
    html_table,
    label_rows,
    target_lang,
)
from calendar_service.words import format_month_day, words_for


@dataclass(frozen=True)
class Section:
    """One engagement's change, worded: a notice's whole content, a digest's part."""

    subject: str
    lines: Lines
    link: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class NoticeComposer:
    """Words change notices with a reminder `Composer`'s URLs, signing key, clock and rules."""

    composer: Composer

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
    ) -> Notification:
        """The notice `notice_id` of `changes`, from `before` (None: new to the reader) to
        `after`, for `target`. It goes out at `due_at`, whose day on the office's clock the
        decide-by's days left are counted from; `last_modified` is when the change was recorded."""
        lang = target_lang(target)
        today = due_at.astimezone(ZoneInfo(self.composer.timezone)).date()
        section = self._section(before, after, changes, target, today)
        footer = words_for(lang).gettext(
            "You receive this because you asked to hear of changes to %(audience)s engagements.",
            audience=describe_audience(after.audience, lang),
        )
        fields = {
            "text": "\n".join([f"*{section.subject}*", *label_rows(section.lines, lang)]),
            "event": "change",
            "notice": {
                "id": notice_id,
                "due_at": due_at.astimezone(UTC).isoformat(),
                "last_modified": last_modified.astimezone(UTC).isoformat(),
            },
            **section.fields,
            "lang": lang,
            "recipients": list(target.names),
        }
        return addressed(
            notice_id,
            due_at,
            target,
            subject=section.subject,
            text="\n".join([section.subject, "", *label_rows(section.lines, lang), "", footer]),
            html=html_document(section.subject, html_table(section.lines), footer, lang),
            link=section.link,
            fields=fields,
        )

    def compose_digest(
        self,
        digest_id: str,
        items: list[tuple[Engagement | None, Engagement, Changes]],
        target: Target,
        *,
        day: date,
        due_at: datetime | None = None,
    ) -> Notification:
        """One message listing `day`'s changes, one section per engagement, in their order.
        `due_at` (when it is sent) defaults to the end of `day` on the office's clock."""
        lang = target_lang(target)
        t = words_for(lang)
        if due_at is None:
            office = ZoneInfo(self.composer.timezone)
            due_at = datetime.combine(day + timedelta(days=1), time(), office)
        sections = [self._section(*item, target, day) for item in items]
        subject = t.ngettext(
            "Changes on %(day)s: %(n)d engagement",
            "Changes on %(day)s: %(n)d engagements",
            len(sections),
            day=format_month_day(day.month, day.day, lang),
        )
        audience = target.audience or _narrowest([after.audience for _, after, _ in items])
        footer = t.gettext(
            "You receive this because you asked for a daily digest of changes to "
            "%(audience)s engagements.",
            audience=describe_audience(audience, lang),
        )
        text, webhook = [subject], [f"*{subject}*"]
        for section in sections:
            rows = label_rows(section.lines, lang)
            text += ["", section.subject, *rows]
            webhook += ["", f"*{section.subject}*", *rows]
        body = "".join(
            f"<h3>{html.escape(section.subject)}</h3>{html_table(section.lines)}"
            for section in sections
        )
        return addressed(
            digest_id,
            due_at,
            target,
            subject=subject,
            text="\n".join([*text, "", footer]),
            html=html_document(subject, body, footer, lang),
            link=sections[0].link if sections else "",
            fields={
                "text": "\n".join(webhook),
                "event": "digest",
                "digest": {
                    "id": digest_id,
                    "day": day.isoformat(),
                    "due_at": due_at.astimezone(UTC).isoformat(),
                },
                "engagements": [section.fields for section in sections],
                "lang": lang,
                "recipients": list(target.names),
            },
        )

    # -- one engagement's change -----------------------------------------------------------

    def _section(
        self,
        before: Engagement | None,
        after: Engagement,
        changes: Changes,
        target: Target,
        today: date,
    ) -> Section:
        lang = target_lang(target)
        t = words_for(lang)
        link = self.composer.link(str(after.id), target, after.audience)
        clock = target.timezone or self.composer.timezone
        lines = change_lines(before, after, changes, clock, lang)
        decide_by = self._decide_by(after)
        if decide_by is not None:
            lines.append(("", decide_by_text(decide_by, today, lang)))
        place = describe_place(after.place, lang)
        if place:
            lines.append((t.gettext("Where"), place))
        if not changes.status:
            lines.append((t.gettext("Status"), describe_status(after, lang)))
        elif not changes.participation and describe_participation(after, lang):
            lines.append((t.gettext("Our participation"), describe_participation(after, lang)))
        lines.append((t.gettext("Details"), link))
        summary = notice_summary(before, changes)
        fields = {
            "summary": summary,
            "changes": list(changes.kinds),
            **change_values(changes),
            "decide_by": None if decide_by is None else decide_by.isoformat(),
            "engagement": engagement_fields(after, lang, link),
        }
        return Section(headline(summary, after, changes, lang), lines, link, fields)

    def _decide_by(self, after: Engagement) -> date | None:
        """The decision deadline's day while the province has not decided, else None."""
        working_day = self.composer.is_working_day
        if working_day is None or not (after.has_open_invitation and after.is_active):
            return None
        found = derive_deadlines(after, self.composer.rules, working_day)
        return next((item.due for item in found if item.rule == DECISION_RULE), None)


def _narrowest(audiences: list[Audience]) -> Audience:
    return max(audiences, key=lambda audience: audience.rank, default=Audience.PUBLIC)
