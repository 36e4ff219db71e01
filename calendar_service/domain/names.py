"""People, organisations and places, named in en/ko/zh with aliases, and the Directory that
resolves any of those names to one entry.

Names are matched after `name_key` normalisation (Unicode NFKC, case-folded, hyphens and dots
read as spaces, runs of spaces collapsed), so "hao feng", "Hao-Feng" and "HAO FENG" all resolve
to Hao Peng (郝鹏). A name or alias may point to one entry only: the Directory refuses one that
collides with another entry's name or alias (AliasCollision), so resolving is never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from calendar_service.domain._checks import check_slug, check_type, check_zone
from calendar_service.domain.engagement.records import check_aliases
from calendar_service.domain.engagement.values import LANGUAGES, LocalizedText
from calendar_service.domain.errors import AliasCollision, InvalidValue

_SEPARATORS = re.compile(r"[\s\-‐‑–—.·・]+")


class EntryKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"


def name_key(text: str) -> str:
    """The form names are compared in: 'Hao-Feng ' and 'hao feng' give the same key."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


@dataclass(frozen=True, kw_only=True)
class NamedEntry:
    """A person, organisation or place: canonical names per language, aliases, and for a person
    an optional `position` (e.g. 'Governor of Gyeonggi Province'), for a place its zone."""

    id: str
    kind: EntryKind
    name: LocalizedText
    aliases: tuple[str, ...] = ()
    position: LocalizedText | None = None
    country: str | None = None
    tz: str | None = None

    def __post_init__(self) -> None:
        check_slug("entry.id", self.id)
        check_type("entry.kind", self.kind, EntryKind, "person, organization or place")
        check_type("entry.name", self.name, LocalizedText, "names in en, ko and/or zh")
        object.__setattr__(self, "aliases", tuple(self.aliases))
        check_aliases("entry.aliases", self.aliases)
        if self.tz is not None:
            check_zone("entry.tz", self.tz)

    def names(self) -> Iterator[tuple[str, str]]:
        """(field, text) for every name and alias, canonical names first."""
        for lang in LANGUAGES:
            text = self.name.get(lang)
            if text is not None:
                yield f"name.{lang}", text
        for alias in self.aliases:
            yield "alias", alias


class Directory:
    """An immutable set of named entries, resolvable by id or by any name or alias.

    The constructor raises AliasCollision when a name or alias of one entry normalises to a
    name or alias of another, and InvalidValue when two entries share an id.
    """

    __slots__ = ("_by_id", "_by_name")

    def __init__(self, entries: Iterable[NamedEntry] = ()) -> None:
        self._by_id: dict[str, NamedEntry] = {}
        self._by_name: dict[str, NamedEntry] = {}
        for entry in entries:
            self._add(entry)

    def _add(self, entry: NamedEntry) -> None:
        check_type("entry", entry, NamedEntry, "a NamedEntry")
        if entry.id in self._by_id:
            raise InvalidValue("entry.id", entry.id, "another entry already has this id")
        for field, text in entry.names():
            other = self._by_name.get(name_key(text))
            if other is not None and other.id != entry.id:
                raise AliasCollision(text, entry.id, other.id, field)
        self._by_id[entry.id] = entry
        for _, text in entry.names():
            self._by_name[name_key(text)] = entry

    def with_entry(self, entry: NamedEntry) -> Directory:
        """A new directory with `entry` added; this one is unchanged."""
        return Directory([*self._by_id.values(), entry])

    def resolve(self, name: str) -> NamedEntry | None:
        """The entry `name` is a canonical name or alias of, in any case; None if unknown."""
        return self._by_name.get(name_key(name))

    def get(self, entry_id: str) -> NamedEntry | None:
        return self._by_id.get(entry_id)

    def __iter__(self) -> Iterator[NamedEntry]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id
