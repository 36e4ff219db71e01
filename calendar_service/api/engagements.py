"""Commands on engagements: create one, and the task commands on an existing one.

    POST   /api/engagements                                 schedule, or record an invitation
    POST   /api/engagements/{id}/reschedule|refine|confirm|accept|decline|delegate|cancel|complete
    POST   /api/engagements/{id}/participants|notes|reminder-policy
    DELETE /api/engagements/{id}/participants/{party_id}

Each needs a staff token (its actor goes on the events). Task commands need `If-Match` (see
`auth.expected_version`). `Idempotency-Key: <uuid>` becomes the command id: a retry with the
same key appends nothing and gets the first answer again, marked `Idempotent-Replayed: true`.

Route modules do not use `from __future__ import annotations`: FastAPI reads the endpoints'
annotations at run time, and these refer to names local to `router_for`.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import JSONResponse

from calendar_service.api.auth import expected_version, staff_of
from calendar_service.api.errors import ApiError
from calendar_service.api.schemas import (
    AcceptIn,
    CancelIn,
    CommandIn,
    CommandOut,
    CreateEngagementIn,
    DeclineIn,
    DelegateIn,
    EngagementPath,
    EventRef,
    IdempotencyKey,
    IfMatch,
    MoveIn,
    NoteIn,
    ParticipantAddIn,
    ReminderPolicyIn,
    RescheduleIn,
    ScheduleIn,
    error_responses,
)
from calendar_service.bootstrap import Container
from calendar_service.domain import (
    Accept,
    AddNote,
    AddParticipant,
    Audience,
    Cancel,
    Command,
    Confirm,
    Decline,
    Delegate,
    EngagementId,
    EngagementNotFound,
    InvalidValue,
    MarkHeld,
    ReceiveInvitation,
    Refine,
    RemoveParticipant,
    Reschedule,
    ScheduleEngagement,
    SetReminderPolicy,
)
from calendar_service.domain.engagement.when import MAX_YEAR, MIN_YEAR
from calendar_service.service import ENGAGEMENT, Envelope, load
from calendar_service.staff.tokens import Principal

_COMMAND_HEADERS = {
    "ETag": {
        "description": 'The engagement\'s version after the command, e.g. "v4"',
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "true when this answers a retry (same Idempotency-Key)",
        "schema": {"type": "string"},
    },
}
CREATE_EXAMPLES: dict[str, Any] = {
    "invitation": {
        "summary": "An invitation, month known",
        "value": {
            "mode": "invitation",
            "engagement_id": "summer-davos-2025",
            "kind": "forum",
            "direction": "outbound",
            "title": {"en": "Summer Davos 2025", "ko": "2025 하계 다보스포럼"},
            "when": {"kind": "month", "month": "2025-06", "tz": "Asia/Shanghai"},
            "place": {"city": {"en": "Tianjin"}, "country": "CN", "tz": "Asia/Shanghai"},
            "inviter": "hao-peng",
            "sources": [{"origin": "assumed", "claim": "Invited at the 2024 meeting."}],
        },
    },
    "schedule": {
        "summary": "A meeting at an exact time",
        "value": {
            "mode": "schedule",
            "engagement_id": "consul-general-call-2025",
            "kind": "meeting",
            "direction": "inbound",
            "title": {"en": "Courtesy call of the Consul General"},
            "when": {
                "kind": "exact",
                "start": "2025-03-10T10:00:00+09:00",
                "end": "2025-03-10T10:30:00+09:00",
                "tz": "Asia/Seoul",
            },
            "status": "confirmed",
        },
    },
}
TASK_ERRORS = error_responses(401, 404, 409, 412, 413, 422, 428, 503)


def router_for(container: Container) -> APIRouter:
    router = APIRouter(prefix="/api/engagements", tags=["engagements"])
    Staff = Annotated[Principal, Depends(staff_of(container))]
    run = _Runner(container)

    @router.post(
        "",
        status_code=201,
        response_model=CommandOut,
        summary="Create an engagement: schedule it, or record the invitation to it",
        responses={
            201: {"headers": {**_COMMAND_HEADERS, "Location": {"schema": {"type": "string"}}}},
            **error_responses(401, 409, 413, 422, 503),
        },
    )
    def create(
        principal: Staff,
        body: Annotated[CreateEngagementIn, Body(openapi_examples=CREATE_EXAMPLES)],
        key: IdempotencyKey = None,
    ) -> JSONResponse:
        command: Command
        if isinstance(body, ScheduleIn):
            command = ScheduleEngagement(
                engagement_id=body.id(),
                details=body.details(),
                status=body.status,
                participation=body.participation,
                sources=body.domain_sources(),
            )
        else:
            command = ReceiveInvitation(
                engagement_id=body.id(),
                inviter=body.inviter,
                channel=body.channel,
                details=body.details(),
                status=body.status,
                sources=body.domain_sources(),
            )
        response = run(command, principal, body, key, None, status=201)
        response.headers["Location"] = f"/api/engagements/{body.engagement_id}"
        return response

    def register(path: str, summary: str, endpoint: Callable[..., JSONResponse]) -> None:
        """POST {id}/{path}: a task command's route, named after its path (its OpenAPI id)."""
        endpoint.__name__ = path.replace("-", "_")
        router.post(
            f"/{{engagement_id}}/{path}",
            response_model=CommandOut,
            summary=summary,
            responses={200: {"headers": _COMMAND_HEADERS}, **TASK_ERRORS},
        )(endpoint)

    def task(
        path: str, summary: str, build: Callable[[EngagementId, Any], Command], model: Any
    ) -> None:
        """Register POST {id}/{path}: `build(id, body)` makes the command."""

        def endpoint(
            engagement_id: EngagementPath,
            principal: Staff,
            body: Annotated[model, Body()],
            if_match: IfMatch = None,
            key: IdempotencyKey = None,
        ) -> JSONResponse:
            expected = expected_version(if_match, engagement_id)
            command = build(EngagementId(engagement_id), body)
            return run(command, principal, body, key, expected)

        register(path, summary, endpoint)

    def bare(path: str, summary: str, build: Callable[[EngagementId, CommandIn], Command]) -> None:
        """Register POST {id}/{path} whose body (sources, known_at) may be left out."""

        def endpoint(
            engagement_id: EngagementPath,
            principal: Staff,
            body: Annotated[CommandIn | None, Body()] = None,
            if_match: IfMatch = None,
            key: IdempotencyKey = None,
        ) -> JSONResponse:
            expected = expected_version(if_match, engagement_id)
            given = body or CommandIn()
            return run(build(EngagementId(engagement_id), given), principal, given, key, expected)

        register(path, summary, endpoint)

    task(
        "reschedule",
        "Move the engagement (to a vaguer when only with allow_less_precise)",
        lambda eid, b: Reschedule(
            engagement_id=eid,
            when=b.when.to_domain(),
            reason=b.reason,
            allow_less_precise=b.allow_less_precise,
            sources=b.domain_sources(),
        ),
        RescheduleIn,
    )
    task(
        "refine",
        "Make the when more precise, within the current one",
        lambda eid, b: Refine(
            engagement_id=eid, when=b.when.to_domain(), sources=b.domain_sources()
        ),
        MoveIn,
    )
    bare(
        "confirm",
        "Confirm the engagement",
        lambda eid, b: Confirm(engagement_id=eid, sources=b.domain_sources()),
    )
    task(
        "accept",
        "Accept the invitation",
        lambda eid, b: Accept(engagement_id=eid, note=b.note, sources=b.domain_sources()),
        AcceptIn,
    )
    task(
        "decline",
        "Decline the invitation",
        lambda eid, b: Decline(engagement_id=eid, reason=b.reason, sources=b.domain_sources()),
        DeclineIn,
    )
    task(
        "delegate",
        "Send someone in the principal's place",
        lambda eid, b: Delegate(
            engagement_id=eid,
            delegate=b.delegate.to_domain(),
            reason=b.reason,
            sources=b.domain_sources(),
        ),
        DelegateIn,
    )
    task(
        "cancel",
        "Cancel the engagement, with the reason",
        lambda eid, b: Cancel(engagement_id=eid, reason=b.reason, sources=b.domain_sources()),
        CancelIn,
    )
    bare(
        "complete",
        "Mark the engagement as held (once it has started)",
        lambda eid, b: MarkHeld(engagement_id=eid, sources=b.domain_sources()),
    )
    task(
        "participants",
        "Add a participant",
        lambda eid, b: AddParticipant(
            engagement_id=eid, participant=b.participant.to_domain(), sources=b.domain_sources()
        ),
        ParticipantAddIn,
    )
    task(
        "notes",
        "Add a note",
        lambda eid, b: AddNote(
            engagement_id=eid, text=b.text, visibility=b.visibility, sources=b.domain_sources()
        ),
        NoteIn,
    )
    task(
        "reminder-policy",
        "Set the reminder offsets and channels (offsets null: the service default)",
        lambda eid, b: SetReminderPolicy(
            engagement_id=eid, policy=b.policy(), sources=b.domain_sources()
        ),
        ReminderPolicyIn,
    )

    @router.delete(
        "/{engagement_id}/participants/{party_id}",
        response_model=CommandOut,
        summary="Remove a participant (in one role, or in every role)",
        responses={200: {"headers": _COMMAND_HEADERS}, **TASK_ERRORS},
    )
    def remove_participant(
        engagement_id: EngagementPath,
        party_id: Annotated[str, Path(max_length=200)],
        principal: Staff,
        role: Annotated[str | None, Query(max_length=200)] = None,
        if_match: IfMatch = None,
        key: IdempotencyKey = None,
    ) -> JSONResponse:
        expected = expected_version(if_match, engagement_id)
        command = RemoveParticipant(
            engagement_id=EngagementId(engagement_id), party_id=party_id, role=role
        )
        return run(command, principal, CommandIn(), key, expected)

    return router


