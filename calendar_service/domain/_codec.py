"""Plain-JSON encoding of the domain's frozen dataclasses, driven by their type annotations.

`encode(value)` gives str/int/bool/None/list/dict only: enums by value, dates and times in
ISO 8601, durations as ISO 8601 durations, values with `to_json` by it, other dataclasses as
objects of their fields. `decode(hint, raw, path)` reverses it and builds every value through
its constructor, so decoded data is validated like any other input; malformed data raises
InvalidValue naming the path ("details.when.tz"). Unknown keys are refused, not dropped.

Both directions are compiled: the first use of a type hint (or, when encoding, of a value's
class) turns it into a small function, cached, so the annotations, unions and origins are
resolved once per hint and not once per field of every value. The compiled functions do
exactly what the rules above say, check for check; a hint that cannot be decoded still
raises TypeError when a value of it is decoded, not before.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields, is_dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from operator import attrgetter
from typing import Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

from calendar_service.domain.durations import format_duration, parse_duration
from calendar_service.domain.engagement.when import WHEN_TYPES, when_from_json
from calendar_service.domain.errors import InvalidValue

Decoder = Callable[[Any, str], Any]
"""(raw, path) -> value, raising InvalidValue naming `path` (or a nested one)."""
Encoder = Callable[[Any], Any]
FieldsEncoder = Callable[[Any], dict[str, Any]]
FieldsDecoder = Callable[[object, str], dict[str, Any]]

_NONE_TYPE = type(None)


class StoredFact:
    """What every fact the log keeps has, an engagement's event or a small aggregate's: it is
    stored under its class name (`event_type`), as its encoded fields (`to_data`), at
    SCHEMA_VERSION, and `from_data` rebuilds it, validating it like any input."""

    SCHEMA_VERSION: ClassVar[int] = 1

    @property
    def event_type(self) -> str:
        return type(self).__name__

    def to_data(self) -> dict[str, Any]:
        """The fact as a JSON-compatible object (no stream position, no envelope)."""
        return encode_fields(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """The fact `data` describes; InvalidValue naming the field if it is malformed."""
        # Decoding only reads the object: a plain dict needs no copy.
        return cls(**decode_fields(cls, data if type(data) is dict else dict(data), ""))


# --- encoding ---------------------------------------------------------------------------------


def encode(value: object) -> Any:
    """The JSON-compatible form of a domain value."""
    kind = type(value)
    encoder = _ENCODERS.get(kind)
    if encoder is None:
        if isinstance(value, type):  # a class given as a value: no per-class shortcut
            return _encode_any(value)
        encoder = _ENCODERS[kind] = _encoder_for(kind)
    return encoder(value)


def encode_fields(value: Any) -> dict[str, Any]:
    """A dataclass instance as an object of its encoded init fields (ignoring its to_json)."""
    kind = type(value)
    encoder = _FIELD_ENCODERS.get(kind)
    if encoder is None:
        encoder = _FIELD_ENCODERS[kind] = _fields_encoder(kind)
    return encoder(value)


def field_values(value: Any) -> dict[str, Any]:
    """A dataclass instance's init fields by name, as they are (not encoded): what builds the
    next record from this one, e.g. a command's fields into the event it decides."""
    return {f.name: getattr(value, f.name) for f in fields(value) if f.init}


def _encode_any(value: object) -> Any:
    """`encode` decided on the value itself, with no cache (the rules, in their order)."""
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


def _encoder_for(kind: type[Any]) -> Encoder:
    """The encoding of instances of `kind`: the branch of `_encode_any` they all take."""
    if kind is _NONE_TYPE or (issubclass(kind, bool | int | str) and not issubclass(kind, Enum)):
        return _same
    if issubclass(kind, Enum):
        # Enum.value is a Python-level property returning _value_: read that directly.
        standard = inspect.getattr_static(kind, "value", None) is _ENUM_VALUE
        return _ENUM_RAW_VALUE if standard else _enum_value
    if issubclass(kind, date):
        return _isoformat
    if issubclass(kind, timedelta):
        return format_duration
    if callable(getattr(kind, "to_json", None)):
        return _call_to_json
    if issubclass(kind, tuple | list):
        return _encode_list
    if issubclass(kind, frozenset):
        return _encode_sorted
    if is_dataclass(kind):
        return encode_fields
    return _encode_any  # raises the TypeError, naming the class


def _same(value: Any) -> Any:
    return value


def _enum_value(value: Enum) -> Any:
    return value.value


