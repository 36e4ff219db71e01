"""The log notifier: with neither SMTP nor a webhook set up, reminders go to the service log."""

from __future__ import annotations

import logging

from calendar_service.reminders.notify.base import Notification

logger = logging.getLogger("calendar_service.reminders")


class LogNotifier:
    channel = "log"

    def send(self, notification: Notification) -> None:
        logger.warning(
            "REMINDER %s (due %s): %s | %s",
            notification.reminder_id,
            notification.due_at.isoformat(),
            notification.subject,
            notification.text.replace("\n", " | "),
        )

    def close(self) -> None:
        pass
