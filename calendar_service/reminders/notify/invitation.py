"""Calendar invitations: one iTIP message (RFC 5546) for one subscriber, sent by email as iMIP
(RFC 6047) through the email notifier (`notify.email` gives it the MIME shape clients read).

`Inviter.invite(engagement, target, method=..., sequence=..., last_modified=..., notice_id=...)`
gives the `Notification` of the `invite` channel for the calendar item `target.item` names (''
the engagement, 'deadline-{rule}' one of its deadline items), or None when the item cannot be
one (an engagement known only by year, a deadline the engagement no longer has).

The calendar object holds METHOD (REQUEST or CANCEL), PRODID, VERSION, a VTIMEZONE for each
zone the item names and exactly one VEVENT: the feed's own (`feed.event_component`), so its UID,
DTSTART/DTEND (an imprecise when as a tentative all-day span), SUMMARY, STATUS, DESCRIPTION and
URL read as in a subscribed feed (its text escaped there: no user text can start a line), with

- SEQUENCE: the caller's `sequence`, which grows with each message about the item (an update
  wins over an earlier message by it, RFC 5546 2.1.5); DTSTAMP: `last_modified`, so a retried
  message is the same bytes;
- ORGANIZER;CN=<the office, in the reader's language>:mailto:<the office mailbox>;
- ATTENDEE;CN=<subscriber>;CUTYPE=INDIVIDUAL;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;
  RSVP=FALSE:mailto:<subscriber>. For information only: RSVP=FALSE (Exchange then marks the
  request "no response requested"). OPT-PARTICIPANT rather than NON-PARTICIPANT: Outlook files
  a NON-PARTICIPANT with the resources (MS-OXCICAL 2.1.3.1.1.20.2.4), while "optional" reads
  as meant in Outlook, Google and Apple;
- REQUEST (3.2.2): the feed's alarms stay (VALARM is allowed there); STATUS is TENTATIVE or
  CONFIRMED (a cancelled engagement goes as CANCEL);
- CANCEL (3.2.5): no VALARM; STATUS:CANCELLED when the engagement is called off. When the
  reader merely may no longer see it (`lost`), no STATUS ("uninviting specific Attendees"), no
  DESCRIPTION or URL (its page no longer opens for them), and the email says only that it is
  no longer in their calendar, not why.

The email's words come from the catalogue and `read.wording`, laid out by `notify.message`'s
helpers: the title, the when on both clocks (the engagement's, and the reader's own or else the
office's), the place, the status and the link to the engagement's page, signed for the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formataddr
from typing import Literal

from icalendar import Calendar, Event
from icalendar.prop import vCalAddress, vDDDTypes, vInt, vText

from calendar_service.domain import (
    DEFAULT_RULES,
    LANGUAGES,
    DeadlineRules,
    Directory,
    Engagement,
    EngagementId,
    EventStatus,
    WorkingDayPredicate,
    deadline_id,
)
from calendar_service.domain.reminder_plan import Target
from calendar_service.feed import (
    DeadlineItem,
    EngagementItem,
    FeedItem,
    FeedMeta,
    event_component,
    feed_items,
    signed_page_url,
    timezones_for,
)
from calendar_service.read.wording import (
    deadline_title,
    describe_event_status,
    describe_place,
    describe_status,
)
from calendar_service.reminders.notify.base import Attachment, Notification
from calendar_service.reminders.notify.message import (
    html_document,
    html_table,
    label_rows,
    when_lines,
)
from calendar_service.words import format_day, words_for

Method = Literal["REQUEST", "CANCEL"]
METHODS: tuple[Method, ...] = ("REQUEST", "CANCEL")
_ADDRESS = re.compile(r"[^\s\x00-\x1f\x7f@<>()\[\]\\,;:\"]+@[^\s\x00-\x1f\x7f@<>()\[\]\\,;:\"]+")
"""A plain address: nothing that could end a content line or leave a mailto: URI."""
_BLANKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\ud800-\udfff]+")
_MAX_NAME = 100


@dataclass(frozen=True)
class Inviter:
    """Makes calendar invitations for this deployment: its page URLs (the feed's UIDs are
    `{id}@{host of base_url}`), the key that signs page links, the office clock, the office
    mailbox that organizes them (CALENDAR_OFFICE_MAILBOX, else CALENDAR_MAIL_FROM), the deadline
    rules, the alarms of engagements without a reminder policy and the directory that names
    parties in descriptions (as the feed has them)."""

    base_url: str
    link_key: bytes
    organizer: str
    timezone: str = "Asia/Seoul"
    rules: DeadlineRules = DEFAULT_RULES
    is_working_day: WorkingDayPredicate | None = None
    default_reminders: tuple[timedelta, ...] = ()
    directory: Directory | None = None

    def __post_init__(self) -> None:
        if _ADDRESS.fullmatch(self.organizer) is None:
            raise ValueError(
                f"invitation organizer {self.organizer!r}: give a plain address such as "
                "'protocol@gg.go.kr'"
            )

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
        link: str | None = None,
    ) -> Notification | None:
        """The invitation `target` gets about its item of `engagement`: a REQUEST (`updated`:
        one that changes an item they already have) or a CANCEL (`lost`: not because the
        engagement is called off but because the reader may no longer see it). `link`
        defaults to the engagement's page signed for the reader. None when the item cannot
        be a calendar event. ValueError for a REQUEST about a cancelled engagement, or an
        address that is not a plain one."""
        if method not in METHODS:
            raise ValueError(f"invitation method {method!r}: use REQUEST or CANCEL")
        if method == "REQUEST" and (lost or engagement.status is EventStatus.CANCELLED):
            raise ValueError(f"{engagement.id} is cancelled or out of sight: send a CANCEL")
        if _ADDRESS.fullmatch(target.to) is None:
            raise ValueError(f"invitation to {target.to!r}: not a plain address")
        lang = target.lang if target.lang in LANGUAGES else "en"
        if link is None:
            audience = (target.audience or engagement.audience).value
            link = signed_page_url(self.base_url, self.link_key, str(engagement.id), audience, lang)
        meta = self._meta(engagement, lang, link)
        item = self._item(engagement, target.item, last_modified)
        event = None if item is None else _event(item, meta, self.directory)
        if event is None:
            if method == "REQUEST":
                return None
            event = _bare(_uid(engagement.id, target.item, meta), last_modified, engagement, lang)
        self._schedule(event, target, method, sequence, lang, lost)
        data = _calendar(event, meta, method).to_ical()
        subject, lines, footer = self._words(engagement, item, target, method, lost, updated, link)
        return Notification(
            key=f"{notice_id}#{target.key}",
            reminder_id=notice_id,
            due_at=due_at or last_modified,
            channel="invite",
            to=target.to,
            lang=lang,
            subject=subject,
            text="\n".join([subject, "", *label_rows(lines, lang), "", footer]),
            html=html_document(subject, html_table(lines), footer, lang),
            link="" if lost else link,
            fields={
                "text": "\n".join([f"*{subject}*", *label_rows(lines, lang)]),
                "event": "invitation",
                "method": method,
                "uid": str(event["UID"]),
                "sequence": sequence,
                "item": target.item,
                "engagement": {"id": str(engagement.id)},
                "lang": lang,
            },
            attachments=(Attachment("invite.ics", f"text/calendar; method={method}", data),),
            author=formataddr((office_name(lang), self.organizer), "utf-8"),
        )

    def _meta(self, engagement: Engagement, lang: str, link: str) -> FeedMeta:
        def signed(_base: str, _engagement_id: EngagementId) -> str:
            return link

        return FeedMeta(
            name=engagement.title.best(lang),
            lang=lang,
            timezone=self.timezone,
            base_url=self.base_url,
            engagement_url=signed,
            default_reminders=self.default_reminders,
        )

    def _item(self, engagement: Engagement, item: str, last_modified: datetime) -> FeedItem | None:
        """The feed's item of `engagement` that `item` names, or None if it has no such item."""
        if self.is_working_day is None:
            if item:
                return None
            return EngagementItem(engagement=engagement, last_modified=last_modified)
        items = feed_items(engagement, last_modified, self.rules, self.is_working_day)
        if not item:
            return items[0]
        rule = item.removeprefix("deadline-")
        found = (i for i in items if isinstance(i, DeadlineItem) and i.deadline.rule == rule)
        return next(found, None)

    def _schedule(
        self, event: Event, target: Target, method: Method, sequence: int, lang: str, lost: bool
    ) -> None:
        """The feed's VEVENT made an iTIP one: its SEQUENCE, organizer, attendee and, for a
        CANCEL, its status, without alarms."""
        event["SEQUENCE"] = vInt(sequence)
        event["ORGANIZER"] = vCalAddress.new(self.organizer, cn=office_name(lang))
        name = target.names[0] if target.names else target.to
        event["ATTENDEE"] = vCalAddress.new(
            target.to,
            cn=_display_name(name),
            cutype="INDIVIDUAL",
            role="OPT-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp=False,
        )
        if method == "REQUEST":
            return
        event.subcomponents = [c for c in event.subcomponents if c.name != "VALARM"]
        if not lost:
            event["STATUS"] = vText("CANCELLED")
            return
        for name in ("STATUS", "DESCRIPTION", "URL"):
            event.pop(name, None)

    def _words(
        self,
        engagement: Engagement,
        item: FeedItem | None,
        target: Target,
        method: Method,
        lost: bool,
        updated: bool,
        link: str,
    ) -> tuple[str, list[tuple[str, str]], str]:
        """The subject, the lines and the footer of the email."""
        lang = target.lang if target.lang in LANGUAGES else "en"
        t = words_for(lang)
        title = _title(engagement, item, lang)
        if isinstance(item, DeadlineItem):
            day = format_day(item.deadline.due, lang)
            if item.deadline.tentative:
                day = t.gettext("%(when)s (to be confirmed)", when=day)
            lines = [(t.gettext("When"), day)]
        else:
            lines = when_lines(engagement, lang, target.timezone or self.timezone)
        if lost:
            subject = t.gettext("No longer in your calendar: %(title)s", title=title)
            return (
                subject,
                lines,
                t.gettext("You receive this because you asked for calendar invitations."),
            )
        if not isinstance(item, DeadlineItem):
            place = describe_place(engagement.place, lang)
            if place:
                lines.append((t.gettext("Where"), place))
            status = (
                describe_status(engagement, lang)
                if method == "REQUEST"
                else describe_event_status(EventStatus.CANCELLED, lang)
            )
            lines.append((t.gettext("Status"), status))
        lines.append((t.gettext("Details"), link))
        if method == "CANCEL":
            subject = t.gettext("Cancelled: %(title)s", title=title)
            return (
                subject,
                lines,
                t.gettext("You receive this because you asked for calendar invitations."),
            )
        if updated:
            subject = t.gettext("Updated invitation: %(title)s", title=title)
        else:
            subject = t.gettext("Invitation: %(title)s", title=title)
        return (
            subject,
            lines,
            t.gettext(
                "For your information: no reply is needed. "
                "You receive this because you asked for calendar invitations."
            ),
        )


