"""bulk.fast_init gives the core's hot frozen dataclasses an __init__ that makes the instance
dict in one step: each must make exactly what the __init__ dataclasses wrote makes, for every
way of calling it (positional, keyword, defaults left out), and refuse a class it cannot
serve."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, ClassVar

import pytest

from diagnose.bulk import FAST_INIT, fast_init

MODULES = (
    "diagnose.engine.api",
    "diagnose.engine.personas",
    "diagnose.engine.requirements",
    "diagnose.model.resources",
    "diagnose.rbac.decision",
    "diagnose.rbac.holders",
    "diagnose.remediation.roles",
    "diagnose.report.model",
)
for _module in MODULES:
    importlib.import_module(_module)
CLASSES = sorted(FAST_INIT, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _both(cls: type, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    fast = cls(*args, **kwargs)
    reference = object.__new__(cls)
    FAST_INIT[cls](reference, *args, **kwargs)
    return fast, reference


def _same(fast: Any, reference: Any) -> None:
    assert type(fast) is type(reference)
    assert list(fast.__dict__.items()) == list(reference.__dict__.items())
    assert fast == reference


def test_the_hot_records_have_it() -> None:
    names = {cls.__name__ for cls in CLASSES}
    assert {"PrincipalRef", "Remediation", "Finding", "Decision", "Resource"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__qualname__)
def test_each_makes_what_the_dataclass_init_makes(cls: type) -> None:
    fields = [f for f in dataclasses.fields(cls) if f.init]
    values = {f.name: object() for f in fields}
    positional = [values[f.name] for f in fields if not f.kw_only]
    keywords = {f.name: values[f.name] for f in fields if f.kw_only}
    _same(*_both(cls, *positional, **keywords))  # every field given, in order
    _same(*_both(cls, **values))  # every field by name
    required = {
        f.name: values[f.name]
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    fast, reference = _both(cls, **required)  # the defaults
    _same(fast, reference)
    for f in fields:
        if f.default_factory is not dataclasses.MISSING:  # a new one for each instance
            assert getattr(fast, f.name) is not getattr(reference, f.name)
            assert getattr(cls(**required), f.name) is not getattr(fast, f.name)
    with pytest.raises(TypeError):
        cls(**required, unknown_field=1)
    if required:
        with pytest.raises(TypeError):
            cls()


def test_a_keyword_only_field_stays_keyword_only() -> None:
    @fast_init
    @dataclasses.dataclass(frozen=True)
    class Record:
        a: int
        b: int = 2
        _: dataclasses.KW_ONLY
        c: int = 3
        d: list[int] = dataclasses.field(default_factory=list)
        kind: ClassVar[str] = "record"

    assert Record(1) == Record(1, 2, c=3, d=[])
    assert Record(1, 5, c=7).__dict__ == {"a": 1, "b": 5, "c": 7, "d": []}
    with pytest.raises(TypeError):
        Record(1, 2, 3)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Record(1).a = 2  # type: ignore[misc]


def test_a_class_it_cannot_serve_is_refused() -> None:
    with pytest.raises(TypeError):

        @fast_init
        @dataclasses.dataclass(frozen=True, slots=True)
        class Slotted:
            a: int

    with pytest.raises(TypeError):

        @fast_init
        @dataclasses.dataclass(frozen=True)
        class Checked:
            a: int

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError):

        @fast_init
        @dataclasses.dataclass(frozen=True)
        class Derived:
            a: int
            b: int = dataclasses.field(init=False, default=0)

    with pytest.raises(TypeError):

        @fast_init
        @dataclasses.dataclass
        class Mutable:
            a: int
