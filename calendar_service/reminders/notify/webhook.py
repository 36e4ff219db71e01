"""The webhook notifier: a JSON POST (httpx) to the team channel, signed when a secret is set.

The body is the notification's `fields`: a `text` that Slack and Mattermost incoming webhooks
show as the message, plus structured fields (`event`, `reminder`, `engagement`, `lang`,
`recipients`) for other receivers. With `CALENDAR_WEBHOOK_SECRET` set, two headers let the
receiver check the body came from us and is fresh:

    X-Calendar-Timestamp: 1719280800
    X-Calendar-Signature: sha256=HEX(HMAC-SHA256(secret, "{timestamp}." + raw body))

`Idempotency-Key` is the same on every retry of one message. 2xx is delivered; 408, 425, 429,
5xx, timeouts and connection errors are transient; any other answer is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from calendar_service.reminders.notify.base import (
    Notification,
    PermanentDeliveryError,
    TransientDeliveryError,
)

DEFAULT_TIMEOUT = 10.0
TRANSIENT_STATUS = frozenset({408, 425, 429})
SIGNATURE_HEADER = "X-Calendar-Signature"
TIMESTAMP_HEADER = "X-Calendar-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class WebhookNotifier:
    channel = "webhook"

    def __init__(
        self, url: str, *, secret: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.url = url
        self._secret = secret
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, notification: Notification) -> None:
        body = json.dumps(notification.fields, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": notification.key,
            "User-Agent": "calendar-service reminders",
        }
        if self._secret:
            stamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = signature(self._secret, stamp, body)
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise TransientDeliveryError(
                f"webhook {self._where()} unreachable: {type(error).__name__}: {error}"
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = f"webhook {self._where()} answered {status}: {response.text[:200]}".strip()
        if status in TRANSIENT_STATUS or status >= 500:
            raise TransientDeliveryError(detail)
        raise PermanentDeliveryError(detail)

    def close(self) -> None:
        self._client.close()

    def _where(self) -> str:
        """Scheme, host and port only: a chat webhook's path is its secret (Slack's is), and
        this text goes into the log with a failure."""
        url = httpx.URL(self.url)
        return f"{url.scheme}://{url.host}{':' + str(url.port) if url.port else ''}"
