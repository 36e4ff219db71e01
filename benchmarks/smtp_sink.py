"""The delivery benchmarks' SMTP server, in a process of its own (issue 15), so that parsing
and stamping a thousand messages costs the measuring process nothing.

`SmtpSinkProcess().start()` runs `python -m benchmarks.smtp_sink PORT`: the aiosmtpd server of
`tests.reminders_support.SmtpSink` on 127.0.0.1, which writes one JSON line per message it
accepts to its stdout: `at` (time.time() when it accepted it: the clock is the machine's, the
same in every process), `id` (the message's X-Calendar-Reminder-Id) and `to`. The parent reads
the lines in a thread and hands each to its `listeners`. Closing the child's stdin stops it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import IO

from benchmarks._harness import REPO

READY = "ready"
Listener = Callable[[str, str, float], None]
"""Called with the message's reminder id, its recipient and when it was accepted."""


class SmtpSinkProcess:
    """An SMTP server in a child process; `listeners` hear of each message it accepted."""

    def __init__(self) -> None:
        sys.path.insert(0, str(REPO))
        from tests.reminders_support import free_port

        self.port = free_port()
        self.listeners: list[Listener] = []
        self.accepted = 0
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> SmtpSinkProcess:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.smtp_sink", str(self.port)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._process = process
        assert process.stdout is not None
        ready = threading.Event()
        self._reader = threading.Thread(
            target=self._read, args=(process.stdout, ready), name="smtp-sink", daemon=True
        )
        self._reader.start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"the SMTP sink did not start within {timeout} s")
        return self

    def _read(self, lines: IO[str], ready: threading.Event) -> None:
        for line in lines:
            if line.strip() == READY:
                ready.set()
                continue
            found = json.loads(line)
            self.accepted += 1
            for listener in self.listeners:
                listener(found["id"], found["to"], found["at"])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            assert process.stdin is not None
            process.stdin.close()
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)


def main(argv: Sequence[str]) -> None:
    from tests.reminders_support import SmtpSink

    sink = SmtpSink(port=int(argv[0]))

    def report(message: EmailMessage, at: float) -> None:
        line = {"at": at, "id": str(message["X-Calendar-Reminder-Id"]), "to": str(message["To"])}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    sink.listeners.append(report)
    sink.start()
    print(READY, flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    finally:
        sink.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
