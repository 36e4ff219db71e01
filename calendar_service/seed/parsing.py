"""The seed's YAML, parsed into commands: names resolved, provenance checked, nothing applied.

`parse_seed(text)` reads the whole file and returns the names directory and, per entry, its
id, known_at and domain command; any fault raises SeedError naming the entry and the field.
Entry shapes: `schedule`, `receive-invitation`, `define-observance`, `mark-held`,
`record-agreement`, `set-deadline`, `refine`, `change-location`, `attach-source` (see
`engagements.yaml`). To add one, add a builder to `_BUILDERS` and list its keys in `_KEYS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import yaml

from calendar_service.domain import (
    Agreement,
    AllDayWhen,
    AttachSource,
    Audience,
    ChangeLocation,
    Command,
    Confidence,
    DefineRecurringObservance,
    Direction,
    Directory,
    DomainError,
    EngagementDetails,
    EngagementId,
    EngagementKind,
    EntryKind,
    EventStatus,
    ExactWhen,
    ExplicitDeadline,
    ImpreciseWhen,
    LocalizedText,
    MarkHeld,
    NamedEntry,
    Origin,
    Participant,
    Participation,
    PartOfDay,
    Place,
    ReceiveInvitation,
    RecordAgreement,
    Recurrence,
    Refine,
    ScheduleEngagement,
    SetDeadline,
    Source,
    When,
)

MAX_QUOTE_WORDS = 24
"""A quote of a source is a short sentence: under 25 words, never the whole article."""


class SeedError(Exception):
    """The seed data is wrong; the message names the entry and the field."""


@dataclass(frozen=True)
class ParsedEntry:
    id: str
    known_at: datetime
    command: Command


def parse_seed(text: str) -> tuple[Directory, list[ParsedEntry]]:
    """The directory and the entries (in file order) of the seed YAML `text`."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SeedError(f"the seed is not valid YAML: {error}") from None
    root = _mapping(raw, "seed")
    references = {
        key: _reference(key, value)
        for key, value in _mapping(root.get("references", {}), "references").items()
    }
    try:
        entries_raw = _mapping(root.get("directory"), "directory")
        directory = Directory(_directory(entries_raw))
        cities = _venue_cities(entries_raw)
    except (DomainError, KeyError) as error:
        raise SeedError(f"seed directory: {_describe(error)}") from None
    parser = _EntryParser(directory, references, cities)
    entries = [parser.parse(index, item) for index, item in enumerate(_list(root, "entries"))]
    ids = [entry.id for entry in entries]
    for entry_id in ids:
        if ids.count(entry_id) > 1:
            raise SeedError(f"seed entry {entry_id!r}: id: two entries share this id")
    return directory, entries


@dataclass(frozen=True)
class _Reference:
    publisher: str
    published: str
    url: str | None

    @property
    def text(self) -> str:
        return f"{self.publisher}, {self.published[:10]}"


def _reference(key: str, raw: object) -> _Reference:
    fields = _mapping(raw, f"references.{key}")
    url = fields.get("url")
    return _Reference(
        publisher=_text(fields, "publisher", f"references.{key}"),
        published=str(_required(fields, "published", f"references.{key}")),
        url=None if url is None else str(url),
    )


_GROUPS = {
    "people": EntryKind.PERSON,
    "organizations": EntryKind.ORGANIZATION,
    "places": EntryKind.PLACE,
}


def _directory(raw: Mapping[str, Any]) -> list[NamedEntry]:
    entries = []
    for group, kind in _GROUPS.items():
        for item in raw.get(group, []):
            fields = _mapping(item, f"directory.{group}")
            position = fields.get("position")
            entries.append(
                NamedEntry(
                    id=fields["id"],
                    kind=kind,
                    name=LocalizedText.from_json(fields.get("name"), "name"),
                    aliases=tuple(fields.get("aliases", ())),
                    position=None if position is None else LocalizedText.from_json(position),
                    country=fields.get("country"),
                    tz=fields.get("tz"),
                )
            )
    return entries


def _venue_cities(raw: Mapping[str, Any]) -> dict[str, LocalizedText]:
    """Venue id -> its city: a place entry with a `city` is a venue, one without is a city."""
    return {
        fields["id"]: LocalizedText.from_json(fields["city"], "city")
        for fields in raw.get("places", [])
        if isinstance(fields, dict) and "city" in fields
    }


