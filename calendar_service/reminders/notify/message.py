"""What a reminder says, in the recipient's language (en, ko or zh), and where its link leads.

`Composer.compose(reminder, engagement, target)` gives one `Notification`: a subject with the
title; a plain-text body and the same as HTML (every user-entered text escaped) with the when
on the engagement's own clock and, for a timed item abroad, on the office's clock too
(`CALENDAR_TIMEZONE`), the place, the status and a link to the engagement's page; the JSON the
webhook posts (a `text` that Slack and Mattermost show, plus structured fields); and the
engagement's .ics, rendered by `calendar_service.feed` like the feed's item.

Every word comes from the catalogue (`words_for(lang)`), durations and zone cities from the CLDR
formats (`calendar_service.words`), whens, places and statuses from `read.wording`; names of
people, places and engagements from the data in the recipient's language. Audience names are
`read.wording.describe_audience`'s (msgids in context "audience", the feed's too), so a word
reads the same in a feed and a message.

`when_lines`, `text_rows` and `html_body` word and lay out the lines of the other messages too
(`notify.invitation`).

The link is signed for the recipient (`feed.links.signed_page_url`): it opens the engagement's
page `/e/{id}?a=&l=&s=` for the recipient's audience (the subscription's; a team webhook's is
the narrowest of its subscribers') in their language, with no token. A deadline's reminder
links to its engagement. The .ics attachment carries the same link.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from calendar_service.domain import (
    DEFAULT_RULES,
    LANGUAGES,
    Audience,
    DeadlineRules,
    Engagement,
    EngagementId,
    ExactWhen,
    WorkingDayPredicate,
    derive_deadlines,
    parse_duration,
)
from calendar_service.domain.engagement.deadlines import Deadline
from calendar_service.domain.reminder_plan import Target
from calendar_service.feed import EngagementItem, FeedMeta, render_calendar, signed_page_url
from calendar_service.read.decisions import DECISION_RULE
from calendar_service.read.wording import (
    deadline_title,
    describe_audience,
    describe_place,
    describe_status,
    describe_when,
    describe_when_in_zone,
    party_name,
    viewer_clock,
)
from calendar_service.reminders.notify.base import Attachment, Notification
from calendar_service.words import format_duration, words_for, zone_city


@dataclass(frozen=True)
class ReminderInfo:
    """The reminder a message is for, as the reminder schedule holds it."""

    reminder_id: str
    label: str
    due_at: datetime
    rule: str | None = None


@dataclass(frozen=True)
class Composer:
    """Words reminders for this deployment: its page URLs, the key that signs them
    (`bootstrap.link_secret`) and its office clock."""

    base_url: str
    link_key: bytes
    timezone: str = "Asia/Seoul"
    rules: DeadlineRules = DEFAULT_RULES
    is_working_day: WorkingDayPredicate | None = None

    def link(self, engagement_id: str, target: Target, audience: Audience) -> str:
        """The engagement's page for this recipient: their audience (`audience`, the
        engagement's, when the target carries none) and their language."""
        seen_as = target.audience or audience
        lang = target.lang if target.lang in LANGUAGES else "en"
        return signed_page_url(self.base_url, self.link_key, engagement_id, seen_as.value, lang)

    def compose(
        self,
        reminder: ReminderInfo,
        engagement: Engagement,
        target: Target,
        *,
        last_modified: datetime,
    ) -> Notification:
        lang = target.lang if target.lang in LANGUAGES else "en"
        t = words_for(lang)
        link = self.link(str(engagement.id), target, engagement.audience)
        subject = self._headline(reminder, engagement, lang)
        lines = [*self._lines(reminder, engagement, lang), (t.gettext("Details"), link)]
        audience = describe_audience(engagement.audience, lang)
        footer = t.gettext(
            "You receive this because you subscribed to reminders of %(audience)s engagements.",
            audience=audience,
        )
        text = "\n".join([subject, "", *text_rows(lines, lang), "", footer])
        return Notification(
            key=f"{reminder.reminder_id}#{target.key}",
            reminder_id=reminder.reminder_id,
            due_at=reminder.due_at,
            channel=target.channel,
            to=target.to,
            lang=lang,
            subject=subject,
            text=text,
            html=html_body(subject, lines, footer, lang),
            link=link,
            fields=self._fields(reminder, engagement, target, subject, lines, link),
            attachments=self._ics(engagement, lang, last_modified, link),
        )

    def _headline(self, reminder: ReminderInfo, engagement: Engagement, lang: str) -> str:
        t = words_for(lang)
        title = engagement.title.best(lang)
        if reminder.label.startswith("start-"):
            offset = parse_duration("offset", reminder.label.removeprefix("start-"))
            if not offset:
                return t.gettext("Reminder: %(title)s starts now", title=title)
            return t.gettext(
                "Reminder: %(title)s starts in %(duration)s",
                title=title,
                duration=format_duration(offset, lang),
            )
        if self._rule(reminder) == DECISION_RULE:
            return t.gettext("Decision due today: will we attend %(title)s?", title=title)
        deadline = self._deadline_title(reminder, engagement, lang)
        return t.gettext("Deadline today: %(deadline)s", deadline=deadline)

    @staticmethod
    def _rule(reminder: ReminderInfo) -> str:
        return reminder.rule or reminder.label.removeprefix("deadline-")

    def _deadline(self, reminder: ReminderInfo, engagement: Engagement) -> Deadline | None:
        if self.is_working_day is None:
            return None
        rule = self._rule(reminder)
        found = derive_deadlines(engagement, self.rules, self.is_working_day)
        return next((deadline for deadline in found if deadline.rule == rule), None)

    def _deadline_title(self, reminder: ReminderInfo, engagement: Engagement, lang: str) -> str:
        """The deadline's title as the agenda words it; the engagement's title when the rule is
        no longer found (the reminder is then about to be dropped as superseded)."""
        deadline = self._deadline(reminder, engagement)
        if deadline is None:
            return engagement.title.best(lang)
        doc = {"rule": deadline.rule, "title": deadline.title.to_json()}
        return deadline_title(doc, engagement.title, lang)

    def _lines(
        self, reminder: ReminderInfo, engagement: Engagement, lang: str
    ) -> list[tuple[str, str]]:
        t = words_for(lang)
        lines = when_lines(engagement, lang, self.timezone)
        place = describe_place(engagement.place, lang)
        if place:
            lines.append((t.gettext("Where"), place))
        lines.append((t.gettext("Status"), describe_status(engagement, lang)))
        if engagement.inviter and self._rule(reminder) == DECISION_RULE:
            lines.append(
                (t.gettext("Invited by"), party_name(engagement, engagement.inviter, lang))
            )
        return lines

    def _fields(
        self,
        reminder: ReminderInfo,
        engagement: Engagement,
        target: Target,
        subject: str,
        lines: list[tuple[str, str]],
        link: str,
    ) -> dict[str, Any]:
        """The webhook's JSON: `text` for people; the rest are values (ids, codes, ISO-8601
        instants) for programs, except `title` and `place`, in the recipient's language."""
        start, end = engagement.when.bounds()
        lang = target.lang if target.lang in LANGUAGES else "en"
        return {
            "text": "\n".join([f"*{subject}*", *text_rows(lines, lang)]),
            "event": "reminder",
            "reminder": {
                "id": reminder.reminder_id,
                "offset": reminder.label,
                "due_at": reminder.due_at.astimezone(UTC).isoformat(),
            },
            "engagement": {
                "id": str(engagement.id),
                "title": engagement.title.best(lang),
                "kind": engagement.kind.value,
                "status": engagement.status.value,
                "participation": engagement.participation.value,
                "audience": engagement.audience.value,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "tz": engagement.when.tz,
                "place": describe_place(engagement.place, lang) or None,
                "url": link,
            },
            "lang": lang,
            "recipients": list(target.names),
        }

    def _ics(
        self, engagement: Engagement, lang: str, last_modified: datetime, link: str
    ) -> tuple[Attachment, ...]:
        def signed(_base: str, _engagement_id: EngagementId) -> str:
            return link

        meta = FeedMeta(
            name=engagement.title.best(lang),
            lang=lang,
            timezone=self.timezone,
            base_url=self.base_url,
            engagement_url=signed,
        )
        item = EngagementItem(engagement=engagement, last_modified=last_modified)
        try:
            data = render_calendar([item], meta)
        except ValueError:  # known only by year: no calendar item to attach
            return ()
        return (Attachment(f"{engagement.id}.ics", "text/calendar; method=PUBLISH", data),)


