"""The API's request and response bodies, as pydantic models, and their conversion to the domain;
the path and header parameters the engagement routes share.

Requests are parsed by pydantic for shape (types, required fields, enums) and then converted to
domain values by `to_domain()` methods, whose constructors check everything else; a refusal
there is an `InvalidValue` naming the field, which the API answers with 422. Responses are
built from the read side's rows; their models are what `/openapi.json` documents.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import Header, Path
from pydantic import BaseModel, ConfigDict, Field

from calendar_service.domain import (
    AllDayWhen,
    Audience,
    ChangeNotices,
    Channel,
    Confidence,
    Direction,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    EventStatus,
    ExactWhen,
    ImpreciseWhen,
    LocalizedText,
    Origin,
    Participant,
    Participation,
    PartOfDay,
    Place,
    ReminderPolicy,
    Source,
    Visibility,
    When,
)

MAX_ITEMS = 50
"""Longest list in a request body (participants, sources, aliases, offsets)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


M = TypeVar("M", bound=BaseModel)


# --- values -------------------------------------------------------------------------------


def _text_or_absent(schema: dict[str, Any]) -> None:
    """The schema of an optional text: a non-empty string, or left out (null is accepted but
    not advertised, so a generated request never sends a title the domain refuses)."""
    branches = schema.pop("anyOf", None) or []
    schema.pop("default", None)
    schema.update(next((b for b in branches if b.get("type") != "null"), {"type": "string"}))


_LOCALIZED = Field(default=None, min_length=1, json_schema_extra=_text_or_absent)


