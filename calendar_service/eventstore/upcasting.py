"""Schema evolution on read: upcasters registered per event type and schema version.

Nothing stored is ever rewritten. When an event's data shape changes, bump its schema version
in the code that writes it and register a function that turns the old shape into the next one;
stores apply the chain on every read, so readers only ever see the newest version::

    upcasters = Upcasters()

    @upcasters.register("EngagementScheduled", from_version=1)
    def _split_title(data):
        return {**data, "titles": {"en": data.pop("title")}}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from calendar_service.eventstore.port import StoredEvent

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """A registry of data migrations, each from one schema version of a type to the next."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register `fn` to turn data at `from_version` into data at `from_version + 1`."""

        def decorator(fn: Upcaster) -> Upcaster:
            key = (event_type, from_version)
            if key in self._steps:
                raise ValueError(f"an upcaster for {event_type} v{from_version} already exists")
            self._steps[key] = fn
            return fn

        return decorator

    def __bool__(self) -> bool:
        return bool(self._steps)

    def upcast(self, event: StoredEvent) -> StoredEvent:
        """The event at the newest schema version its type has upcasters for."""
        version, data = event.schema_version, event.data
        while (step := self._steps.get((event.type, version))) is not None:
            data = step(data)
            version += 1
        if version == event.schema_version:
            return event
        return replace(event, schema_version=version, data=data)


NO_UPCASTERS = Upcasters()
