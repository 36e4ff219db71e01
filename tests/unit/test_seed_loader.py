"""The seed loader: bad seed data is refused naming the entry and field; applying is idempotent
and never records a fact before the office could know it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calendar_service.domain import Engagement
from calendar_service.eventstore.memory import MemoryEventStore
from calendar_service.projections import Axis, ViewStore, calendar_as_of
from calendar_service.projections.calendar import engagement
from calendar_service.seed import SeedError, apply_seed, load_seed

HEADER = """
references:
  a: {publisher: The Asia Business Daily, published: "2024-04-25T07:17:00+09:00"}
directory:
  people:
    - {id: hao-peng, name: {en: Hao Peng, zh: 郝鹏}, aliases: [Hao Feng]}
  places:
    - {id: dalian, name: {en: Dalian}, country: CN, tz: Asia/Shanghai}
entries:
"""
ENTRY = """
  - id: davos/invitation
    engagement: summer-davos-2024
    command: receive-invitation
    known_at: "2024-04-25T07:17:00+09:00"
    inviter: Hao Feng
    kind: forum
    direction: outbound
    title: {en: Summer Davos 2024}
    when: {month: "2024-06", tz: Asia/Shanghai}
    place: Dalian
    sources:
      - {origin: article, ref: a, quote: He also officially invited Governor Kim}
"""


def seed_text(entry: str = ENTRY) -> str:
    return HEADER + entry


def test_a_valid_entry_resolves_names_through_the_directory() -> None:
    [entry] = load_seed(seed_text()).entries
    assert entry.command.inviter == "hao-peng"  # type: ignore[union-attr]
    assert entry.command.sources[0].ref == "The Asia Business Daily, 2024-04-25"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("inviter: Hao Feng", "inviter: Hao Fung"), "name 'Hao Fung' is not in the seed"),
        (('month: "2024-06"', 'month: "2024-13"'), "month 13 does not exist"),
        (("tz: Asia/Shanghai}", "tz: Asia/Shanghi}"), "not a known IANA time zone"),
        (("command: receive-invitation", "command: invite"), "command 'invite' is not one of"),
        (("    place: Dalian\n", "    place: Dalian\n    venue: x\n"), "venue: a receive-"),
        (("ref: a,", "ref: b,"), "source.ref 'b' is not one of the references"),
        (
            ("quote: He also officially invited Governor Kim", "quote: " + "word " * 25),
            "source.quote has 25 words",
        ),
        (('known_at: "2024-04-25T07:17:00+09:00"', 'known_at: "2024-04-25T07:17"'), "no UTC"),
    ],
)
def test_bad_seed_data_is_refused_naming_the_entry_and_the_field(
    change: tuple[str, str], message: str
) -> None:
    broken = ENTRY.replace(*change)
    assert broken != ENTRY
    with pytest.raises(SeedError, match="seed entry 'davos/invitation'") as error:
        load_seed(seed_text(broken))
    assert message in str(error.value)


def test_an_entry_without_provenance_is_refused() -> None:
    bare = ENTRY.split("    sources:")[0]
    with pytest.raises(SeedError, match="sources: give at least one source"):
        load_seed(seed_text(bare))


def test_two_entries_with_one_id_are_refused() -> None:
    with pytest.raises(SeedError, match="two entries share this id"):
        load_seed(seed_text(ENTRY + ENTRY))


@pytest.mark.slow  # seeds the whole article twice and folds the log as of two dates
def test_entries_not_known_yet_wait_for_a_later_run() -> None:
    now = [datetime(2024, 5, 1, tzinfo=UTC)]
    store = MemoryEventStore(clock=lambda: now[0])

    early = apply_seed(store, lambda: now[0])
    assert "summer-davos-2024/dates-confirmed" in early.not_yet_known
    assert "summer-davos-2024/invitation" in early.applied
    now[0] = datetime(2024, 10, 1, tzinfo=UTC)
    later = apply_seed(store, lambda: now[0])

    assert later.applied == early.not_yet_known
    assert set(later.already_seeded) == set(early.applied)
    # The log held only "June" until the second run; the office knew the dates from 19 June.
    logged = calendar_as_of(store, datetime(2024, 9, 1, tzinfo=UTC), Axis.RECORDED)
    known = calendar_as_of(store, datetime(2024, 9, 1, tzinfo=UTC), Axis.KNOWN)
    assert _davos(logged).when.precision.name == "MONTH"
    assert _davos(known).when.precision.name == "ALL_DAY"
    now[0] = datetime(2025, 1, 1, tzinfo=UTC)
    assert apply_seed(store, lambda: now[0]).appended_events == 0


def _davos(views: ViewStore) -> Engagement:
    found = engagement(views, "summer-davos-2024")
    assert found is not None
    return found