class LocalizedIn(Strict):
    """A text in English, Korean and/or Chinese: at least one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    en: str | None = _LOCALIZED
    ko: str | None = _LOCALIZED
    zh: str | None = _LOCALIZED

    def to_domain(self, field: str) -> LocalizedText:
        return LocalizedText(en=self.en, ko=self.ko, zh=self.zh, label=field)


class ExactWhenIn(Strict):
    """From `start` to `end` (with UTC offsets), shown in the IANA zone `tz`."""

    kind: Literal["exact"]
    start: datetime = Field(examples=["2024-06-25T09:00:00+08:00"])
    end: datetime = Field(examples=["2024-06-25T11:00:00+08:00"])
    tz: str = Field(examples=["Asia/Shanghai"])

    def to_domain(self) -> When:
        return ExactWhen(self.start, self.end, self.tz)


class AllDayWhenIn(Strict):
    """Whole days from `start_date` up to, not including, `end_date_exclusive`."""

    kind: Literal["all_day"]
    start_date: date
    end_date_exclusive: date
    tz: str
    part_of_day: PartOfDay | None = None

    def to_domain(self) -> When:
        return AllDayWhen(self.start_date, self.end_date_exclusive, self.tz, self.part_of_day)


class MonthWhenIn(Strict):
    """Some time in a month (YYYY-MM), to be confirmed."""

    kind: Literal["month"]
    month: str = Field(examples=["2024-06"])
    tz: str

    def to_domain(self) -> When:
        return ImpreciseWhen.month(self.month, self.tz)


class YearWhenIn(Strict):
    """Some time in a year, to be confirmed."""

    kind: Literal["year"]
    year: int
    tz: str

    def to_domain(self) -> When:
        return ImpreciseWhen.year(self.year, self.tz)


class RangeTbcWhenIn(Strict):
    """Some days within a range, to be confirmed."""

    kind: Literal["range_tbc"]
    start_date: date
    end_date_exclusive: date
    tz: str

    def to_domain(self) -> When:
        return ImpreciseWhen.tbc(self.start_date, self.end_date_exclusive, self.tz)


WhenIn = Annotated[
    ExactWhenIn | AllDayWhenIn | MonthWhenIn | YearWhenIn | RangeTbcWhenIn,
    Field(discriminator="kind"),
]


class PlaceIn(Strict):
    name: LocalizedIn | None = None
    city: LocalizedIn | None = None
    country: str = Field(examples=["CN"], description="ISO 3166 alpha-2")
    tz: str = Field(examples=["Asia/Shanghai"])
    confidence: Confidence = Confidence.CONFIRMED
    basis: str | None = None
    place_id: str | None = None

    def to_domain(self) -> Place:
        return Place(
            name=None if self.name is None else self.name.to_domain("place.name"),
            city=None if self.city is None else self.city.to_domain("place.city"),
            country=self.country,
            tz=self.tz,
            confidence=self.confidence,
            basis=self.basis,
            place_id=self.place_id,
        )


class ParticipantIn(Strict):
    party_id: str = Field(examples=["kim-dong-yeon"])
    role: str = Field(examples=["head_of_delegation"])
    name: LocalizedIn | None = None
    organization_id: str | None = None

    def to_domain(self) -> Participant:
        return Participant(
            party_id=self.party_id,
            role=self.role,
            name=None if self.name is None else self.name.to_domain("participant.name"),
            organization_id=self.organization_id,
        )


class SourceIn(Strict):
    """Provenance: an article quote, an external reference with a claim, or an assumption."""

    origin: Origin
    ref: str | None = None
    quote: str | None = None
    claim: str | None = None
    url: str | None = None

    def to_domain(self) -> Source:
        return Source(
            origin=self.origin, ref=self.ref, quote=self.quote, claim=self.claim, url=self.url
        )


# --- path and header parameters -----------------------------------------------------------

EngagementPath = Annotated[
    str,
    Path(
        description="The engagement's id, e.g. summer-davos-2024",
        max_length=200,
        examples=["summer-davos-2024", "liaoning-expo-2024"],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag of GET /api/engagements/{id}, e.g. "v3"; * to skip the check.',
        max_length=200,
        examples=['"v3"', "*"],
    ),
]
IdempotencyKey = Annotated[
    UUID | None,
    Header(
        alias="Idempotency-Key",
        description="A UUID per request: a retry with the same key changes nothing twice.",
    ),
]


# --- commands -----------------------------------------------------------------------------


class CommandIn(Strict):
    """What every command may carry: its sources, and when the office learned the fact."""

    sources: list[SourceIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    known_at: datetime | None = Field(
        default=None,
        description="When the office learned it (default: now); earlier only for backfills.",
    )

    def domain_sources(self) -> tuple[Source, ...]:
        return tuple(source.to_domain() for source in self.sources)


class DetailsIn(CommandIn):
    engagement_id: str = Field(examples=["summer-davos-2025"], description="A new slug")
    kind: EngagementKind
    direction: Direction
    title: LocalizedIn
    when: WhenIn
    place: PlaceIn | None = None
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    audience: Audience = Audience.STAFF
    aliases: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)

    def details(self) -> EngagementDetails:
        return EngagementDetails(
            kind=self.kind,
            direction=self.direction,
            title=self.title.to_domain("title"),
            when=self.when.to_domain(),
            place=None if self.place is None else self.place.to_domain(),
            participants=tuple(p.to_domain() for p in self.participants),
            audience=self.audience,
            aliases=tuple(self.aliases),
        )

    def id(self) -> EngagementId:
        return EngagementId(self.engagement_id)


class ScheduleIn(DetailsIn):
    """Put a new engagement in the calendar."""

    mode: Literal["schedule"]
    status: EventStatus = EventStatus.TENTATIVE
    participation: Participation = Participation.ATTENDING


class InvitationIn(DetailsIn):
    """Record an invitation, which creates the engagement."""

    mode: Literal["invitation"]
    inviter: str = Field(examples=["hao-peng"], description="The inviting party's id")
    channel: str | None = None
    status: EventStatus = EventStatus.TENTATIVE


CreateEngagementIn = Annotated[ScheduleIn | InvitationIn, Field(discriminator="mode")]


class MoveIn(CommandIn):
    when: WhenIn


class RescheduleIn(MoveIn):
    reason: str | None = None
    allow_less_precise: bool = False


class NoteIn(CommandIn):
    text: str
    visibility: Visibility = Field(
        default=Visibility.INTERNAL,
        description="internal (the default): staff read it; public: anyone who may see the "
        "engagement, on public feeds and pages too",
    )


class AcceptIn(CommandIn):
    note: str | None = None


class DeclineIn(CommandIn):
    reason: str | None = None


class DelegateIn(CommandIn):
    delegate: ParticipantIn
    reason: str | None = None


class CancelIn(CommandIn):
    reason: str


class ParticipantAddIn(CommandIn):
    participant: ParticipantIn


class ReminderPolicyIn(CommandIn):
    offsets: list[str] | None = Field(
        max_length=MAX_ITEMS,
        examples=[["P30D", "P1D", "PT2H"]],
        description="ISO 8601 durations before the start; null returns to the service default.",
    )
    channels: list[Literal["email", "webhook"]] = Field(default_factory=list, max_length=2)

    def policy(self) -> ReminderPolicy | None:
        if self.offsets is None:
            return None
        return ReminderPolicy.parse(self.offsets, self.channels)


# --- responses ----------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error: a stable `error` kind, a `message` to act on, and the values involved."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(examples=["version_mismatch"])
    message: str
    field: str | None = None
    reason: str | None = None
    current_version: int | None = None
    expected_version: int | None = None
    limit_bytes: int | None = None
    errors: list[ErrorDetail] | None = None


ERROR_WORDS = {
    401: "No staff token, or an unknown or revoked one",
    403: "The token is not an administrator's",
    404: "Not found",
    409: "The command does not fit the current state (the reason says why)",
    410: "Revoked for good",
    412: "If-Match names a version that is no longer current; nothing was changed",
    413: "The body is over 64 KiB",
    422: "A value is not valid (the field is named)",
    428: "If-Match is missing",
    503: "The event log or a projection cannot be reached in time",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting these error statuses with the error body."""
    return {code: {"model": ErrorOut, "description": ERROR_WORDS[code]} for code in codes}


