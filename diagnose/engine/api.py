"""The public API for check modules, built-in or from another package.

A check is a function decorated with @check. It receives a CheckContext (typed views of the
snapshot, never Azure SDK types) and yields:

- Requirement: "principal P needs operations O on resource R because of scenario Z". The engine
  evaluates it with the RBAC evaluator, explains a shortfall with the evaluator's evidence, plans
  the least-privileged fix and proves it on a copy of the snapshot.
- Need: many people need the same operations on one resource (the people of a workspace, the
  users of a connection): the engine answers it for all of them at once and states a
  Requirement (its `state`) only for those who may fall short.
- Draft: a finding for what roles cannot express (a switch, an identity that is not enabled);
  the engine adds the check's id, title and severity and proves any configuration fix by
  re-running the check on a copy of the snapshot with the setting changed.

The function's docstring has three fixed sections, printed by `diagnose explain-check ID`:

    What it checks: ...
    Why it matters: ...
    How to fix: ...
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import re
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Union

from diagnose.bulk import fast_init
from diagnose.engine.errortexts import ErrorText as ErrorText  # part of the check API

if TYPE_CHECKING:
    from diagnose.engine.context import CheckContext
    from diagnose.engine.personas import Classification
    from diagnose.model.resources import Resource
    from diagnose.rbac.decision import Decision
    from diagnose.rbac.evaluator import Holder


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Status(StrEnum):
    FAIL = "fail"
    WARN = "warn"
    UNKNOWN = "unknown"
    INFO = "info"

    @property
    def rank(self) -> int:
        return list(Status).index(self)


class Cause(StrEnum):
    """Why a finding exists, in one word a script can filter on."""

    MISSING_ROLE = "missingRole"
    ELIGIBLE_ONLY = "eligibleOnly"
    DENY_ASSIGNMENT = "denyAssignment"
    CONDITIONAL = "conditional"
    PROPAGATION = "propagation"
    UNREADABLE = "unreadable"
    CONFIGURATION = "configuration"
    IDENTITY = "identity"
    OUTSIDE_ARM = "outsideArm"
    ORPHANED = "orphaned"


TYPE_WORDS = {"user": "user", "group": "group", "serviceprincipal": "service principal"}


@fast_init
@dataclass(frozen=True)
class PrincipalRef:
    id: str
    type: str
    """User | Group | ServicePrincipal (managed identities are ServicePrincipal)."""
    display_name: str | None = None
    description: str | None = field(default=None, metadata={"omit_none": True})
    """How to name it when its display name is not enough, e.g. "the managed identity of
    Search service 'srch'" or "the user-assigned identity 'id-hub'"."""

    @property
    def label(self) -> str:
        if self.description:
            return self.description
        name = self.display_name or self.id
        word = TYPE_WORDS.get(self.type.lower(), self.type.lower())
        return f"{word} {name}" if word else name


@dataclass(frozen=True)
class Operation:
    name: str
    data: bool = False
    """True for a data action (DataActions), False for a control-plane action (Actions)."""

    _hash: ClassVar[int]
    """The instance's hash (set in __post_init__, not a field): operations are hashed in the
    key of every requirement met, hundreds of thousands in a run, so the hash of (name, data)
    is computed once rather than from a new tuple each time."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.name, self.data)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, ...]:
        # A string's hash differs between processes: a copy made elsewhere computes its own.
        return (Operation, (self.name, self.data))

    @classmethod
    def action(cls, name: str) -> Operation:
        return cls(name, False)

    @classmethod
    def data_action(cls, name: str) -> Operation:
        return cls(name, True)


@dataclass(frozen=True, init=False)
class Requirement:
    """Principal P needs operations O on resource R, because of a scenario."""

    principal: PrincipalRef
    resource: Resource
    operations: tuple[Operation, ...]
    because: str
    """Plain words, e.g. "uses the Entra ID connection 'aoai' of project 'p1'"."""
    roles: tuple[str, ...] = ()
    """Role definition GUIDs the docs name for this scenario, most preferred first."""
    scope: str | None = None
    """Where to evaluate and assign, when not the resource itself (e.g. its resource group)."""
    severity: Severity | None = None
    """Overrides the check's severity for this requirement."""
    status_if_missing: Status = Status.FAIL
    subject: str | None = None
    """A short name of who/what is affected, when the principal alone does not say it."""
    builtin_roles_only: bool = False
    """Only a built-in role's grant counts (Azure lets no custom role create a hub)."""
    persona: Classification | None = None
    """For a requirement on a person: the persona that puts it on them (builder, administrator)
    and its evidence, shown with the finding."""
    note: str = ""
    """A sentence the finding's message ends with, e.g. why a shortfall is only a warning."""

    def __init__(
        self,
        principal: PrincipalRef,
        resource: Resource,
        operations: tuple[Operation, ...],
        because: str,
        roles: tuple[str, ...] = (),
        scope: str | None = None,
        severity: Severity | None = None,
        status_if_missing: Status = Status.FAIL,
        subject: str | None = None,
        builtin_roles_only: bool = False,
        persona: Classification | None = None,
        note: str = "",
    ) -> None:
        # The generated frozen __init__ sets each field through object.__setattr__ (2.8 us a
        # requirement); the checks state one per person and connection, 100,000 in a large
        # tenant, so the fields go into the instance's dict at once (0.6 us). Same fields,
        # order and defaults as declared above.
        self.__dict__.update(
            principal=principal,
            resource=resource,
            operations=operations,
            because=because,
            roles=roles,
            scope=scope,
            severity=severity,
            status_if_missing=status_if_missing,
            subject=subject,
            builtin_roles_only=builtin_roles_only,
            persona=persona,
            note=note,
        )

    @property
    def target_scope(self) -> str:
        return self.scope or self.resource.id


