"""The compiled codec and the regex text check decide exactly as the generic ones they replaced.

`_reference_decode` and `_reference_check_text` are the former implementations, kept here
verbatim as the specification: every decoding of valid data, and every refusal of malformed
data (its exception type, field and message), must be the same.
"""

from __future__ import annotations

import json
import random
import sys
import types
import unicodedata
from collections.abc import Iterator
from dataclasses import MISSING, fields, is_dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given

from calendar_service.domain import (
    DEFAULT_RULES,
    EVENT_TYPES,
    AllDayWhen,
    DeadlineRules,
    Engagement,
    EngagementCancelled,
    EngagementDetails,
    EngagementKind,
    EngagementRescheduled,
    EngagementScheduled,
    ExactWhen,
    ImpreciseWhen,
    InvalidValue,
    LocalizedText,
    LocationChanged,
    NoteAdded,
    Participant,
    ParticipantAdded,
    PartOfDay,
    Recurrence,
    RecurringObservanceDefined,
    ReminderPolicy,
    SourceAttached,
    TitleChanged,
    evolve,
)
from calendar_service.domain._checks import check_text
from calendar_service.domain._codec import decode, encode_fields, encode_fields_reusing
from calendar_service.domain.durations import parse_duration
from calendar_service.domain.engagement.values import Direction
from calendar_service.domain.engagement.when import WHEN_TYPES, when_from_json
from tests.unit.domain.builders import ARTICLE, DALIAN, DAVOS, details
from tests.unit.domain.test_events import SAMPLES
from tests.unit.domain.test_properties import SEQUENCES, _step

pytestmark = pytest.mark.slow

# --- the former implementations ---------------------------------------------------------------


def _reference_decode(hint: Any, raw: object, path: str) -> Any:
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return _reference_union(get_args(hint), raw, path)
    if origin is tuple:
        return tuple(_reference_items(get_args(hint)[0], raw, path))
    if origin is frozenset:
        return frozenset(_reference_items(get_args(hint)[0], raw, path))
    if hint is Any:
        return raw
    if isinstance(hint, type):
        return _reference_type(hint, raw, path)
    raise TypeError(f"cannot decode {hint!r}")


