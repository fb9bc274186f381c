"""Building large, acyclic structures fast."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T", bound=type)


@contextmanager
def bulk_allocation(*, lasting: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic objects are made (decoding
    a 100 MB snapshot, indexing 100,000 assignments): its passes over the growing heap would
    cost more than the work itself. Reference counting still frees memory as usual.

    lasting=True: what was made is kept for the rest of the run (the decoded snapshot, the
    model, a run's answers), so it is moved out of the collector's generations when done
    (gc.freeze). Otherwise the first collections after the pause would scan all of it, and
    again at each older generation: 2.3 s of a 20 s diagnosis of a 200-project hub. Frozen
    objects are still freed by reference counting when dropped; only a reference cycle among
    them would outlive its use, and these structures have none."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if lasting:
            gc.freeze()
        if enabled:
            gc.enable()


_MISSING_FIELD = object()
FAST_INIT: dict[type, Any] = {}
"""The classes fast_init gave their __init__, each with the one dataclasses wrote (which
tests/test_fast_init.py holds it to)."""


def fast_init(cls: T) -> T:
    """Give a frozen dataclass an __init__ that sets its fields in one step (its instance
    dict made whole), where the one dataclasses writes sets each field through
    object.__setattr__: a run makes tens of thousands of the core's small frozen records
    (principals, personas' evidence, decisions, fixes), and that was most of their cost.
    The same signature, defaults (a default_factory called for each instance) and result;
    only for a plain frozen dataclass (no slots, init=False field, InitVar or __post_init__:
    TypeError otherwise), put above its @dataclass."""
    params = getattr(cls, "__dataclass_params__", None)
    # An InitVar is there for a __post_init__; dataclasses.fields leaves it and ClassVars out.
    if params is None or not params.frozen or "__slots__" in cls.__dict__:
        raise TypeError(f"fast_init: {cls.__name__} is not a plain frozen dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"fast_init: {cls.__name__} has a __post_init__")
    names: list[str] = []
    namespace: dict[str, Any] = {"_set": object.__setattr__, "_missing": _MISSING_FIELD}
    parameters: list[str] = []
    keywords: list[str] = []
    lines: list[str] = []
    for index, f in enumerate(dataclasses.fields(cls)):
        if not f.init or f.name in namespace or f.name.startswith(("_default_", "_factory_")):
            raise TypeError(f"fast_init: {cls.__name__}.{f.name} is not a plain field")
        names.append(f.name)
        spelled = f.name
        if f.default_factory is not dataclasses.MISSING:  # made anew for each instance
            namespace[f"_factory_{index}"] = f.default_factory
            spelled = f"{f.name}=_missing"
            lines.append(f"    if {f.name} is _missing: {f.name} = _factory_{index}()")
        elif f.default is not dataclasses.MISSING:
            namespace[f"_default_{index}"] = f.default
            spelled = f"{f.name}=_default_{index}"
        (keywords if f.kw_only else parameters).append(spelled)
    signature = ", ".join(["self", *parameters, *(["*", *keywords] if keywords else [])])
    body = ", ".join(f"{name!r}: {name}" for name in names)
    lines.append(f"    _set(self, '__dict__', {{{body}}})")
    exec(f"def __init__({signature}):\n" + "\n".join(lines), namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    FAST_INIT[cls] = cls.__init__  # type: ignore[misc]
    cls.__init__ = init  # type: ignore[misc]
    return cls
