"""Queries: the agenda, one engagement with its derived deadlines, and its history.

    GET /api/agenda                       filters, `as_of` (+ `axis`), `lang`, `tz`
    GET /api/engagements/{id}             state, version (ETag "v{n}"), derived deadlines
    GET /api/engagements/{id}/history     the audit timeline: known_at, recorded_at, actor,
                                          what changed, sources
    GET /api/decisions                    invitations to decide (decide-by, days left,
                                          overdue) and those that lapsed, `audience`, `lang`

The agenda is `read.agenda_view` over the calendar projection (or, with `as_of`, private views
folded from the log up to that moment): the items, in the order, that the CLI's agenda and the
feed's page show. One engagement and its history (`read.engagement_history`) are read from its
streams, so they always show the latest write, and the ETag is the version a write must name
in If-Match.

Every read is filtered by the token's clearance (`Principal.clearance`: public, staff or
restricted). The agenda and the decisions show the audience asked for, by default the token's
clearance; asking for more than the clearance is refused with 403, not answered with less, so
that a client never takes a narrowed answer for the whole calendar. An engagement above the
clearance is not found (404, as if it did not exist: its id tells nothing), and a public
clearance reads an engagement and its history as a public reader does (`Engagement.seen_by`,
`engagement_history(audience=...)`): public notes only, no actor, no reasons.

No `from __future__ import annotations` here: FastAPI reads these annotations at run time.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from calendar_service.api.auth import staff_of
from calendar_service.api.errors import ApiError
from calendar_service.api.schemas import (
    AgendaDeadlineOut,
    AgendaItemOut,
    AgendaOut,
    EngagementOut,
    EngagementPath,
    HistoryOut,
    HistoryRowOut,
    LocalizedOut,
    SourceOut,
    error_responses,
    from_fields,
)
from calendar_service.bootstrap import Container
from calendar_service.domain import (
    DEFAULT_RULES,
    Audience,
    EngagementId,
    EngagementKind,
    EngagementNotFound,
    EventStatus,
    InvalidValue,
    LocalizedText,
    Participation,
    Source,
    derive_deadlines,
)
from calendar_service.domain.workdays import korean_working_days
from calendar_service.feed.cache import parse_as_of
from calendar_service.projections import Axis
from calendar_service.projections.calendar import deadline_doc
from calendar_service.read import (
    History,
    HistoryRow,
    ItemView,
    agenda_view,
    board_json,
    calendar_at,
    decisions_now,
    engagement_history,
    viewer_zone,
    window,
)
from calendar_service.read.wording import (
    deadline_explanation,
    deadline_titles,
    describe_source,
    describe_when_in_zone,
)
from calendar_service.service import ENGAGEMENT, load
from calendar_service.staff.tokens import Principal

Lang = Literal["en", "ko", "zh"]


class DecisionOut(BaseModel):
    """An invitation the province has to answer (or failed to answer: `lapsed`)."""

    engagement_id: str
    title: str = Field(description="The engagement's title in `lang`")
    when_text: str
    start: datetime
    end: datetime
    tz: str = Field(description="The engagement's own IANA zone")
    place_text: str
    participation: str | None
    participation_text: str
    audience: str
    decide_by: date | None = Field(description="The decision deadline's due day, if any")
    decide_by_text: str = Field(description="The decide-by in words, overdue or lapsed marked")
    days_left: int | None = Field(description="Days to the decide-by; negative once overdue")
    overdue: bool
    lapsed: bool = Field(description="The engagement ended with no decision recorded")


class DecisionsOut(BaseModel):
    """The decisions model: pending invitations, soonest decide-by first, and lapsed ones."""

    today: date
    lang: str
    pending: list[DecisionOut]
    lapsed: list[DecisionOut]


def router_for(container: Container) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["queries"])
    Staff = Annotated[Principal, Depends(staff_of(container))]
    working_days = korean_working_days()
    default_tz = container.settings.timezone

    @router.get(
        "/agenda",
        response_model=AgendaOut,
        summary="Engagements, observances and deadlines in a window, as known now or then",
        responses=error_responses(401, 403, 422),
    )
    def get_agenda(
        principal: Staff,
        from_: Annotated[
            date | None, Query(alias="from", description="First day (default: 30 days ago)")
        ] = None,
        to: Annotated[
            date | None, Query(description="Last day (default: 180 days after from)")
        ] = None,
        kind: Annotated[EngagementKind | None, Query(description="Only items of this kind")] = None,
        status: Annotated[
            EventStatus | None, Query(description="Only engagements in this status")
        ] = None,
        participation: Annotated[
            Participation | None,
            Query(description="Only engagements where the province's part is this"),
        ] = None,
        audience: Annotated[
            Audience | None,
            Query(description="The widest audience to show (default: the token's clearance)"),
        ] = None,
        as_of: Annotated[
            str | None,
            Query(max_length=40, description="Date or RFC 3339 time: the calendar as known then"),
        ] = None,
        axis: Annotated[
            Axis,
            Query(description="known_at: as the office knew it; recorded_at: as the log stood"),
        ] = Axis.KNOWN,
        lang: Annotated[Lang, Query()] = "en",
        tz: Annotated[
            str | None, Query(max_length=64, description="Your IANA zone (default: the service's)")
        ] = None,
        deadlines: Annotated[bool, Query(description="Include deadline items")] = True,
    ) -> AgendaOut:
        viewer = viewer_zone(tz or default_tz)
        moment = _moment(as_of, viewer.key)
        today = (moment or container.clock()).astimezone(viewer).date()
        first, last = window(from_, to, today)
        items = agenda_view(
            calendar_at(container.views, container.store, moment, axis),
            first,
            last,
            audience=cleared(principal, audience),
            viewer=viewer,
            lang=lang,
            include_deadlines=deadlines,
        )
        kept = [item for item in items if _matches(item, kind, status, participation)]
        return AgendaOut.model_validate(
            {
                "from": first,
                "to": last,
                "as_of": moment,
                "axis": axis.value,
                "tz": viewer.key,
                "lang": lang,
                "items": [_item_out(item) for item in kept],
            }
        )

    @router.get(
        "/decisions",
        response_model=DecisionsOut,
        summary="Invitations waiting for a decision (decide-by, days left, overdue), and lapsed",
        responses=error_responses(401, 403, 422),
    )
    def get_decisions(
        principal: Staff,
        audience: Annotated[
            Audience | None,
            Query(description="The widest audience to show (default: the token's clearance)"),
        ] = None,
        lang: Annotated[Lang, Query()] = "en",
        tz: Annotated[
            str | None, Query(max_length=64, description="Your IANA zone (default: the service's)")
        ] = None,
    ) -> DecisionsOut:
        viewer = viewer_zone(tz or default_tz)
        board = decisions_now(
            container.views,
            audience=cleared(principal, audience),
            viewer=viewer,
            lang=lang,
            now=container.clock(),
        )
        return DecisionsOut.model_validate(board_json(board, lang))

    @router.get(
        "/engagements/{engagement_id}",
        response_model=EngagementOut,
        summary="One engagement: its state, version and derived deadlines",
        responses={
            200: {
                "headers": {
                    "ETag": {
                        "description": 'The version, e.g. "v4": send it as If-Match',
                        "schema": {"type": "string"},
                    }
                }
            },
            **error_responses(401, 404, 422),
        },
    )
    def get_engagement(
        engagement_id: EngagementPath, principal: Staff, lang: Annotated[Lang, Query()] = "en"
    ) -> JSONResponse:
        state, version = load(container.store, ENGAGEMENT, str(EngagementId(engagement_id)))
        if state is None or not principal.clearance.admits(state.audience):
            raise EngagementNotFound(engagement_id, "show the engagement")
        state = state.seen_by(principal.clearance)
        items = derive_deadlines(state, DEFAULT_RULES, working_days)
        body: dict[str, Any] = {
            **state.to_json(),
            "version": version,
            "when_text": describe_when_in_zone(state.when, lang),
            "deadlines": [
                _deadline_out(deadline_doc(item, state), state.title, lang) for item in items
            ],
        }
        out = EngagementOut.model_validate(body)
        return JSONResponse(out.model_dump(mode="json"), headers={"ETag": f'"v{version}"'})

    @router.get(
        "/engagements/{engagement_id}/history",
        response_model=HistoryOut,
        summary="The engagement's timeline: who recorded what, when, on what source",
        responses=error_responses(401, 404, 422),
    )
    def get_history(
        engagement_id: EngagementPath,
        principal: Staff,
        lang: Annotated[Lang, Query()] = "en",
        tz: Annotated[str | None, Query(max_length=64)] = None,
    ) -> HistoryOut:
        viewer = viewer_zone(tz or default_tz)
        found = engagement_history(
            container.store,
            str(EngagementId(engagement_id)),
            lang,
            now=container.clock(),
            audience=principal.clearance,
        )
        if found is None or not _readable(found, principal):
            raise EngagementNotFound(engagement_id, "show the history of the engagement")
        return HistoryOut(
            engagement_id=engagement_id,
            title=found.title(lang),
            tz=viewer.key,
            rows=[_history_row(row, viewer) for row in found.rows],
        )

    return router


def cleared(principal: Principal, asked: Audience | None) -> Audience:
    """The audience a read shows: the one asked for, by default the token's clearance; 403
    for one above it."""
    if asked is None:
        return principal.clearance
    if not principal.clearance.admits(asked):
        raise ApiError(
            403,
            "forbidden",
            f"The token of {principal.actor!r} is cleared for {principal.clearance.value!r}, "
            f"not {asked.value!r}: leave out audience (or ask for {principal.clearance.value!r}"
            " or less), or ask an administrator for a token with a wider clearance.",
        )
    return asked


def _readable(found: History, principal: Principal) -> bool:
    """The engagement is within the token's clearance (one whose log never created it is read
    by a restricted clearance only: its audience is unknown)."""
    if found.state is None:
        return principal.clearance is Audience.RESTRICTED
    return principal.clearance.admits(found.state.audience)


def _moment(as_of: str | None, zone: str) -> datetime | None:
    if as_of is None:
        return None
    try:
        return parse_as_of(as_of, zone)
    except ValueError as error:
        raise InvalidValue("as_of", as_of, str(error).split(": ", 1)[-1]) from None


def _matches(
    item: ItemView,
    kind: EngagementKind | None,
    status: EventStatus | None,
    participation: Participation | None,
) -> bool:
    if kind is not None and item.engagement_kind != kind.value:
        return False
    if status is not None and (item.engagement is None or item.status != status.value):
        return False
    return participation is None or item.participation is participation


def _deadline_out(doc: dict[str, Any], title: LocalizedText, lang: str) -> dict[str, Any]:
    """A deadline with its title in every language and its rule explained in `lang`."""
    return {
        **doc,
        "title": deadline_titles(doc, title).to_json(),
        "rule_text": deadline_explanation(doc, lang),
    }


def _item_out(item: ItemView) -> AgendaItemOut:
    deadline = None
    if item.deadline is not None:
        doc = item.deadline
        deadline = AgendaDeadlineOut(
            rule=doc["rule"], derived=doc["derived"], rule_text=item.explanation, due=doc["due"]
        )
    return from_fields(
        AgendaItemOut,
        item,
        titles=LocalizedOut(**item.titles.to_json()),
        participation=None if item.participation is None else item.participation.value,
        audience=item.audience.value,
        deadline=deadline,
    )


def _history_row(row: HistoryRow, viewer: ZoneInfo) -> HistoryRowOut:
    return from_fields(
        HistoryRowOut,
        row,
        known_at=row.known_at.astimezone(viewer),
        recorded_at=row.recorded_at.astimezone(viewer),
        sources=[_source(source) for source in row.sources],
    )


def _source(source: Source) -> SourceOut:
    return from_fields(SourceOut, source, origin=source.origin.value, text=describe_source(source))
