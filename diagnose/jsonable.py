"""Turn the frozen dataclasses of the core into JSON values with camelCase keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
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


def to_jsonable(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind in _layouts or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        out = {}
        for name, key, omit_none in _layout(kind):
            item = getattr(value, name)
            if item is None and omit_none:
                continue
            out[key] = item if type(item) in _PLAIN else to_jsonable(item)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, Mapping):  # a read-only mapping such as engine.api.Commands
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value