class _Runner:
    """Executes a command for a principal and shapes the answer."""

    def __init__(self, container: Container) -> None:
        self.container = container

    def __call__(
        self,
        command: Command,
        principal: Principal,
        body: CommandIn,
        key: UUID | None,
        expected: int | None,
        *,
        status: int = 200,
    ) -> JSONResponse:
        envelope = Envelope(
            actor=principal.actor, known_at=_known_at(body.known_at), command_id=key
        )
        self._check_clearance(command, principal)
        outcome = self.container.execute(command, envelope, expected)
        refs = [EventRef(type=ref.type, position=ref.position) for ref in outcome.refs]
        out = CommandOut(engagement_id=outcome.aggregate_id, version=outcome.version, events=refs)
        headers = {"ETag": f'"v{outcome.version}"'}
        if outcome.duplicate:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(out.model_dump(mode="json"), status_code=status, headers=headers)

    def _check_clearance(self, command: Command, principal: Principal) -> None:
        """A token writes only within its clearance, as it reads: an engagement above it is
        not found (404, as for a read: its id tells nothing), and an audience above it, for a
        new engagement or a changed one, is refused (403)."""
        engagement_id = str(getattr(command, "engagement_id", ""))
        state, _ = load(self.container.store, ENGAGEMENT, engagement_id)
        if state is not None and not principal.clearance.admits(state.audience):
            raise EngagementNotFound(engagement_id, getattr(command, "VERB", "change"))
        details = getattr(command, "details", None)
        asked = getattr(command, "audience", None) or getattr(details, "audience", None)
        if isinstance(asked, Audience) and not principal.clearance.admits(asked):
            raise ApiError(
                403,
                "forbidden",
                f"The token of {principal.actor!r} is cleared for "
                f"{principal.clearance.value!r}, so it cannot make an engagement "
                f"{asked.value!r}: ask an administrator for a token with a wider clearance.",
            )


def _known_at(value: datetime | None) -> datetime | None:
    """Refuse a moment the clock arithmetic cannot hold, before the write path compares it."""
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidValue(
            "known_at", value.isoformat(), f"give a year from {MIN_YEAR} to {MAX_YEAR}"
        )
    return value