def office_name(lang: str) -> str:
    """The ORGANIZER's name, and the From's: the office, in the reader's language."""
    return words_for(lang).gettext("International Relations Office")


def _title(engagement: Engagement, item: FeedItem | None, lang: str) -> str:
    if isinstance(item, DeadlineItem):
        doc = {"rule": item.deadline.rule, "title": item.deadline.title.to_json()}
        return deadline_title(doc, engagement.title, lang)
    return engagement.title.best(lang)


def _event(item: FeedItem, meta: FeedMeta, directory: Directory | None) -> Event | None:
    """The item's VEVENT as the feed renders it; None for one known only by year."""
    try:
        return event_component(item, meta, directory)
    except ValueError:
        return None


def _uid(engagement_id: EngagementId, item: str, meta: FeedMeta) -> str:
    """The feed's UID of the item (as `feed.ical` makes it), for an item no longer derived."""
    own = deadline_id(engagement_id, item.removeprefix("deadline-")) if item else engagement_id
    return f"{own}@{meta.uid_host}"


def _bare(uid: str, last_modified: datetime, engagement: Engagement, lang: str) -> Event:
    """A CANCEL's VEVENT for an item that cannot be rendered any more: RFC 5546 3.2.5 asks
    for the UID, DTSTAMP and SEQUENCE alone (the organizer and attendee are added after)."""
    event = Event()
    event["UID"] = vText(uid)
    event["DTSTAMP"] = vDDDTypes(last_modified.astimezone(UTC))
    event["SUMMARY"] = vText(_display_name(engagement.title.best(lang)))
    return event


def _calendar(event: Event, meta: FeedMeta, method: Method) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", meta.prodid)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    for timezone in timezones_for(event):
        calendar.add_component(timezone)
    calendar.add_component(event)
    return calendar


def _display_name(text: str) -> str:
    """A name for a CN parameter or a one-line SUMMARY: one line, no control character, no
    double quote (parsers that do not know RFC 6868's ^' would end the value there)."""
    return _BLANKS.sub(" ", text).replace('"', "'").strip()[:_MAX_NAME]