def _reference_fields(cls: type[Any], raw: object, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidValue(path, raw, "give a JSON object")
    resolved = get_type_hints(cls)
    hints = {
        f.name: (resolved[f.name], f.default is MISSING and f.default_factory is MISSING)
        for f in fields(cls)
        if f.init
    }
    unknown = sorted(set(raw) - set(hints))
    if unknown:
        raise InvalidValue(f"{path}.{unknown[0]}", raw[unknown[0]], "no such field")
    arguments: dict[str, Any] = {}
    for name, (hint, required) in hints.items():
        where = f"{path}.{name}" if path else name
        if name in raw:
            arguments[name] = _reference_decode(hint, raw[name], where)
        elif required:
            raise InvalidValue(where, None, "this field is required")
    return arguments


def _reference_union(options: tuple[Any, ...], raw: object, path: str) -> Any:
    present = tuple(option for option in options if option is not type(None))
    if raw is None and len(present) < len(options):
        return None
    if set(present) == set(WHEN_TYPES):
        return when_from_json(raw, path)
    if len(present) == 1:
        return _reference_decode(present[0], raw, path)
    raise TypeError(f"cannot decode a union of {present!r}")


def _reference_items(hint: Any, raw: object, path: str) -> list[Any]:
    if not isinstance(raw, list):
        raise InvalidValue(path, raw, "give a JSON list")
    return [_reference_decode(hint, item, f"{path}[{index}]") for index, item in enumerate(raw)]


def _reference_type(hint: type[Any], raw: object, path: str) -> Any:
    if issubclass(hint, Enum):
        try:
            return hint(raw)
        except ValueError:
            choices = ", ".join(str(member.value) for member in hint)
            raise InvalidValue(path, raw, f"use one of {choices}") from None
    if hint is bool or hint is int or hint is str:
        if type(raw) is not hint:
            raise InvalidValue(path, raw, f"give a JSON {hint.__name__}")
        return raw
    if hint is datetime or hint is date:
        if not isinstance(raw, str):
            raise InvalidValue(path, raw, f"give an ISO 8601 {hint.__name__}")
        try:
            return hint.fromisoformat(raw)
        except ValueError:
            raise InvalidValue(path, raw, f"give an ISO 8601 {hint.__name__}") from None
    if hint is timedelta:
        return parse_duration(path, raw)
    from_json = getattr(hint, "from_json", None)
    if callable(from_json):
        return from_json(raw, path)
    if is_dataclass(hint):
        return hint(**_reference_fields(hint, raw, path))
    raise TypeError(f"cannot decode {hint.__name__}")


def _reference_check_text(
    field: str, value: object, *, max_chars: int, newlines: bool = False, tabs: bool = False
) -> str:
    if not isinstance(value, str):
        raise InvalidValue(field, value, "give text")
    if not value.strip():
        raise InvalidValue(field, value, "it is blank; leave the field out instead")
    if len(value) > max_chars:
        raise InvalidValue(
            field, value, f"it has {len(value)} characters, over the limit of {max_chars}"
        )
    allowed = {"\n"} if newlines else set()
    if tabs:
        allowed.add("\t")
    for char in value:
        if char not in allowed and unicodedata.category(char) in {"Cc", "Zl", "Zp"}:
            raise InvalidValue(
                field, value, f"it contains the control character {char!r}; remove it"
            )
    return value


# --- comparing outcomes -----------------------------------------------------------------------


def _outcome(decoder: Any, *args: Any) -> tuple[str, Any]:
    """('ok', value) or ('error', what identifies the refusal)."""
    try:
        if decoder in (check_text, _reference_check_text):
            field, text, limit, options = args
            return "ok", decoder(field, text, max_chars=limit, **options)
        return "ok", decoder(*args)
    except Exception as error:  # any refusal is compared, whatever its type
        return "error", (type(error), str(error), getattr(error, "field", None))


def _same_decoding(hint: Any, raw: object, path: str = "") -> None:
    assert _outcome(decode, hint, raw, path) == _outcome(_reference_decode, hint, raw, path), raw


_ODD_VALUES: list[object] = [
    None,
    True,
    0,
    7,
    1.5,
    "",
    " ",
    "x",
    "summer-davos",
    "Asia/Seoul",
    "2024-06-25",
    "2024-13-01",
    "2024-06-25T09:00:00+09:00",
    "P7D",
    "P1M",
    "email",
    "exact",
    "a\u2028b",
    "tab\there",
    [],
    [None],
    ["x"],
    {},
    {"x": 1},
    {"en": "t"},
    {"kind": "year", "year": 2024, "tz": "Asia/Seoul"},
]
"""Values put in the place of every node of valid data: each must decode, or be refused, as
the reference decides."""


def _variants(raw: object) -> Iterator[object]:
    """`raw` with one node replaced by each odd value, one key dropped, or one key added."""
    yield from _ODD_VALUES
    if isinstance(raw, dict):
        for key in list(raw):
            dropped = dict(raw)
            del dropped[key]
            yield dropped
            for variant in _variants(raw[key]):
                yield {**raw, key: variant}
        yield {**raw, "zz_unknown": 1}
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            for variant in _variants(item):
                yield [*raw[:index], variant, *raw[index + 1 :]]


_EXTRA = [
    *SAMPLES,
    EngagementScheduled(
        engagement_id=DAVOS,
        details=EngagementDetails(
            kind=EngagementKind.VISIT,
            direction=Direction.INBOUND,
            title=LocalizedText(en="Visit", zh="访问"),
            when=ExactWhen(
                datetime.fromisoformat("2024-06-25T09:00:00+09:00"),
                datetime.fromisoformat("2024-06-25T12:00:00+09:00"),
                "Asia/Seoul",
            ),
            place=DALIAN,
            participants=(Participant(party_id="hao-peng", role="guest"),),
            aliases=("Visit",),
        ),
        sources=(ARTICLE,),
    ),
    RecurringObservanceDefined(
        engagement_id=DAVOS,
        details=details(ImpreciseWhen.month("1993-10", "Asia/Seoul")),
        recurrence=Recurrence(month=10, day=None, since_year=1993, tz="Asia/Seoul"),
    ),
    EngagementRescheduled(
        engagement_id=DAVOS,
        when=AllDayWhen(date(2024, 6, 25), date(2024, 6, 26), "Asia/Seoul", PartOfDay.MORNING),
        reason="Moved",
        less_precise=True,
    ),
    EngagementRescheduled(engagement_id=DAVOS, when=ImpreciseWhen.year(2025, "Asia/Seoul")),
    LocationChanged(engagement_id=DAVOS, place=None),
    ParticipantAdded(
        engagement_id=DAVOS,
        participant=Participant(
            party_id="hao-peng", role="guest", name=LocalizedText(ko="하오펑"), organization_id="x"
        ),
    ),
    SourceAttached(engagement_id=DAVOS, sources=(ARTICLE,), note="See\tthe\narticle"),
    NoteAdded(engagement_id=DAVOS, text="Line one\nline two"),
    EngagementCancelled(engagement_id=DAVOS, reason="Merged"),
    TitleChanged(engagement_id=DAVOS, title=LocalizedText(en="New", ko="새", zh="新")),
]


@pytest.mark.parametrize("event", _EXTRA, ids=lambda event: type(event).__name__)
def test_every_event_and_every_malformation_of_it_decode_as_the_reference_decides(
    event: Any,
) -> None:
    data = json.loads(json.dumps(event.to_data(), ensure_ascii=False))
    cls = type(event)
    _same_decoding(cls, data)
    assert decode(cls, data, "") == event
    for variant in _variants(data):
        _same_decoding(cls, variant)


def test_other_hints_decode_as_the_reference_decides() -> None:
    engagement = evolve(None, SAMPLES[0])  # type: ignore[arg-type]
    hints: list[tuple[Any, object]] = [
        (Engagement, engagement.to_json()),
        (DeadlineRules, DEFAULT_RULES.to_json()),
        (ReminderPolicy, {"offsets": ["P7D", "PT2H"], "channels": ["email", "webhook"]}),
        (frozenset[Direction], ["inbound", "local"]),
        (tuple[int, ...], [1, 2]),
        (int | str | None, None),
        (int | str | None, 1),
        (Any, {"anything": [1]}),
        (list[int], [1]),
        (bool, True),
        (date, "2024-06-25"),
        (datetime, "2024-06-25T09:00:00+09:00"),
        (timedelta, "P1DT2H"),
    ]
    for hint, raw in hints:
        _same_decoding(hint, raw, "value")
        for variant in _variants(raw):
            _same_decoding(hint, variant, "value")


@given(SEQUENCES)
def test_folded_states_encode_the_same_when_unchanged_fields_are_reused(
    steps: list[tuple[Any, datetime]],
) -> None:
    state: Engagement | None = None
    encoded: dict[str, Any] | None = None
    for command, now in steps:
        for event in _step(state, command, now) or []:
            data = json.loads(json.dumps(event.to_data()))
            _same_decoding(EVENT_TYPES[event.event_type], data)
            after = evolve(state, event)
            expected = after.to_json()
            if state is not None and encoded is not None:
                assert encode_fields_reusing(after, state, encoded) == expected
            assert encode_fields(after) == expected
            state, encoded = after, expected


# --- check_text -------------------------------------------------------------------------------


EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))
"""U+0000 to U+10FFFF, surrogates included: check_text takes any str."""


