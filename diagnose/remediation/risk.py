"""What a role grants at the scope where it would be assigned, ranked by risk.

Every operation falls in one tier, worst first:

    secrets         reads or regenerates a key, SAS or secret (listKeys, listAdminKeys,
                    listQueryKeys, listAccountSas, listServiceSas, listsecrets, regenerateKey,
                    Key Vault getSecret and key release, ...)
    escalation      grants access (roleAssignments/write, roleDefinitions/write, Key Vault
                    accessPolicies/write, attaching a managed identity, ...)
    control write   any other control-plane write, delete or action
    data write      a data action that is not a read
    data read       a data action that reads
    control read    a control-plane read (and list/check/get actions that reveal no secret,
                    and generateUserDelegationKey)

A role's risk at a scope counts the operations it grants there, wildcards expanded against the
operation catalogs (`diagnose.catalog.provider_operations`) of the providers present at that
scope only: a role's `Microsoft.Storage/*` is nothing on a Search service. Roles compare by the
worst tier they reach, then by how many operations they grant in each tier, worst tier first.

A provider the catalogs lack (Microsoft.Insights, Microsoft.DocumentDB, ...) cannot be counted:
there a role is ranked by the verbs its patterns grant (`*` > `*/action` > `*/write` or
`*/delete` > `*/read`; NotActions are not subtracted), and the text says "ranked by pattern, no
operation catalog" instead of claiming a tier. For the order, `*` and `*/action` there count as
possibly reaching secrets, `*/write` as control write.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from diagnose.catalog import provider_operations
from diagnose.engine.api import Operation
from diagnose.model.roles import PermissionBlock, RoleDefinition
from diagnose.rbac.matching import block_pattern
from diagnose.rbac.patterns import compile_glob, glob_matches


class Tier(IntEnum):
    CONTROL_READ = 0
    DATA_READ = 1
    DATA_WRITE = 2
    CONTROL_WRITE = 3
    ESCALATION = 4
    SECRETS = 5

    @property
    def words(self) -> str:
        return _TIER_WORDS[self]


_TIER_WORDS = {
    Tier.SECRETS: "secrets",
    Tier.ESCALATION: "privilege escalation",
    Tier.CONTROL_WRITE: "control-plane write/delete",
    Tier.DATA_WRITE: "data write",
    Tier.DATA_READ: "data read",
    Tier.CONTROL_READ: "control-plane read",
}

_SECRET_VERBS = {
    "listkeys": "read the access keys",
    "listadminkeys": "read the admin keys",
    "listquerykeys": "read the query keys",
    "createquerykey": "create query keys",
    "listaccountsas": "create account SAS tokens",
    "listservicesas": "create service SAS tokens",
    "listsecrets": "read connection secrets",
    "readsecrets": "read secrets",
    "regeneratekey": "regenerate the keys",
    "regeneratekeys": "regenerate the keys",
    "regenerateadminkey": "regenerate the admin keys",
    "regeneratesharedkey": "regenerate the keys",
    "regeneratepassword": "regenerate passwords",
    "listcredentials": "read the admin credentials",
    "generatecredentials": "generate credentials",
    "regeneratecredential": "regenerate credentials",
    "liststorageaccountkeys": "read the storage account keys",
    "listlogsasurl": "create SAS URLs",
}
"""A control-plane or data action whose verb (the segment before /action) hands out a secret."""

_SECRET_OPERATIONS = {
    "microsoft.keyvault/vaults/secrets/getsecret/action": "read secret values",
    "microsoft.keyvault/vaults/keys/release/action": "export keys",
    "microsoft.keyvault/vaults/certificates/release/action": "export certificates",
}

_ESCALATION_OPERATIONS = {
    "microsoft.authorization/roleassignments/write": "assign roles (grant anyone access)",
    "microsoft.authorization/roledefinitions/write": "create or change role definitions",
    "microsoft.authorization/elevateaccess/action": "elevate its own access",
    "microsoft.authorization/roleassignmentschedulerequests/write": "grant roles through PIM",
    "microsoft.authorization/roleeligibilityschedulerequests/write": "grant roles through PIM",
    "microsoft.keyvault/vaults/accesspolicies/write": "rewrite the vault's access policies",
    "microsoft.managedidentity/userassignedidentities/assign/action": "attach managed "
    "identities to resources",
    "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials/write": "let "
    "outside workloads act as a managed identity",
}

_READ_ACTION_PREFIXES = ("list", "check", "get", "read", "validate")
_READ_ACTION_VERBS = frozenset({"generateuserdelegationkey"})
"""Actions that change nothing and reveal no secret: a user delegation key signs SAS tokens
limited to what its holder's own data roles allow."""


