"""Validation shared by the value objects. Each check returns the value or raises InvalidValue."""

from __future__ import annotations

import re
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_service.domain.errors import InvalidValue, UnknownTimeZone

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ZONE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*")
_LINE_BREAKING = {"Cc", "Zl", "Zp"}
"""The Unicode general categories `check_text` refuses: controls, line and paragraph separators."""
_LINE_BREAKING_CHARS = "".join(map(chr, (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)))
"""Every character of those categories: Cc is U+0000-U+001F and U+007F-U+009F (a set Unicode
promises never to change), Zl is U+2028 alone and Zp U+2029 alone (so in every version so far).
A test holds this to `unicodedata.category` over every code point."""


def _refused(allowed: str) -> re.Pattern[str]:
    chars = "".join(char for char in _LINE_BREAKING_CHARS if char not in allowed)
    return re.compile(f"[{re.escape(chars)}]")


_REFUSED = {
    (newlines, tabs): _refused(("\n" if newlines else "") + ("\t" if tabs else ""))
    for newlines in (False, True)
    for tabs in (False, True)
}
"""(newlines allowed, tabs allowed) -> the characters `check_text` refuses, as one class."""
_NOT_ZONES = {"localtime", "posixrules", "Factory"}
"""Files zoneinfo can load that are not zones an officer means (system links, placeholders)."""

T = TypeVar("T")


def check_type(field: str, value: object, kind: type[T], what: str) -> T:
    """`value` if it is a `kind`, else InvalidValue saying `what` was expected."""
    if type(value) is kind:  # the common case, and never a bool unless a bool was asked for
        return value
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidValue(field, value, f"give {what}")
    return value


def check_text(
    field: str, value: object, *, max_chars: int, newlines: bool = False, tabs: bool = False
) -> str:
    """A non-blank string of at most `max_chars` with no control characters.

    Newline (and tab) are allowed only when asked for; every other control character, and
    the Unicode line and paragraph separators, are refused so no text can split a feed line.
    """
    text = check_type(field, value, str, "text")
    if not text.strip():
        raise InvalidValue(field, value, "it is blank; leave the field out instead")
    if len(text) > max_chars:
        raise InvalidValue(
            field, value, f"it has {len(text)} characters, over the limit of {max_chars}"
        )
    refused = _REFUSED[bool(newlines), bool(tabs)].search(text)
    if refused is not None:
        raise InvalidValue(
            field, value, f"it contains the control character {refused.group()!r}; remove it"
        )
    return text


def check_slug(field: str, value: object, max_chars: int = 100) -> str:
    """Lowercase letters and digits in hyphen-separated words, e.g. 'summer-davos-2024'."""
    text = check_type(field, value, str, "a slug such as 'summer-davos-2024'")
    if len(text) > max_chars or SLUG_PATTERN.fullmatch(text) is None:
        raise InvalidValue(
            field,
            value,
            f"use 1-{max_chars} lowercase letters and digits in words joined by single "
            "hyphens, such as 'summer-davos-2024'",
        )
    return text


def check_code(field: str, value: object) -> str:
    """A snake_case code such as 'head_of_delegation' (roles, kinds of follow-up)."""
    text = check_type(field, value, str, "a code such as 'head_of_delegation'")
    if CODE_PATTERN.fullmatch(text) is None:
        raise InvalidValue(
            field,
            value,
            "use up to 64 lowercase letters, digits and underscores, "
            "starting with a letter, such as 'head_of_delegation'",
        )
    return text


def check_zone(field: str, value: object) -> str:
    """An IANA time zone name zoneinfo can load, e.g. 'Asia/Seoul'; else UnknownTimeZone."""
    if type(value) is str and value in _CHECKED_ZONES:
        return value
    if (
        not isinstance(value, str)
        or _ZONE_PATTERN.fullmatch(value) is None
        or value in _NOT_ZONES
        or value.startswith(("posix/", "right/"))
    ):
        raise UnknownTimeZone(field, value)
    try:
        zone(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZone(field, value) from None
    if type(value) is str:
        _CHECKED_ZONES.add(value)
    return value


_CHECKED_ZONES: set[str] = set()
"""Names `check_zone` has accepted in this process: a zone, once loaded, stays loadable."""


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an already checked name (ZoneInfo caches its instances itself)."""
    return ZoneInfo(name)
