"""What people are served stays byte for byte what it was: the golden renderings.

Every feed of the seed and of a generated 1,000-engagement calendar (every audience, en/ko/zh,
live and three as-of moments), every feed page (every audience and language, two viewer
zones), the JSON agenda (every audience and language, live and as of those moments) and the
JSON history of a sample of engagements are rendered through the HTTP edge, exactly as a
subscriber, a browser or an API client gets them, and hashed. `tests/golden/renderings.json`
holds the hashes recorded before the code under them was reorganised: a refactoring that
changes one byte a person sees fails here.

The secrets in a rendering (feed tokens, the page's CSP nonce) are random per run and are
replaced by placeholders before hashing (a feed's lines are unfolded first, as a token in a link
may straddle a fold); nothing else is normalised.

An intended change of what people see is recorded with `GOLDEN_UPDATE=1 pytest
tests/integration/test_golden.py`, and the diff of the JSON file says what changed; a failing
run writes each differing rendering to `test-artifacts/golden/` for a look.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from calendar_service.api import create_app
from calendar_service.bootstrap import Container
from calendar_service.config import load_settings
from calendar_service.domain import Audience, Command
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.feed.tokens import create_feed
from calendar_service.projections import MemoryViewStore, NullNudger, Projector
from calendar_service.projections.projector import default_projections
from calendar_service.seed import apply_seed
from calendar_service.service import Envelope
from calendar_service.staff.tokens import issue_token
from tests.fixtures import generated_calendar as generated

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

GOLDEN = Path(__file__).parents[1] / "golden" / "renderings.json"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "golden"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"
LANGS = ("en", "ko", "zh")
AS_OF = ("2024-04-25", "2025-06-01T09:00:00+09:00", "2026-10-15")
"""The seed's day (as the office knew it the day after the meeting), mid-2025, and a day in
the generated log's own recording period (some of its facts known, some not yet)."""
NOW = generated.TODAY
BASE_URL = "https://calendar.example.org"
NONCE = re.compile(r"nonce(=\"|-)[A-Za-z0-9_\-]+")


@dataclass
class Rendered:
    dataset: str
    client: TestClient
    feeds: dict[Audience, str]
    """Feed token by audience."""
    admin: str
    engagement_ids: list[str]


def _container() -> tuple[Container, generated.SteppingClock]:
    clock = generated.SteppingClock(generated.START)
    settings = load_settings(store="memory://", base_url=BASE_URL, timezone="Asia/Seoul")
    store = MemoryEventStore(clock=clock)
    views = MemoryViewStore()
    projector = Projector(
        store, views, default_projections(reminder_offsets=settings.default_reminder_offsets)
    )
    return Container(settings, store, views, projector, NullNudger(), clock=clock), clock


def _build(dataset: str) -> Iterator[Rendered]:
    container, clock = _container()
    apply_seed(container.store, clock)
    if dataset == "generated":

        def execute(command: Command, known_at: datetime | None) -> None:
            container.execute(command, Envelope(actor="officer-lee", known_at=known_at))

        generated.populate(execute, clock, 1000, NOW.date())
    container.projector.catch_up_all()
    feeds = {
        audience: create_feed(
            container.store,
            container.projector,
            name=f"{audience.value} golden",
            audience=audience,
            actor="golden",
        ).token
        for audience in Audience
    }
    admin = issue_token(
        container.store, container.projector, actor="Golden", admin=True, by="golden"
    ).token
    container.projector.catch_up_all()
    container.clock = lambda: NOW
    streams = sorted(
        {e.stream for e in container.store.read_all(0, 10**6) if e.stream.startswith("engagement:")}
    )
    ids = [s.removeprefix("engagement:") for s in streams]
    sample = [i for i in ids if not i.startswith("generated-")] + [
        i for n, i in enumerate(x for x in ids if x.startswith("generated-")) if n % 50 == 0
    ]
    client = TestClient(create_app(container), raise_server_exceptions=True)
    try:
        yield Rendered(dataset, client, feeds, admin, sample)
    finally:
        client.close()
        container.close()


@pytest.fixture(scope="module", params=["seed", "generated"])
def rendered(request: pytest.FixtureRequest) -> Iterator[Rendered]:
    yield from _build(request.param)


