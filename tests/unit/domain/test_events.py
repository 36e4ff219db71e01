"""Events serialise to plain JSON and back, and malformed data is refused with its field."""

from __future__ import annotations

import json
from datetime import date

import pytest

from calendar_service.domain import (
    EVENT_TYPES,
    Agreement,
    AgreementSigned,
    DeadlineSet,
    EngagementRefined,
    EngagementScheduled,
    ExplicitDeadline,
    InvalidValue,
    InvitationDelegated,
    InvitationReceived,
    LocalizedText,
    NoteAdded,
    Participant,
    ReminderPolicy,
    ReminderPolicyChanged,
    event_from_data,
)
from tests.unit.domain.builders import ARTICLE, DAVOS, DAVOS_DATES, invitation

SAMPLES = [
    InvitationReceived(
        engagement_id=DAVOS, inviter="hao-peng", details=invitation().details, sources=(ARTICLE,)
    ),
    EngagementRefined(engagement_id=DAVOS, when=DAVOS_DATES),
    InvitationDelegated(
        engagement_id=DAVOS,
        delegate=Participant(party_id="vice-governor", role="head_of_delegation"),
        reason="Council session",
    ),
    ReminderPolicyChanged(engagement_id=DAVOS, policy=ReminderPolicy.parse(["P7D"], ["email"])),
    AgreementSigned(
        engagement_id=DAVOS,
        agreement=Agreement(
            agreement_id="agr-deepening-2024",
            name=LocalizedText(en="Exchange and Cooperation Deepening Agreement"),
            areas=("investment", "culture, sports, tourism and education"),
            signatories=("kim-dong-yeon", "hao-peng"),
            signed_on=date(2024, 4, 24),
        ),
    ),
    DeadlineSet(
        engagement_id=DAVOS,
        deadline=ExplicitDeadline(key="decision", due=date(2024, 5, 10), basis="Assumed rule"),
    ),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda event: type(event).__name__)
def test_events_round_trip_through_json(event: object) -> None:
    assert hasattr(event, "to_data")
    data = json.loads(json.dumps(event.to_data(), ensure_ascii=False))
    assert event_from_data(type(event).__name__, data) == event


def test_the_data_is_plain_and_readable() -> None:
    data = SAMPLES[1].to_data()
    assert data == {
        "engagement_id": "summer-davos-2024-dalian",
        "sources": [],
        "when": {
            "kind": "all_day",
            "start_date": "2024-06-25",
            "end_date_exclusive": "2024-06-28",
            "tz": "Asia/Shanghai",
        },
    }
    assert SAMPLES[3].to_data()["policy"] == {"offsets": ["P7D"], "channels": ["email"]}


def test_unknown_types_and_fields_are_refused_naming_them() -> None:
    with pytest.raises(InvalidValue, match=r"type 'MeetingHeld'"):
        event_from_data("MeetingHeld", {})
    with pytest.raises(InvalidValue, match=r"colour 'red' is not valid: no such field"):
        event_from_data("NoteAdded", {"engagement_id": "x", "text": "t", "colour": "red"})
    with pytest.raises(InvalidValue, match=r"text None is not valid: this field is required"):
        event_from_data("NoteAdded", {"engagement_id": "x"})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"engagement_id": "Summer Davos", "text": "t"}, "engagement_id 'Summer Davos'"),
        ({"engagement_id": "x", "text": 3}, "text 3"),
        ({"engagement_id": "x", "text": "t", "sources": [{"origin": "rumour"}]}, "origin 'rumour'"),
    ],
)
def test_malformed_values_are_refused_naming_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue, match=field):
        NoteAdded.from_data(data)


def test_nested_whens_are_checked_when_decoded() -> None:
    data = SAMPLES[0].to_data()
    data["details"]["when"] = {"kind": "month", "month": "2024-13", "tz": "Asia/Shanghai"}
    with pytest.raises(InvalidValue, match=r"when.month '2024-13'"):
        InvitationReceived.from_data(data)


def test_the_registry_holds_every_event_with_a_schema_version() -> None:
    assert {"InvitationReceived", "EngagementScheduled", "EngagementRefined"} <= set(EVENT_TYPES)
    assert len(EVENT_TYPES) == 22
    assert EngagementScheduled.SCHEMA_VERSION == 1
    assert SAMPLES[0].event_type == "InvitationReceived"
