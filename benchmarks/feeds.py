"""The iCalendar feed (issue 5): requests per second against Radicale and against the
precomputed-bytes ceiling, the time to new bytes after a change, a cold render against the
icalendar library, and sizes.

The calendar: the seed plus N generated engagements (`feeds_workload`), recorded through the
write path into a SQLite log, projected, with a staff feed created through `feeds.create_feed`.
Every contender serves the same events: the staff feed in English.

- ours: `calendar-service`'s app (`create_app`, embedded mode) under uvicorn, in a subprocess.
- ceiling: a bare ASGI app under the same uvicorn, returning our feed's bytes (and gzipped
  bytes) computed before it started, with their ETag, and 304 on a matching If-None-Match:
  the most a Python endpoint can do.
- Radicale 3.9 (`python -m radicale`, auth type none, a temporary storage folder), serving the
  same events as a collection GET. Its storage is written the way its own PUT writes it (one
  file per item, each item a VCALENDAR with the VTIMEZONEs it uses): uploading 15,000 items
  through its PUT takes half a minute, and the upload is not what is measured.

Load: `_load.load`, a bounded number of GETs from 16 concurrent keep-alive connections on
loopback, with `Accept-Encoding: gzip`; ours and the ceiling interleaved over 3 repeats.
"""

from __future__ import annotations

import atexit
import base64
import gc
import gzip
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import httpx

from benchmarks._harness import (
    REPO,
    Benchmark,
    Check,
    Config,
    Figures,
    Skipped,
    interleaved,
    median,
    progress,
    rnd,
    spread,
)
from benchmarks._load import LoadResult, load
from benchmarks.feeds_workload import engagement_id, populate
from calendar_service.bootstrap import build, feed_cache
from calendar_service.config import Settings
from calendar_service.domain import (
    DEFAULT_RULES,
    LANGUAGES,
    AllDayWhen,
    Audience,
    Engagement,
    ExactWhen,
)
from calendar_service.domain.workdays import korean_working_days
from calendar_service.eventstore.sqlite import SqliteEventStore
from calendar_service.feed import (
    FeedCache,
    FeedItem,
    calendar_component,
    create_feed,
    feed_items,
    select_for_feed,
)
from calendar_service.projections import NullNudger
from calendar_service.projections.calendar import ENGAGEMENTS
from calendar_service.projections.calendar import NAME as CALENDAR
from calendar_service.staff.tokens import issue_token

HOST = "127.0.0.1"
CLIENTS = 16
REPEATS = 3
GZIP = {"Accept-Encoding": "gzip"}
SEEDED = 6
"""Engagements the seed records besides the generated ones."""
_SCRATCH = ExitStack()
atexit.register(_SCRATCH.close)


@dataclass(frozen=True)
class Calendar:
    """A projected log of the seed plus `generated` engagements, with a staff feed."""

    generated: int
    store_url: str
    token: str
    directory: Path
    staff_token: str
    """A staff member's bearer token, for the write API."""

    @property
    def settings(self) -> Settings:
        return Settings(store=self.store_url)


_CALENDARS: dict[int, Calendar] = {}


def calendar(generated: int) -> Calendar:
    """Built once per run and size (three benchmarks use the 1,000 one)."""
    if generated not in _CALENDARS:
        directory = Path(tempfile.mkdtemp(prefix=f"bench-feeds-{generated}-"))
        _SCRATCH.callback(shutil.rmtree, directory, True)
        progress(f"   recording the seed and {generated} engagements")
        writer = SqliteEventStore(directory / "events.db", synchronous="OFF")
        populate(writer, generated, datetime.now(UTC))
        writer.close()
        url = f"sqlite:///{directory / 'events.db'}"
        container = build(Settings(store=url), nudger=NullNudger())
        try:
            container.projector.catch_up(CALENDAR)  # what the feed reads (and feeds, below)
            feed = create_feed(
                container.store,
                container.projector,
                name="benchmark",
                audience=Audience.STAFF,
                actor="bench",
            )
            staff = issue_token(container.store, container.projector, actor="bench", by="bench")
        finally:
            container.close()
        _CALENDARS[generated] = Calendar(generated, url, feed.token, directory, staff.token)
    return _CALENDARS[generated]


