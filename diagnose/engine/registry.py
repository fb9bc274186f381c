"""Where checks come from: the `ai_hub_diagnose.checks` entry-point group.

Built-in checks are registered in pyproject.toml exactly as a third-party package registers
its own, so there is one table of checks and no list in code to drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from diagnose.engine.api import CheckInfo
from diagnose.errors import BadInput

ENTRY_POINT_GROUP = "ai_hub_diagnose.checks"


@dataclass(frozen=True)
class LoadError:
    entry_point: str
    error: str


def load_checks() -> tuple[list[CheckInfo], list[LoadError]]:
    """Every registered check, sorted by id, and the entry points that failed to load."""
    checks: dict[str, CheckInfo] = {}
    errors: list[LoadError] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception as exc:  # one broken plug-in must not hide the others
            errors.append(LoadError(f"{entry.name} = {entry.value}",
                                    f"{type(exc).__name__}: {exc}"))
            continue
        items = loaded if isinstance(loaded, list | tuple) else [loaded]
        for item in items:
            if not isinstance(item, CheckInfo):
                errors.append(LoadError(f"{entry.name} = {entry.value}",
                                        "is not a check (decorate it with @check)"))
            elif item.id in checks and checks[item.id] is not item:
                errors.append(LoadError(f"{entry.name} = {entry.value}",
                                        f"check id {item.id} is already taken"))
            else:
                checks[item.id] = item
    return sorted(checks.values(), key=lambda c: c.id), errors


def parse_ids(values: list[str]) -> list[str]:
    return [part.strip().upper() for value in values for part in value.split(",")
            if part.strip()]


def select_checks(checks: list[CheckInfo], select: list[str], ignore: list[str]
                  ) -> list[CheckInfo]:
    """Filter by ids or prefixes (CON, OYD001); a token that matches nothing is an error."""
    selected, ignored = parse_ids(select), parse_ids(ignore)
    for flag, tokens in (("--select", selected), ("--ignore", ignored)):
        for token in tokens:
            if not any(c.id.startswith(token) for c in checks):
                raise BadInput(f"{flag} {token} matches no check",
                               fix="run `diagnose checks` to list check ids and prefixes")
    return [c for c in checks
            if (not selected or any(c.id.startswith(t) for t in selected))
            and not any(c.id.startswith(t) for t in ignored)]


def find_check(checks: list[CheckInfo], check_id: str) -> CheckInfo:
    for item in checks:
        if item.id == check_id.strip().upper():
            return item
    raise BadInput(f"no check has the id {check_id!r}",
                   fix="run `diagnose checks` to list them")