def _verb(operation: str) -> str:
    parts = operation.split("/")
    return parts[-2] if parts[-1] == "action" and len(parts) > 2 else parts[-1]


@lru_cache(maxsize=65536)
def tier_of(operation: str, data: bool) -> Tier:
    """The tier of one operation (any case); remembered per (operation as spelled, plane): the
    catalogs' operations recur for every role measured."""
    lowered = operation.lower()
    verb = _verb(lowered)
    if lowered in _SECRET_OPERATIONS or (lowered.endswith("/action") and verb in _SECRET_VERBS):
        return Tier.SECRETS
    if lowered in _ESCALATION_OPERATIONS:
        return Tier.ESCALATION
    if data:
        return Tier.DATA_READ if lowered.endswith("/read") else Tier.DATA_WRITE
    if lowered.endswith("/read"):
        return Tier.CONTROL_READ
    if lowered.endswith("/action") and (
        verb.startswith(_READ_ACTION_PREFIXES) or verb in _READ_ACTION_VERBS
    ):
        return Tier.CONTROL_READ
    return Tier.CONTROL_WRITE


def what_it_lets(operation: str) -> str:
    """What a secret or escalation operation lets its holder do, in a few words."""
    lowered = operation.lower()
    return (
        _SECRET_OPERATIONS.get(lowered)
        or _ESCALATION_OPERATIONS.get(lowered)
        or _SECRET_VERBS.get(_verb(lowered))
        or operation
    )


class Verbs(IntEnum):
    """What a pattern grants on a provider without an operation catalog."""

    READ = 0
    WRITE = 1
    ACTION = 2
    ALL = 3

    @property
    def pattern(self) -> str:
        return ("*/read", "*/write", "*/action", "*")[self]

    @property
    def tier(self) -> Tier:
        """The worst tier this could reach, for the order only (never shown as a tier)."""
        return (Tier.CONTROL_READ, Tier.CONTROL_WRITE, Tier.SECRETS, Tier.SECRETS)[self]


def verbs_of(pattern: str) -> Verbs:
    lowered = pattern.strip().lower()
    if lowered.endswith("/read"):
        return Verbs.READ
    if lowered.endswith(("/write", "/delete")):
        return Verbs.WRITE
    if lowered.endswith("/action"):
        return Verbs.ACTION
    return Verbs.ALL


def _covers_provider(pattern: str, provider: str) -> bool:
    head = pattern.strip().lower().split("/", 1)[0]
    return "*" in pattern if "*" in head else head == provider


_NO_COUNTS = (0,) * len(Tier)


