"""The domain's errors: every message names the field (or command) and the value involved.

Hierarchy::

    DomainError
    ├── InvalidValue              a value object refused its input (field, value, reason)
    │   ├── InvalidWhen           a when that cannot be: end before start, month 13, naive time
    │   └── UnknownTimeZone       not an IANA zone name zoneinfo knows
    ├── UnknownOrTaken            a command refused for its id alone (id, command)
    │   ├── NotFound              the id names nothing
    │   │   └── EngagementNotFound        (and FeedNotFound, StaffTokenNotFound, StaffNotFound)
    │   └── AlreadyExists         a creating command for an id that is taken
    │       └── EngagementAlreadyExists   (and FeedAlreadyExists, StaffTokenAlreadyExists)
    ├── CommandRefused            the command does not fit the engagement's state (command, state)
    └── AliasCollision            a name or alias already belongs to another directory entry

The API maps `InvalidValue` and `CommandRefused` to 422, `EngagementNotFound` to 404 and
`EngagementAlreadyExists` to 409, in one handler.
"""

from __future__ import annotations

from typing import ClassVar

PREVIEW_CHARS = 60
"""Longest slice of a value quoted in a message; longer values are cut with an ellipsis."""


def preview(value: object) -> str:
    """`repr` of `value`, cut to PREVIEW_CHARS so a huge input cannot flood a log line."""
    text = repr(value)
    if len(text) <= PREVIEW_CHARS:
        return text
    return text[: PREVIEW_CHARS - 1] + "…"


class DomainError(Exception):
    """Base of every error the domain raises."""


class InvalidValue(DomainError):
    """`value` is not acceptable for `field`; `reason` says what to give instead."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field, self.value, self.reason = field, value, reason
        super().__init__(f"{field} {preview(value)} is not valid: {reason}")


class InvalidWhen(InvalidValue):
    """A when that cannot be, e.g. one that ends before it starts or names month 13."""


class UnknownTimeZone(InvalidValue):
    """A time zone name that is not in the IANA database zoneinfo reads."""

    def __init__(self, field: str, value: object) -> None:
        super().__init__(
            field, value, "it is not a known IANA time zone; use a name such as 'Asia/Seoul'"
        )


class UnknownOrTaken(DomainError):
    """A command refused for its id alone: the id names nothing (`NotFound`) or is taken
    (`AlreadyExists`). Each subclass words it in MESSAGE, from the id and the command's verb."""

    MESSAGE: ClassVar[str]

    def __init__(self, id_: str, command: str) -> None:
        self.id, self.command = id_, command
        super().__init__(self.MESSAGE.format(id=id_, command=command))


class NotFound(UnknownOrTaken):
    """A command for an id that names nothing: an engagement, a feed, a token, a subscriber."""


class AlreadyExists(UnknownOrTaken):
    """A creating command for an id that is taken."""


class EngagementNotFound(NotFound):
    MESSAGE = (
        "cannot {command}: engagement_id {id!r} names no engagement; "
        "receive an invitation or schedule it first"
    )


class EngagementAlreadyExists(AlreadyExists):
    MESSAGE = (
        "cannot {command}: engagement_id {id!r} is already taken by an "
        "existing engagement; choose another id or change the existing one"
    )


class CommandRefused(DomainError):
    """`command` does not fit `state` of the engagement; nothing was decided."""

    def __init__(self, command: str, engagement_id: str, state: str, reason: str) -> None:
        self.command, self.engagement_id, self.state, self.reason = (
            command,
            engagement_id,
            state,
            reason,
        )
        super().__init__(f"cannot {command} engagement {engagement_id!r}: {reason}")


class AliasCollision(DomainError):
    """`alias` would resolve to two directory entries."""

    def __init__(self, alias: str, entry: str, other: str, field: str = "alias") -> None:
        self.alias, self.entry, self.other, self.field = alias, entry, other, field
        super().__init__(
            f"{field} {alias!r} of {entry!r} is already a name or alias of {other!r}: "
            "a name may point to one entry only"
        )