class RemediationKind(StrEnum):
    """What a fix does; the value is the report's `kind` (report-v1.schema.json)."""

    ROLE_ASSIGNMENT = "roleAssignment"
    ACTIVATE_ELIGIBLE = "activateEligible"
    CONFIGURATION = "configuration"
    REMOVE_ASSIGNMENT = "removeAssignment"
    COSMOS_SQL_ROLE_ASSIGNMENT = "cosmosSqlRoleAssignment"
    """A Cosmos DB SQL role assignment (data plane, not Azure RBAC): principal_id,
    role_definition_id (the SQL role definition), resource (the account), scope (a path in it);
    see diagnose.remediation.cosmos."""


class Commands(Mapping[str, str]):
    """A fix's text in each fix language (diagnose.remediation.languages), keyed by the
    language's key ("azureCli", "powershell", ...) in the languages' order, which is the order
    of the report's `commands` object. Read-only. An attribute reads the key it spells in
    snake_case: `commands.azure_cli` is `commands["azureCli"]`."""

    __slots__ = ("_texts",)
    _texts: dict[str, str]

    def __init__(self, texts: Mapping[str, str]) -> None:
        object.__setattr__(self, "_texts", dict(texts))

    def __getitem__(self, key: str) -> str:
        return self._texts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def items(self) -> ItemsView[str, str]:
        # the dict's own view (read-only too): Mapping's walks the keys and looks each up,
        # for every fix of a report written
        return self._texts.items()

    def __getattr__(self, name: str) -> str:
        head, *rest = name.split("_")
        key = head + "".join(part[:1].upper() + part[1:] for part in rest)
        if name.startswith("_") or key not in self._texts:
            raise AttributeError(name)
        return self._texts[key]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Commands are read-only: cannot set {name}")

    def __hash__(self) -> int:
        return hash(tuple(self._texts.items()))

    def __repr__(self) -> str:
        return f"Commands({self._texts!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Commands, (self._texts,))


