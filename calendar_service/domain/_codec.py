"""Plain-JSON encoding of the domain's frozen dataclasses, driven by their type annotations.

`encode(value)` gives str/int/bool/None/list/dict only: enums by value, dates and times in
ISO 8601, durations as ISO 8601 durations, values with `to_json` by it, other dataclasses as
objects of their fields. `decode(hint, raw, path)` reverses it and builds every value through
its constructor, so decoded data is validated like any other input; malformed data raises
InvalidValue naming the path ("details.when.tz"). Unknown keys are refused, not dropped.
"""

from __future__ import annotations

import types
from dataclasses import MISSING, fields, is_dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from calendar_service.domain.durations import format_duration, parse_duration
from calendar_service.domain.errors import InvalidValue
from calendar_service.domain.when import WHEN_TYPES, when_from_json


def encode(value: object) -> Any:
    """The JSON-compatible form of a domain value."""
    if value is None or (isinstance(value, bool | int | str) and not isinstance(value, Enum)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetime too: both have isoformat
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(encode(item) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        return encode_fields(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode_fields(value: Any) -> dict[str, Any]:
    """A dataclass instance as an object of its encoded init fields (ignoring its to_json)."""
    return {f.name: encode(getattr(value, f.name)) for f in fields(value) if f.init}


def decode(hint: Any, raw: object, path: str) -> Any:
    """The value of type `hint` that `raw` (as made by `encode`) describes."""
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return _decode_union(get_args(hint), raw, path)
    if origin is tuple:
        return tuple(_decode_items(get_args(hint)[0], raw, path))
    if origin is frozenset:
        return frozenset(_decode_items(get_args(hint)[0], raw, path))
    if hint is Any:
        return raw
    if isinstance(hint, type):
        return _decode_type(hint, raw, path)
    raise TypeError(f"cannot decode {hint!r}")


def decode_fields(cls: type[Any], raw: object, path: str) -> dict[str, Any]:
    """Constructor arguments for dataclass `cls` from the object `raw`; missing keys with a
    default are left to the default."""
    if not isinstance(raw, dict):
        raise InvalidValue(path, raw, "give a JSON object")
    hints = _hints(cls)
    unknown = sorted(set(raw) - set(hints))
    if unknown:
        raise InvalidValue(f"{path}.{unknown[0]}", raw[unknown[0]], "no such field")
    arguments: dict[str, Any] = {}
    for name, (hint, required) in hints.items():
        where = f"{path}.{name}" if path else name
        if name in raw:
            arguments[name] = decode(hint, raw[name], where)
        elif required:
            raise InvalidValue(where, None, "this field is required")
    return arguments


_HINTS: dict[type[Any], dict[str, tuple[Any, bool]]] = {}


def _hints(cls: type[Any]) -> dict[str, tuple[Any, bool]]:
    """Field name -> (resolved annotation, required?) for dataclass `cls`, cached."""
    hints = _HINTS.get(cls)
    if hints is None:
        resolved = get_type_hints(cls)
        hints = {
            f.name: (resolved[f.name], f.default is MISSING and f.default_factory is MISSING)
            for f in fields(cls)
            if f.init
        }
        _HINTS[cls] = hints
    return hints


def _decode_union(options: tuple[Any, ...], raw: object, path: str) -> Any:
    present = tuple(option for option in options if option is not type(None))
    if raw is None and len(present) < len(options):
        return None
    if set(present) == set(WHEN_TYPES):
        return when_from_json(raw, path)
    if len(present) == 1:
        return decode(present[0], raw, path)
    raise TypeError(f"cannot decode a union of {present!r}")


def _decode_items(hint: Any, raw: object, path: str) -> list[Any]:
    if not isinstance(raw, list):
        raise InvalidValue(path, raw, "give a JSON list")
    return [decode(hint, item, f"{path}[{index}]") for index, item in enumerate(raw)]


def _decode_type(hint: type[Any], raw: object, path: str) -> Any:
    if issubclass(hint, Enum):
        return _decode_enum(hint, raw, path)
    if hint is bool or hint is int or hint is str:
        if type(raw) is not hint:
            raise InvalidValue(path, raw, f"give a JSON {hint.__name__}")
        return raw
    if hint is datetime or hint is date:
        return _decode_time(hint, raw, path)
    if hint is timedelta:
        return parse_duration(path, raw)
    from_json = getattr(hint, "from_json", None)
    if callable(from_json):
        return from_json(raw, path)
    if is_dataclass(hint):
        return hint(**decode_fields(hint, raw, path))
    raise TypeError(f"cannot decode {hint.__name__}")


def _decode_enum(hint: type[Enum], raw: object, path: str) -> Enum:
    try:
        return hint(raw)
    except ValueError:
        choices = ", ".join(str(member.value) for member in hint)
        raise InvalidValue(path, raw, f"use one of {choices}") from None


def _decode_time(hint: type[date], raw: object, path: str) -> date:
    if not isinstance(raw, str):
        raise InvalidValue(path, raw, f"give an ISO 8601 {hint.__name__}")
    try:
        return hint.fromisoformat(raw)
    except ValueError:
        raise InvalidValue(path, raw, f"give an ISO 8601 {hint.__name__}") from None