def _normalised(body: bytes, feeds: dict[Audience, str]) -> bytes:
    if body.startswith(b"BEGIN:VCALENDAR"):
        # A feed's links hold its token, and a folded line may split it: unfold first (a
        # token always has 43 URL-safe characters, so it never moves a fold).
        body = body.replace(b"\r\n ", b"")
    for audience, token in feeds.items():
        body = body.replace(token.encode(), f"<{audience.value}-token>".encode())
    return NONCE.sub(lambda m: f"nonce{m.group(1)}<nonce>", body.decode()).encode()


def _renderings(r: Rendered) -> Iterator[tuple[str, bytes]]:
    """Every feed (audience x language x live and as-of). The page and the JSON agenda: for the
    seed in every audience, language, viewer zone and as-of moment; for the generated calendar
    (where each page costs a second and each as-of agenda a fold of the whole log) in one
    audience and language, each zone and moment."""
    get = r.client.get
    auth = {"Authorization": f"Bearer {r.admin}"}
    for audience, token in r.feeds.items():
        for lang in LANGS:
            every = r.dataset == "seed" or (audience is Audience.STAFF and lang == "ko")
            name = f"{r.dataset}/feed/{audience.value}/{lang}"
            yield f"{name}/live", _ok(get(f"/feeds/{token}.ics", params={"lang": lang}))
            for as_of in AS_OF:
                params = {"lang": lang, "as_of": as_of}
                yield f"{name}/as-of-{as_of}", _ok(get(f"/feeds/{token}.ics", params=params))
            for tz in ("Asia/Seoul", "Europe/Berlin") if every else ():
                page = get(f"/c/{token}", params={"lang": lang, "tz": tz})
                yield f"{r.dataset}/page/{audience.value}/{lang}/{tz}", _ok(page)
            if not every:
                continue
            params = {"audience": audience.value, "lang": lang, "from": "2023-11-01"}
            yield (
                f"{r.dataset}/api-agenda/{audience.value}/{lang}/live",
                _json(get("/api/agenda", params={**params, "to": "2028-12-31"}, headers=auth)),
            )
            for as_of in AS_OF:
                moment = {**params, "as_of": as_of, "from": "2023-01-01", "to": "2028-12-31"}
                yield (
                    f"{r.dataset}/api-agenda/{audience.value}/{lang}/as-of-{as_of}",
                    _json(get("/api/agenda", params=moment, headers=auth)),
                )
    for engagement_id in r.engagement_ids:
        for lang in LANGS:
            path = f"/api/engagements/{engagement_id}"
            yield (
                f"{r.dataset}/api-engagement/{engagement_id}/{lang}",
                _json(get(path, params={"lang": lang}, headers=auth)),
            )
            yield (
                f"{r.dataset}/api-history/{engagement_id}/{lang}",
                _json(get(f"{path}/history", params={"lang": lang}, headers=auth)),
            )


def _ok(response: Any) -> bytes:
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return bytes(response.content)


def _json(response: Any) -> bytes:
    assert response.status_code == 200, (response.status_code, response.text[:500])
    return json.dumps(response.json(), ensure_ascii=False, sort_keys=True).encode()


def test_every_rendering_is_byte_for_byte_the_recorded_one(rendered: Rendered) -> None:
    golden: dict[str, str] = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    actual = {}
    differing = []
    for name, body in _renderings(rendered):
        body = _normalised(body, rendered.feeds)
        digest = hashlib.sha256(body).hexdigest()
        actual[name] = digest
        if golden.get(name) != digest:
            differing.append(name)
            target = ARTIFACTS / name.replace(":", "_")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
    if UPDATE:
        kept = {k: v for k, v in golden.items() if not k.startswith(f"{rendered.dataset}/")}
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps({**kept, **actual}, indent=1, sort_keys=True) + "\n")
        return
    missing = sorted(k for k in golden if k.startswith(f"{rendered.dataset}/") and k not in actual)
    assert not missing, f"no longer rendered: {missing[:10]}"
    assert not differing, (
        f"{len(differing)} of {len(actual)} renderings changed (written to {ARTIFACTS}): "
        f"{differing[:10]}"
    )
