"""Choose the least-privileged role that grants what a requirement misses.

The role the docs name for the scenario wins when, per the definitions at hand (the tenant's
when collected, else the tool's catalog), it grants every missing operation without a
condition. Otherwise the built-in role with the fewest permissions that does. When no single
role covers everything, the missing operations are covered greedily, docs roles first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diagnose.catalog import catalog_providers, operation_planes
from diagnose.engine.api import Operation
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.evaluator import Evaluator
from diagnose.rbac.patterns import provider_of

UNKNOWN_PROVIDER_WEIGHT = 50
"""How many operations a pattern over a provider outside the catalogs is assumed to grant."""


@dataclass(frozen=True)
class RoleChoice:
    role: RoleDefinition
    operations: tuple[Operation, ...]
    docs_named: bool


class Planner:
    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self._breadth: dict[str, int] = {}

    def grants_all(self, role: RoleDefinition, operations: Iterable[Operation]) -> bool:
        for op in operations:
            match = self.evaluator.role_match(role, op.name, op.data)
            if not match.granted or match.condition:
                return False
        return True

    def choose(
        self, missing: tuple[Operation, ...], docs_roles: tuple[str, ...]
    ) -> list[RoleChoice]:
        """Roles that together grant every operation in `missing` (empty when none can)."""
        roles = self.evaluator.authz.roles
        named = [roles[r.lower()] for r in docs_roles if r.lower() in roles]
        for role in named:
            if self.grants_all(role, missing):
                return [RoleChoice(role, missing, True)]
        builtin = [r for r in roles.values() if r.builtin]
        # Breadth is costly to measure: rank only the roles that qualify.
        qualifying = [r for r in builtin if self.grants_all(r, missing)]
        if qualifying:
            best = min(qualifying, key=lambda r: (self.breadth(r), r.name))
            return [RoleChoice(best, missing, False)]
        candidates = sorted(builtin, key=lambda r: (self.breadth(r), r.name))
        return self._cover(missing, named, candidates)

    def _cover(
        self,
        missing: tuple[Operation, ...],
        named: list[RoleDefinition],
        candidates: list[RoleDefinition],
    ) -> list[RoleChoice]:
        left = list(missing)
        chosen: list[RoleChoice] = []
        pool = [(r, True) for r in named] + [(r, False) for r in candidates]
        while left:
            best = None
            for role, docs in pool:
                covered = tuple(op for op in left if self.grants_all(role, [op]))
                if covered and (best is None or len(covered) > len(best.operations)):
                    best = RoleChoice(role, covered, docs)
            if best is None:
                return []
            chosen.append(best)
            left = [op for op in left if op not in best.operations]
        return chosen

    def breadth(self, role: RoleDefinition) -> int:
        """How much a role grants: catalog operations it matches, plus a weight for patterns
        over providers the catalogs do not cover."""
        found = self._breadth.get(role.id)
        if found is None:
            planes = operation_planes()
            count = 0
            for data, operations in ((False, planes["control"]), (True, planes["data"])):
                count += sum(
                    1 for op in operations if self.evaluator.role_match(role, op, data).granted
                )
            known = catalog_providers()
            for data in (False, True):
                for pattern in role.patterns(data):
                    if pattern.strip() != "*" and provider_of(pattern) not in known:
                        count += UNKNOWN_PROVIDER_WEIGHT
            found = self._breadth[role.id] = count
        return found
