"""One row per stream: the projection the feeds, the staff tokens and the subscriptions share.

Each of those aggregates lives in streams `{prefix}{id}`. Its projection keeps one document per
id in one table (with a sort key if its listing is ordered), and optionally a copy of it keyed
by one of its fields (`index`: the token hash, so a request finds its feed or token in one
read). What a document holds is the aggregate's own `fold`; an event that cannot apply
(malformed data, a change to no such aggregate) is recorded in `problems` instead.

`RevocableRows` is the projection of something created once and revoked for good (feeds,
staff tokens: the domain's `CreatedOnce`): `created_row` and `revoked_row` are the two states of
its row: what it is (its creation fact's fields), who made it and when, and who revoked it, when
and why. `RevocableRow` is what the queries hand out (`revocable_row`, `revocable_rows`), and
`stored_row`/`stored_rows` read any documents back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Mapping
from dataclasses import MISSING, Field, dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, Generic, Self, TypeVar

from calendar_service.domain import DomainError
from calendar_service.domain._aggregate import CreatedOnce, Ended, Fact
from calendar_service.eventstore import StoredEvent
from calendar_service.projections._folding import instant_key, record_problem
from calendar_service.projections.base import Batch
from calendar_service.projections.views import Doc, ViewStore

F = TypeVar("F", bound=Fact)
Fold = Callable[[Doc | None, F, StoredEvent], Doc]
"""(the row before, the fact, the stored event) -> the row after; a DomainError if the fact
cannot apply to that row (None: there is none yet)."""


class StreamRows(Generic[F]):
    """A projection with one row per stream id, folded by `fold` from the stream's facts."""

    def __init__(
        self,
        name: str,
        prefix: str,
        types: Container[str],
        decode: Callable[[str, Mapping[str, Any]], F],
        fold: Fold[F],
        *,
        table: str,
        sort: str | None = None,
        index: tuple[str, str] | None = None,
    ) -> None:
        """Rows of the streams `prefix...` whose event `types` `decode` reads, in `table` by
        stream id (sorted by the row's field `sort`, if given) and, with `index = (table,
        field)`, copied into that table keyed by the row's `field`."""
        self.name, self.prefix, self.types = name, prefix, types
        self.decode, self.fold = decode, fold
        self.table, self.sort, self.index = table, sort, index

    def prepare(self, events: list[StoredEvent], batch: Batch) -> None:
        ids = {self._id(event) for event in events if self._follows(event)}
        batch.load(self.table, sorted(ids))

    def apply(self, event: StoredEvent, batch: Batch) -> None:
        if not self._follows(event):
            return
        key = self._id(event)
        try:
            doc = self.fold(batch.get(self.table, key), self.decode(event.type, event.data), event)
        except DomainError as error:
            record_problem(batch, event, error)
            return
        batch.put(self.table, key, doc, None if self.sort is None else doc[self.sort])
        if self.index is not None:
            table, field = self.index
            batch.put(table, doc[field], doc)

    def flush(self, batch: Batch) -> None:
        pass

    def _follows(self, event: StoredEvent) -> bool:
        return event.stream.startswith(self.prefix) and event.type in self.types

    def _id(self, event: StoredEvent) -> str:
        return event.stream[len(self.prefix) :]


class RevocableRows(StreamRows[F]):
    """The rows of the streams `prefix...` of something created once and revoked for good,
    whose facts are its `life`'s: by id in `table` (sorted by creation) and by token hash in
    `by_hash`."""

    def __init__(
        self, name: str, prefix: str, life: CreatedOnce[Any, Any, F], *, table: str, by_hash: str
    ) -> None:
        types = {fact.__name__: fact for fact in life.facts}

        def decode(event_type: str, data: Mapping[str, Any]) -> F:
            return types[event_type].from_data(data)

        def fold(found: Doc | None, fact: F, event: StoredEvent) -> Doc:
            if not isinstance(fact, Ended):
                return created_row(event, **fact.to_data())
            if found is None:
                raise life.missing(fact)
            return revoked_row(found, event, fact.reason)

        sort, index = "created_at", (by_hash, "token_hash")
        super().__init__(name, prefix, types, decode, fold, table=table, sort=sort, index=index)


def created_row(event: StoredEvent, **fields: Any) -> Doc:
    """A revocable row as its creation (`event`) leaves it: `fields`, by whom and when."""
    return {
        **fields,
        "revoked": False,
        "created_at": instant_key(event.recorded_at),
        "created_by": event.actor,
        "revoked_at": None,
        "revoked_by": None,
        "reason": None,
    }


def revoked_row(found: Doc, event: StoredEvent, reason: str | None) -> Doc:
    """The row `found` revoked by `event`, for `reason`."""
    return found | {
        "revoked": True,
        "revoked_at": instant_key(event.recorded_at),
        "revoked_by": event.actor,
        "reason": reason,
    }


@dataclass(frozen=True, kw_only=True)
class RevocableRow:
    """The life of a revocable row as the queries hand it out: who made it and when, and who
    revoked it, when and why (the fields a subclass adds come first)."""

    revoked: bool
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    reason: str | None = None

    @classmethod
    def from_doc(cls, doc: Doc) -> Self:
        """The row a stored document (`created_row`, `revoked_row`) describes: the subclass's
        own fields as stored (one with a default may be missing from a document stored before
        it existed: it gets its default), then the row's life, its times parsed."""
        life = {field.name for field in fields(RevocableRow)}
        own = {
            field.name: doc[field.name]
            for field in fields(cls)
            if field.name not in life and (field.name in doc or _required(field))
        }
        revoked_at = doc["revoked_at"]
        return cls(
            **own,
            revoked=doc["revoked"],
            created_at=datetime.fromisoformat(doc["created_at"]),
            created_by=doc["created_by"],
            revoked_at=None if revoked_at is None else datetime.fromisoformat(revoked_at),
            revoked_by=doc["revoked_by"],
            reason=doc["reason"],
        )


def _required(field: Field[Any]) -> bool:
    return field.default is MISSING and field.default_factory is MISSING


def stored_row(views: ViewStore, name: str, table: str, key: str) -> Doc | None:
    """The document of `key` in projection `name`'s `table`, or None."""
    found = views.get(name, table, [key]).get(key)
    return None if found is None else dict(json.loads(found))


def stored_rows(views: ViewStore, name: str, table: str) -> list[Doc]:
    """Every document of projection `name`'s `table`, by key."""
    return [json.loads(doc) for _, _, _, doc in views.rows(name, table)]


R = TypeVar("R", bound=RevocableRow)


def revocable_row(views: ViewStore, name: str, table: str, key: str, row: type[R]) -> R | None:
    """The `row` of `key` in projection `name`'s `table` (a `RevocableRows`), or None."""
    found = stored_row(views, name, table, key)
    return None if found is None else row.from_doc(found)


def revocable_rows(views: ViewStore, name: str, table: str, row: type[R]) -> list[R]:
    """Every `row` of projection `name`'s `table` (a `RevocableRows`), oldest first (by id
    among those made at the same instant: the documents come by key)."""
    rows = [row.from_doc(doc) for doc in stored_rows(views, name, table)]
    return sorted(rows, key=attrgetter("created_at"))
