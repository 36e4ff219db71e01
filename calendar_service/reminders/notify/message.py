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

The pieces a change notice shares with a reminder (`notice.py`) are public here: the recipient's
language (`target_lang`), the when on its own clock (`own_clock`) and the office's
(`office_clock_lines`), the engagement block of the webhook's JSON (`engagement_fields`), and the
rows of label and value as text (`label_rows`) and HTML (`html_document`, `html_table`).

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
    When,
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
        lang = target_lang(target)
        t = words_for(lang)
        link = self.link(str(engagement.id), target, engagement.audience)
        subject = self._headline(reminder, engagement, lang)
        lines = [*self._lines(reminder, engagement, lang), (t.gettext("Details"), link)]
        audience = describe_audience(engagement.audience, lang)
        footer = t.gettext(
            "You receive this because you subscribed to reminders of %(audience)s engagements.",
            audience=audience,
        )
        text = "\n".join([subject, "", *label_rows(lines, lang), "", footer])
        return addressed(
            reminder.reminder_id,
            reminder.due_at,
            target,
            subject=subject,
            text=text,
            html=html_document(subject, html_table(lines), footer, lang),
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
        lang = target_lang(target)
        return {
            "text": "\n".join([f"*{subject}*", *label_rows(lines, lang)]),
            "event": "reminder",
            "reminder": {
                "id": reminder.reminder_id,
                "offset": reminder.label,
                "due_at": reminder.due_at.astimezone(UTC).isoformat(),
            },
            "engagement": engagement_fields(engagement, lang, link),
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


def addressed(
    message_id: str,
    due_at: datetime,
    target: Target,
    *,
    subject: str,
    text: str,
    html: str,
    link: str,
    fields: dict[str, Any],
    attachments: tuple[Attachment, ...] = (),
) -> Notification:
    """The message `message_id` (a reminder's, a notice's, a digest's id) for `target`, in its
    language: keyed by both, so every retry of it carries the same key."""
    return Notification(
        key=f"{message_id}#{target.key}",
        reminder_id=message_id,
        due_at=due_at,
        channel=target.channel,
        to=target.to,
        lang=target_lang(target),
        subject=subject,
        text=text,
        html=html,
        link=link,
        fields=fields,
        attachments=attachments,
    )


def target_lang(target: Target) -> str:
    """The recipient's language, English when it is one the catalogue does not hold."""
    return target.lang if target.lang in LANGUAGES else "en"


def when_lines(engagement: Engagement, lang: str, clock: str) -> list[tuple[str, str]]:
    """The 'When' row on the engagement's own clock and, for a timed item in another zone than
    `clock` (the office's, or the reader's own), a second row on that clock."""
    when = engagement.when
    own = (words_for(lang).gettext("When"), own_clock(when, engagement, lang))
    return [own, *office_clock_lines(when, clock, lang)]


def own_clock(when: When, engagement: Engagement, lang: str) -> str:
    """The when on its own clock, named: 'Jun 25, 2024 09:00 – 12:00 (Dalian time)' for a timed
    item (by its place's city when the place keeps the when's zone), 'Jun 25 – 27, 2024
    (Shanghai)' for whole days, whose dates are the same on every clock."""
    if not isinstance(when, ExactWhen):
        return describe_when_in_zone(when, lang)
    own = words_for(lang).gettext("%(city)s time", city=own_city(engagement, when.tz, lang))
    return f"{describe_when(when, lang)} ({own})"


def office_clock_lines(when: When, office_tz: str, lang: str) -> list[tuple[str, str]]:
    """The row of a timed item abroad on the office's clock ('Seoul time', 'Jun 25, 2024
    10:00 – 13:00'); none for whole days or a when on the office's own clock."""
    second = viewer_clock(when, office_tz, lang)
    if second is None:
        return []
    return [(office_clock_label(office_tz, lang), second)]


def office_clock_label(office_tz: str, lang: str) -> str:
    """'Seoul time', '서울 시각', '首尔时间'."""
    return words_for(lang).gettext("%(city)s time", city=zone_city(office_tz, lang))


def engagement_fields(engagement: Engagement, lang: str, link: str) -> dict[str, Any]:
    """The webhook's engagement block: values for programs (ids, codes, ISO-8601 instants),
    except `title` and `place`, in the recipient's language."""
    start, end = engagement.when.bounds()
    return {
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
    }


def label_rows(lines: list[tuple[str, str]], lang: str) -> list[str]:
    """'When: ...', '일시: ...', '时间：...' (Chinese takes a full-width colon); a row without a
    label is a sentence of its own."""
    t = words_for(lang)
    return [
        t.gettext("%(label)s: %(value)s", label=label, value=value) if label else value
        for label, value in lines
    ]


def own_city(engagement: Engagement, tz: str, lang: str) -> str:
    """The city whose clock `tz` is: the engagement's place's when it is in that zone, else the
    zone's CLDR city."""
    place = engagement.place
    if place is not None and place.city is not None and place.tz == tz:
        return place.city.best(lang)
    return zone_city(tz, lang)


def html_document(subject: str, body: str, footer: str, lang: str) -> str:
    """A message's HTML: the subject as its heading, `body` (markup), the footer. Every text a
    user entered must already be escaped in `body`; `subject` and `footer` are escaped here."""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><body>'
        f"<h2>{html.escape(subject)}</h2>{body}"
        f"<p><small>{html.escape(footer)}</small></p></body></html>"
    )


def html_table(lines: list[tuple[str, str]]) -> str:
    """The rows as a table, every text escaped, a link made a link; a row without a label spans
    both columns."""
    rows = "".join(
        f'<tr><th align="left">{html.escape(label)}</th><td>{_cell(value)}</td></tr>'
        if label
        else f'<tr><td colspan="2">{_cell(value)}</td></tr>'
        for label, value in lines
    )
    return f"<table>{rows}</table>"


def _cell(value: str) -> str:
    if value.startswith(("https://", "http://")):
        return f'<a href="{html.escape(value, quote=True)}">{html.escape(value)}</a>'
    return html.escape(value)
