"""A message as its reader sees it, and the English catalogue words left in it: for the tests of
reminders and change notices in Korean and Chinese."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser

from calendar_service.domain import Engagement
from calendar_service.reminders.notify.base import Notification
from calendar_service.reminders.notify.email import SmtpNotifier
from tests.english import english_words

_URL = re.compile(r"https?://\S+")


def english_left(text: str, names: list[str]) -> list[str]:
    """The catalogue's English words in `text` (`tests.english`), its links excepted: a link's
    query says `a=staff` to the server, not to the reader."""
    return english_words(_URL.sub(" ", text), names=tuple(names))


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def as_a_mail_client_shows_it(notification: Notification) -> list[str]:
    """The subject and the text of every text part, as a mail client decodes the bytes."""
    raw = SmtpNotifier("smtp://localhost:25", "calendar@gg.example").message(notification)
    parsed = email.message_from_bytes(raw.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    shown = [str(parsed["Subject"])]
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            shown.append(part.get_content())
        elif part.get_content_type() == "text/html":
            visible = _Visible()
            visible.feed(part.get_content())
            shown.append(" ".join(visible.parts))
    assert len(shown) == 3
    return shown


def names_in(engagement: Engagement, lang: str) -> list[str]:
    """The names a message about `engagement` may show in `lang`: its title, its
    participants', its place's; a reader meets them in every language."""
    found = [engagement.title.best(lang)]
    for participant in engagement.participants:
        if participant.name is not None:
            found.append(participant.name.best(lang))
    place = engagement.place
    for text in (place.name, place.city) if place is not None else ():
        if text is not None:
            found.append(text.best(lang))
    return found
