"""What a reader may not read never reaches them: a property test over feeds, pages and /api.

For random engagements (each with an audience, maybe an invitation accepted with a note or
declined with a reason, notes marked internal or public, maybe a cancellation with its reason,
each change recorded by one of two staff members) and every audience or clearance below
restricted: no internal note, reason, invitation channel or actor name reaches a public reader,
and nothing at all about an engagement above the reader's audience (its title, its notes)
reaches them, through the feed (.ics, unfolded), the feed's page and each engagement's page,
or any /api read of a token with that clearance (agenda, decisions, engagement, history).
The readers that may read something are checked to read it, so the property is not vacuous.

Each text written is a marker unique to the example (`T…title`, `N…note`): a marker found in
an answer is a leak, never a coincidence.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_service.api import create_app
from calendar_service.bootstrap import Container
from calendar_service.config import load_settings
from calendar_service.domain import (
    Accept,
    AddNote,
    Audience,
    Cancel,
    Decline,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    EventStatus,
    LocalizedText,
    ReceiveInvitation,
    ScheduleEngagement,
    Visibility,
)
from calendar_service.feed import create_feed
from calendar_service.service import Envelope
from tests.fixtures.coming_weeks import exact
from tests.integration.api.support import opened, token

with warnings.catch_warnings():
    # starlette asks for `httpx2`; the project uses httpx, which works the same here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow

READERS = (Audience.PUBLIC, Audience.STAFF)
"""The audiences and clearances below restricted: each may be shown less than all."""


@dataclass
class Site:
    container: Container
    client: TestClient
    feeds: dict[Audience, str]
    tokens: dict[Audience, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory: Path = tmp_path_factory.mktemp("confidential")
    config = load_settings(store=f"sqlite:///{directory}/events.db", base_url="http://testserver")
    with opened(config) as container:
        feeds = {
            audience: create_feed(
                container.store, container.projector, name="Office", audience=audience, actor="t"
            ).token
            for audience in Audience
        }
        tokens = {
            audience: token(container, f"Reader {audience.value}", clearance=audience)
            for audience in Audience
        }
        client = TestClient(create_app(container), raise_server_exceptions=False)
        yield Site(container, client, feeds, tokens)


@dataclass(frozen=True)
class Plan:
    """One engagement to write: its audience, how it came, its notes, its end."""

    audience: Audience
    invitation: str | None  # None: scheduled; "accept" or "decline": an answered invitation
    notes: tuple[tuple[Visibility, int], ...]  # each note's visibility and who writes it
    cancelled: bool
    day: int


plans = st.builds(
    Plan,
    audience=st.sampled_from(list(Audience)),
    invitation=st.sampled_from([None, "accept", "decline", "open"]),
    notes=st.lists(st.tuples(st.sampled_from(list(Visibility)), st.integers(0, 1)), max_size=3).map(
        tuple
    ),
    cancelled=st.booleans(),
    day=st.integers(1, 60),
)


@dataclass
class Written:
    """What an example wrote, by who may read it."""

    ids: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    titles: dict[str, Audience] = field(default_factory=dict)
    public_notes: dict[str, Audience] = field(default_factory=dict)
    internal: dict[str, Audience] = field(default_factory=dict)
    """Internal notes, reasons, decision notes and channels, with their engagement's audience."""

    def forbidden(self, reader: Audience) -> set[str]:
        """Every marker a reader of `reader` must never read."""
        above = {
            text
            for texts in (self.titles, self.public_notes, self.internal)
            for text, audience in texts.items()
            if not reader.admits(audience)
        }
        if reader is Audience.PUBLIC:
            above |= set(self.internal) | set(self.actors)
        return above


