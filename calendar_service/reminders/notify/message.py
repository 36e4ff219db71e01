"""What a reminder says, in the recipient's language (en, ko or zh).

`Composer.compose(reminder, engagement, target)` gives one `Notification`: a subject with the
title; a plain-text body and the same as HTML (every user-entered text escaped) with the when
on the engagement's own clock and, for a timed item abroad, on the office's clock too
(`CALENDAR_TIMEZONE`), the place, the status and a link to the engagement's page; the JSON the
webhook posts (a `text` that Slack and Mattermost show, plus structured fields); and the
engagement's .ics, rendered by `calendar_service.feed` like the feed's item. Zone cities and
audience names are the feed's (`feed.words`), but for the words a message says otherwise.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from calendar_service.domain import (
    DEFAULT_RULES,
    LANGUAGES,
    Audience,
    DeadlineRules,
    Engagement,
    ExactWhen,
    WorkingDayPredicate,
    derive_deadlines,
    parse_duration,
)
from calendar_service.domain.reminder_plan import Target
from calendar_service.feed import (
    AUDIENCE_NAMES,
    ZONE_CITIES,
    EngagementItem,
    FeedMeta,
    render_calendar,
    zone_city,
)
from calendar_service.read.wording import (
    describe_place,
    describe_status,
    describe_when,
    viewer_clock,
)
from calendar_service.reminders.notify.base import Attachment, Notification

_UNITS = {
    "en": (("day", "days"), ("hour", "hours"), ("minute", "minutes"), ("second", "seconds")),
    "ko": (("일", "일"), ("시간", "시간"), ("분", "분"), ("초", "초")),
    "zh": (("天", "天"), ("小时", "小时"), ("分钟", "分钟"), ("秒", "秒")),
}
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "starts_in": "Reminder: {title} starts in {rel}",
        "starts_now": "Reminder: {title} starts now",
        "deadline": "Deadline today: {deadline}",
        "for": "For",
        "when": "When",
        "local": "{city} time",
        "where": "Where",
        "status": "Status",
        "link": "Details",
        "footer": "You receive this because you subscribed to reminders of {audience} engagements.",
    },
    "ko": {
        "starts_in": "알림: {title} — {rel} 후 시작",
        "starts_now": "알림: {title} — 지금 시작",
        "deadline": "오늘 마감: {deadline}",
        "for": "관련 일정",
        "when": "일시",
        "local": "{city} 시각",
        "where": "장소",
        "status": "상태",
        "link": "자세히 보기",
        "footer": "{audience} 일정 알림을 구독하셔서 받으신 메일입니다.",
    },
    "zh": {
        "starts_in": "提醒：{title}将于{rel}后开始",
        "starts_now": "提醒：{title}现在开始",
        "deadline": "今日截止：{deadline}",
        "for": "相关日程",
        "when": "时间",
        "local": "{city}时间",
        "where": "地点",
        "status": "状态",
        "link": "详情",
        "footer": "您订阅了{audience}日程的提醒，因此收到此邮件。",
    },
}
# Where a message's word differs from the feed's, it is kept here until issue 12 makes the two
# agree: a message names China's clock by its city ("{city} time": "Beijing time", "베이징
# 시각"), and two audiences otherwise.
_ZONE_CITIES = ZONE_CITIES | {
    "Asia/Shanghai": {"en": "Beijing", "ko": "베이징", "zh": "北京"},
}
_AUDIENCES = AUDIENCE_NAMES | {
    Audience.STAFF: AUDIENCE_NAMES[Audience.STAFF] | {"ko": "직원용"},
    Audience.RESTRICTED: AUDIENCE_NAMES[Audience.RESTRICTED] | {"zh": "限阅"},
}


@dataclass(frozen=True)
class ReminderInfo:
    """The reminder a message is for, as the reminder schedule holds it."""

    reminder_id: str
    label: str
    due_at: datetime
    rule: str | None = None


def relative(offset: timedelta, lang: str) -> str:
    """'7 days', '1 day 2 hours', '5 seconds'; '7일', '1시간 30분'; '7天', '5秒'."""
    units = _UNITS.get(lang, _UNITS["en"])
    hours, rest = divmod(offset.seconds, 3600)
    amounts = (offset.days, hours, rest // 60, rest % 60)
    parts = [
        f"{amount} {unit[amount != 1]}" if lang == "en" else f"{amount}{unit[0]}"
        for amount, unit in zip(amounts, units, strict=True)
        if amount
    ]
    return (" " if lang != "zh" else "").join(parts)


@dataclass(frozen=True)
class Composer:
    """Words reminders for this deployment: its page URLs and its office clock."""

    base_url: str
    timezone: str = "Asia/Seoul"
    rules: DeadlineRules = DEFAULT_RULES
    is_working_day: WorkingDayPredicate | None = None

    def link(self, engagement: Engagement) -> str:
        return f"{self.base_url.rstrip('/')}/engagements/{engagement.id}"

    def compose(
        self,
        reminder: ReminderInfo,
        engagement: Engagement,
        target: Target,
        *,
        last_modified: datetime,
    ) -> Notification:
        lang = target.lang if target.lang in LANGUAGES else "en"
        words = _WORDS[lang]
        title = engagement.title.best(lang)
        subject = self._headline(reminder, engagement, lang)
        lines = self._lines(engagement, lang)
        link = self.link(engagement)
        footer = words["footer"].format(audience=_AUDIENCES[engagement.audience][lang])
        text = "\n".join(
            [subject, "", *(f"{label}: {value}" for label, value in lines), "", footer]
        )
        return Notification(
            key=f"{reminder.reminder_id}#{target.key}",
            reminder_id=reminder.reminder_id,
            due_at=reminder.due_at,
            channel=target.channel,
            to=target.to,
            lang=lang,
            subject=subject,
            text=text,
            html=_html(subject, lines, footer),
            link=link,
            fields=self._fields(reminder, engagement, target, subject, lines, title),
            attachments=self._ics(engagement, lang, last_modified, title),
        )

    def _headline(self, reminder: ReminderInfo, engagement: Engagement, lang: str) -> str:
        words = _WORDS[lang]
        title = engagement.title.best(lang)
        if reminder.label.startswith("start-"):
            offset = parse_duration("offset", reminder.label.removeprefix("start-"))
            rel = relative(offset, lang)
            return (
                words["starts_in"].format(title=title, rel=rel)
                if rel
                else words["starts_now"].format(title=title)
            )
        return words["deadline"].format(deadline=self._deadline_title(reminder, engagement, lang))

    def _deadline_title(self, reminder: ReminderInfo, engagement: Engagement, lang: str) -> str:
        rule = reminder.rule or reminder.label.removeprefix("deadline-")
        if self.is_working_day is not None:
            for deadline in derive_deadlines(engagement, self.rules, self.is_working_day):
                if deadline.rule == rule:
                    return deadline.title.best(lang)
        return f"{rule.replace('-', ' ')}: {engagement.title.best(lang)}"

    def _lines(self, engagement: Engagement, lang: str) -> list[tuple[str, str]]:
        words = _WORDS[lang]
        when = engagement.when
        if isinstance(when, ExactWhen):
            city = _own_city(engagement, lang)
            lines = [
                (words["when"], f"{describe_when(when, lang)} ({words['local'].format(city=city)})")
            ]
            second = viewer_clock(when, self.timezone, lang)
            if second is not None:
                city = zone_city(self.timezone, lang, _ZONE_CITIES)
                lines.append((words["local"].format(city=city), second))
        else:
            lines = [(words["when"], f"{describe_when(when, lang)} ({when.tz})")]
        place = describe_place(engagement.place, lang)
        if place:
            lines.append((words["where"], place))
        lines.append((words["status"], describe_status(engagement, lang)))
        lines.append((words["link"], self.link(engagement)))
        return lines

    def _fields(
        self,
        reminder: ReminderInfo,
        engagement: Engagement,
        target: Target,
        subject: str,
        lines: list[tuple[str, str]],
        title: str,
    ) -> dict[str, Any]:
        start, end = engagement.when.bounds()
        return {
            "text": "\n".join([f"*{subject}*", *(f"{label}: {value}" for label, value in lines)]),
            "event": "reminder",
            "reminder": {
                "id": reminder.reminder_id,
                "offset": reminder.label,
                "due_at": reminder.due_at.astimezone(UTC).isoformat(),
            },
            "engagement": {
                "id": str(engagement.id),
                "title": title,
                "kind": engagement.kind.value,
                "status": engagement.status.value,
                "audience": engagement.audience.value,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "tz": engagement.when.tz,
                "place": describe_place(engagement.place, target.lang) or None,
                "url": self.link(engagement),
            },
            "lang": target.lang,
            "recipients": list(target.names),
        }

    def _ics(
        self, engagement: Engagement, lang: str, last_modified: datetime, title: str
    ) -> tuple[Attachment, ...]:
        meta = FeedMeta(name=title, lang=lang, timezone=self.timezone, base_url=self.base_url)
        item = EngagementItem(engagement=engagement, last_modified=last_modified)
        try:
            data = render_calendar([item], meta)
        except ValueError:  # known only by year: no calendar item to attach
            return ()
        return (Attachment(f"{engagement.id}.ics", "text/calendar; method=PUBLISH", data),)


def _own_city(engagement: Engagement, lang: str) -> str:
    place = engagement.place
    if place is not None and place.city is not None and place.tz == engagement.when.tz:
        return place.city.best(lang)
    return zone_city(engagement.when.tz, lang, _ZONE_CITIES)


def _html(subject: str, lines: list[tuple[str, str]], footer: str) -> str:
    rows = "".join(
        f'<tr><th align="left">{html.escape(label)}</th><td>{_cell(value)}</td></tr>'
        for label, value in lines
    )
    return (
        "<!DOCTYPE html><html><body>"
        f"<h2>{html.escape(subject)}</h2><table>{rows}</table>"
        f"<p><small>{html.escape(footer)}</small></p></body></html>"
    )


def _cell(value: str) -> str:
    if value.startswith(("https://", "http://")):
        return f'<a href="{html.escape(value, quote=True)}">{html.escape(value)}</a>'
    return html.escape(value)
