"""Run checks over a model: requirements become findings, and a shortfall gets the fixes of the
plan step it is given.

The engine evaluates each requirement and turns a shortfall into a finding (a Need, many
people's requirement at once, is met in bulk for those who plainly hold it, diagnose.engine.
needs, and evaluated as a Requirement for each of the others); which fixes the
finding carries is the plan step's answer (`FixPlanner`: diagnose.remediation.plan.FixPlan
chooses, proves and renders them). The engine takes it as a parameter, so it never imports
the layer above it; without one, findings carry only the fixes a check stated itself.

A check that raises is reported as an error for that check; every other check still runs.
When the snapshot cannot say who holds which role on its target (see basis.py), a check about
people answers `unknown` instead of passing with nothing asked, and a missing grant is reported
as `unknown`, never as a failure with a fix.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from diagnose.bulk import bulk_allocation
from diagnose.engine.api import (
    AffectedPrincipal,
    Cause,
    CheckInfo,
    Draft,
    Finding,
    Need,
    Operation,
    Remediation,
    Requirement,
    Status,
)
from diagnose.engine.basis import Basis
from diagnose.engine.context import CheckContext, describe
from diagnose.engine.needs import Needs, stated
from diagnose.engine.personas import Declarations, Persona
from diagnose.engine.requirements import RequirementOutcome, evaluate, unfounded
from diagnose.engine.shared import SharedShortfall, Shortfall, combine, group_shortfalls
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator


class FixPlanner(Protocol):
    """The plan step as the engine sees it: the fixes of one run's findings."""

    def requirement_fixes(
        self, requirement: Requirement, outcome: RequirementOutcome
    ) -> tuple[list[Remediation], str]:
        """The fixes for a requirement that is not met, and a note for the finding's message
        ('' for none)."""
        ...

    def draft_fixes(
        self, info: CheckInfo, draft: Draft, still_failing: Callable[[Model], bool]
    ) -> list[Remediation]:
        """The fixes of a finding a check yielded; `still_failing(patched)` re-runs the check
        on a changed copy of the model and says whether the finding remains."""
        ...


class NoFixes:
    """No plan step: a shortfall gets no fix, a check's own fixes stay as it stated them."""

    def __init__(self, model: Model, evaluator: Evaluator) -> None:
        del model, evaluator

    def requirement_fixes(
        self, requirement: Requirement, outcome: RequirementOutcome
    ) -> tuple[list[Remediation], str]:
        return [], ""

    def draft_fixes(
        self, info: CheckInfo, draft: Draft, still_failing: Callable[[Model], bool]
    ) -> list[Remediation]:
        return list(draft.remediations)


MetKey = tuple[str, str, tuple[Operation, ...], bool]
"""A requirement as far as whether it is met: (principal id, scope, operations, built-in roles
only)."""

BulkMet = dict[tuple[str, tuple[Operation, ...], bool], frozenset[str]]
"""(scope, operations, built-in roles only) -> the principal ids met in bulk there (Needs.met)."""


@dataclass(frozen=True)
class Met:
    """The requirements a run found met, as it found them (Engine.met): those evaluated one by
    one as keys, those met in bulk as a set of ids per scope and operations, never spelled out
    as a key each (tens of thousands in a large hub: met_keys). The same keys as met_keys."""

    keys: frozenset[MetKey]
    bulk: BulkMet

    def __contains__(self, key: object) -> bool:
        if key in self.keys:
            return True
        if not isinstance(key, tuple) or len(key) != 4:
            return False
        ids = self.bulk.get(key[1:])
        return ids is not None and key[0] in ids

    def __iter__(self) -> Iterator[MetKey]:
        yield from self.keys
        for (scope, operations, builtin_only), ids in self.bulk.items():
            for i in ids:
                key = (i, scope, operations, builtin_only)
                if key not in self.keys:
                    yield key


FixPlannerFactory = Callable[[Model, Evaluator], FixPlanner]
"""What the engine is given: it builds the run's planner from its model and evaluator, e.g.
diagnose.remediation.plan.FixPlan."""


@dataclass(frozen=True)
class CheckError:
    check_id: str
    title: str
    error: str


