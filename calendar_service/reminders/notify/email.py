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

A calendar invitation (iMIP, RFC 6047) is a notification with a `text/calendar` attachment
whose `method` is an iTIP one (REQUEST or CANCEL, as `notify.invitation` makes them; a reminder's
.ics says PUBLISH and stays a plain attachment). It goes in the shape Gmail sends and Outlook,
Exchange and Apple Mail read (CalConnect's iMIP recommendation)::

    multipart/mixed              (Content-Class: urn:content-classes:calendarmessage)
    ├── multipart/alternative
    │   ├── text/plain; charset="utf-8"
    │   ├── text/html; charset="utf-8"
    │   └── text/calendar; charset="UTF-8"; method=REQUEST     inline, last, base64
    └── application/ics; name="invite.ics"     the same bytes as an attachment, for a
                                               client that only offers to open a file

The part's `method` is the calendar's METHOD, upper case and unquoted (a quoted or lower-case
one has been reported to confuse receivers); base64 keeps the calendar's CRLF line ends and
folds intact through any relay. The notification's `author` (the ORGANIZER) is the From; when
that is not `mail_from`, `mail_from` is the Sender and the envelope's sender (RFC 5322 3.6.2).
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
from email.utils import format_datetime, formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from calendar_service.plumbing.urls import mask_url
from calendar_service.reminders.notify.base import (
    Attachment,
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
    kept for `IDLE_SECONDS`: a burst of reminders does not pay a TCP and TLS handshake, EHLO
    and login per message. A connection used within `LIVENESS_AFTER` seconds is reused as it
    is; one idle for longer is checked with a NOOP first. If a reused connection turns out
    closed before the server took the message, it is sent once more on a new one.
    Safe from any thread."""

    channel = "email"
    IDLE_SECONDS = 20.0
    LIVENESS_AFTER = 5.0

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
            smtp, reused = self._connection()
            try:
                refused = smtp.send_message(message)
            except smtplib.SMTPServerDisconnected:
                self._drop(smtp)
                if not reused:
                    raise
                # Closed by the server while it sat between two sends (no NOOP checked it):
                # smtplib finds that out at MAIL FROM, before any message is handed over.
                smtp, _ = self._connection()
                try:
                    refused = smtp.send_message(message)
                except BaseException:
                    self._drop(smtp)
                    raise
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
        """multipart/mixed: (text/plain, text/html) as alternatives, then the attachments; an
        invitation's calendar is the last alternative too. Built with the compat32 MIME
        classes, which cost a fraction of `EmailMessage`'s header parsing: a burst of
        reminders is CPU-bound here."""
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(notification.text, "plain", "utf-8"))
        body.attach(MIMEText(notification.html, "html", "utf-8"))
        message = MIMEMultipart("mixed")
        message.attach(body)
        for attachment in notification.attachments:
            method = itip_method(attachment)
            if method is None:
                message.attach(_attached(attachment))
                continue
            body.attach(_calendar(attachment.data, method))
            message.attach(_attached(Attachment("invite.ics", "application/ics", attachment.data)))
            if "Content-Class" not in message:
                message["Content-Class"] = "urn:content-classes:calendarmessage"
        message["Subject"] = Header(notification.subject, "utf-8")  # type: ignore[assignment]
        message["From"] = notification.author or self.mail_from
        if notification.author is not None and _address(notification.author) != _address(
            self.mail_from
        ):
            message["Sender"] = self.mail_from
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

    def _connection(self) -> tuple[smtplib.SMTP, bool]:
        """This thread's connection (checked with a NOOP if it has idled for more than
        `LIVENESS_AFTER`), else a new one; and whether it was reused."""
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None:
            idle = time.monotonic() - getattr(self._local, "last_used", 0.0)
            try:
                if idle > self.IDLE_SECONDS or (
                    idle > self.LIVENESS_AFTER and smtp.noop()[0] != 250
                ):
                    raise smtplib.SMTPServerDisconnected("idle")
                return smtp, True
            except (smtplib.SMTPException, OSError):
                self._drop(smtp)
        smtp = self._connect()
        self._local.smtp = smtp
        with self._lock:
            self._open.append(smtp)
        return smtp, False

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


def itip_method(attachment: Attachment) -> str | None:
    """The iTIP method (REQUEST, CANCEL, ...) of a text/calendar attachment that is a
    scheduling message; None for any other attachment, a PUBLISH calendar included."""
    kind, *params = (piece.strip() for piece in attachment.content_type.split(";"))
    if kind.lower() != "text/calendar":
        return None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "method":
            method = value.strip().strip('"').upper()
            return None if method == "PUBLISH" else method
    return None


def _calendar(data: bytes, method: str) -> MIMEBase:
    """The inline iMIP part: `text/calendar; charset="UTF-8"; method=REQUEST`, base64, no
    Content-Disposition. Its Content-Type is written out whole, as Outlook and Gmail write it:
    `set_param` would quote the method."""
    part = MIMEBase("text", "calendar")
    part.replace_header("Content-Type", f'text/calendar; charset="UTF-8"; method={method}')
    part.set_payload(data)
    encoders.encode_base64(part)
    return part


def _attached(attachment: Attachment) -> MIMEBase:
    maintype, _, rest = attachment.content_type.partition("/")
    subtype, _, params = rest.partition(";")
    part = MIMEBase(maintype, subtype.strip(), charset="utf-8")
    for param in params.split(";"):
        if "=" in param:
            name, value = param.strip().split("=", 1)
            part.set_param(name, value)
    if maintype == "application":
        part.set_param("name", attachment.filename)
    part.set_payload(attachment.data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


def _address(mailbox: str) -> str:
    return parseaddr(mailbox)[1].lower()


def _by_code(
    code: int, reply: bytes | str, what: str
) -> TransientDeliveryError | PermanentDeliveryError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    detail = f"{what}: {code} {text}".strip()
    if 400 <= code < 500:
        return TransientDeliveryError(detail)
    return PermanentDeliveryError(detail)