def from_fields(model: type[M], source: object, **given: Any) -> M:
    """A `model` answer for `source` (a row, an item, a stored event): each field not `given`
    is `source`'s attribute of the same name."""
    taken = {name: getattr(source, name) for name in model.model_fields if name not in given}
    return model(**taken, **given)


class EventRef(BaseModel):
    type: str
    position: int


class CommandOut(BaseModel):
    """The outcome of a command: the engagement's version after it (the new ETag) and the
    events it appended. A retry with the same Idempotency-Key gets the same body."""

    engagement_id: str
    version: int
    events: list[EventRef]


class LocalizedOut(BaseModel):
    en: str | None = None
    ko: str | None = None
    zh: str | None = None


class PlaceOut(BaseModel):
    name: LocalizedOut | None = None
    city: LocalizedOut | None = None
    country: str
    tz: str
    confidence: str
    basis: str | None = None
    place_id: str | None = None


class ParticipantOut(BaseModel):
    party_id: str
    role: str
    name: LocalizedOut | None = None
    organization_id: str | None = None


class SourceOut(BaseModel):
    origin: str
    ref: str | None = None
    quote: str | None = None
    claim: str | None = None
    url: str | None = None
    text: str | None = Field(default=None, description="The source in words")


class ReminderPolicyOut(BaseModel):
    offsets: list[str]
    channels: list[str]


class DeadlineOut(BaseModel):
    """A deadline item derived from the engagement by a rule (or set by hand)."""

    id: str
    rule: str
    title: LocalizedOut
    due: date
    tz: str
    derived: bool
    rule_text: str
    tentative: bool


class EngagementOut(BaseModel):
    """An engagement's current state, its version (also its ETag: "v{version}") and the
    deadlines derived from it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    version: int
    kind: str
    direction: str
    title: LocalizedOut
    when: WhenIn
    when_text: str
    place: PlaceOut | None = None
    participants: list[ParticipantOut]
    audience: str
    aliases: list[str]
    status: str
    participation: str
    inviter: str | None = None
    invitation_channel: str | None = None
    delegate: ParticipantOut | None = None
    decision_note: str | None = None
    cancellation_reason: str | None = None
    reminder_policy: ReminderPolicyOut | None = None
    notes: list[str]
    sources: list[SourceOut]
    sequence: int
    deadlines: list[DeadlineOut]


class AgendaDeadlineOut(BaseModel):
    rule: str
    derived: bool
    rule_text: str
    due: date


class AgendaItemOut(BaseModel):
    """One line of the agenda: an engagement, a year's observance, or a deadline."""

    kind: Literal["engagement", "observance", "deadline"]
    id: str
    engagement_id: str
    title: str
    titles: LocalizedOut
    start: datetime = Field(description="In the viewer's zone (tz)")
    end: datetime
    own_tz: str = Field(description="The item's own IANA zone")
    when_text: str = Field(description="The when in the item's own zone, in words")
    viewer_time: str | None = Field(
        description="A timed item on the viewer's clock, when that zone differs"
    )
    tentative: bool
    status: str
    participation: str | None
    audience: str
    engagement_kind: str
    deadline: AgendaDeadlineOut | None = None