@dataclass(frozen=True)
class RunResult:
    checks: tuple[CheckInfo, ...]
    findings: tuple[Finding, ...]
    check_errors: tuple[CheckError, ...]
    requirements: int
    """Requirements evaluated."""
    met: int
    """Requirements fully met (no finding)."""
    unknown_because: str = ""
    """Why checks about who holds which role cannot be decided ("" when they can)."""


class Engine:
    def __init__(
        self,
        model: Model,
        *,
        creator: str | None = None,
        fixes: FixPlannerFactory = NoFixes,
        declarations: Declarations | None = None,
        evaluator: Evaluator | None = None,
        known_met: Iterable[MetKey] | Met = (),
    ) -> None:
        """`evaluator`: one over this model's authorization that shares what roles grant with
        an earlier run's (Evaluator.derived), for a run on a changed copy of a snapshot.
        `known_met`: requirements (`met_keys`) an earlier run found met that this model cannot
        have changed (their principals' assignments, and their groups', are the same), so they
        are not evaluated again; a Met (Engine.met) is taken as it is, its bulk sets asked."""
        self.model = model
        self.creator = creator
        self.declarations = declarations
        self.evaluator = evaluator or Evaluator(model.authorization)
        self.context = CheckContext(
            model, creator=creator, evaluator=self.evaluator, declarations=declarations
        )
        self.fixes = fixes(model, self.evaluator)
        self.basis = Basis(self.context)
        if isinstance(known_met, Met):
            self._met: set[MetKey] = set(known_met.keys)
            self._known_bulk: BulkMet = known_met.bulk
        else:
            self._met = set(known_met)
            self._known_bulk = {}
        self.needs = Needs(self.evaluator, self.context.collected_at)

    @property
    def met_keys(self) -> frozenset[MetKey]:
        """The requirements this engine found met, as (principal id, scope, operations,
        built-in roles only): what a run on a changed copy may take as known (`known_met`).
        Those of needs met in bulk too, as if each had been a Requirement."""
        met = self.met
        keys = set(met.keys)
        for (scope, operations, builtin_only), ids in met.bulk.items():
            keys.update((i, scope, operations, builtin_only) for i in ids)
        return frozenset(keys)

    @property
    def met(self) -> Met:
        """The requirements this engine found met (or was given as known), as met_keys, with
        those met in bulk kept as sets of ids (what a whole-plan round is given: spelling
        them out as keys, then filtering and copying those, cost more than the round's
        look-ups of them)."""
        bulk = dict(self._known_bulk)
        for ids, scope, operations, builtin_only in self.needs.met:
            key = (scope, operations, builtin_only)
            known = bulk.get(key)
            bulk[key] = ids if known is None else known | ids
        return Met(frozenset(self._met), bulk)

    def run(self, checks: Iterable[CheckInfo]) -> RunResult:
        # A run makes hundreds of thousands of small acyclic objects; cyclic collections
        # meanwhile would rescan the whole snapshot heap each time.
        with bulk_allocation(lasting=True):
            return self._run(tuple(checks))

    def _run(self, checks: tuple[CheckInfo, ...]) -> RunResult:
        findings: list[Finding] = []
        errors: list[CheckError] = []
        requirements = met = 0
        for info in checks:
            try:  # a broken check, or a fix it asks for that cannot be built, spares the others
                found, stated, satisfied = self._one_check(info)
            except Exception as exc:
                errors.append(CheckError(info.id, info.title, _describe_exception(exc)))
                continue
            findings += found
            requirements += stated
            met += satisfied
        findings.sort(key=lambda f: f.sort_key)
        return RunResult(
            checks, tuple(findings), tuple(errors), requirements, met, self.basis.summary
        )

    def _one_check(self, info: CheckInfo) -> tuple[list[Finding], int, int]:
        """One check's findings, requirements stated and requirements met. Nothing of a check
        that fails part-way is kept: half a result would read as a whole one."""
        findings: list[Finding] = []
        shortfalls: list[Shortfall] = []
        requirements = met = 0
        self.context.consulted.clear()
        self.context.asked_about_creator = False
        focused = self.declarations is not None and bool(self.declarations.focus)
        for output in list(info.run(self.context)):
            outputs: Sequence[object] = [output]
            if isinstance(output, Need):
                # Those who plainly hold it are met in bulk; the others' Requirements take
                # the exact path below. In focus, each is told in focus or not first.
                if focused:
                    outputs = [stated(output, user) for user in output.users]
                elif not output.users:  # a whole-plan round's need narrowed to no one
                    continue
                else:
                    in_bulk, outputs = self.needs.split(output)
                    requirements += in_bulk
                    met += in_bulk
            for item in outputs:
                if focused and not self._in_focus(item):
                    continue
                if isinstance(item, Requirement):
                    requirements += 1
                    outcome = self.shortfall(item, explain=False)
                    if outcome is None:
                        met += 1
                    else:
                        shortfalls.append((item, outcome))
                elif isinstance(item, Draft):
                    findings.append(self.draft_finding(info, item))
                else:
                    raise TypeError(
                        f"yielded {type(item).__name__}, not a Requirement, Need or Draft"
                    )
        # People missing the same grant share a finding; fixes are planned only for those who
        # stand for the others (a group for its members), not once per person.
        for item in group_shortfalls(shortfalls, self.model.authorization.directory):
            if isinstance(item, SharedShortfall):
                stands = [self._explained(info, stand.shortfall[0]) for stand in item.stands]
                findings.append(combine(item, stands))
            else:
                findings.append(self._explained(info, item[0]))
        unknown = self._whom_unknown(info)
        if unknown is not None:
            findings.append(unknown)
        return findings, requirements, met

    def _in_focus(self, output: object) -> bool:
        """With `--principal`, whether a check's output is about the principals in focus: their
        requirements, those of service identities (whose work theirs depends on), the
        --creator's, and findings about a resource rather than a person. Other people's are
        left out, whichever way the check found them (members, eligibilities, orphans)."""
        focus = self.declarations.focus if self.declarations is not None else ()
        if not focus or not isinstance(output, Requirement | Draft):
            return True
        principal = output.principal
        if principal is None:
            return True
        if any(p.id == principal.id for p in focus) or principal.id == self.creator:
            return True
        if output.persona is not None:
            return output.persona.persona is Persona.SERVICE_IDENTITY
        return self.context.personas.service_identity(principal.id) is not None

    def _whom_unknown(self, info: CheckInfo) -> Finding | None:
        """An `unknown` finding for a check about people when the snapshot cannot say who they
        are: its target is missing, or the role assignments on a workspace it asked about were
        not all read. Otherwise it would pass having asked about nobody, or too few."""
        missing = self.basis.target_missing
        if missing is not None and (info.people or self.context.asked_about_creator):
            hub = str(self.model.snapshot.target.get("hub") or "/")
            return self._unknown_finding(info, hub, missing, [])
        doubts: dict[str, list[str]] = {}
        for resource in self.context.consulted.values():
            doubt = self.basis.doubt(resource.id)
            if doubt is not None:
                doubts.setdefault(doubt, []).append(resource.id)
        if not doubts:
            return None
        scopes = [scope for ids in doubts.values() for scope in ids]
        return self._unknown_finding(info, scopes[0], "; ".join(doubts), scopes)

    def _unknown_finding(
        self, info: CheckInfo, resource: str, reason: str, scopes: list[str]
    ) -> Finding:
        places = [describe(r) for r in map(self.model.resource, scopes) if r is not None]
        about = (
            f" (the principals holding a role on {', '.join(places[:3])}"
            + (f" and {len(places) - 3} more)" if len(places) > 3 else ")")
            if places
            else ""
        )
        return Finding(
            check_id=info.id,
            title=info.title,
            severity=info.severity,
            status=Status.UNKNOWN,
            resource=resource,
            principal=None,
            cause=Cause.UNREADABLE,
            message=f"Whom this check is about{about} cannot be told: {reason}. Any other "
            "finding of this check covers only the principals the snapshot shows.",
            scenario=info.scenario,
            docs=info.docs,
            details={"basis": "unknown", "scopes": sorted(s.lower() for s in scopes)},
        )

    # -- requirements ----------------------------------------------------------------------
    def requirement_finding(self, info: CheckInfo, requirement: Requirement) -> Finding | None:
        """The finding of one requirement: None when it is met."""
        outcome = self.shortfall(requirement)
        return None if outcome is None else self._finding(info, requirement, outcome)

    def shortfall(
        self, requirement: Requirement, *, explain: bool = True
    ) -> RequirementOutcome | None:
        """How a requirement is not met (None when it is), as the snapshot can vouch for it.
        explain=False leaves near misses out of the evidence (see requirements.evaluate)."""
        # The same principal, scope and operations recur (one user, several connections to the
        # same resource): a requirement met once is met every time.
        key = (
            requirement.principal.id,
            requirement.scope or requirement.resource.id,  # target_scope, inlined: a hot path
            requirement.operations,
            requirement.builtin_roles_only,
        )
        if key in self._met:
            return None
        if self._known_bulk:
            ids = self._known_bulk.get(key[1:])
            if ids is not None and key[0] in ids:
                self._met.add(key)
                return None
        outcome = evaluate(requirement, self.evaluator, self.context.collected_at, explain=explain)
        if outcome.met:
            self._met.add(key)
            return None
        if outcome.cause in (Cause.MISSING_ROLE, Cause.ELIGIBLE_ONLY):
            # A grant that cannot be seen is not a grant that is missing.
            doubt = self.basis.doubt(requirement.target_scope)
            if doubt is not None:
                outcome = unfounded(requirement, outcome, doubt)
        return outcome

    def _explained(self, info: CheckInfo, requirement: Requirement) -> Finding:
        """The finding of a shortfall, its evidence with near misses (evaluated again: the
        evaluator remembers the rest)."""
        outcome = self.shortfall(requirement)
        assert outcome is not None
        return self._finding(info, requirement, outcome)

    def _finding(
        self, info: CheckInfo, requirement: Requirement, outcome: RequirementOutcome
    ) -> Finding:
        assert outcome.status is not None and outcome.cause is not None
        remediations, note = self.fixes.requirement_fixes(requirement, outcome)
        message = " ".join(part for part in (outcome.message, requirement.note, note) if part)
        return Finding(
            check_id=info.id,
            title=info.title,
            severity=requirement.severity or info.severity,
            status=outcome.status,
            resource=requirement.resource.id,
            principal=requirement.principal,
            message=message,
            cause=outcome.cause,
            evidence=outcome.decisions,
            remediations=tuple(remediations),
            scenario=info.scenario,
            docs=info.docs,
            persona=requirement.persona,
            affected_principals=(AffectedPrincipal.of(requirement.principal, requirement.persona),),
            details={
                "because": requirement.because,
                "scope": requirement.target_scope,
                "operations": [
                    {"name": op.name, "dataAction": op.data} for op in requirement.operations
                ],
            },
        )

    # -- findings a check yields directly ------------------------------------------------------
    def draft_finding(self, info: CheckInfo, draft: Draft) -> Finding:
        fixes = self.fixes.draft_fixes(
            info, draft, lambda patched: self._still_failing(info, draft, patched)
        )
        return Finding(
            check_id=info.id,
            title=info.title,
            severity=draft.severity or info.severity,
            status=draft.status,
            resource=draft.resource,
            principal=draft.principal,
            message=draft.message,
            cause=draft.cause,
            evidence=draft.evidence,
            remediations=tuple(fixes),
            scenario=info.scenario,
            docs=info.docs,
            details=dict(draft.details),
            persona=draft.persona,
            affected_principals=(
                (AffectedPrincipal.of(draft.principal, draft.persona),) if draft.principal else ()
            ),
        )

    def _still_failing(self, info: CheckInfo, draft: Draft, patched: Model) -> bool:
        context = CheckContext(
            patched,
            creator=self.creator,
            evaluator=self.evaluator.derived(patched.authorization),
            declarations=self.declarations,
        )
        # what the run worked out from the resources alone holds on a copy that only adds a
        # Cosmos DB SQL role assignment (prove_cosmos): the agent setups of every project
        context.share_resources(self.context)
        key = _draft_key(draft)
        try:
            outputs = list(info.run(context))
        except Exception:
            return True
        return any(isinstance(o, Draft) and _draft_key(o) == key for o in outputs)


def _draft_key(draft: Draft) -> tuple[str, str, Cause, Status]:
    return (
        draft.resource.lower(),
        draft.principal.id if draft.principal else "",
        draft.cause,
        draft.status,
    )


def _describe_exception(exc: Exception) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"
