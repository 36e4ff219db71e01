"""Notifiers: how a reminder reaches a person.

- `base`: the `Notifier` port, the `Notification` value, and the two kinds of failure a
  delivery can meet (`TransientDeliveryError`, retried with backoff, and
  `PermanentDeliveryError`, recorded at once)
- `message`: what a reminder says, in en, ko or zh (subject, plain text, HTML, the webhook's
  JSON, the engagement's .ics)
- adapters, chosen by `calendar_service.bootstrap` only: `email.SmtpNotifier` (smtplib),
  `webhook.WebhookNotifier` (httpx), `log.LogNotifier` (the service log, when neither is set up)
"""

from calendar_service.reminders.notify.base import (
    Attachment,
    DeliveryError,
    Notification,
    Notifier,
    PermanentDeliveryError,
    TransientDeliveryError,
)

__all__ = [
    "Attachment",
    "DeliveryError",
    "Notification",
    "Notifier",
    "PermanentDeliveryError",
    "TransientDeliveryError",
]