class AgendaOut(BaseModel):
    from_: date = Field(alias="from")
    to: date
    as_of: datetime | None
    axis: str
    tz: str
    lang: str
    items: list[AgendaItemOut]

    model_config = ConfigDict(populate_by_name=True)


class HistoryRowOut(BaseModel):
    version: int
    position: int
    known_at: datetime = Field(description="When the office learned it")
    recorded_at: datetime = Field(description="When it entered the log")
    actor: str
    event_type: str
    what: str
    change: str
    summary: str
    sources: list[SourceOut]
    visibility: Visibility = Field(
        description="internal: staff only; public: a public reader reads it too (without "
        "who recorded it or why)"
    )


class HistoryOut(BaseModel):
    engagement_id: str
    title: str
    tz: str
    rows: list[HistoryRowOut]


class LogEventOut(BaseModel):
    position: int
    stream: str
    version: int
    event_id: str
    type: str
    schema_version: int
    data: dict[str, Any]
    known_at: datetime
    recorded_at: datetime
    actor: str
    correlation_id: str | None
    causation_id: str | None


class LogOut(BaseModel):
    events: list[LogEventOut]
    head: int
    next_after: int | None = Field(description="Pass as ?after= for the next page; null at the end")


# --- admin --------------------------------------------------------------------------------


class TokenCreateIn(Strict):
    actor: str = Field(examples=["Protocol officer Lee"])
    admin: bool = False
    clearance: Audience | None = Field(
        default=None,
        description="The widest audience the token reads through /api: staff by default, "
        "restricted for an admin token (which allows no other)",
    )


class RevokeIn(Strict):
    reason: str | None = None


class TokenOut(BaseModel):
    token_id: str
    actor: str
    admin: bool
    clearance: str = Field(
        description="The widest audience the token reads: public, staff or restricted"
    )
    revoked: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    reason: str | None = None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="The secret, shown this once: only its hash is kept")


class FeedCreateIn(Strict):
    name: str = Field(examples=["Press office"])
    audience: Audience
    lang: Literal["en", "ko", "zh"] = "en"


class FeedLinksOut(BaseModel):
    url: str
    webcal: str
    google: str
    page: str


class FeedOut(BaseModel):
    feed_id: str
    name: str
    audience: str
    lang: str
    revoked: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    reason: str | None = None


class CreatedFeedOut(FeedOut):
    token: str = Field(description="The secret, shown this once: only its hash is kept")
    links: FeedLinksOut


class RevokedOut(BaseModel):
    id: str
    revoked: bool = Field(description="False if it was already revoked (nothing changed)")


class SubscriptionIn(Strict):
    """A staff member's subscription: whom, how, up to which audience, and how they hear of
    changes (docs/notices.md)."""

    name: str = Field(examples=["Interpreter Choi"])
    email: str | None = Field(default=None, examples=["choi@example.org"])
    audience: Audience = Audience.STAFF
    channels: list[Channel] = Field(
        default_factory=lambda: [Channel.EMAIL],
        min_length=1,
        max_length=3,
        description="email and webhook carry reminders and change notices; invite sends each "
        "engagement as a calendar invitation to `email`",
    )
    lang: Literal["en", "ko", "zh"] = "en"
    changes: ChangeNotices = Field(
        default=ChangeNotices.IMMEDIATE,
        description="Change notices: each at once, a daily digest at `digest_at`, or none",
    )
    digest_at: str = Field(
        default="18:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["18:00"]
    )
    timezone: str | None = Field(
        default=None,
        max_length=64,
        examples=["Asia/Seoul"],
        description="The subscriber's clock for the digest; unset: the office's",
    )
    invite_deadlines: bool = Field(
        default=False, description="With invite: deadline items come as invitations too"
    )


class SubscriptionOut(BaseModel):
    staff_id: str
    name: str
    email: str | None = None
    audience: str
    channels: list[str]
    lang: str
    changes: str = "none"
    digest_at: str = "18:00"
    timezone: str | None = None
    invite_deadlines: bool = False
    active: bool
    subscribed_at: datetime | None = None
    subscribed_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    reason: str | None = None


class UnsubscribedOut(BaseModel):
    staff_id: str
    unsubscribed: bool = Field(description="False if they were not subscribed any more")
