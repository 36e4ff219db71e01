"""Real receivers for reminder tests and the benchmark: an SMTP server (aiosmtpd) and an HTTP
server for webhooks, both in this process, each recording what it received and able to refuse,
stall or fail on demand. Plus builders of engagements due a few seconds ahead."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from calendar_service.domain import (
    Audience,
    Channel,
    Command,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    ExactWhen,
    LocalizedText,
    Participation,
    Place,
    ReminderPolicy,
    ScheduleEngagement,
    SetReminderPolicy,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    message: EmailMessage
    rcpt: list[str]
    at: float
    """time.time() when the server accepted it."""
    mail_from: str = ""
    """The envelope's sender (MAIL FROM)."""

    @property
    def reminder_id(self) -> str:
        return str(self.message["X-Calendar-Reminder-Id"])


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        sink = self.sink
        with sink.lock:
            sink.rcpt_attempts.append(address)
            stall = sink.stall_next_rcpt
            sink.stall_next_rcpt = None
            code = sink.refuse.get(address)
        if stall is not None:
            sink.stalled.set()
            await asyncio.sleep(stall)
        if code is not None:
            return f"{code} {'try again later' if code < 500 else 'no such mailbox'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        at = time.time()
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.sink.lock:
            received = Received(parsed, list(envelope.rcpt_tos), at, envelope.mail_from or "")
            self.sink.messages.append(received)
            for listener in self.sink.listeners:
                listener(parsed, at)
        return "250 Message accepted for delivery"