class _EntryParser:
    """Builds one SeedEntry from its YAML mapping, resolving names through the directory."""

    def __init__(
        self,
        directory: Directory,
        references: Mapping[str, _Reference],
        cities: Mapping[str, LocalizedText],
    ) -> None:
        self.directory = directory
        self.references = references
        self.cities = cities

    def parse(self, index: int, raw: object) -> ParsedEntry:
        fields = _mapping(raw, f"entries[{index}]")
        entry_id = _text(fields, "id", f"entries[{index}]")
        verb = _text(fields, "command", entry_id)
        where = f"seed entry {entry_id!r}"
        builder = _BUILDERS.get(verb)
        if builder is None:
            raise SeedError(f"{where}: command {verb!r} is not one of {', '.join(_BUILDERS)}")
        unknown = sorted(set(fields) - _COMMON_KEYS - _KEYS[verb])
        if unknown:
            raise SeedError(f"{where}: {unknown[0]}: a {verb} entry has no such field")
        try:
            known_at = _aware(_required(fields, "known_at", where))
            common = {
                "engagement_id": EngagementId(_required(fields, "engagement", where)),
                "sources": self.sources(fields.get("sources"), where),
            }
            command = builder(self, fields, common)
        except (DomainError, KeyError, TypeError, ValueError) as error:
            raise SeedError(f"{where}: {_describe(error)}") from None
        return ParsedEntry(entry_id, known_at, command)

    def sources(self, raw: object, where: str) -> tuple[Source, ...]:
        if not isinstance(raw, list) or not raw:
            raise SeedError(f"{where}: sources: give at least one source (provenance)")
        return tuple(self.source(_mapping(item, f"{where} source")) for item in raw)

    def source(self, fields: Mapping[str, Any]) -> Source:
        quote = fields.get("quote")
        if quote is not None and len(quote.split()) > MAX_QUOTE_WORDS:
            raise ValueError(f"source.quote has {len(quote.split())} words: quote under 25")
        key = fields.get("ref")
        reference = None if key is None else self.references.get(key)
        if key is not None and reference is None:
            raise ValueError(f"source.ref {key!r} is not one of the references")
        return Source(
            origin=Origin(fields["origin"]),
            ref=None if reference is None else reference.text,
            url=None if reference is None else reference.url,
            quote=quote,
            claim=fields.get("claim"),
        )

    def party(self, name: str) -> NamedEntry:
        entry = self.directory.resolve(name)
        if entry is None:
            raise ValueError(f"name {name!r} is not in the seed directory")
        return entry

    def participants(self, raw: object) -> tuple[Participant, ...]:
        items = [] if raw is None else raw
        if not isinstance(items, list):
            raise ValueError("participants: give a list of {name, role}")
        return tuple(self.participant(_mapping(item, "participant")) for item in items)

    def participant(self, fields: Mapping[str, Any]) -> Participant:
        entry = self.party(fields["name"])
        return Participant(party_id=entry.id, role=fields["role"], name=entry.name)

    def place(self, raw: object) -> Place | None:
        """A place by name (resolved in the directory), optionally with confidence and basis."""
        if raw is None:
            return None
        fields: Mapping[str, Any] = {"name": raw} if isinstance(raw, str) else _mapping(raw, "")
        entry = self.party(fields["name"])
        if entry.kind is not EntryKind.PLACE or entry.country is None or entry.tz is None:
            raise ValueError(f"place {fields['name']!r} is not a place with country and zone")
        city = self.cities.get(entry.id)
        return Place(
            name=entry.name if city is not None else None,
            city=city if city is not None else entry.name,
            country=entry.country,
            tz=entry.tz,
            confidence=Confidence(fields.get("confidence", "confirmed")),
            basis=fields.get("basis"),
            place_id=entry.id,
        )

    def details(self, fields: Mapping[str, Any]) -> EngagementDetails:
        return EngagementDetails(
            kind=EngagementKind(fields["kind"]),
            direction=Direction(fields["direction"]),
            title=_title(fields["title"]),
            when=_when(_mapping(fields["when"], "when")),
            place=self.place(fields.get("place")),
            participants=self.participants(fields.get("participants")),
            audience=Audience(fields.get("audience", "staff")),
            aliases=tuple(fields.get("aliases", ())),
        )

    def agreement(self, raw: object) -> Agreement:
        fields = _mapping(raw, "agreement")
        signed_on = fields.get("signed_on")
        return Agreement(
            agreement_id=fields["id"],
            name=LocalizedText.from_json(fields["name"], "agreement.name"),
            areas=tuple(fields.get("areas", ())),
            signatories=tuple(self.party(name).id for name in fields.get("signatories", ())),
            signed_on=None if signed_on is None else _date(signed_on),
        )


def _schedule(p: _EntryParser, f: Mapping[str, Any], common: dict[str, Any]) -> Command:
    return ScheduleEngagement(
        **common,
        details=p.details(f),
        status=EventStatus(f.get("status", "tentative")),
        participation=Participation(f.get("participation", "attending")),
    )