_ENUM_VALUE = Enum.__dict__["value"]
_ENUM_RAW_VALUE: Encoder = attrgetter("_value_")


def _isoformat(value: date) -> str:
    return value.isoformat()


def _call_to_json(value: Any) -> Any:
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    return _encode_any(value)  # an instance that hid its class's to_json


def _encode_list(value: tuple[Any, ...] | list[Any]) -> list[Any]:
    return [encode(item) for item in value]


def _encode_sorted(value: frozenset[Any]) -> list[Any]:
    return sorted(encode(item) for item in value)


def _fields_encoder(kind: type[Any]) -> FieldsEncoder:
    names = tuple(f.name for f in fields(kind) if f.init)
    if not names:
        return lambda value: {}
    if len(names) == 1:
        (name,) = names
        return lambda value: {name: encode(getattr(value, name))}
    values_of = attrgetter(*names)

    def encode_dataclass(value: Any) -> dict[str, Any]:
        return dict(zip(names, map(encode, values_of(value)), strict=True))

    return encode_dataclass


_ENCODERS: dict[type[Any], Encoder] = {}
_FIELD_ENCODERS: dict[type[Any], FieldsEncoder] = {}


def encode_fields_reusing(
    value: Any, before: Any, encoded_before: dict[str, Any]
) -> dict[str, Any]:
    """`encode_fields(value)`, taking the encoding of every field that holds the very object it
    held in `before` from `encoded_before` (which must be `encode_fields(before)`): the domain's
    values are immutable, so such a field encodes the same. Likewise the items of a tuple
    field that are the very items of its former tuple, at the same place (a tuple that grew
    by one). For a state folded one event at a time, where most fields are carried over."""
    kind = type(value)
    if type(before) is not kind:
        return encode_fields(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind) if f.init)
    encoded: dict[str, Any] = {}
    for name in names:
        now, then = getattr(value, name), getattr(before, name)
        if now is then:
            encoded[name] = encoded_before[name]
        elif type(now) is tuple and type(then) is tuple and then:
            encoded[name] = _encode_tuple_reusing(now, then, encoded_before[name])
        else:
            encoded[name] = encode(now)
    return encoded


def _encode_tuple_reusing(now: tuple[Any, ...], then: tuple[Any, ...], encoded: Any) -> Any:
    """`encode(now)`, taking the encoding of each item that is the very item `then` (encoded
    as `encoded`) held at the same place."""
    if type(encoded) is not list or len(encoded) != len(then):
        return encode(now)
    kept = len(then)
    return [
        encoded[index] if index < kept and item is then[index] else encode(item)
        for index, item in enumerate(now)
    ]


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


# --- decoding ---------------------------------------------------------------------------------


def decode(hint: Any, raw: object, path: str) -> Any:
    """The value of type `hint` that `raw` (as made by `encode`) describes."""
    return _decoder(hint)(raw, path)


def decode_fields(cls: type[Any], raw: object, path: str) -> dict[str, Any]:
    """Constructor arguments for dataclass `cls` from the object `raw`; missing keys with a
    default are left to the default."""
    plan = _FIELDS.get(cls)
    if plan is None:
        plan = _FIELDS[cls] = _fields_decoder(cls)
    return plan(raw, path)


def _decoder(hint: Any) -> Decoder:
    """The compiled decoder of `hint`, cached."""
    try:
        found = _DECODERS.get(hint)
    except TypeError:  # an unhashable hint: compile it every time
        return _compile_or_defer(hint)
    if found is None:
        found = _DECODERS[hint] = _compile_or_defer(hint)
    return found


def _compile_or_defer(hint: Any) -> Decoder:
    """`_compile(hint)`; if that fails, a decoder that fails the same way when it is used, as
    decoding did before it was compiled (a field of an odd type, never given, is no error)."""
    try:
        return _compile(hint)
    except Exception:  # re-raised, unchanged, whenever the decoder is used

        def deferred(raw: object, path: str) -> Any:
            return _compile(hint)(raw, path)

        return deferred


def _compile(hint: Any) -> Decoder:
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return _union_decoder(get_args(hint))
    if origin is tuple:
        items = _items_decoder(get_args(hint)[0])

        def decode_tuple(raw: object, path: str) -> tuple[Any, ...]:
            if type(raw) is list and not raw:  # the common empty list, without the work
                return ()
            return tuple(items(raw, path))

        return decode_tuple
    if origin is frozenset:
        items = _items_decoder(get_args(hint)[0])
        return lambda raw, path: frozenset(items(raw, path))
    if hint is Any:
        return _same_raw
    if isinstance(hint, type):
        return _type_decoder(hint)
    raise TypeError(f"cannot decode {hint!r}")


