"""ABAC conditions (conditionVersion 2.0) on role assignments and role definitions.

A condition restricts only the operations its ActionMatches{'...'} clauses name; for any other
operation the grant is unconditional. Offline, a targeted operation can be neither allowed nor
denied with certainty: the honest answer is "conditional", with the condition text. A condition
with no ActionMatches clause at all restricts every operation of the grant.
"""

from __future__ import annotations

import re
from functools import lru_cache

from diagnose.rbac.patterns import matches

_ACTION_MATCHES = re.compile(r"ActionMatches\s*\{([^}]*)\}", re.IGNORECASE)
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


@lru_cache(maxsize=4096)
def targeted_patterns(condition: str) -> tuple[str, ...] | None:
    """The operation patterns a condition names, or None when it names none (so it targets all).

    SubOperationMatches clauses always come with an ActionMatches, which is what is read here.
    """
    patterns: list[str] = []
    for clause in _ACTION_MATCHES.finditer(condition):
        for single, double in _QUOTED.findall(clause.group(1)):
            patterns.append(single or double)
    return tuple(patterns) if patterns else None


def targets(condition: str | None, operation: str) -> bool:
    """Whether a condition restricts this operation."""
    if not condition or not condition.strip():
        return False
    patterns = targeted_patterns(condition)
    if patterns is None:
        return True
    return any(matches(pattern, operation) for pattern in patterns)