@dataclass(frozen=True)
class Risk:
    """What a role grants at one scope."""

    counts: tuple[int, ...] = _NO_COUNTS
    """Catalogued operations granted, by tier (index = Tier value)."""
    notable: tuple[str, ...] = ()
    """The secret and escalation operations granted (lower-case), sorted."""
    patterns: tuple[tuple[str, Verbs], ...] = ()
    """Providers present at the scope without an operation catalog, with the worst verbs the
    role's patterns grant there."""

    @property
    def tier(self) -> Tier | None:
        """The worst catalogued tier reached (None: no catalogued operation)."""
        for tier in reversed(Tier):
            if self.counts[tier]:
                return tier
        return None

    @property
    def pattern_verbs(self) -> Verbs | None:
        return max((verbs for _, verbs in self.patterns), default=None)

    @property
    def possible(self) -> int:
        """The worst tier this may reach, counting a pattern over an uncatalogued provider at
        the worst tier its verbs could mean (-1: nothing at all)."""
        known = -1 if self.tier is None else int(self.tier)
        verbs = self.pattern_verbs
        return max(known, -1 if verbs is None else int(verbs.tier))

    @property
    def key(self) -> tuple[object, ...]:
        verbs = self.pattern_verbs
        return (self.possible, tuple(reversed(self.counts)), -1 if verbs is None else int(verbs))

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def secret_or_escalation(self) -> bool:
        return bool(self.counts[Tier.SECRETS] or self.counts[Tier.ESCALATION])

    def __add__(self, other: Risk) -> Risk:
        patterns: dict[str, Verbs] = dict(self.patterns)
        for provider, verbs in other.patterns:
            patterns[provider] = max(verbs, patterns.get(provider, Verbs.READ))
        return Risk(
            tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)),
            tuple(sorted({*self.notable, *other.notable})),
            tuple(sorted(patterns.items())),
        )

    def without(self, operations: Iterable[Operation], providers: frozenset[str]) -> Risk:
        """This risk less the operations of a need (those the catalogs count at the scope):
        what the role adds beyond the need."""
        counts = list(self.counts)
        notable = set(self.notable)
        catalogs = provider_operations()
        for op in operations:
            lowered = op.name.lower()
            provider = lowered.split("/", 1)[0]
            if provider not in providers or provider not in catalogs:
                continue
            if lowered not in catalogs[provider][1 if op.data else 0]:
                continue
            tier = tier_of(lowered, op.data)
            if counts[tier] and (tier < Tier.ESCALATION or lowered in notable):
                counts[tier] -= 1
                notable.discard(lowered)
        return Risk(tuple(counts), tuple(sorted(notable)), self.patterns)

    def adds(self) -> str:
        """What this grants, as the rest of 'beyond the need it ...' ('' for nothing). Written
        once per risk: a table's risks are shared by every fix of the same role and scope
        providers (hundreds of projects' identities), and a risk is frozen."""
        found: str | None = self.__dict__.get("_adds")
        if found is None:
            found = self.__dict__["_adds"] = self._adds()
        return found

    def _adds(self) -> str:
        phrases: list[str] = []
        for tier in (Tier.SECRETS, Tier.ESCALATION):
            for op in self.notable:
                # Secret and escalation operations are known by name, in either plane.
                if tier_of(op, False) == tier:
                    phrase = what_it_lets(op)
                    if phrase not in phrases:
                        phrases.append(phrase)
        parts = []
        if phrases:
            shown = phrases[:4] + (["more"] if len(phrases) > 4 else [])
            parts.append("lets the holder " + _join(shown))
        lower = (Tier.CONTROL_WRITE, Tier.DATA_WRITE, Tier.DATA_READ, Tier.CONTROL_READ)
        rest = [f"{self.counts[tier]} {tier.words}" for tier in lower if self.counts[tier]]
        if rest:
            count = sum(self.counts[tier] for tier in lower)
            noun = "operation" if count == 1 else "operations"
            parts.append(f"grants {count} more {noun} ({', '.join(rest)})")
        return ", and ".join(parts)

    def describe(self) -> str:
        """The tier reached, as the fix says it (written once per risk, as adds)."""
        found: str | None = self.__dict__.get("_describe")
        if found is None:
            found = self.__dict__["_describe"] = self._describe()
        return found

    def _describe(self) -> str:
        if self.tier is None:
            text = "reaches no catalogued operation"
        else:
            text = f"reaches {self.tier.words}"
        if self.patterns:
            uncatalogued = ", ".join(f"{p} ({v.pattern})" for p, v in self.patterns)
            text += f"; ranked by pattern, no operation catalog for {uncatalogued}"
        return text


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class RiskTable:
    """Risks of roles at scopes, remembered per (role, provider) and per (role, providers)."""

    def __init__(self) -> None:
        self._by_provider: dict[tuple[str, str], Risk] = {}
        self._by_scope: dict[tuple[str, frozenset[str]], Risk] = {}
        self._everywhere: dict[str, tuple[object, ...]] = {}

    def of(self, role: RoleDefinition, providers: frozenset[str]) -> Risk:
        key = (role.id, providers)
        found = self._by_scope.get(key)
        if found is None:
            found = Risk()
            for provider in sorted(providers):
                found = found + self._at_provider(role, provider)
            self._by_scope[key] = found
        return found

    def everywhere(self, role: RoleDefinition) -> tuple[object, ...]:
        """A tie-break for roles equal at a scope: what the role grants over every catalog,
        then how many of its patterns reach providers the catalogs lack."""
        found = self._everywhere.get(role.id)
        if found is None:
            risk = self.of(role, frozenset(provider_operations()))
            known = provider_operations()
            outside = sum(
                1
                for data in (False, True)
                for pattern in role.patterns(data)
                if pattern.strip().split("/", 1)[0].lower() not in known
            )
            found = self._everywhere[role.id] = (*risk.key, outside)
        return found

    def _at_provider(self, role: RoleDefinition, provider: str) -> Risk:
        key = (role.id, provider)
        found = self._by_provider.get(key)
        if found is None:
            found = self._by_provider[key] = measured(role, provider)
        return found


