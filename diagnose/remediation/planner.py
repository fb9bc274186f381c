"""Choose the least risky role that grants what a requirement misses, at the scope where it
would be assigned.

Candidates are the built-in roles that grant every missing operation without a condition (per
the definitions at hand: the tenant's when collected, else the tool's catalog). They are ranked
by what they grant at the target scope (`risk`): the worst tier first (secrets > privilege
escalation > control-plane write > data write > data read > control-plane read), then how many
operations in each tier, counted only over the providers present at that scope (among roles
equal there, the one granting less over every catalog wins).

The role the docs name for the scenario wins when it is not riskier (its worst tier is no
worse) than the best candidate; otherwise the best candidate wins and the reason says what the
docs' role would add. When no single role covers everything, the missing operations are covered
greedily, the least risky role first among those covering the most.

Answers are remembered per (need, the docs' roles, providers at the scope), risks per (role,
providers at the scope).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby

from diagnose.arm.ids import build, leading_scope, parse
from diagnose.arm.scopes import scope_key
from diagnose.catalog import provider_operations
from diagnose.engine.api import Operation
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.risk import Risk, RiskTable

EVERYWHERE = frozenset({"microsoft.authorization"})
"""Providers present at every scope: role assignments and definitions live on any scope."""
ABOVE_RESOURCES = frozenset({"microsoft.resources"})
"""Providers present at a resource group and above (deployments, tags, the groups)."""


class ScopeProviders:
    """The providers present at a scope: the resource's own provider for a resource (or a
    child of one); at a resource group or above, the providers of the snapshot's resources
    under it. Both with `EVERYWHERE`; a resource group and above also with `ABOVE_RESOURCES`."""

    def __init__(self, resources: Iterable[tuple[str, str]]) -> None:
        """`resources`: (scope key, lower-case type) of each resource in the snapshot (read on
        the first question about a resource group or above)."""
        self._resources: Iterable[tuple[str, str]] | None = resources
        self._by_group: dict[str, set[str]] = {}
        self._by_subscription: dict[str, set[str]] = {}
        self._all: set[str] = set()
        self._found: dict[str, frozenset[str]] = {}

    def _index(self) -> None:
        resources, self._resources = self._resources, None
        # The resources of a resource group share the four segments a key's group and
        # subscription are read from: read once per group (thousands of resources, a few
        # hundred groups).
        read: dict[str, tuple[str | None, str | None]] = {}
        for key, resource_type in resources or ():
            provider = resource_type.split("/", 1)[0]
            if not provider or provider == "microsoft.resources":
                continue
            self._all.add(provider)
            head = _leading_segments(key)
            found = read.get(head) if head is not None else None
            if found is None:
                found = _group_and_subscription(key)
                if head is not None:
                    read[head] = found
            group, subscription = found
            if group is not None:
                self._by_group.setdefault(group, set()).add(provider)
            if subscription is not None:
                self._by_subscription.setdefault(subscription, set()).add(provider)

    @classmethod
    def of(cls, model: Model) -> ScopeProviders:
        # Read on the first question about a resource group or above, if any: a plan whose
        # fixes are all on resources (each whole-plan round makes one) never reads them. A
        # model's resources are never changed once built (a copy gets its own dict).
        return cls(map(_key_and_type, model.resources.values()))

    def at(self, scope: str) -> frozenset[str]:
        key = scope_key(scope)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._providers(key)
        return found

    def _providers(self, key: str) -> frozenset[str]:
        parsed = parse(key)
        if parsed is not None and parsed.provider and parsed.types:
            provider = parsed.provider.lower()
            if provider != "microsoft.management":
                return EVERYWHERE | {provider}
        if self._resources is not None:
            self._index()
        if parsed is not None and parsed.resource_group is not None:
            return EVERYWHERE | ABOVE_RESOURCES | self._by_group.get(key, set())
        subscription = parsed.subscription if parsed is not None else None
        if subscription is not None:
            return (
                EVERYWHERE
                | ABOVE_RESOURCES
                | self._by_subscription.get(subscription.lower(), set())
            )
        return EVERYWHERE | ABOVE_RESOURCES | self._all


def _key_and_type(resource: Resource) -> tuple[str, str]:
    return resource.key, resource.type


def _leading_segments(key: str) -> str | None:
    """The first four segments of a path, as one text, when they are its first four pieces
    (it starts with '/' and none of them is empty): then they are all leading_scope reads of
    it. None for any other path (leading_scope skips empty segments)."""
    pieces = key.split("/", 5)
    if len(pieces) < 5 or pieces[0] or not all(pieces[1:5]):
        return None
    return "/".join(pieces[1:5])


def _group_and_subscription(key: str) -> tuple[str | None, str | None]:
    """resource_group_key and subscription_of (lower case) of a resource's key, from one
    reading of it."""
    leading = leading_scope(key)
    group = build(leading).lower() if leading.resource_group is not None else None
    subscription = leading.subscription.lower() if leading.subscription is not None else None
    return group, subscription


@dataclass(frozen=True)
class RoleChoice:
    role: RoleDefinition
    operations: tuple[Operation, ...]
    """The missing operations this role is chosen for."""
    docs_named: bool
    risk: Risk
    """What the role grants at the target scope."""
    extra: Risk
    """What it grants there beyond `operations`."""
    reason: str
    """Why this role, in a clause: "the role the docs name for this scenario", ..."""

    def label(self) -> str:
        """The tier it reaches and what it adds beyond the need, as a sentence."""
        return self._label

    @cached_property
    def _label(self) -> str:
        # A choice is shared by every shortfall with the same need and providers: its
        # sentence is written once.
        adds = self.extra.adds()
        beyond = f"beyond the need it {adds}" if adds else "it grants nothing here beyond the need"
        return f"At this scope it {self.risk.describe()}; {beyond}."


class Planner:
    def __init__(
        self, evaluator: Evaluator, providers_at: Callable[[str], frozenset[str]] | None = None
    ) -> None:
        self.evaluator = evaluator
        # Without a view of the snapshot, every catalogued provider counts as present.
        self.providers_at = providers_at or (
            lambda _scope: EVERYWHERE | ABOVE_RESOURCES | frozenset(provider_operations())
        )
        self.risks = RiskTable()
        self._choices: dict[tuple[object, ...], list[RoleChoice]] = {}
        self._builtin: list[RoleDefinition] | None = None

    def grants_all(self, role: RoleDefinition, operations: Iterable[Operation]) -> bool:
        for op in operations:
            match = self.evaluator.role_match(role, op.name, op.data)
            if not match.granted or match.condition:
                return False
        return True

    def risk(self, role: RoleDefinition, scope: str) -> Risk:
        """What a role grants at a scope."""
        return self.risks.of(role, self.providers_at(scope))

    def rank(self, roles: Iterable[RoleDefinition], scope: str) -> list[RoleDefinition]:
        """Roles, the least risky at the scope first; among equals, the one granting less over
        every catalog first (then by name and id)."""
        providers = self.providers_at(scope)
        ranked: list[RoleDefinition] = []
        by_risk = sorted(roles, key=lambda r: self.risks.of(r, providers).key)
        for _, group in groupby(by_risk, key=lambda r: self.risks.of(r, providers).key):
            tied = list(group)
            # What a role grants over every catalog is measured only to break a tie.
            ranked += sorted(tied, key=self._tie_break) if len(tied) > 1 else tied
        return ranked

    def best(self, roles: list[RoleDefinition], scope: str) -> RoleDefinition:
        """rank(roles, scope)[0], without ranking the rest."""
        providers = self.providers_at(scope)
        lowest = min(self.risks.of(r, providers).key for r in roles)
        tied = [r for r in roles if self.risks.of(r, providers).key == lowest]
        return tied[0] if len(tied) == 1 else min(tied, key=self._tie_break)

    def _tie_break(self, role: RoleDefinition) -> tuple[object, ...]:
        return (self.risks.everywhere(role), role.name.lower(), role.id)

    def choose(
        self, missing: tuple[Operation, ...], docs_roles: tuple[str, ...], scope: str
    ) -> list[RoleChoice]:
        """Roles that together grant every operation in `missing` at `scope` (empty when none
        can)."""
        # The answer depends on the scope only through the providers present there (every
        # risk is measured over them), so scopes with the same providers share it: a few
        # distinct answers for thousands of shortfalls.
        key = (missing, docs_roles, self.providers_at(scope))
        found = self._choices.get(key)
        if found is None:
            found = self._choices[key] = self._choose(missing, docs_roles, scope)
        return found

    def _builtins(self) -> list[RoleDefinition]:
        if self._builtin is None:
            self._builtin = [r for r in self.evaluator.authz.roles.values() if r.builtin]
        return self._builtin

    def _choice(
        self,
        role: RoleDefinition,
        operations: tuple[Operation, ...],
        docs: bool,
        scope: str,
        reason: str,
    ) -> RoleChoice:
        providers = self.providers_at(scope)
        risk = self.risks.of(role, providers)
        return RoleChoice(role, operations, docs, risk, risk.without(operations, providers), reason)

    def _choose(
        self, missing: tuple[Operation, ...], docs_roles: tuple[str, ...], scope: str
    ) -> list[RoleChoice]:
        roles = self.evaluator.authz.roles
        named = [roles[r.lower()] for r in docs_roles if r.lower() in roles]
        qualifying = [r for r in self._builtins() if self.grants_all(r, missing)]
        qualifying += [r for r in named if not r.builtin and self.grants_all(r, missing)]
        if qualifying:
            best = self.best(qualifying, scope)
            docs = next((r for r in named if r in qualifying), None)
            if docs is not None:
                docs_risk = self.risk(docs, scope)
                if docs_risk.possible <= self.risk(best, scope).possible:
                    return [
                        self._choice(
                            docs, missing, True, scope, "the role the docs name for this scenario"
                        )
                    ]
                adds = docs_risk.without(missing, self.providers_at(scope)).adds()
                reason = (
                    f"the docs name {docs.name}, which here {docs_risk.describe()}"
                    + (f" and beyond the need {adds}" if adds else "")
                    + "; of the built-in roles that grant it, this one is the least risky at "
                    "this scope"
                )
                return [self._choice(best, missing, False, scope, reason)]
            reason = "of the built-in roles that grant it, the least risky at this scope"
            if named:
                reason = (
                    f"{_names(named)} named by the docs "
                    f"{'does' if len(named) == 1 else 'do'} not grant all of it per the "
                    f"definitions at hand; {reason}"
                )
            return [self._choice(best, missing, False, scope, reason)]
        candidates = self.rank(self._builtins(), scope)
        return self._cover(missing, named, candidates, scope)

    def _cover(
        self,
        missing: tuple[Operation, ...],
        named: list[RoleDefinition],
        candidates: list[RoleDefinition],
        scope: str,
    ) -> list[RoleChoice]:
        left = list(missing)
        picks: list[tuple[RoleDefinition, tuple[Operation, ...], bool]] = []
        pool = [(r, True) for r in named] + [(r, False) for r in candidates]
        while left:
            best: tuple[RoleDefinition, tuple[Operation, ...], bool] | None = None
            for role, docs in pool:
                covered = tuple(op for op in left if self.grants_all(role, [op]))
                if covered and (best is None or len(covered) > len(best[1])):
                    best = (role, covered, docs)
            if best is None:
                return []
            picks.append(best)
            left = [op for op in left if op not in best[1]]
        reason = "no single built-in role grants all of it; this one covers part of it"
        return [
            self._choice(
                role,
                covered,
                docs,
                scope,
                "the role the docs name for this scenario, for part of it" if docs else reason,
            )
            for role, covered, docs in picks
        ]


def _names(roles: list[RoleDefinition]) -> str:
    names = [r.name for r in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
