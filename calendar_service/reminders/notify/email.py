"""The email notifier: one message per recipient over SMTP (smtplib), with timeouts.

`CALENDAR_SMTP_URL` says how to connect:

- `smtp://host:25`: plain SMTP, no login (a local relay);
- `smtp://user:password@host:587`: STARTTLS, then login; the connection is refused rather
  than a password sent in clear if the server offers no STARTTLS;
- `smtp://user:password@host:25?starttls=false`: login without TLS (a test server only);
- `smtps://user:password@host:465`: TLS from the first byte, then login.

Certificates are verified against the system's CAs (`SSL_CERT_FILE` names another bundle).
Each message is `multipart/alternative` (plain text, then HTML) with the engagement's .ics
attached, a Message-ID derived from the notification's key (so a copy is recognisable) and
`X-Calendar-Reminder-Id` / `X-Calendar-Due` headers. SMTP 4xx replies, timeouts and dropped
connections are transient; 5xx replies and certificate failures are permanent.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from calendar_service.plumbing.urls import mask_url
from calendar_service.reminders.notify.base import (
    Notification,
    PermanentDeliveryError,
    TransientDeliveryError,
)

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to connect, parsed from the SMTP URL."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                f"{mask_url(url)} is not an SMTP URL: use smtp://host:25, "
                "smtp://user:password@host:587 or smtps://user:password@host:465"
            )
        implicit = parts.scheme == "smtps"
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        asked = parse_qs(parts.query).get("starttls", [None])[0]
        if asked not in (None, "true", "false"):
            raise ValueError(f"starttls={asked!r} in the SMTP URL: use true or false")
        starttls = not implicit and (asked == "true" or (asked is None and username is not None))
        default_port = 465 if implicit else (587 if starttls else 25)
        return cls(
            parts.hostname, parts.port or default_port, implicit, starttls, username, password
        )


class SmtpNotifier:
    """Sends each message on a connection of the calling thread's, opened on first use and
    kept for `IDLE_SECONDS` (a NOOP checks it before reuse): a burst of reminders does not pay
    a TCP and TLS handshake, EHLO and login per message. Safe from any thread."""

    channel = "email"
    IDLE_SECONDS = 20.0

    def __init__(self, url: str, mail_from: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.target = SmtpTarget.parse(url)
        self.mail_from = mail_from
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._open: list[smtplib.SMTP] = []

    def send(self, notification: Notification) -> None:
        message = self.message(notification)
        try:
            smtp = self._connection()
            try:
                refused = smtp.send_message(message)
            except BaseException:
                self._drop(smtp)
                raise
            self._local.last_used = time.monotonic()
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _by_code(code, reply, f"recipient {notification.to} refused") from None
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, error.smtp_error, "the SMTP server refused") from None
        except ssl.SSLCertVerificationError as error:
            raise PermanentDeliveryError(
                f"the SMTP server's certificate does not verify ({error.verify_message}): "
                "fix the certificate or name its CA bundle with SSL_CERT_FILE"
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentDeliveryError(
                f"the SMTP server does not support what the URL asks: {error}"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            raise TransientDeliveryError(
                f"SMTP server {self.target.host}:{self.target.port} unreachable: "
                f"{type(error).__name__}: {error}"
            ) from None
        if refused:
            code, reply = next(iter(refused.values()))
            raise _by_code(code, reply, f"recipient {notification.to} refused")

    def message(self, notification: Notification) -> Message:
        """multipart/mixed: (text/plain, text/html) as alternatives, then the attachments.
        Built with the compat32 MIME classes, which cost a fraction of `EmailMessage`'s
        header parsing: a burst of reminders is CPU-bound here."""
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(notification.text, "plain", "utf-8"))
        body.attach(MIMEText(notification.html, "html", "utf-8"))
        message = MIMEMultipart("mixed")
        message.attach(body)
        for attachment in notification.attachments:
            maintype, _, rest = attachment.content_type.partition("/")
            subtype, _, params = rest.partition(";")
            part = MIMEBase(maintype, subtype.strip(), charset="utf-8")
            for param in params.split(";"):
                if "=" in param:
                    name, value = param.strip().split("=", 1)
                    part.set_param(name, value)
            part.set_payload(attachment.data)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            message.attach(part)
        message["Subject"] = Header(notification.subject, "utf-8")  # type: ignore[assignment]
        message["From"] = self.mail_from
        message["To"] = notification.to
        message["Date"] = formatdate(localtime=False, usegmt=True)
        digest = hashlib.sha256(notification.key.encode()).hexdigest()[:32]
        domain = self.mail_from.rpartition("@")[2] or "localhost"
        message["Message-ID"] = f"<reminder.{digest}@{domain}>"
        message["X-Calendar-Reminder-Id"] = notification.reminder_id
        message["X-Calendar-Due"] = format_datetime(notification.due_at)
        message["Content-Language"] = notification.lang
        return message

    def close(self) -> None:
        with self._lock:
            connections, self._open = self._open, []
        for smtp in connections:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()

    def _connection(self) -> smtplib.SMTP:
        """This thread's connection, checked with a NOOP if it has been idle, else a new one."""
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None:
            idle = time.monotonic() - getattr(self._local, "last_used", 0.0)
            try:
                if idle > self.IDLE_SECONDS or smtp.noop()[0] != 250:
                    raise smtplib.SMTPServerDisconnected("idle")
                return smtp
            except (smtplib.SMTPException, OSError):
                self._drop(smtp)
        smtp = self._connect()
        self._local.smtp = smtp
        with self._lock:
            self._open.append(smtp)
        return smtp

    def _drop(self, smtp: smtplib.SMTP) -> None:
        self._local.smtp = None
        with self._lock:
            if smtp in self._open:
                self._open.remove(smtp)
        with contextlib.suppress(OSError):
            smtp.close()

    def _tls(self) -> ssl.SSLContext:
        """Made once (loading the CA bundle costs tens of milliseconds), only if TLS is used."""
        with self._lock:
            if self._context is None:
                self._context = ssl.create_default_context()
            return self._context

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        smtp: smtplib.SMTP
        if target.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                target.host, target.port, timeout=self.timeout, context=self._tls()
            )
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if target.starttls:
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if target.username is not None:
                smtp.login(target.username, target.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _by_code(
    code: int, reply: bytes | str, what: str
) -> TransientDeliveryError | PermanentDeliveryError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    detail = f"{what}: {code} {text}".strip()
    if 400 <= code < 500:
        return TransientDeliveryError(detail)
    return PermanentDeliveryError(detail)