@dataclass
class SmtpSink:
    """An aiosmtpd server on 127.0.0.1: `messages` it accepted, `refuse` to answer RCPT of an
    address with a code (451, 550), `stall_next_rcpt` seconds to hang the next RCPT."""

    port: int = field(default_factory=free_port)
    messages: list[Received] = field(default_factory=list)
    rcpt_attempts: list[str] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    stall_next_rcpt: float | None = None
    stalled: threading.Event = field(default_factory=threading.Event)
    listeners: list[Callable[[EmailMessage, float], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def for_reminder(self, reminder_id: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if m.reminder_id == reminder_id]

    def attempts_for(self, address: str) -> int:
        with self.lock:
            return self.rcpt_attempts.count(address)


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookSink:
    """An HTTP server on 127.0.0.1 that records every POST; `statuses` answers the next
    requests with those codes in turn (then 200)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[Hook] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with sink.lock:
                    status = sink.statuses.pop(0) if sink.statuses else 200
                    sink.requests.append(
                        Hook(self.path, dict(self.headers.items()), body, status, time.time())
                    )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/calendar"

    def start(self) -> WebhookSink:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self, reminder_id: str) -> list[Hook]:
        """Requests about `reminder_id` (a reminder, change notice or digest) answered 2xx."""
        with self.lock:
            return [r for r in self.requests if 200 <= r.status < 300 and _about(r) == reminder_id]

    def attempts(self, reminder_id: str) -> list[Hook]:
        with self.lock:
            return [r for r in self.requests if _about(r) == reminder_id]


def _about(hook: Hook) -> str | None:
    """The id of what a webhook POST is about: its reminder, notice or digest."""
    payload = hook.json()
    found = payload.get("reminder") or payload.get("notice") or payload.get("digest") or {}
    return None if found.get("id") is None else str(found["id"])


DALIAN = Place(
    name=LocalizedText(en="Dalian International Conference Center", ko="다롄 국제회의센터"),
    city=LocalizedText(en="Dalian", ko="다롄", zh="大连"),
    country="CN",
    tz="Asia/Shanghai",
)


def due_soon(
    engagement_id: str,
    *,
    due_in: float,
    offset: timedelta = timedelta(seconds=30),
    channels: tuple[str, ...] = ("email", "webhook"),
    title: str = "Liaoning trade talks",
    title_ko: str | None = "랴오닝 무역 회담",
    audience: Audience = Audience.STAFF,
    abroad: bool = True,
    now: datetime | None = None,
    whole_seconds: bool = True,
) -> list[Command]:
    """The commands that record an engagement whose one reminder (`offset` before its start,
    by `channels`) is due in about `due_in` seconds (to the next whole second)."""
    start = (now or datetime.now(UTC)) + timedelta(seconds=due_in) + offset
    if whole_seconds:
        start = start.replace(microsecond=0) + timedelta(seconds=1)
    tz = "Asia/Shanghai" if abroad else "Asia/Seoul"
    eid = EngagementId(engagement_id)
    return [
        ScheduleEngagement(
            engagement_id=eid,
            details=EngagementDetails(
                kind=EngagementKind.MEETING,
                direction=Direction.OUTBOUND if abroad else Direction.LOCAL,
                title=LocalizedText(en=title, ko=title_ko, label="title"),
                when=ExactWhen(start, start + timedelta(hours=2), tz),
                place=DALIAN if abroad else None,
                audience=audience,
            ),
            participation=Participation.ATTENDING,
        ),
        SetReminderPolicy(
            engagement_id=eid,
            policy=ReminderPolicy((offset,), frozenset(Channel(c) for c in channels)),
        ),
    ]


def start_of(commands: list[Command]) -> datetime:
    schedule = commands[0]
    assert isinstance(schedule, ScheduleEngagement)
    return schedule.details.when.bounds()[0]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)
    return time.monotonic() - started


REPO = Path(__file__).resolve().parents[1]


class Proc:
    """A subprocess logging to a file: a Celery worker or a scheduler."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], directory: Any) -> None:
        self.name, self.argv, self.env, self.directory = name, argv, env, directory
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.restarts = 0
        self._supervised = False

    @property
    def log(self) -> Any:
        return self.directory / f"{self.name}-{self.starts}.log"

    def output(self) -> str:
        return "".join(
            path.read_text(errors="replace")
            for path in sorted(self.directory.glob(f"{self.name}-*.log"))
        )

    def start(self, ready: str | None, timeout: float = 30) -> Proc:
        assert self.process is None
        self.starts += 1
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.argv, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
            )
        if ready is not None:
            self.wait_for(ready, timeout)
        return self

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {text!r}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def keep_alive(self) -> None:
        """Restart the process whenever it exits by itself, as a supervisor (compose's
        `restart: unless-stopped`, systemd's `Restart=always`) does, until `stop` or `kill`."""
        self._supervised = True
        self.restarts = 0

        def watch() -> None:
            while self._supervised:
                process = self.process
                if process is not None and process.poll() is not None and self._supervised:
                    self.process = None
                    self.restarts += 1
                    self.start(None)
                time.sleep(0.1)

        threading.Thread(target=watch, name=f"supervise-{self.name}", daemon=True).start()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM: a warm shutdown."""
        self._supervised = False
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, no lock released."""
        self._supervised = False
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def worker(
    env: dict[str, str],
    directory: Any,
    name: str = "worker",
    threads: int = 4,
    pool: str = "threads",
    include: tuple[str, ...] = (),
) -> Proc:
    """A `celery -A workers worker`; `include`: more task modules it imports (`-I`)."""
    return Proc(
        name,
        [sys.executable, "-m", "celery", "-A", "workers", "worker", f"--pool={pool}",
         "-c", str(threads), "--without-mingle", "--without-gossip", "--without-heartbeat",
         "-l", "INFO", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
        + (["-I", ",".join(include)] if include else []),
        env,
        directory,
    )  # fmt: skip


def scheduler(env: dict[str, str], directory: Any, name: str = "scheduler") -> Proc:
    return Proc(name, [sys.executable, "-m", "calendar_service", "scheduler"], env, directory)


WORKER_READY = " ready."
SCHEDULER_ACTIVE = ": active"
SCHEDULER_STANDBY = ": standby"