def _receive_invitation(p: _EntryParser, f: Mapping[str, Any], common: dict[str, Any]) -> Command:
    status = f.get("status")
    return ReceiveInvitation(
        **common,
        inviter=p.party(f["inviter"]).id,
        channel=f.get("channel"),
        details=p.details(f),
        status=None if status is None else EventStatus(status),
    )


def _define_observance(p: _EntryParser, f: Mapping[str, Any], common: dict[str, Any]) -> Command:
    recurrence = _mapping(f["recurrence"], "recurrence")
    return DefineRecurringObservance(
        **common,
        title=_title(f["title"]),
        recurrence=Recurrence(
            month=recurrence["month"],
            day=recurrence.get("day"),
            since_year=recurrence["since_year"],
            tz=recurrence["tz"],
        ),
        place=p.place(f.get("place")),
        participants=p.participants(f.get("participants")),
        audience=Audience(f.get("audience", "staff")),
    )


def _set_deadline(p: _EntryParser, f: Mapping[str, Any], common: dict[str, Any]) -> Command:
    deadline = _mapping(f["deadline"], "deadline")
    title = deadline.get("title")
    return SetDeadline(
        **common,
        deadline=ExplicitDeadline(
            key=deadline["key"],
            due=_date(deadline["due"]),
            basis=deadline["basis"],
            title=None if title is None else _title(title),
        ),
    )


_BUILDERS: dict[str, Callable[[_EntryParser, Mapping[str, Any], dict[str, Any]], Command]] = {
    "schedule": _schedule,
    "receive-invitation": _receive_invitation,
    "define-observance": _define_observance,
    "mark-held": lambda p, f, common: MarkHeld(**common),
    "record-agreement": lambda p, f, common: RecordAgreement(
        **common, agreement=p.agreement(f["agreement"])
    ),
    "set-deadline": _set_deadline,
    "refine": lambda p, f, common: Refine(**common, when=_when(_mapping(f["when"], "when"))),
    "change-location": lambda p, f, common: ChangeLocation(**common, place=p.place(f["place"])),
    "attach-source": lambda p, f, common: AttachSource(**common, note=f.get("note")),
}
_COMMON_KEYS = frozenset({"id", "engagement", "command", "known_at", "sources"})
_DETAILS = frozenset(
    {"kind", "direction", "title", "when", "place", "participants", "audience", "aliases"}
)
_KEYS: dict[str, frozenset[str]] = {
    "schedule": _DETAILS | {"status", "participation"},
    "receive-invitation": _DETAILS | {"status", "inviter", "channel"},
    "define-observance": frozenset({"title", "recurrence", "place", "participants", "audience"}),
    "mark-held": frozenset(),
    "record-agreement": frozenset({"agreement"}),
    "set-deadline": frozenset({"deadline"}),
    "refine": frozenset({"when"}),
    "change-location": frozenset({"place"}),
    "attach-source": frozenset({"note"}),
}


def _when(fields: Mapping[str, Any]) -> When:
    """{month: YYYY-MM} | {year: YYYY} | {date, part_of_day?} | {first, last} (inclusive) |
    {start, end} (aware times); each with `tz`."""
    tz = fields["tz"]
    if "month" in fields:
        return ImpreciseWhen.month(str(fields["month"]), tz)
    if "year" in fields:
        return ImpreciseWhen.year(fields["year"], tz)
    if "date" in fields:
        part = fields.get("part_of_day")
        return AllDayWhen.on(_date(fields["date"]), tz, None if part is None else PartOfDay(part))
    if "first" in fields:
        return AllDayWhen(_date(fields["first"]), _date(fields["last"]) + timedelta(days=1), tz)
    return ExactWhen(_aware(fields["start"]), _aware(fields["end"]), tz)


def _title(raw: object) -> LocalizedText:
    return LocalizedText.from_json(raw, "title")


def _date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return date.fromisoformat(str(value))


def _aware(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"time {moment.isoformat()} has no UTC offset; add one such as +09:00")
    return moment


def _mapping(raw: object, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise SeedError(f"{where}: give a mapping, not {type(raw).__name__}")
    return raw


def _list(root: Mapping[str, Any], key: str) -> list[Any]:
    value = root.get(key)
    if not isinstance(value, list):
        raise SeedError(f"seed: {key}: give a list")
    return value


def _required(fields: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in fields:
        raise SeedError(f"{where}: {key}: this field is required")
    return fields[key]


def _text(fields: Mapping[str, Any], key: str, where: str) -> str:
    value = _required(fields, key, where)
    if not isinstance(value, str) or not value.strip():
        raise SeedError(f"{where}: {key}: give a non-blank text")
    return value


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"{error.args[0]}: this field is required"
    return str(error)