@fast_init
@dataclass(frozen=True)
class Remediation:
    """One fix, structured, with commands."""

    kind: RemediationKind
    summary: str
    principal_id: str | None = None
    principal_type: str | None = None
    role_definition_id: str | None = None
    """The role's GUID."""
    role_name: str | None = None
    scope: str | None = None
    resource: str | None = None
    """configuration: the ARM id of the resource (or deny assignment) to change."""
    setting: str | None = None
    """configuration: the property path, e.g. properties.authOptions."""
    value: Any = None
    """configuration: the value to set (JSON)."""
    commands: Commands | None = None
    verified: bool = False
    verification: str = ""
    """How the fix was proven (or why it could not be)."""
    alternative_to: str | None = field(default=None, metadata={"omit_none": True})
    """The fix_id of the default fix this one is an alternative to ("choose one": a role at
    the group vs per person, a built-in vs a custom role); None for a default."""
    who_can_run: tuple[Holder, ...] = field(default=(), metadata={"json": False})

    @property
    def dedupe_key(self) -> tuple[Any, ...]:
        # Asked thousands of times of the same fixes (the whole-plan check's rounds, the
        # report's plan): kept in the instance once made, except for a configuration change,
        # whose key reads its (JSON, mutable) value.
        found: tuple[Any, ...] | None = self.__dict__.get("_dedupe_key")
        if found is None:
            found = self._key()
            if self.kind != RemediationKind.CONFIGURATION:
                self.__dict__["_dedupe_key"] = found
        return found

    def _key(self) -> tuple[Any, ...]:
        if self.kind == RemediationKind.CONFIGURATION:
            return (self.kind, (self.resource or "").lower(), self.setting, repr(self.value))
        if self.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT:
            # Cosmos DB database and container ids are case-sensitive: /dbs/Memory is not
            # /dbs/memory, so the path keeps its case.
            return (
                self.kind,
                (self.principal_id or "").lower(),
                (self.role_definition_id or "").lower(),
                self.scope or "",
            )
        return (
            self.kind,
            (self.principal_id or "").lower(),
            (self.role_definition_id or "").lower(),
            (self.scope or "").lower(),
        )

    @property
    def fix_id(self) -> str:
        """A stable id of the change (the same change has the same id in every run and every
        finding): what `alternativeTo` refers to."""
        found: str | None = self.__dict__.get("_fix_id")
        if found is None:
            text = "|".join(str(part) for part in self.dedupe_key)
            found = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
            if self.kind != RemediationKind.CONFIGURATION:
                self.__dict__["_fix_id"] = found
        return found

    def changed(self, **changes: Any) -> Remediation:
        """`dataclasses.replace(self, **changes)`, without replace's checks of each field
        (~5 us a call; the planner and the whole-plan check make thousands of copies a run):
        a plain frozen dataclass (no __post_init__, no field left out of __init__, no
        __slots__; tests/test_whole_plan_verdict.py fails otherwise), so its fields copied
        with these set are replace's value. Only the fields are copied, not what dedupe_key
        and fix_id keep in the instance, as replace."""
        if type(self) is not Remediation:
            return dataclasses.replace(self, **changes)
        given = self.__dict__
        copied = object.__new__(Remediation)
        fields = copied.__dict__
        for name in _REMEDIATION_FIELDS:
            fields[name] = given[name]
        for name, value in changes.items():
            if name not in fields:
                raise TypeError(f"Remediation has no field {name!r}")
            fields[name] = value
        return copied


_REMEDIATION_FIELDS = tuple(f.name for f in dataclasses.fields(Remediation))


@dataclass(frozen=True)
class AffectedPrincipal:
    """One principal a finding is about (a finding may stand for several who miss the same
    grant), with its persona where the finding's check judged one."""

    id: str
    type: str
    display_name: str | None = None
    persona: str | None = field(default=None, metadata={"omit_none": True})
    """reader | builder | administrator | serviceIdentity (diagnose.engine.personas)."""
    declared: str | None = field(default=None, metadata={"omit_none": True})
    """Where the persona was declared (--principal, --personas FILE); None: the roles made it."""

    @classmethod
    def of(
        cls, principal: PrincipalRef, persona: Classification | None = None
    ) -> AffectedPrincipal:
        return cls(
            principal.id,
            principal.type,
            principal.display_name,
            persona.persona.value if persona is not None else None,
            persona.declared if persona is not None else None,
        )


@fast_init
@dataclass(frozen=True)
class Finding:
    check_id: str
    title: str
    severity: Severity
    status: Status
    resource: str
    principal: PrincipalRef | None
    message: str
    cause: Cause
    evidence: tuple[Decision, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    scenario: str = ""
    docs: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    """Extra facts a check wants to show (settings it read, the connection involved)."""
    persona: Classification | None = field(default=None, metadata={"omit_none": True})
    """Who the principal is to the workspace (builder, administrator, ...) and why, when the
    check judged it: the reason a missing role is a failure or only a warning."""
    affected_principals: tuple[AffectedPrincipal, ...] = ()
    """Every principal the finding stands for: the principal alone, or the members of the
    group (and the other people) missing the same grant, listed once with one fix."""

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.status.rank,
            self.severity.rank,
            self.check_id,
            self.resource.lower(),
            self.principal.id if self.principal else "",
            self.message,
        )


