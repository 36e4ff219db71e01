"""The notifier port: `Notifier.send(notification)` and what can go wrong.

Errors (retry only what is named transient)::

    DeliveryError
    ├── TransientDeliveryError   may succeed later: a timeout, a refused or dropped connection,
    │                            an SMTP 4xx reply, HTTP 408, 425, 429 or 5xx
    └── PermanentDeliveryError   will not: an SMTP 5xx reply (unknown mailbox, refused login),
                                 another HTTP 4xx, a certificate that does not verify
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class DeliveryError(Exception):
    """A notification did not reach its recipient. `detail` is one line a person can act on."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class TransientDeliveryError(DeliveryError):
    """Worth retrying, with backoff."""


class PermanentDeliveryError(DeliveryError):
    """Not worth retrying: record the failure."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    """'text/calendar; method=PUBLISH' and the like."""
    data: bytes


@dataclass(frozen=True)
class Notification:
    """One message for one recipient (or one team channel), ready to send.

    `key` is the same on every retry of the same message (the reminder id and the recipient):
    email uses it for a stable Message-ID, the webhook as its Idempotency-Key, so a receiver can
    recognise a copy.
    """

    key: str
    reminder_id: str
    due_at: datetime
    channel: str
    to: str
    lang: str
    subject: str
    text: str
    html: str
    link: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    """The structured content: what the webhook posts beside `text`."""
    attachments: tuple[Attachment, ...] = ()
    """Files the email carries. A text/calendar one with an iTIP method (`text/calendar;
    method=REQUEST` or `method=CANCEL`) makes the email a calendar invitation (`notify.email`)."""
    author: str | None = None
    """The email's From when it is not the notifier's own address ('Name <address>'): an
    invitation comes from its ORGANIZER, the office mailbox."""


class Notifier(Protocol):
    """Sends notifications of one channel. `send` returns once the receiving server has taken
    the message, or raises a `DeliveryError`; it never waits longer than its timeout."""

    channel: str

    def send(self, notification: Notification) -> None: ...

    def close(self) -> None: ...