@pytest.mark.parametrize("newlines", [False, True])
@pytest.mark.parametrize("tabs", [False, True])
def test_check_text_refuses_exactly_the_code_points_it_refused_before(
    newlines: bool, tabs: bool
) -> None:
    allowed = {"\n"} if newlines else set()
    if tabs:
        allowed.add("\t")
    refused = {
        char
        for char in EVERY_CHARACTER
        if char not in allowed and unicodedata.category(char) in {"Cc", "Zl", "Zp"}
    }
    assert len(refused) == 67 - len(allowed)
    # Every other code point passes, all at once ...
    accepted = "".join(char for char in EVERY_CHARACTER if char not in refused)
    options = {"newlines": newlines, "tabs": tabs}
    assert check_text("f", accepted, max_chars=len(accepted), **options) == accepted
    # ... and each refused one is refused, wherever it stands, naming it as before.
    for char in refused:
        for text in (char + "a", "a" + char, f"ab{char}c{char}"):
            assert _outcome(check_text, "f", text, 10, options) == _outcome(
                _reference_check_text, "f", text, 10, options
            )


def test_check_text_gives_the_same_answer_and_message_as_before_on_random_texts() -> None:
    rng = random.Random(20240425)
    alphabet = [*map(chr, range(0x00, 0xA1)), "\u2028", "\u2029", "\u00a0", "\u3000", "가", "大"]
    choices = [(False, False), (True, False), (False, True), (True, True)]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        newlines, tabs = rng.choice(choices)
        limit = rng.randint(1, 12)
        options = {"newlines": newlines, "tabs": tabs}
        assert _outcome(check_text, "field", text, limit, options) == _outcome(
            _reference_check_text, "field", text, limit, options
        ), (text, options, limit)
    for value in [None, 3, b"bytes", ["x"]]:
        assert _outcome(check_text, "f", value, 5, {}) == _outcome(
            _reference_check_text, "f", value, 5, {}
        )