@dataclass(frozen=True, slots=True)
class Need:
    """Many people need the same operations on the same resource: the people of a workspace,
    or the users of a connection, stated once instead of as a Requirement each (a large hub has
    hundreds of thousands). The engine answers it for all of them with set operations over who
    plainly holds the operations there (diagnose.engine.needs) and builds a person's
    Requirement, with `state`, only for those who may fall short: their findings, evidence and
    fixes are exactly their Requirements'.

    Every user is asked: `state(user)` returns that user's Requirement, for the user's
    principal and this resource, scope, operations and builtin_roles_only (the engine checks
    it). `state` is called after the check has yielded everything, so it must not read loop
    variables that change meanwhile (functools.partial binds them)."""

    users: Sequence[Classification]
    resource: Resource
    operations: tuple[Operation, ...]
    state: Callable[[Classification], Requirement]
    scope: str | None = None
    builtin_roles_only: bool = False

    @property
    def target_scope(self) -> str:
        return self.scope or self.resource.id


CheckOutput = Iterable[Union[Requirement, "Draft", Need]]


@dataclass(frozen=True)
class Draft:
    """A finding a check yields directly; the engine fills in the check's id, title, etc."""

    status: Status
    resource: str
    message: str
    cause: Cause
    principal: PrincipalRef | None = None
    remediations: tuple[Remediation, ...] = ()
    severity: Severity | None = None
    details: dict[str, Any] = field(default_factory=dict)
    persona: Classification | None = None
    """For a finding about a person: its persona (e.g. a key path warning for a builder)."""
    evidence: tuple[Decision, ...] = ()
    """The decisions the check made its answer from, when it evaluated access itself (Cosmos DB
    SQL role assignments, which are not Azure RBAC): shown with the finding as a requirement's
    are."""


SECTION_TITLES = ("What it checks", "Who needs it", "Why it matters", "How to fix")
"""The sections of a check's docstring, in order, as `diagnose explain-check` prints them.
"Who needs it" says who must hold what and which persona makes a shortfall a failure or a
warning; every built-in check has it (tests/test_checks_meta.py), a plug-in may leave it out."""
OPTIONAL_SECTIONS = frozenset({"Who needs it"})
_ID = re.compile(r"^[A-Z]{2,5}\d{3}$")


@dataclass(frozen=True)
class CheckInfo:
    id: str
    title: str
    severity: Severity
    scenario: str
    docs: tuple[str, ...]
    sections: dict[str, str]
    run: Callable[[CheckContext], CheckOutput] = field(compare=False, repr=False)
    people: bool = False
    """The check is about the people who use the hub and its projects (members, users of a
    connection), found in the role assignments: when the snapshot lacks its target it answers
    `unknown`, never a pass with nothing asked."""
    explains: tuple[ErrorText, ...] = ()
    """The error messages whose usual cause this check looks at (`diagnose explain`)."""

    @property
    def area(self) -> str:
        return re.sub(r"\d+$", "", self.id)


def parse_sections(doc: str, where: str) -> dict[str, str]:
    text = inspect.cleandoc(doc or "")
    found: dict[str, str] = {}
    pattern = re.compile(r"^(" + "|".join(SECTION_TITLES) + r"):\s*", re.MULTILINE)
    matches = list(pattern.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = " ".join(text[match.end() : end].split())
        found[match.group(1)] = body[:1].upper() + body[1:]
    missing = [t for t in SECTION_TITLES if not found.get(t) and t not in OPTIONAL_SECTIONS]
    if missing:
        raise ValueError(f"{where}: docstring lacks section(s) {', '.join(missing)}")
    return found


def check(
    *,
    id: str,
    title: str,
    severity: Severity,
    scenario: str,
    docs: tuple[str, ...] = (),
    people: bool = False,
    explains: tuple[ErrorText, ...] = (),
) -> Callable[[Callable[[CheckContext], CheckOutput]], CheckInfo]:
    """Declare a check. The decorated function becomes a CheckInfo. `people=True` marks a
    check about the members and users of the hub and its projects (see CheckInfo.people);
    `explains` names the error texts whose usual cause it looks at (diagnose.engine.errortexts),
    so `diagnose explain` recognises them and runs it."""
    if not _ID.match(id):
        raise ValueError(f"check id {id!r} must be an area prefix and three digits, e.g. HUB001")

    def wrap(function: Callable[[CheckContext], CheckOutput]) -> CheckInfo:
        sections = parse_sections(function.__doc__ or "", f"check {id}")
        return CheckInfo(
            id, title, severity, scenario, tuple(docs), sections, function, people, tuple(explains)
        )

    return wrap