def _same_raw(raw: object, path: str) -> Any:
    return raw


def _fields_decoder(cls: type[Any]) -> FieldsDecoder:
    """The constructor arguments of dataclass `cls` from a JSON object (see decode_fields)."""
    resolved = get_type_hints(cls)
    plan = tuple(
        (
            f.name,
            _decoder(resolved[f.name]),
            f.default is MISSING and f.default_factory is MISSING,
        )
        for f in fields(cls)
        if f.init
    )
    names = frozenset(name for name, _, _ in plan)
    absent = object()

    def decode_object_fields(raw: object, path: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise InvalidValue(path, raw, "give a JSON object")
        if not names.issuperset(raw):
            unknown = sorted(set(raw) - names)
            raise InvalidValue(f"{path}.{unknown[0]}", raw[unknown[0]], "no such field")
        prefix = f"{path}." if path else ""
        arguments: dict[str, Any] = {}
        for name, decoder, required in plan:
            value = raw.get(name, absent)
            if value is not absent:
                arguments[name] = decoder(value, prefix + name)
            elif required:
                raise InvalidValue(prefix + name, None, "this field is required")
        return arguments

    return decode_object_fields


def _union_decoder(options: tuple[Any, ...]) -> Decoder:
    present = tuple(option for option in options if option is not _NONE_TYPE)
    nullable = len(present) < len(options)
    inner: Decoder
    if set(present) == set(WHEN_TYPES):
        inner = when_from_json
    elif len(present) == 1:
        inner = _decoder(present[0])
    else:
        message = f"cannot decode a union of {present!r}"

        def inner(raw: object, path: str) -> Any:
            raise TypeError(message)

    if not nullable:
        return inner

    def decode_optional(raw: object, path: str) -> Any:
        return None if raw is None else inner(raw, path)

    return decode_optional


def _items_decoder(hint: Any) -> Callable[[object, str], list[Any]]:
    item = _decoder(hint)

    def decode_items(raw: object, path: str) -> list[Any]:
        if not isinstance(raw, list):
            raise InvalidValue(path, raw, "give a JSON list")
        return [item(value, f"{path}[{index}]") for index, value in enumerate(raw)]

    return decode_items


def _type_decoder(hint: type[Any]) -> Decoder:
    if issubclass(hint, Enum):
        return _enum_decoder(hint)
    if hint is bool or hint is int or hint is str:
        return _exact_decoder(hint)
    if hint is datetime or hint is date:
        return _time_decoder(hint)
    if hint is timedelta:
        return lambda raw, path: parse_duration(path, raw)
    from_json = getattr(hint, "from_json", None)
    if callable(from_json):
        return from_json  # type: ignore[no-any-return]  # from_json(raw, path)
    if is_dataclass(hint):
        return lambda raw, path: hint(**decode_fields(hint, raw, path))
    raise TypeError(f"cannot decode {hint.__name__}")


def _exact_decoder(hint: type[Any]) -> Decoder:
    message = f"give a JSON {hint.__name__}"

    def decode_exact(raw: object, path: str) -> Any:
        if type(raw) is not hint:
            raise InvalidValue(path, raw, message)
        return raw

    return decode_exact


def _enum_decoder(hint: type[Enum]) -> Decoder:
    members = hint._value2member_map_  # what hint(raw) looks in first

    def decode_enum(raw: object, path: str) -> Enum:
        try:
            return members[raw]
        except (KeyError, TypeError):
            return _decode_enum(hint, raw, path)

    return decode_enum


def _decode_enum(hint: type[Enum], raw: object, path: str) -> Enum:
    try:
        return hint(raw)
    except ValueError:
        choices = ", ".join(str(member.value) for member in hint)
        raise InvalidValue(path, raw, f"use one of {choices}") from None


def _time_decoder(hint: type[date]) -> Decoder:
    message = f"give an ISO 8601 {hint.__name__}"
    parse = hint.fromisoformat

    def decode_time(raw: object, path: str) -> date:
        if not isinstance(raw, str):
            raise InvalidValue(path, raw, message)
        try:
            return parse(raw)
        except ValueError:
            raise InvalidValue(path, raw, message) from None

    return decode_time


_DECODERS: dict[Any, Decoder] = {}
_FIELDS: dict[type[Any], FieldsDecoder] = {}