def _write(container: Container, plans: list[Plan]) -> Written:
    mark = uuid.uuid4().hex[:10]
    written = Written(actors=[f"Officer{mark}A", f"Officer{mark}B"])
    today = container.clock().date()
    for index, plan in enumerate(plans):
        eid = EngagementId(f"conf-{mark}-{index}")
        written.ids.append(str(eid))
        title = f"T{mark}{index}title"
        written.titles[title] = plan.audience
        details = EngagementDetails(
            kind=EngagementKind.MEETING,
            direction=Direction.LOCAL,
            title=LocalizedText(en=title),
            when=exact(today + timedelta(days=plan.day), 10, 1, "Asia/Seoul"),
            audience=plan.audience,
        )

        def run(command: object, by: int = 0) -> None:
            container.execute(command, Envelope(actor=written.actors[by]))  # type: ignore[arg-type]

        if plan.invitation is None:
            run(
                ScheduleEngagement(engagement_id=eid, details=details, status=EventStatus.CONFIRMED)
            )
        else:
            channel = f"C{mark}{index}channel"
            written.internal[channel] = plan.audience
            run(
                ReceiveInvitation(
                    engagement_id=eid, inviter="hao-peng", channel=channel, details=details
                )
            )
            why = f"W{mark}{index}why"
            if plan.invitation == "accept":
                written.internal[why] = plan.audience
                run(Accept(engagement_id=eid, note=why), 1)
            elif plan.invitation == "decline":
                written.internal[why] = plan.audience
                run(Decline(engagement_id=eid, reason=why), 1)
        for number, (visibility, by) in enumerate(plan.notes):
            text = f"N{mark}{index}{number}note"
            kept = written.public_notes if visibility is Visibility.PUBLIC else written.internal
            kept[text] = plan.audience
            run(AddNote(engagement_id=eid, text=text, visibility=visibility), by)
        if plan.cancelled:
            reason = f"R{mark}{index}reason"
            written.internal[reason] = plan.audience
            run(Cancel(engagement_id=eid, reason=reason), 1)
    container.projector.catch_up_all()
    return written


def _answers(site: Site, reader: Audience, ids: list[str]) -> dict[str, str]:
    """Everything a reader of `reader` can read about the example: name -> text."""
    client, feed = site.client, site.feeds[reader]
    bearer = {"Authorization": f"Bearer {site.tokens[reader]}"}
    ics = client.get(f"/feeds/{feed}.ics")
    assert ics.status_code == 200, ics.text
    answers = {
        "feed": ics.text.replace("\r\n ", "").replace("\\,", ","),  # unfolded, unescaped
        "page": client.get(f"/c/{feed}").text,
    }
    for query in ({}, {"audience": reader.value}):
        answers[f"agenda {query}"] = client.get("/api/agenda", params=query, headers=bearer).text
        answers[f"decisions {query}"] = client.get(
            "/api/decisions", params=query, headers=bearer
        ).text
    for eid in ids:
        answers[f"page of {eid}"] = client.get(f"/c/{feed}/e/{eid}").text
        for path in (f"/api/engagements/{eid}", f"/api/engagements/{eid}/history"):
            answer = client.get(path, headers=bearer)
            assert answer.status_code in (200, 404), (path, answer.text)
            answers[path] = answer.text
    return answers


@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(plans, min_size=1, max_size=4))
def test_no_reader_reads_a_note_a_name_or_a_title_above_their_audience(
    site: Site, plans: list[Plan]
) -> None:
    written = _write(site.container, plans)

    for reader in READERS:
        forbidden = written.forbidden(reader)
        for name, text in _answers(site, reader, written.ids).items():
            leaked = sorted(marker for marker in forbidden if marker in text)
            assert not leaked, f"{reader.value} reader, {name}: {leaked}"

    # Not vacuous: what a reader may read, they do read.
    readable = {reader: _answers(site, reader, written.ids) for reader in READERS}
    for reader, answers in readable.items():
        everything = "\n".join(answers.values())
        for texts in (written.titles, written.public_notes):
            for text, audience in texts.items():
                assert (text in everything) is reader.admits(audience), (reader, text)
    staff = "\n".join(readable[Audience.STAFF].values())
    for text, audience in written.internal.items():
        if audience is not Audience.RESTRICTED and text.startswith("N"):
            assert text in staff, text
    if any(plan.audience is not Audience.RESTRICTED for plan in plans):
        assert any(actor in staff for actor in written.actors)
