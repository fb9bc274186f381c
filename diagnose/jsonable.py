"""Turn the frozen dataclasses of the core into JSON values with camelCase keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

_PLAIN = (str, int, float, bool, type(None))


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_layouts: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _layout(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """(attribute, JSON key, omit when None) for each field a dataclass shows in JSON."""
    found = _layouts.get(cls)
    if found is None:
        found = _layouts[cls] = tuple(
            (f.name, f.metadata.get("json_name", camel(f.name)), bool(f.metadata.get("omit_none")))
            for f in dataclasses.fields(cls)
            if f.metadata.get("json") is not False
        )
    return found


# What a value is, told by its type once (a report converts tens of thousands of values of a
# few dozen types): is_dataclass and isinstance against Enum and Mapping cost more than the
# conversion itself, an Enum's metaclass most of all.
PLAIN, DATACLASS, ENUM, DICT, SEQUENCE, SET, MAPPING, OTHER = range(8)
_kinds: dict[type, int] = dict.fromkeys(_PLAIN, PLAIN)


def _kind(cls: type) -> int:
    found = _kinds.get(cls)
    if found is None:
        found = _kinds[cls] = _classify(cls)
    return found


def _classify(cls: type) -> int:
    """The first of to_jsonable's cases that holds for every instance of cls."""
    if issubclass(cls, type):
        return OTHER  # a metaclass: its instances are classes, left as they are
    if dataclasses.is_dataclass(cls):
        return DATACLASS
    if issubclass(cls, Enum):
        return ENUM
    if issubclass(cls, dict):
        return DICT
    if issubclass(cls, list | tuple):
        return SEQUENCE
    if issubclass(cls, frozenset | set):
        return SET
    if issubclass(cls, Mapping):  # a read-only mapping such as engine.api.Commands
        return MAPPING
    return OTHER


def to_jsonable(value: Any) -> Any:
    kind = _kinds.get(type(value))
    if kind is None:
        kind = _kind(type(value))
    if kind == PLAIN:
        return value
    if kind == DATACLASS:
        convert = _converters.get(type(value))
        if convert is None:
            convert = _converters[type(value)] = _converter(type(value))
        return convert(value)
    if kind == SEQUENCE:
        return [to_jsonable(v) for v in value]
    if kind == ENUM:
        return value.value
    if kind in (DICT, MAPPING):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if kind == SET:
        return sorted(to_jsonable(v) for v in value)
    return value


def to_jsonable_with(value: Any, **converted: Any) -> dict[str, Any]:
    """to_jsonable of a dataclass with some fields' JSON given (by attribute name), each in
    its place among the keys: what replacing the fields and setting the keys afterwards gives,
    without copying the dataclass."""
    return _fields(value, converted)


def _fields(value: Any, converted: dict[str, Any] | None) -> dict[str, Any]:
    out = {}
    for name, key, omit_none in _layout(type(value)):
        if converted is not None and name in converted:
            out[key] = converted[name]
            continue
        item = getattr(value, name)
        if item is None and omit_none:
            continue
        out[key] = item if type(item) in _PLAIN else to_jsonable(item)
    return out


_PLAIN_TYPES = frozenset(_PLAIN)
_converters: dict[type, Callable[[Any], dict[str, Any]]] = {}


def _converter(cls: type) -> Callable[[Any], dict[str, Any]]:
    """_fields(value, None) for instances of one dataclass, as a function written for its
    layout (as dataclasses writes __init__): a report converts thousands of fix holders and
    fixes, and the generic loop over (attribute, key, omit) triples cost twice the
    conversion itself. Field names are identifiers: dataclasses writes its own methods with
    them. tests/test_jsonable.py compares the two."""
    lines = ["def convert(value):", "    out = {}"]
    for name, key, omit_none in _layout(cls):
        lines.append(f"    item = value.{name}")
        indent = "    "
        if omit_none:
            lines.append("    if item is not None:")
            indent = "        "
        lines.append(f"{indent}out[{key!r}] = item if type(item) in PLAIN else to_jsonable(item)")
    lines.append("    return out")
    namespace: dict[str, Any] = {"PLAIN": _PLAIN_TYPES, "to_jsonable": to_jsonable}
    exec("\n".join(lines), namespace)  # the source: field names and keys
    convert: Callable[[Any], dict[str, Any]] = namespace["convert"]
    return convert
