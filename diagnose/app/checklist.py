"""The checks themselves: which there are (`diagnose checks`) and what one looks at
(`diagnose explain-check ID`)."""

from __future__ import annotations

from dataclasses import dataclass

from diagnose.engine.api import CheckInfo
from diagnose.engine.registry import LoadError


@dataclass(frozen=True)
class CheckList:
    checks: tuple[CheckInfo, ...]
    """Every check that loaded, sorted by id."""
    errors: tuple[LoadError, ...]
    """What could not be loaded, and why."""


def list_checks() -> CheckList:
    from diagnose.engine.registry import load_checks

    checks, errors = load_checks()
    return CheckList(tuple(checks), tuple(errors))


def check_named(check_id: str) -> CheckInfo:
    """The check with this id (any case); BadInput when there is none."""
    from diagnose.engine.registry import find_check, load_checks

    checks, _ = load_checks()
    return find_check(checks, check_id)