# -- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(command: list[str], port: int, ready_path: str) -> Iterator[int]:
    """A subprocess serving on `port`, stopped afterwards; waits until `ready_path` answers."""
    # Its stderr goes to a file: ours logs a line per request, as `serve` does, more than a
    # pipe nobody reads would hold.
    with tempfile.TemporaryFile() as errors:
        yield from _served(command, port, ready_path, errors)


def _served(command: list[str], port: int, ready_path: str, errors: IO[bytes]) -> Iterator[int]:
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                errors.seek(0)
                error = errors.read().decode(errors="replace")
                raise RuntimeError(f"{command[2:4]} exited: {error[-500:]}")
            try:
                httpx.get(f"http://{HOST}:{port}{ready_path}", timeout=60)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2:4]} did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ours(cal: Calendar) -> AbstractContextManager[int]:
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.feeds_server", "ours", cal.store_url, str(port)]
    return server(command, port, "/healthz")


def ceiling(directory: Path, body: bytes, etag: str) -> AbstractContextManager[int]:
    (directory / "body.ics").write_bytes(body)
    (directory / "body.ics.gz").write_bytes(gzip.compress(body, 6, mtime=0))
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "benchmarks.feeds_server",
        "ceiling",
        str(directory / "body.ics"),
        str(directory / "body.ics.gz"),
        etag,
        str(port),
    ]
    return server(command, port, "/")


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    proxy_cache_path {dir}/cache keys_zone=feeds:10m max_size=200m;
    upstream calendar {{ server 127.0.0.1:{upstream}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location = /healthz {{ proxy_pass http://calendar; }}
        location /feeds/ {{
            proxy_pass http://calendar;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache feeds;
            # Ours says `private, no-cache`: a cache in front of it, trusted with the tokens,
            # keeps each answer {ttl} and then revalidates it with If-None-Match (a 304 from us).
            proxy_ignore_headers Cache-Control Expires;
            proxy_cache_valid 200 {ttl};
            proxy_cache_revalidate on;
            proxy_cache_lock on;
            proxy_cache_use_stale updating;
            proxy_cache_background_update on;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""
NGINX_TTL = "1s"


def nginx(upstream: int) -> AbstractContextManager[int]:
    """nginx as a caching reverse proxy in front of our server on `upstream` (README)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise Skipped("nginx is not installed (apt-get install nginx-light)")
    # Its own folder, open to nginx's worker (which may run as another user) for its cache.
    folder = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    _SCRATCH.callback(shutil.rmtree, folder, True)
    folder.chmod(0o777)
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=folder, upstream=upstream, port=port, ttl=NGINX_TTL))
    return server([binary, "-c", str(conf), "-p", str(folder)], port, "/healthz")


RADICALE_PATH = "/bench/feed/"


def radicale(directory: Path, body: bytes) -> AbstractContextManager[int]:
    try:
        import radicale as _radicale  # noqa: F401
    except ModuleNotFoundError:
        raise Skipped("radicale is not installed: pip install -e '.[bench]'") from None
    storage = directory / "radicale"
    shutil.rmtree(storage, ignore_errors=True)
    write_radicale_collection(storage / "collection-root" / "bench" / "feed", body)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "radicale",
        "--config",
        "",
        "--server-hosts",
        f"{HOST}:{port}",
        "--auth-type",
        "none",
        "--storage-filesystem-folder",
        str(storage),
        "--logging-level",
        "error",
    ]
    return server(command, port, "/.web/")


_BLOCK = re.compile(rb"BEGIN:(VEVENT|VTIMEZONE)\r\n.*?END:\1\r\n", re.DOTALL)
_UID = re.compile(rb"\r\nUID:([^\r]+)\r\n")
_TZID = re.compile(rb";TZID=([^:;]+)[:;]")
_TZ_ID = re.compile(rb"\r\nTZID:([^\r]+)\r\n")


def write_radicale_collection(folder: Path, feed: bytes) -> int:
    """The collection as Radicale's PUT stores it: one VCALENDAR file per event, holding the
    VTIMEZONEs the event uses. Returns the number of items."""
    folder.mkdir(parents=True)
    (folder / ".Radicale.props").write_text(json.dumps({"tag": "VCALENDAR"}))
    zones: dict[bytes, bytes] = {}
    count = 0
    for block in _BLOCK.finditer(feed):
        text = block.group(0)
        if block.group(1) == b"VTIMEZONE":
            found = _TZ_ID.search(b"\r\n" + text)
            assert found is not None
            zones[found.group(1)] = text
            continue
        uid = _UID.search(text)
        assert uid is not None
        used = sorted(set(_TZID.findall(text)))
        item = b"".join(
            [
                b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n",
                *(zones[tzid] for tzid in used),
                text,
                b"END:VCALENDAR\r\n",
            ]
        )
        name = re.sub(rb"[^A-Za-z0-9@._-]", b"_", uid.group(1)).decode()
        (folder / f"{name}.ics").write_bytes(item)
        count += 1
    return count


# -- requests per second ----------------------------------------------------------------------


def http(generated: int) -> Callable[[Config], Figures]:
    def run(config: Config) -> Figures:
        cal = calendar(config.pick(generated, generated // 50))
        total = config.pick(4000, 200)
        path = f"/feeds/{cal.token}.ics"
        with ExitStack() as stack:
            our_port = stack.enter_context(ours(cal))
            plain = httpx.get(f"http://{HOST}:{our_port}{path}", timeout=120)
            assert plain.status_code == 200, plain.text
            body = plain.content
            zipped = httpx.get(f"http://{HOST}:{our_port}{path}", headers=GZIP, timeout=120)
            gzip_etag = zipped.headers["etag"]
            ceiling_port = stack.enter_context(ceiling(cal.directory, body, gzip_etag))
            proxy_port = stack.enter_context(nginx(our_port))
            for headers in (GZIP, {**GZIP, "If-None-Match": gzip_etag}):  # nginx's cache filled
                httpx.get(f"http://{HOST}:{proxy_port}{path}", headers=headers, timeout=120)
            progress("   radicale: writing the same events into its storage")
            radicale_port = stack.enter_context(radicale(cal.directory, body))
            authorization = "Basic " + base64.b64encode(b"bench:bench").decode()
            radicale_url = f"http://{HOST}:{radicale_port}{RADICALE_PATH}"
            login = {"Authorization": authorization}
            warm = httpx.get(radicale_url, headers=login, timeout=600)
            assert warm.status_code == 200, warm.status_code
            radicale_events = warm.content.count(b"BEGIN:VEVENT")
            again = httpx.get(
                radicale_url, headers={**login, "If-None-Match": warm.headers["etag"]}, timeout=600
            )

            results: dict[str, list[LoadResult]] = {}

            def sampler(
                name: str, port: int, target: str, headers: dict[str, str]
            ) -> Callable[[], float]:
                def sample() -> float:
                    result = load(HOST, port, target, headers, total=total, concurrency=CLIENTS)
                    results.setdefault(name, []).append(result)
                    return result.seconds

                return sample

            samples = interleaved(
                {
                    "ours_gzip": sampler("ours_gzip", our_port, path, GZIP),
                    "ceiling_gzip": sampler("ceiling_gzip", ceiling_port, "/", GZIP),
                    "ours_304": sampler(
                        "ours_304", our_port, path, {**GZIP, "If-None-Match": gzip_etag}
                    ),
                    "ceiling_304": sampler(
                        "ceiling_304", ceiling_port, "/", {**GZIP, "If-None-Match": gzip_etag}
                    ),
                    "nginx_gzip": sampler("nginx_gzip", proxy_port, path, GZIP),
                    "nginx_304": sampler(
                        "nginx_304", proxy_port, path, {**GZIP, "If-None-Match": gzip_etag}
                    ),
                },
                config.pick(REPEATS, 1),
            )
            progress("   radicale: 16 clients")
            slow = load(
                HOST,
                radicale_port,
                RADICALE_PATH,
                {**GZIP, "Authorization": authorization},
                total=config.pick(32 if generated <= 1000 else 16, 16),
                concurrency=CLIENTS,
                timeout=config.pick(90, 10),
            )
        expected = {
            "ours_gzip": 200,
            "ceiling_gzip": 200,
            "ours_304": 304,
            "ceiling_304": 304,
            "nginx_gzip": 200,
            "nginx_304": 304,
        }
        for name, status in expected.items():
            seen = {code for result in results[name] for code in result.statuses}
            assert seen == {status}, (name, seen)
        assert set(slow.statuses) == {200}, slow.statuses
        rate = {name: total / median(seconds) for name, seconds in samples.items()}
        p99 = {name: median([r.percentile_ms(99) for r in results[name]]) for name in results}
        engagements = cal.generated + SEEDED
        return {
            "engagements": engagements,
            "events_in_feed": body.count(b"BEGIN:VEVENT"),
            "radicale_events": radicale_events,
            "feed_bytes": len(body),
            "feed_gzip_bytes": int(zipped.headers["content-length"]),
            "bytes_per_engagement": round(len(body) / engagements),
            "ours_gzip_rps": rnd(rate["ours_gzip"]),
            "ceiling_gzip_rps": rnd(rate["ceiling_gzip"]),
            "radicale_gzip_rps": rnd(slow.rate),
            "ratio_vs_radicale": rnd(rate["ours_gzip"] / slow.rate),
            "ratio_vs_ceiling": rnd(rate["ours_gzip"] / rate["ceiling_gzip"]),
            "ours_304_rps": rnd(rate["ours_304"]),
            "ceiling_304_rps": rnd(rate["ceiling_304"]),
            "ratio_304_vs_ceiling": rnd(rate["ours_304"] / rate["ceiling_304"]),
            "ours_304_p50_ms": rnd(median([r.percentile_ms(50) for r in results["ours_304"]])),
            "ours_304_p99_ms": rnd(p99["ours_304"]),
            "ceiling_304_p99_ms": rnd(p99["ceiling_304"]),
            "ours_gzip_p99_ms": rnd(p99["ours_gzip"]),
            "nginx_gzip_rps": rnd(rate["nginx_gzip"]),
            "nginx_304_rps": rnd(rate["nginx_304"]),
            "nginx_304_p99_ms": rnd(p99["nginx_304"]),
            "nginx_304_vs_ours": rnd(rate["nginx_304"] / rate["ours_304"]),
            "nginx_gzip_vs_ours": rnd(rate["nginx_gzip"] / rate["ours_gzip"]),
            "nginx_ttl": NGINX_TTL,
            "radicale_answers_304": again.status_code == 304,
            "radicale_p50_ms": rnd(slow.percentile_ms(50)),
            "requests_per_sample": total,
            "clients": CLIENTS,
            "spread_max": rnd(max(spread(seconds) for seconds in samples.values())),
        }

    return run


# -- after a change ---------------------------------------------------------------------------

POLL_S = 0.001
"""How long the subscriber waits between conditional GETs that still get a 304."""


def update_1000(config: Config) -> Figures:
    """What a subscriber waits for after one change. Our server runs as `serve` runs it in
    embedded mode (its own projector thread and feed cache); the change goes through its write
    API (`POST /api/engagements/{id}/reschedule`, a staff token, `If-Match: *`), and a real
    HTTP client on a keep-alive connection (httpx) sends the conditional GET a calendar app
    sends (`If-None-Match` with the ETag it holds), again every `POLL_S` while it gets 304.
    `new_bytes_ms`: from just before the write is sent until that GET returns 200 with the new
    bytes (the write's own round trip included); `write_ms`: the write's round trip alone.
    Over 100 changes to different engagements shown in the feed, one at a time."""
    cal = calendar(config.pick(1000, 20))
    changes = config.pick(100, 5)
    path = f"/feeds/{cal.token}.ics"
    store = SqliteEventStore(cal.directory / "events.db")
    writes: list[float] = []
    new_bytes: list[float] = []
    polls: list[int] = []
    try:
        with (
            ours(cal) as port,
            httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60) as subscriber,
            httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60) as staff,
        ):
            first = subscriber.get(path, headers=GZIP)
            assert first.status_code == 200, first.text
            etag, body = first.headers["etag"], first.content  # httpx inflates it
            shown = shown_indexes(body, cal.generated)
            assert len(shown) >= changes, (len(shown), changes)
            auth = {"Authorization": f"Bearer {cal.staff_token}", "If-Match": "*"}
            for index in shown[:changes]:
                target = f"/api/engagements/{engagement_id(index)}/reschedule"
                payload = {"when": moved_when(store, index), "reason": "benchmark"}
                gc.collect()
                started = time.perf_counter()
                written = staff.post(target, json=payload, headers=auth)
                wrote = time.perf_counter()
                assert written.status_code == 200, written.text
                count = 0
                while True:
                    answer = subscriber.get(path, headers={**GZIP, "If-None-Match": etag})
                    count += 1
                    if answer.status_code == 200:
                        break
                    assert answer.status_code == 304, answer.status_code
                    time.sleep(POLL_S)
                done = time.perf_counter()
                new_body = answer.content
                assert new_body != body, "new bytes"
                assert answer.headers["etag"] != etag, "a new ETag"
                etag, body = answer.headers["etag"], new_body
                writes.append(wrote - started)
                new_bytes.append(done - started)
                polls.append(count)
    finally:
        store.close()
    return {
        "engagements": cal.generated + SEEDED,
        "events_in_feed": body.count(b"BEGIN:VEVENT"),
        "feed_bytes": len(body),
        "new_bytes_p50_ms": rnd(percentile(new_bytes, 50) * 1000),
        "new_bytes_p99_ms": rnd(percentile(new_bytes, 99) * 1000),
        "new_bytes_max_ms": rnd(max(new_bytes) * 1000),
        "write_p50_ms": rnd(percentile(writes, 50) * 1000),
        "write_p99_ms": rnd(percentile(writes, 99) * 1000),
        "gets_per_change_p50": median([float(n) for n in polls]),
        "poll_ms": POLL_S * 1000,
        "changes": changes,
    }


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (as `_load.LoadResult.percentile_ms`)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def shown_indexes(body: bytes, generated: int) -> list[int]:
    """The generated engagements the feed shows, in order of their index."""
    found = {int(n) for n in re.findall(rb"bench-engagement-(\d{5})", body)}
    return sorted(index for index in found if index < generated)


def moved_when(store: SqliteEventStore, index: int) -> dict[str, str]:
    """The engagement's `when` an hour later (a day later, for whole days), as the API takes it."""
    from calendar_service.service import ENGAGEMENT, load

    state, _ = load(store, ENGAGEMENT, str(engagement_id(index)))
    assert state is not None
    when = state.when
    if isinstance(when, ExactWhen):
        hour = timedelta(hours=1)
        start, end = (when.start + hour).isoformat(), (when.end + hour).isoformat()
        return {"kind": "exact", "start": start, "end": end, "tz": when.tz}
    assert isinstance(when, AllDayWhen)
    day = timedelta(days=1)
    return {
        "kind": "all_day",
        "start_date": (when.start_date + day).isoformat(),
        "end_date_exclusive": (when.end_date_exclusive + day).isoformat(),
        "tz": when.tz,
    }


# -- a cold render ----------------------------------------------------------------------------


def cold_render_1000(config: Config) -> Figures:
    """Ours: a fresh `FeedCache` builds the staff feed from the calendar projection's rows
    (read, decode, derive deadlines, select, render, assemble, gzip, hash). icalendar: the
    library building and serialising the same VEVENTs as one Calendar
    (`ical.calendar_component(...).to_ical()`), its inputs decoded for it beforehand; and, as a
    figure, its `to_ical()` alone on the built Calendar."""
    cal = calendar(config.pick(1000, 20))
    container = build(cal.settings, nudger=NullNudger())
    try:
        probe = feed_cache(container)
        moment = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        items = selected_items(container.views, probe, moment)
        meta = probe.meta(Audience.STAFF, "en")
        directory = probe._directory
        built = calendar_component(items, meta, directory)
        sizes: dict[str, int] = {}

        def our_cold() -> float:
            cache = feed_cache(container)
            started = time.perf_counter()
            version = cache.live(Audience.STAFF, "en")
            seconds = time.perf_counter() - started
            sizes["ours"] = version.events
            return seconds

        def icalendar_whole() -> float:
            started = time.perf_counter()
            calendar_component(items, meta, directory).to_ical()
            return time.perf_counter() - started

        def icalendar_to_ical() -> float:
            started = time.perf_counter()
            built.to_ical()
            return time.perf_counter() - started

        samples = interleaved(
            {
                "ours": our_cold,
                "icalendar": icalendar_whole,
                "icalendar_to_ical": icalendar_to_ical,
            },
            config.pick(REPEATS, 1),
        )
    finally:
        container.close()
    assert sizes["ours"] == len(items), (sizes, len(items))
    ours_s, peer_s = median(samples["ours"]), median(samples["icalendar"])
    return {
        "engagements": cal.generated + SEEDED,
        "events": len(items),
        "ours_s": rnd(ours_s),
        "icalendar_s": rnd(peer_s),
        "icalendar_to_ical_only_s": rnd(median(samples["icalendar_to_ical"])),
        "ratio_vs_icalendar": rnd(peer_s / ours_s),
        "ratio_vs_icalendar_to_ical_only": rnd(median(samples["icalendar_to_ical"]) / ours_s),
        "spread_max": rnd(max(spread(seconds) for seconds in samples.values())),
    }


def selected_items(views: object, cache: FeedCache, moment: datetime) -> list[FeedItem]:
    """The staff feed's items, decoded from the projection's rows as the cache decodes them."""
    working = korean_working_days()
    items: list[FeedItem] = []
    for _, _, _, text in views.rows(CALENDAR, ENGAGEMENTS):  # type: ignore[attr-defined]
        doc = json.loads(text)
        engagement = Engagement.from_json(doc["engagement"])
        items += feed_items(
            engagement,
            datetime.fromisoformat(doc["updated_at"]),
            DEFAULT_RULES,
            working,
            created=datetime.fromisoformat(doc["created_at"]),
        )
    return select_for_feed(items, cache.window.at(moment), Audience.STAFF)


# -- sizes ------------------------------------------------------------------------------------


def size(config: Config) -> Figures:
    """The seeded calendar's feeds (every audience and language) against Google's 1 MB. The
    size per engagement of the generated calendars is in the `http_*` lines."""
    directory = Path(tempfile.mkdtemp(prefix="bench-feeds-seed-"))
    try:
        container = build(
            Settings(store=f"sqlite:///{directory / 'events.db'}"), nudger=NullNudger()
        )
        try:
            from calendar_service.seed import apply_seed

            apply_seed(container.store, lambda: datetime.now(UTC))
            container.projector.catch_up(CALENDAR)
            cache = feed_cache(container)
            sizes = {
                f"{audience.value}_{lang}": len(cache.live(audience, lang).body)
                for audience in Audience
                for lang in LANGUAGES
            }
        finally:
            container.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "seeded_staff_bytes": sizes["staff_en"],
        "seeded_largest_bytes": max(sizes.values()),
        "seeded_feed_bytes": sizes,
    }


BENCHMARKS = (
    Benchmark(
        "feeds.http_1000",
        peer="Radicale 3.9 collection GET and a bare ASGI app with precomputed bytes (ceiling), "
        "same events, same run",
        checks=(
            Check("ratio_vs_radicale", at_least=100),
            Check("ratio_vs_ceiling", at_least=0.5),
            Check("ratio_304_vs_ceiling", at_least=0.5),
            Check("ours_304_p99_ms", at_most=5),
        ),
        run=http(1000),
    ),
    Benchmark(
        "feeds.http_5000",
        peer="Radicale 3.9 collection GET and a bare ASGI app with precomputed bytes (ceiling), "
        "same events, same run",
        checks=(
            Check("ratio_vs_radicale", at_least=100),
            Check("ratio_vs_ceiling", at_least=0.5),
            Check("ratio_304_vs_ceiling", at_least=0.5),
            Check("ours_304_p99_ms", at_most=5),
        ),
        run=http(5000),
    ),
    Benchmark(
        "feeds.update_1000",
        peer="limit 50 ms from the write to a subscriber's conditional GET returning the new bytes",
        checks=(Check("new_bytes_p99_ms", at_most=50),),
        run=update_1000,
    ),
    Benchmark(
        "feeds.cold_render_1000",
        peer="the icalendar library building and serialising the same VEVENTs, same run",
        checks=(Check("ratio_vs_icalendar", at_least=1.0),),
        run=cold_render_1000,
    ),
    Benchmark(
        "feeds.size",
        peer="Google Calendar's 1 MB limit on a subscribed feed",
        checks=(Check("seeded_largest_bytes", at_most=1_000_000),),
        run=size,
    ),
)
