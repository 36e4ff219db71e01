"""decide/evolve, rule by rule: lifecycle, participation, precision, refusals that name both
the command and the state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from calendar_service.domain import (
    Accept,
    AddParticipant,
    Agreement,
    AllDayWhen,
    AttachSource,
    Cancel,
    ChangeAudience,
    CommandRefused,
    Confirm,
    Decline,
    DefineRecurringObservance,
    Delegate,
    EngagementAlreadyExists,
    EngagementCancelled,
    EngagementHeld,
    EngagementId,
    EngagementKind,
    EngagementNotFound,
    EngagementRefined,
    EngagementRescheduled,
    EventStatus,
    ExactWhen,
    ExplicitDeadline,
    ImpreciseWhen,
    InvalidValue,
    InvitationReceived,
    LocalizedText,
    MarkHeld,
    Origin,
    Participant,
    Participation,
    PartOfDay,
    Precision,
    ReceiveInvitation,
    RecordAgreement,
    Recurrence,
    Refine,
    RemoveParticipant,
    Reschedule,
    ReviewInvitation,
    SetDeadline,
    Source,
    decide,
    evolve,
    replay,
)
from tests.unit.domain.builders import (
    ARTICLE,
    DAVOS,
    DAVOS_DATES,
    JUNE_2024,
    NOW,
    invitation,
    run,
    scheduled,
)

VICE_GOVERNOR = Participant(party_id="vice-governor", role="head_of_delegation")
NDRC = Source(origin=Origin.EXTERNAL, ref="S16", claim="NDRC confirmed June 25-27 in Dalian.")


def test_an_invitation_creates_an_engagement_whose_own_status_is_apart_from_participation() -> None:
    command = ReceiveInvitation(
        engagement_id=DAVOS,
        inviter="hao-peng",
        details=invitation().details,
        status=EventStatus.CONFIRMED,
        sources=(ARTICLE,),
    )
    state, log = run([command])
    assert [type(event) for event in log] == [InvitationReceived]
    assert state.status is EventStatus.CONFIRMED
    assert state.participation is Participation.INVITED
    assert state.when == JUNE_2024
    assert state.sources == (ARTICLE,)
    assert state.inviter == "hao-peng"


def test_a_command_for_an_engagement_that_does_not_exist_is_refused() -> None:
    with pytest.raises(EngagementNotFound, match=r"engagement_id 'summer-davos-2024-dalian'"):
        decide(None, Confirm(engagement_id=DAVOS), NOW)


def test_creating_an_engagement_twice_is_refused() -> None:
    state, _ = run([invitation()])
    with pytest.raises(EngagementAlreadyExists, match=r"'summer-davos-2024-dalian' is already"):
        decide(state, scheduled(), NOW)
    with pytest.raises(EngagementAlreadyExists):
        decide(state, invitation(), NOW)


def test_an_invitation_can_be_attached_to_a_known_engagement_once() -> None:
    state, _ = run([scheduled(participation=Participation.NOT_APPLICABLE)])
    attach = ReceiveInvitation(engagement_id=DAVOS, inviter="hao-peng")
    invited, _ = run([scheduled(participation=Participation.NOT_APPLICABLE), attach])
    assert invited.participation is Participation.INVITED
    assert invited.when == state.when
    with pytest.raises(CommandRefused, match=r"an invitation was already received"):
        decide(invited, attach, NOW)


def test_confirming_a_cancelled_engagement_is_refused_naming_command_and_state() -> None:
    state, _ = run([invitation(), Cancel(engagement_id=DAVOS, reason="Postponed by the host")])
    with pytest.raises(CommandRefused) as error:
        decide(state, Confirm(engagement_id=DAVOS), NOW)
    assert (
        str(error.value) == "cannot confirm engagement 'summer-davos-2024-dalian': it is cancelled"
    )
    assert error.value.command == "confirm"
    assert error.value.state == "cancelled, participation invited"
    assert state.cancellation_reason == "Postponed by the host"


def test_confirming_twice_says_it_is_already_confirmed() -> None:
    state, _ = run([invitation(), Confirm(engagement_id=DAVOS)])
    with pytest.raises(CommandRefused, match=r"it is already confirmed"):
        decide(state, Confirm(engagement_id=DAVOS), NOW)


def test_the_province_decides_while_the_engagement_keeps_its_own_status() -> None:
    state, _ = run(
        [
            invitation(),
            Confirm(engagement_id=DAVOS),
            ReviewInvitation(engagement_id=DAVOS, reviewer="kim-dong-yeon"),
            Delegate(engagement_id=DAVOS, delegate=VICE_GOVERNOR, reason="Council session"),
        ]
    )
    assert state.status is EventStatus.CONFIRMED
    assert state.participation is Participation.DELEGATED
    assert state.delegate == VICE_GOVERNOR
    assert state.decision_note == "Council session"


def test_accepting_without_an_invitation_is_refused() -> None:
    state, _ = run([scheduled(participation=Participation.NOT_APPLICABLE)])
    with pytest.raises(CommandRefused) as error:
        decide(state, Accept(engagement_id=DAVOS), NOW)
    assert "cannot accept the invitation to engagement" in str(error.value)
    assert "no invitation was received" in str(error.value)


@pytest.mark.parametrize(
    ("decision", "refusal"),
    [
        (Accept(engagement_id=DAVOS), "participation is attending"),
        (Decline(engagement_id=DAVOS), "participation is declined"),
    ],
)
def test_repeating_a_decision_is_refused(decision: Accept | Decline, refusal: str) -> None:
    state, _ = run([invitation(), decision])
    with pytest.raises(CommandRefused, match=refusal):
        decide(state, decision, NOW)


def test_a_decision_can_be_reconsidered() -> None:
    state, _ = run([invitation(), Decline(engagement_id=DAVOS), Accept(engagement_id=DAVOS)])
    assert state.participation is Participation.ATTENDING


def test_reviewing_is_only_for_a_fresh_invitation() -> None:
    state, _ = run([invitation(), Accept(engagement_id=DAVOS)])
    with pytest.raises(CommandRefused, match=r"participation is attending"):
        decide(state, ReviewInvitation(engagement_id=DAVOS), NOW)


def test_refining_a_month_to_its_published_dates_is_its_own_event() -> None:
    state, log = run([invitation(), Refine(engagement_id=DAVOS, when=DAVOS_DATES, sources=(NDRC,))])
    assert isinstance(log[-1], EngagementRefined)
    assert state.when == DAVOS_DATES
    assert state.sources == (ARTICLE, NDRC)


def test_a_vaguer_refinement_is_refused_and_keeps_the_exact_dates() -> None:
    state, _ = run([invitation(), Refine(engagement_id=DAVOS, when=DAVOS_DATES)])
    with pytest.raises(CommandRefused) as error:
        decide(state, Refine(engagement_id=DAVOS, when=JUNE_2024), NOW)
    message = str(error.value)
    assert "June 2024" in message
    assert "less precise than its current when 2024-06-25 to 2024-06-27" in message


def test_a_refinement_outside_the_current_when_is_refused() -> None:
    state, _ = run([invitation()])
    july = AllDayWhen.on(date(2024, 7, 2), "Asia/Shanghai")
    with pytest.raises(CommandRefused, match=r"lies outside its current when June 2024"):
        decide(state, Refine(engagement_id=DAVOS, when=july), NOW)


def test_rescheduling_to_a_vaguer_when_needs_explicit_permission() -> None:
    state, _ = run([scheduled(DAVOS_DATES)])
    with pytest.raises(CommandRefused, match=r"unless allow_less_precise is set"):
        decide(state, Reschedule(engagement_id=DAVOS, when=JUNE_2024), NOW)
    allowed = Reschedule(engagement_id=DAVOS, when=JUNE_2024, allow_less_precise=True)
    events = decide(state, allowed, NOW)
    assert events == [EngagementRescheduled(engagement_id=DAVOS, when=JUNE_2024, less_precise=True)]
    assert evolve(state, events[0]).when.precision is Precision.MONTH


def test_rescheduling_to_the_same_when_is_refused_as_no_change() -> None:
    state, _ = run([scheduled(DAVOS_DATES)])
    with pytest.raises(CommandRefused, match=r"nothing would change"):
        decide(state, Reschedule(engagement_id=DAVOS, when=DAVOS_DATES), NOW)


def test_a_held_engagement_cannot_be_moved_or_cancelled_but_can_be_refined() -> None:
    day = AllDayWhen.on(date(2024, 4, 24), "Asia/Seoul")
    meeting = EngagementId("hao-peng-visit-dodamso-2024-04-24")
    state, _ = run(
        [
            scheduled(day, meeting, kind=EngagementKind.MEETING),
            MarkHeld(engagement_id=meeting),
        ]
    )
    later = AllDayWhen.on(date(2024, 4, 26), "Asia/Seoul")
    with pytest.raises(CommandRefused, match=r"cannot reschedule .* it is held"):
        decide(state, Reschedule(engagement_id=meeting, when=later), NOW)
    with pytest.raises(CommandRefused, match=r"cannot cancel .* it is held"):
        decide(state, Cancel(engagement_id=meeting, reason="x"), NOW)
    morning = AllDayWhen.on(date(2024, 4, 24), "Asia/Seoul", PartOfDay.MORNING)
    refined, _ = run([Refine(engagement_id=meeting, when=morning)], NOW, start=state)
    assert refined.when == morning


def test_a_held_engagement_still_takes_follow_up_deadlines_but_a_cancelled_one_does_not() -> None:
    day = AllDayWhen.on(date(2024, 4, 24), "Asia/Seoul")
    meeting = EngagementId("hao-peng-visit-dodamso-2024-04-24")
    held, _ = run(
        [scheduled(day, meeting, kind=EngagementKind.MEETING), MarkHeld(engagement_id=meeting)]
    )
    review = ExplicitDeadline(
        key="agreement-review", due=date(2024, 10, 24), basis="six months after signing"
    )
    followed, _ = run([SetDeadline(engagement_id=meeting, deadline=review)], NOW, start=held)
    assert review in followed.deadlines
    cancelled, _ = run([scheduled(DAVOS_DATES), Cancel(engagement_id=DAVOS, reason="postponed")])
    with pytest.raises(CommandRefused, match=r"cannot set a deadline for .* it is cancelled"):
        decide(cancelled, SetDeadline(engagement_id=DAVOS, deadline=review), NOW)


def test_marking_held_before_the_start_is_refused() -> None:
    state, _ = run([scheduled(DAVOS_DATES)])
    with pytest.raises(CommandRefused) as error:
        decide(state, MarkHeld(engagement_id=DAVOS), NOW)
    assert "cannot mark as held engagement 'summer-davos-2024-dalian'" in str(error.value)
    assert "after now (2024-04-25T07:17+00:00)" in str(error.value)
    after = datetime(2024, 6, 25, 3, tzinfo=UTC)
    assert decide(state, MarkHeld(engagement_id=DAVOS), after) == [
        EngagementHeld(engagement_id=DAVOS)
    ]


def test_now_must_be_an_aware_time() -> None:
    with pytest.raises(InvalidValue, match=r"now '2024-04-25T07:17:00'"):
        decide(None, invitation(), datetime(2024, 4, 25, 7, 17))


def test_sequence_grows_with_each_change_of_time_or_status_only() -> None:
    state, _ = run([invitation()])
    assert state.sequence == 0
    state, _ = run(
        [
            invitation(),
            Refine(engagement_id=DAVOS, when=DAVOS_DATES),
            AddParticipant(engagement_id=DAVOS, participant=VICE_GOVERNOR),
            ChangeAudience(engagement_id=DAVOS, audience=state.audience.PUBLIC),
            Confirm(engagement_id=DAVOS),
            Cancel(engagement_id=DAVOS, reason="Called off"),
        ]
    )
    assert state.sequence == 3


def test_removing_someone_who_does_not_take_part_is_refused() -> None:
    state, _ = run([invitation()])
    with pytest.raises(CommandRefused, match=r"'li-lecheng' does not take part"):
        decide(state, RemoveParticipant(engagement_id=DAVOS, party_id="li-lecheng"), NOW)
    removed, _ = run([invitation(), RemoveParticipant(engagement_id=DAVOS, party_id="hao-peng")])
    assert removed.participants == ()


def test_an_agreement_is_recorded_once_and_never_in_the_future() -> None:
    agreement = Agreement(
        agreement_id="agr-gyeonggi-liaoning-deepening-2024",
        name=LocalizedText(ko="경기도-랴오닝성 교류협력 심화 합의서"),
        signed_on=date(2024, 4, 24),
    )
    state, _ = run([invitation(), RecordAgreement(engagement_id=DAVOS, agreement=agreement)])
    assert state.agreements == (agreement,)
    with pytest.raises(CommandRefused, match=r"is already recorded"):
        decide(state, RecordAgreement(engagement_id=DAVOS, agreement=agreement), NOW)
    future = Agreement(agreement_id="agr-later", name=agreement.name, signed_on=date(2030, 1, 1))
    with pytest.raises(InvalidValue, match=r"agreement.signed_on '2030-01-01'"):
        decide(state, RecordAgreement(engagement_id=DAVOS, agreement=future), NOW)


def test_attaching_a_source_twice_is_refused() -> None:
    state, _ = run([invitation()])
    with pytest.raises(CommandRefused, match=r"already attached"):
        decide(state, AttachSource(engagement_id=DAVOS, sources=(ARTICLE,)), NOW)
    with pytest.raises(InvalidValue, match=r"sources"):
        decide(state, AttachSource(engagement_id=DAVOS), NOW)


def test_the_sisterhood_anniversary_is_a_yearly_month_precise_observance() -> None:
    anniversary = EngagementId("gyeonggi-liaoning-sisterhood-anniversary")
    recurrence = Recurrence(month=10, since_year=1993, tz="Asia/Seoul")
    state, _ = run(
        [
            DefineRecurringObservance(
                engagement_id=anniversary,
                title=LocalizedText(en="Gyeonggi–Liaoning sisterhood anniversary"),
                recurrence=recurrence,
            )
        ]
    )
    assert state.kind is EngagementKind.ANNIVERSARY
    assert state.when == ImpreciseWhen.month("1993-10", "Asia/Seoul")
    assert state.recurrence == recurrence
    assert recurrence.occurrence(2028) == ImpreciseWhen.month("2028-10", "Asia/Seoul")
    assert recurrence.ordinal(2024) == 31


def test_events_carry_no_store_metadata_and_replay_rebuilds_the_state() -> None:
    state, log = run(
        [
            invitation(),
            Refine(engagement_id=DAVOS, when=DAVOS_DATES),
            Cancel(engagement_id=DAVOS, reason="x"),
        ]
    )
    assert isinstance(log[-1], EngagementCancelled)
    for event in log:
        assert not {"recorded_at", "known_at", "actor", "version", "position"} & set(
            event.to_data()
        )
    assert replay(log) == state
    assert replay([]) is None


def test_a_change_before_any_creation_cannot_be_folded() -> None:
    with pytest.raises(EngagementNotFound):
        evolve(None, EngagementHeld(engagement_id=DAVOS))
    state, log = run([invitation()])
    with pytest.raises(EngagementAlreadyExists):
        evolve(state, log[0])


def test_an_exact_time_abroad_keeps_its_own_zone() -> None:
    dalian = timezone(timedelta(hours=8))
    session = ExactWhen(
        datetime(2024, 6, 25, 9, tzinfo=dalian),
        datetime(2024, 6, 25, 10, tzinfo=dalian),
        "Asia/Shanghai",
    )
    state, _ = run([invitation(), Refine(engagement_id=DAVOS, when=session)])
    assert state.when == session
    assert isinstance(state.when, ExactWhen)
    assert state.when.start.astimezone(timezone(timedelta(hours=9))).hour == 10
