"""The notifiers against real servers: aiosmtpd (plain, and STARTTLS with login) and a local
HTTP server; failures sorted into transient and permanent."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from calendar_service.reminders.notify import (
    Attachment,
    Notification,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from calendar_service.reminders.notify.email import SmtpNotifier, SmtpTarget
from calendar_service.reminders.notify.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookNotifier,
)
from tests.reminders_support import SmtpSink, WebhookSink, free_port

DUE = datetime(2024, 6, 18, 1, 0, tzinfo=UTC)


def _notification(to: str = "kim@example.org", channel: str = "email") -> Notification:
    return Notification(
        key="davos|start-P7D|v1#email|kim@example.org|ko",
        reminder_id="davos|start-P7D|v1",
        due_at=DUE,
        channel=channel,
        to=to,
        lang="ko",
        subject="알림: 하계 다보스포럼 — 7일 후 시작",
        text="알림: 하계 다보스포럼\n\n일시: 2024년 6월 25일 09:00–12:00 (다롄 시각)",
        html="<html><body><h2>알림</h2></body></html>",
        link="https://cal.example/engagements/davos",
        fields={"text": "*알림*", "reminder": {"id": "davos|start-P7D|v1"}},
        attachments=(Attachment("davos.ics", "text/calendar; method=PUBLISH", b"BEGIN:VCALENDAR"),),
    )


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def test_an_email_has_text_html_and_the_ics_and_a_stable_message_id(smtp: SmtpSink) -> None:
    notifier = SmtpNotifier(smtp.url, "calendar@gg.go.kr", timeout=5)
    notifier.send(_notification())
    notifier.send(_notification())  # on the same connection, kept open
    notifier.close()
    first, second = (received.message for received in smtp.messages)

    assert first["Subject"] == "알림: 하계 다보스포럼 — 7일 후 시작"
    assert first["To"] == "kim@example.org"
    assert first["X-Calendar-Reminder-Id"] == "davos|start-P7D|v1"
    assert first["Message-ID"] == second["Message-ID"]
    plain, html = first.get_body(("plain",)), first.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().startswith("알림")
    assert "<h2>" in html.get_content()
    (ics,) = first.iter_attachments()
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "PUBLISH"
    assert ics.get_content().startswith("BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("code", "kind"), [(451, TransientDeliveryError), (550, PermanentDeliveryError)]
)
def test_a_refusal_is_transient_for_4xx_and_permanent_for_5xx(
    smtp: SmtpSink, code: int, kind: type[Exception]
) -> None:
    smtp.refuse["kim@example.org"] = code
    with pytest.raises(kind, match=str(code)):
        SmtpNotifier(smtp.url, "calendar@gg.go.kr", timeout=5).send(_notification())
    assert smtp.messages == []


def test_a_server_that_is_down_or_too_slow_is_a_transient_failure(smtp: SmtpSink) -> None:
    down = SmtpNotifier(f"smtp://127.0.0.1:{free_port()}", "c@x.kr", timeout=2)
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        down.send(_notification())
    smtp.stall_next_rcpt = 3
    slow = SmtpNotifier(smtp.url, "c@x.kr", timeout=0.5)
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        slow.send(_notification())


def test_smtp_urls_say_how_to_connect() -> None:
    plain = SmtpTarget.parse("smtp://relay.local")
    assert (plain.port, plain.starttls, plain.implicit_tls, plain.username) == (
        25,
        False,
        False,
        None,
    )
    login = SmtpTarget.parse("smtp://bot:p%40ss@mail.gg.go.kr")
    assert (login.port, login.starttls, login.password) == (587, True, "p@ss")
    opted_out = SmtpTarget.parse("smtp://bot:pw@127.0.0.1:2525?starttls=false")
    assert (opted_out.port, opted_out.starttls) == (2525, False)
    tls = SmtpTarget.parse("smtps://bot:pw@mail.gg.go.kr")
    assert (tls.port, tls.implicit_tls, tls.starttls) == (465, True, False)
    for bad in ["http://x", "smtp://", "smtp://h?starttls=maybe"]:
        with pytest.raises(ValueError, match="SMTP URL"):
            SmtpTarget.parse(bad)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("openssl is needed to make a test certificate (apt-get install openssl)")
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class _Accept:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.messages.append(email.message_from_bytes(raw, policy=email.policy.default))
        return "250 OK"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"bot",
        b"s3cret",
    )
    return AuthResult(success=ok)


def test_starttls_then_login_when_the_url_has_credentials(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler, port = _Accept(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_require_tls=True,
        authenticator=_authenticator,
    )
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        notifier = SmtpNotifier(f"smtp://bot:s3cret@127.0.0.1:{port}", "c@x.kr", timeout=5)
        notifier.send(_notification())
        notifier.close()
        assert len(handler.messages) == 1
        monkeypatch.delenv("SSL_CERT_FILE")
        with pytest.raises(PermanentDeliveryError, match="certificate"):
            SmtpNotifier(f"smtp://bot:s3cret@127.0.0.1:{port}", "c@x.kr", timeout=5).send(
                _notification()
            )
    finally:
        controller.stop()


@pytest.fixture
def hooks() -> Iterator[WebhookSink]:
    sink = WebhookSink().start()
    yield sink
    sink.stop()


def test_the_webhook_posts_json_with_text_and_a_signature_that_verifies(hooks: WebhookSink) -> None:
    WebhookNotifier(hooks.url, secret="s3cret", timeout=5).send(_notification(channel="webhook"))
    (request,) = hooks.requests
    assert request.json()["text"] == "*알림*"
    assert request.headers["Idempotency-Key"] == "davos|start-P7D|v1#email|kim@example.org|ko"
    stamp = request.headers[TIMESTAMP_HEADER]
    expected = hmac.new(b"s3cret", stamp.encode() + b"." + request.body, hashlib.sha256)
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected.hexdigest()}"

    WebhookNotifier(hooks.url, timeout=5).send(_notification(channel="webhook"))
    assert SIGNATURE_HEADER not in hooks.requests[1].headers


@pytest.mark.parametrize(
    ("status", "kind"),
    [(500, TransientDeliveryError), (503, TransientDeliveryError), (429, TransientDeliveryError),
     (404, PermanentDeliveryError), (400, PermanentDeliveryError)],
)  # fmt: skip
def test_webhook_answers_sort_into_transient_and_permanent(
    hooks: WebhookSink, status: int, kind: type[Exception]
) -> None:
    hooks.statuses.append(status)
    with pytest.raises(kind, match=str(status)):
        WebhookNotifier(hooks.url, timeout=5).send(_notification(channel="webhook"))


def test_a_webhook_that_is_down_is_a_transient_failure() -> None:
    notifier = WebhookNotifier(f"http://127.0.0.1:{free_port()}/hook", timeout=2)
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        notifier.send(_notification(channel="webhook"))
    notifier.close()


def test_a_connection_the_server_closed_between_two_sends_is_replaced_and_the_mail_arrives(
    smtp: SmtpSink,
) -> None:
    notifier = SmtpNotifier(smtp.url, "calendar@gg.go.kr", timeout=5)
    notifier.send(_notification())
    smtp.stop()  # the server goes away, closing the kept connection, and comes back
    again = SmtpSink(port=smtp.port).start()
    try:
        notifier.send(_notification())  # reused at once, without a NOOP: found closed
        notifier.close()
        assert len(smtp.messages) == 1
        assert len(again.messages) == 1
    finally:
        again.stop()
