"""Whatever `as_of` a reader sends, a feed URL and /api/agenda answer it, never with a 5xx.

A date whose end of day `datetime` cannot hold (9999-12-31), the first day it can
(0001-01-01), a day that does not exist (2024-13-45), and Hypothesis' strings, date-shaped
or not: the feed refuses them with a plain-text 400, the API with a JSON 422 naming `as_of`,
each with a message that says what to send instead; a moment the calendar holds gets a 200.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from calendar_service.config import load_settings
from calendar_service.domain import Audience
from calendar_service.seed import apply_seed
from tests.integration.api.support import Api, opened, token
from tests.integration.feeds.support import new_feed

pytestmark = pytest.mark.slow

HAND_MADE = ["0001-01-01", "9999-12-31", "2024-13-45"]


class Edges:
    def __init__(self, api: Api, feed: str) -> None:
        self.api, self.feed = api, feed

    def both(self, as_of: str) -> tuple[int, int]:
        """(the feed's status, /api/agenda's status) for `as_of`, each checked for its shape."""
        feed = self.api.client.get(f"/feeds/{self.feed}.ics", params={"as_of": as_of})
        agenda = self.api.get("/api/agenda", as_of=as_of)
        assert feed.status_code < 500, (as_of, feed.status_code, feed.text)
        assert agenda.status_code < 500, (as_of, agenda.status_code, agenda.text)
        if feed.status_code == 400:
            assert feed.headers["content-type"] == "text/plain; charset=utf-8"
            assert "as_of" in feed.text, feed.text
            assert "give" in feed.text, feed.text
        else:
            assert feed.status_code == 200, (as_of, feed.text)
        if agenda.status_code == 422:
            body = agenda.json()
            assert body["field"] == "as_of", body
            assert "give" in body["message"], body
        else:
            assert agenda.status_code == 200, (as_of, agenda.text)
        assert (feed.status_code == 200) == (agenda.status_code == 200), as_of
        return feed.status_code, agenda.status_code


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edges]:
    directory: Path = tmp_path_factory.mktemp("as-of")
    settings = load_settings(store=f"sqlite:///{directory}/events.db", base_url="http://testserver")
    with opened(settings) as container:
        apply_seed(container.store, lambda: datetime.now(UTC))
        container.projector.catch_up_all()
        feed = new_feed(container, Audience.STAFF)
        yield Edges(Api(container, token(container, "Officer Lee Ji-won")), feed)


@pytest.mark.parametrize("as_of", HAND_MADE)
def test_dates_datetime_cannot_hold_or_that_do_not_exist_get_400_and_422(
    edges: Edges, as_of: str
) -> None:
    assert edges.both(as_of) == (400, 422)


def test_a_moment_the_calendar_holds_is_answered(edges: Edges) -> None:
    assert edges.both("2024-04-25") == (200, 200)
    assert edges.both("2024-04-25T09:00:00+09:00") == (200, 200)


_DIGITS = st.integers(min_value=0, max_value=99999)
_DATE_SHAPED = st.builds(
    lambda y, m, d, rest: f"{y:04d}-{m:02d}-{d:02d}{rest}",
    _DIGITS,
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=99),
    st.sampled_from(
        [
            "",
            "T00:00",
            "T23:59:59.999999",
            "T23:59:59+14:00",
            "T00:00:00-23:59",
            "T00:00:00+23:59",
            "T24:00",
            "T23:59:59Z",
            " 12:00",
        ]
    ),
)
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


def test_no_as_of_string_gets_a_5xx_from_a_feed_or_the_agenda(edges: Edges) -> None:
    @given(as_of=st.one_of(_DATE_SHAPED, _TEXT))
    @example(as_of="0001-01-01")
    @example(as_of="9999-12-31")
    @example(as_of="2024-13-45")
    @example(as_of="9999-12-31T23:59:59-23:59")
    @example(as_of="0001-01-01T00:00:00+23:59")
    def check(as_of: str) -> None:
        edges.both(as_of)

    check()