_MEASURED: dict[tuple[tuple[PermissionBlock, ...], str], Risk] = {}
"""(a role's permission blocks, provider) -> its risk there."""
KEEP_MEASURED = 4096
"""At most this many risks are kept (then they are forgotten all at once)."""


def measured(role: RoleDefinition, provider: str) -> Risk:
    """_measure(role, provider), remembered per permission blocks: a risk depends on nothing
    else (the operation catalogs are the tool's own). So a run's plan and the whole-plan
    check's rounds (each its own RiskTable), and every run of a process (the terminal UI's
    re-runs, the MCP server, each building its model's definitions anew), measure a built-in
    role once. By the blocks, not the role's id: another snapshot may define the same id
    otherwise."""
    key = (role.blocks, provider)
    found = _MEASURED.get(key)
    if found is not None:
        return found
    risk = _measure(role, provider)
    if len(_MEASURED) >= KEEP_MEASURED:
        _MEASURED.clear()
    _MEASURED[key] = risk
    return risk


def _matching(operations: Sequence[str], patterns: Iterable[str]) -> set[str]:
    """The catalog's operations (sorted, lower case) that any of the patterns matches."""
    matched: set[str] = set()
    for pattern in patterns:
        # The operations a pattern can match start with its text before the first star: a
        # range found by bisection.
        glob = compile_glob(pattern)
        first, last, middle, least = glob
        low = bisect_left(operations, first)
        high = bisect_left(operations, first + "\U0010ffff", low)
        if least >= 0 and not last and not middle:
            # `prefix*` (`Microsoft.X/*`, `*`): every operation in the range matches it.
            matched.update(operations[low:high])
        else:
            matched.update(op for op in operations[low:high] if glob_matches(glob, op))
    return matched


def _measure(role: RoleDefinition, provider: str) -> Risk:
    catalog = provider_operations().get(provider)
    if catalog is None:
        verbs = [
            verbs_of(pattern)
            for data in (False, True)
            for pattern in role.patterns(data)
            if _covers_provider(pattern, provider)
        ]
        return Risk(patterns=((provider, max(verbs)),)) if verbs else Risk()
    counts = [0] * len(Tier)
    notable = []
    for data, operations in ((False, catalog[0]), (True, catalog[1])):
        matched = _matching(operations, role.patterns(data))
        # Without exclusions (notActions) in this plane, every operation an allowed pattern
        # matches is granted; with them, only an operation some exclusion matches may not be
        # (another block may still grant it): the per-operation test is needed for those only.
        excluded = _matching(operations, [p for block in role.blocks for p in block.excludes(data)])
        for operation in sorted(matched):
            if operation in excluded and block_pattern(role.blocks, operation, data) is None:
                continue
            tier = tier_of(operation, data)
            counts[tier] += 1
            if tier >= Tier.ESCALATION:
                notable.append(operation)
    return Risk(tuple(counts), tuple(sorted(notable)))
