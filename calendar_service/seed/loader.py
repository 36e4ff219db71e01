"""The seed: the article's engagements as commands, handed to the write path.

`load_seed` parses and validates the whole of `engagements.yaml` first (`parsing.py`; an
error names the entry and the field), so a bad file appends nothing. `apply_seed` then calls
`service.handle` once per entry, in known_at order, with actor "seed" and a command id derived
from the entry id: an entry already in the log comes back as a duplicate and is not decided
again, so a second run appends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from uuid import UUID, uuid5

from calendar_service.domain import Command, Directory, DomainError, Origin
from calendar_service.eventstore import EventStore
from calendar_service.seed.parsing import SeedError, parse_seed
from calendar_service.service import ENGAGEMENT, Clock, Envelope, handle

SEED_NAMESPACE = UUID("d0ea85ca-f981-48b4-929d-94f41e4b4356")
"""Command ids of seed entries are uuid5(SEED_NAMESPACE, entry id). Never change it: the log
recognises applied entries by these ids."""
SEED_ACTOR = "seed"
_DATA_FILE = "engagements.yaml"


@dataclass(frozen=True)
class SeedEntry:
    """One fact of the seed: a command, when the office learned it, and its stable id."""

    id: str
    known_at: datetime
    command: Command

    @property
    def command_id(self) -> UUID:
        return uuid5(SEED_NAMESPACE, self.id)

    @property
    def engagement_id(self) -> str:
        return str(self.command.engagement_id)

    @property
    def origins(self) -> tuple[Origin, ...]:
        """The distinct origins of its sources (article, external, assumed), in order."""
        return tuple(dict.fromkeys(source.origin for source in self.command.sources))

    def envelope(self) -> Envelope:
        return Envelope(actor=SEED_ACTOR, known_at=self.known_at, command_id=self.command_id)


@dataclass(frozen=True)
class Seed:
    """The parsed seed: the names directory and the entries, in the order to apply them."""

    directory: Directory
    entries: tuple[SeedEntry, ...]


@dataclass(frozen=True)
class SeedReport:
    """What one run did: events appended, entries applied now, found already, left for later."""

    appended_events: int
    applied: tuple[str, ...]
    already_seeded: tuple[str, ...]
    not_yet_known: tuple[str, ...]


def load_seed(text: str | None = None) -> Seed:
    """The seed in `text` (YAML), or in the packaged `engagements.yaml` when None; its entries
    in known_at order (file order among equal times)."""
    if text is None:
        text = resources.files(__package__).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    directory, parsed = parse_seed(text)
    entries = [SeedEntry(entry.id, entry.known_at, entry.command) for entry in parsed]
    ordered = sorted(enumerate(entries), key=lambda pair: (pair[1].known_at, pair[0]))
    return Seed(directory, tuple(entry for _, entry in ordered))


def apply_seed(store: EventStore, clock: Clock, seed: Seed | None = None) -> SeedReport:
    """Append every entry not yet in the log, in known_at order, through `service.handle`.

    Entries the office could not know yet (known_at after `clock()`) are left for a later run.
    A refused entry raises SeedError naming it; what was appended before it stays appended,
    and a second run resumes after it.
    """
    seed = load_seed() if seed is None else seed
    appended, applied, already, later = 0, [], [], []
    for entry in seed.entries:
        if entry.known_at > clock():
            later.append(entry.id)
            continue
        try:
            outcome = handle(store, ENGAGEMENT, entry.command, entry.envelope(), clock)
        except DomainError as error:
            raise SeedError(f"seed entry {entry.id!r} was refused: {error}") from error
        if outcome.duplicate:
            already.append(entry.id)
        else:
            appended += len(outcome.events)
            applied.append(entry.id)
    return SeedReport(appended, tuple(applied), tuple(already), tuple(later))
