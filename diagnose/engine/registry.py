"""Where checks come from: the built-in package and the `ai_hub_diagnose.checks` entry points.

Built-in checks are the modules of diagnose.checks, found by scanning that package, so adding
one is adding a module (scripts/new_check.py writes it), listed by `diagnose checks` without
reinstalling. Checks from other packages register in the entry-point group, each entry naming a
check (or a list of checks) made with @check. A check id belongs to whoever registered it
first, built-ins before plug-ins: a plug-in reusing an id is refused with a load error.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType

from diagnose.engine.api import CheckInfo
from diagnose.errors import BadInput

ENTRY_POINT_GROUP = "ai_hub_diagnose.checks"
BUILTIN_PACKAGE = "diagnose.checks"


@dataclass(frozen=True)
class LoadError:
    entry_point: str
    """What failed to load: an entry point (`NAME = module:attribute`) or a built-in module."""
    error: str


def load_checks() -> tuple[list[CheckInfo], list[LoadError]]:
    """Every check, built-in and plug-in, sorted by id, and what failed to load."""
    checks: dict[str, CheckInfo] = {}
    owners: dict[str, str] = {}
    errors: list[LoadError] = []

    def register(where: str, items: Iterable[object]) -> None:
        for item in items:
            if not isinstance(item, CheckInfo):
                errors.append(LoadError(where, "is not a check (decorate it with @check)"))
            elif item.id in checks and checks[item.id] is not item:
                errors.append(
                    LoadError(where, f"check id {item.id} is already taken (by {owners[item.id]})")
                )
            else:
                checks[item.id] = item
                owners.setdefault(item.id, where)

    for module_name, module in _builtin_modules(errors):
        found = checks_defined_in(module)
        if not found:
            errors.append(
                LoadError(
                    module_name,
                    "defines no check (decorate a function with "
                    "@check, or start the module's name with _)",
                )
            )
        register(module_name, found)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        where = f"{entry.name} = {entry.value}"
        try:
            loaded = entry.load()
        except Exception as exc:  # one broken plug-in must not hide the others
            errors.append(LoadError(where, f"{type(exc).__name__}: {exc}"))
            continue
        register(where, loaded if isinstance(loaded, list | tuple) else [loaded])
    return sorted(checks.values(), key=lambda c: c.id), errors


def builtin_module_names() -> list[str]:
    """The modules of the built-in package that hold checks (not the `_` helpers), sorted."""
    package = importlib.import_module(BUILTIN_PACKAGE)
    return sorted(
        f"{BUILTIN_PACKAGE}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_") and not info.ispkg
    )


def checks_defined_in(module: ModuleType) -> list[CheckInfo]:
    """The checks a module defines itself (not those it imports from another module)."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, CheckInfo) and value.run.__module__ == module.__name__
    ]


def _builtin_modules(errors: list[LoadError]) -> list[tuple[str, ModuleType]]:
    modules = []
    for name in builtin_module_names():
        try:
            modules.append((name, importlib.import_module(name)))
        except Exception as exc:  # a broken built-in must not hide the other checks either
            errors.append(LoadError(name, f"{type(exc).__name__}: {exc}"))
    return modules


def parse_ids(values: list[str]) -> list[str]:
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]


def select_checks(checks: list[CheckInfo], select: list[str], ignore: list[str]) -> list[CheckInfo]:
    """Filter by ids or prefixes (CON, OYD001); a token that matches nothing is an error."""
    selected, ignored = parse_ids(select), parse_ids(ignore)
    for flag, tokens in (("--select", selected), ("--ignore", ignored)):
        for token in tokens:
            if not any(c.id.startswith(token) for c in checks):
                raise BadInput(
                    f"{flag} {token} matches no check",
                    fix="run `diagnose checks` to list check ids and prefixes",
                )
    return [c for c in checks if chosen(c.id, selected, ignored)]


def chosen(check_id: str, selected: list[str], ignored: list[str]) -> bool:
    """Whether --select / --ignore (parsed: parse_ids) keep a check id: by id or prefix."""
    return (not selected or any(check_id.startswith(t) for t in selected)) and not any(
        check_id.startswith(t) for t in ignored
    )


def find_check(checks: list[CheckInfo], check_id: str) -> CheckInfo:
    for item in checks:
        if item.id == check_id.strip().upper():
            return item
    raise BadInput(f"no check has the id {check_id!r}", fix="run `diagnose checks` to list them")