def when_lines(engagement: Engagement, lang: str, clock: str) -> list[tuple[str, str]]:
    """The 'When' line on the engagement's own clock, named by its city; for a timed item in
    another zone than `clock` (the office's, or the reader's own), a second line on that clock."""
    t = words_for(lang)
    when = engagement.when
    if not isinstance(when, ExactWhen):
        return [(t.gettext("When"), describe_when_in_zone(when, lang))]
    own = t.gettext("%(city)s time", city=_own_city(engagement, lang))
    lines = [(t.gettext("When"), f"{describe_when(when, lang)} ({own})")]
    second = viewer_clock(when, clock, lang)
    if second is not None:
        lines.append((t.gettext("%(city)s time", city=zone_city(clock, lang)), second))
    return lines


def text_rows(lines: list[tuple[str, str]], lang: str) -> list[str]:
    """'When: ...', '일시: ...', '时间：...' (Chinese takes a full-width colon)."""
    t = words_for(lang)
    return [t.gettext("%(label)s: %(value)s", label=label, value=value) for label, value in lines]


def _own_city(engagement: Engagement, lang: str) -> str:
    place = engagement.place
    if place is not None and place.city is not None and place.tz == engagement.when.tz:
        return place.city.best(lang)
    return zone_city(engagement.when.tz, lang)


def html_body(subject: str, lines: list[tuple[str, str]], footer: str, lang: str) -> str:
    """The message as HTML: the subject as a heading, the lines as a table (a link as a link),
    the footer in small print; every text escaped."""
    rows = "".join(
        f'<tr><th align="left">{html.escape(label)}</th><td>{_cell(value)}</td></tr>'
        for label, value in lines
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><body>'
        f"<h2>{html.escape(subject)}</h2><table>{rows}</table>"
        f"<p><small>{html.escape(footer)}</small></p></body></html>"
    )


def _cell(value: str) -> str:
    if value.startswith(("https://", "http://")):
        return f'<a href="{html.escape(value, quote=True)}">{html.escape(value)}</a>'
    return html.escape(value)
