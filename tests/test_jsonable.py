"""to_jsonable tells what a value is by its type once (diagnose.jsonable._kinds): its answers
must be those of asking each value the questions in turn, whatever was converted before."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

import pytest

from diagnose.engine.api import Cause, Finding, Severity, Status
from diagnose.jsonable import _PLAIN, _layout, to_jsonable, to_jsonable_with


def reference(value: Any) -> Any:
    """The isinstance chain to_jsonable was, asked of every value."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, key, omit_none in _layout(kind):
            item = getattr(value, name)
            if item is None and omit_none:
                continue
            out[key] = reference(item)
        return out
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): reference(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reference(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(reference(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): reference(v) for k, v in value.items()}
    return value


class Colour(StrEnum):
    RED = "red"


class Size(Enum):
    BIG = 3


class Point(NamedTuple):
    x: int
    y: int


class Counts(dict):  # type: ignore[type-arg]
    pass


@dataclass(frozen=True)
class Inner:
    size: Size
    hidden: str = field(default="x", metadata={"json": False})
    maybe: str | None = field(default=None, metadata={"omit_none": True})


@dataclass(frozen=True)
class Outer:
    first_name: str
    inner: Inner
    items: tuple[Any, ...]
    tags: frozenset[str]
    table: Mapping[str, Any]


class Opaque:
    pass


OPAQUE = Opaque()
VALUES: list[Any] = [
    None,
    True,
    1.5,
    "text",
    Colour.RED,
    Size.BIG,
    Point(1, 2),
    Counts(a=Size.BIG),
    {1: Colour.RED},
    [Inner(Size.BIG, maybe="y")],
    frozenset({"b", "a"}),
    MappingProxyType({"k": (1, 2)}),
    Outer("ana", Inner(Size.BIG), (Point(3, 4), None), frozenset({"t"}), {"n": [Size.BIG]}),
    Inner,  # a dataclass itself, not an instance: left as it is
    Outer,
    Size,
    OPAQUE,
]


@pytest.mark.parametrize("order", [1, -1])
def test_to_jsonable_answers_as_the_isinstance_chain_in_any_order(order: int) -> None:
    for value in VALUES[::order]:
        assert to_jsonable(value) == reference(value), value
    # a class is left as it is, and its instances still converted (either one seen first)
    assert to_jsonable(Inner) is Inner and to_jsonable(Inner(Size.BIG)) == {"size": 3}


def test_to_jsonable_with_puts_given_fields_in_their_place() -> None:
    finding = Finding(
        check_id="X001",
        title="t",
        severity=Severity.HIGH,
        status=Status.FAIL,
        resource="/r",
        principal=None,
        cause=Cause.MISSING_ROLE,
        message="m",
    )
    replaced = to_jsonable(dataclasses.replace(finding, evidence=()))
    replaced["evidence"] = ["given"]
    got = to_jsonable_with(finding, evidence=["given"])
    assert got == replaced and list(got) == list(replaced)


def test_commands_items_are_the_mappings_items() -> None:
    from collections.abc import ItemsView

    from diagnose.engine.api import Commands

    commands = Commands({"azureCli": "az ...", "powershell": "New-..."})
    assert list(commands.items()) == list(ItemsView(commands))
    assert to_jsonable(commands) == {"azureCli": "az ...", "powershell": "New-..."}
