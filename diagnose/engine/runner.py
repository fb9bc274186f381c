"""Run checks over a model: requirements become findings with proven fixes.

A check that raises is reported as an error for that check; every other check still runs.
When the snapshot cannot say who holds which role on its target (see basis.py), a check about
people answers `unknown` instead of passing with nothing asked, and a missing grant is reported
as `unknown`, never as a failure with a fix.
"""

from __future__ import annotations

import dataclasses
import json
import traceback
from collections.abc import Iterable
from dataclasses import dataclass

from diagnose.bulk import bulk_allocation
from diagnose.engine.api import (
    Cause,
    CheckInfo,
    Commands,
    Draft,
    Finding,
    Remediation,
    RemediationKind,
    Requirement,
    Status,
)
from diagnose.engine.basis import Basis
from diagnose.engine.context import CheckContext, describe, describe_scope
from diagnose.engine.requirements import RequirementOutcome, evaluate, unfounded
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.planner import Planner
from diagnose.remediation.proof import prove_configuration, prove_requirement


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
    def __init__(self, model: Model, *, creator: str | None = None) -> None:
        self.model = model
        self.creator = creator
        self.evaluator = Evaluator(model.authorization)
        self.context = CheckContext(model, creator=creator, evaluator=self.evaluator)
        self.planner = Planner(self.evaluator)
        self.basis = Basis(self.context)
        self._proofs: dict[tuple[object, ...], bool] = {}
        self._commands: dict[str, Commands] = {}
        self._met: set[tuple[object, ...]] = set()

    def run(self, checks: Iterable[CheckInfo]) -> RunResult:
        # A run makes hundreds of thousands of small acyclic objects; cyclic collections
        # meanwhile would rescan the whole snapshot heap each time.
        with bulk_allocation():
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
        return RunResult(checks, tuple(findings), tuple(errors), requirements, met,
                         self.basis.summary)

    def _one_check(self, info: CheckInfo) -> tuple[list[Finding], int, int]:
        """One check's findings, requirements stated and requirements met. Nothing of a check
        that fails part-way is kept: half a result would read as a whole one."""
        findings: list[Finding] = []
        requirements = met = 0
        self.context.consulted.clear()
        self.context.asked_about_creator = False
        for output in list(info.run(self.context)):
            if isinstance(output, Requirement):
                requirements += 1
                finding = self.requirement_finding(info, output)
                if finding is None:
                    met += 1
                else:
                    findings.append(finding)
            elif isinstance(output, Draft):
                findings.append(self.draft_finding(info, output))
            else:
                raise TypeError(f"yielded {type(output).__name__}, not a Requirement or Draft")
        unknown = self._whom_unknown(info)
        if unknown is not None:
            findings.append(unknown)
        return findings, requirements, met

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

    def _unknown_finding(self, info: CheckInfo, resource: str, reason: str,
                         scopes: list[str]) -> Finding:
        places = [describe(r) for r in map(self.model.resource, scopes) if r is not None]
        about = f" (the principals holding a role on {', '.join(places[:3])}" + (
            f" and {len(places) - 3} more)" if len(places) > 3 else ")") if places else ""
        return Finding(
            check_id=info.id, title=info.title, severity=info.severity, status=Status.UNKNOWN,
            resource=resource, principal=None, cause=Cause.UNREADABLE,
            message=f"Whom this check is about{about} cannot be told: {reason}. Any other "
                    "finding of this check covers only the principals the snapshot shows.",
            scenario=info.scenario, docs=info.docs,
            details={"basis": "unknown", "scopes": sorted(s.lower() for s in scopes)})

    # -- requirements ----------------------------------------------------------------------
    def requirement_finding(self, info: CheckInfo, requirement: Requirement) -> Finding | None:
        # The same principal, scope and operations recur (one user, several connections to the
        # same resource): a requirement met once is met every time.
        key = (requirement.principal.id, requirement.target_scope, requirement.operations,
               requirement.builtin_roles_only)
        if key in self._met:
            return None
        outcome = evaluate(requirement, self.evaluator, self.context.collected_at)
        if outcome.met:
            self._met.add(key)
            return None
        if outcome.cause in (Cause.MISSING_ROLE, Cause.ELIGIBLE_ONLY):
            # A grant that cannot be seen is not a grant that is missing.
            doubt = self.basis.doubt(requirement.target_scope)
            if doubt is not None:
                outcome = unfounded(requirement, outcome, doubt)
        assert outcome.status is not None and outcome.cause is not None
        remediations, note = self._fixes(requirement, outcome)
        message = outcome.message + (f" {note}" if note else "")
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
            details={"because": requirement.because, "scope": requirement.target_scope,
                     "operations": [{"name": op.name, "dataAction": op.data}
                                    for op in requirement.operations]},
        )

    def _fixes(self, requirement: Requirement, outcome: RequirementOutcome
               ) -> tuple[list[Remediation], str]:
        if outcome.cause is Cause.MISSING_ROLE:
            return self._role_fixes(requirement, outcome)
        if outcome.cause is Cause.ELIGIBLE_ONLY:
            return self._activation_fixes(requirement, outcome)
        if outcome.cause is Cause.DENY_ASSIGNMENT:
            return self._deny_fixes(outcome), ""
        return [], ""

    def _role_fixes(self, requirement: Requirement, outcome: RequirementOutcome
                    ) -> tuple[list[Remediation], str]:
        choices = self.planner.choose(outcome.missing, requirement.roles)
        if not choices:
            return [], ("No built-in role known to this tool grants "
                        f"{', '.join(op.name for op in outcome.missing)}: create a custom role.")
        principal = requirement.principal
        fixes = []
        for choice in choices:
            why = "the role the docs name for this scenario" if choice.docs_named \
                else "the built-in role with the fewest permissions that grants it"
            fixes.append(Remediation(
                kind=RemediationKind.ROLE_ASSIGNMENT,
                summary=f"Assign {choice.role.name} to {principal.label} on "
                        f"{describe_scope(requirement.target_scope, requirement.resource)} "
                        f"({why}).",
                principal_id=principal.id,
                principal_type=principal.type,
                role_definition_id=choice.role.id,
                role_name=choice.role.name,
                scope=requirement.target_scope,
            ))
        return self._proven(requirement, fixes), ""

    def _activation_fixes(self, requirement: Requirement, outcome: RequirementOutcome
                          ) -> tuple[list[Remediation], str]:
        failing = [d for d in outcome.decisions if not d.allowed]
        eligible = failing[0].eligible[0]
        role = self.model.authorization.role(eligible.role_definition_id)
        fix = Remediation(
            kind=RemediationKind.ACTIVATE_ELIGIBLE,
            summary=f"Activate the eligible {eligible.role_name} assignment at {eligible.scope} "
                    f"in Privileged Identity Management (as {requirement.principal.label}).",
            principal_id=requirement.principal.id,
            principal_type=requirement.principal.type,
            role_definition_id=role.id if role else eligible.role_definition_id,
            role_name=eligible.role_name,
            scope=eligible.scope,
        )
        return self._proven(requirement, [fix]), ""

    def _proven(self, requirement: Requirement, fixes: list[Remediation]) -> list[Remediation]:
        key = (requirement.principal.id, requirement.target_scope.lower(),
               requirement.operations, tuple(f.dedupe_key for f in fixes))
        verified = self._proofs.get(key)
        if verified is None:
            verified = self._proofs[key] = prove_requirement(requirement, fixes, self.evaluator)
        verification = (
            "verified: applied to a copy of the snapshot, the requirement is met"
            if verified else
            "not verified: with this change applied to a copy of the snapshot the requirement "
            "is still not met")
        return [self._with_commands(dataclasses.replace(f, verified=verified,
                                                   verification=verification)) for f in fixes]

    def _deny_fixes(self, outcome: RequirementOutcome) -> list[Remediation]:
        fixes = []
        for decision in outcome.decisions:
            for deny in decision.denies:
                manager = ("Azure or the managed application / deployment stack that created it "
                           "(system protected)") if deny.system_protected else \
                    "its owner (it is not system protected)"
                text = deny.description.strip().rstrip(".")
                description = f" Its description: {text}." if text else ""
                fixes.append(self._with_commands(Remediation(
                    kind=RemediationKind.CONFIGURATION,
                    summary=f"The deny assignment '{deny.name}' at {deny.scope} blocks "
                            f"{decision.operation}. It can be changed only by {manager}: ask "
                            f"them to exclude this principal, or use another identity."
                            f"{description}",
                    resource=deny.deny_assignment_id,
                    setting="denyAssignment",
                    value={"name": deny.name, "scope": deny.scope},
                    verification="not verified: a deny assignment cannot be changed from here",
                )))
        unique = {f.resource: f for f in fixes}
        return list(unique.values())

    def _with_commands(self, fix: Remediation) -> Remediation:
        """The fix with its commands; rendered once per distinct fix (the same principal, role
        and scope recur across requirements and checks)."""
        from diagnose.remediation.commands import commands_for

        key = json.dumps([fix.kind, fix.summary, fix.principal_id, fix.principal_type,
                          fix.role_definition_id, fix.role_name, fix.scope, fix.resource,
                          fix.setting, fix.value], sort_keys=True, default=str)
        commands = self._commands.get(key)
        if commands is None:
            commands = self._commands[key] = commands_for(fix)
        return dataclasses.replace(fix, commands=commands)

    # -- findings a check yields directly ------------------------------------------------------
    def draft_finding(self, info: CheckInfo, draft: Draft) -> Finding:
        fixes = []
        for fix in draft.remediations:
            if fix.kind == RemediationKind.CONFIGURATION and fix.setting != "denyAssignment":
                verified = prove_configuration(
                    self.model, fix, lambda patched: self._still_failing(info, draft, patched))
                fix = dataclasses.replace(
                    fix, verified=verified,
                    verification=("verified: with this setting changed on a copy of the "
                                  f"snapshot, {info.id} no longer reports it") if verified else
                    "not verified: with this setting changed on a copy of the snapshot the "
                    "finding remains")
            elif fix.kind in (RemediationKind.ROLE_ASSIGNMENT,
                              RemediationKind.ACTIVATE_ELIGIBLE) and not fix.verification:
                fix = dataclasses.replace(fix, verification="not verified")
            fixes.append(self._with_commands(fix))
        return Finding(
            check_id=info.id,
            title=info.title,
            severity=draft.severity or info.severity,
            status=draft.status,
            resource=draft.resource,
            principal=draft.principal,
            message=draft.message,
            cause=draft.cause,
            remediations=tuple(fixes),
            scenario=info.scenario,
            docs=info.docs,
            details=dict(draft.details),
        )

    def _still_failing(self, info: CheckInfo, draft: Draft, patched: Model) -> bool:
        context = CheckContext(patched, creator=self.creator,
                               evaluator=self.evaluator.derived(patched.authorization))
        key = _draft_key(draft)
        try:
            outputs = list(info.run(context))
        except Exception:
            return True
        return any(isinstance(o, Draft) and _draft_key(o) == key for o in outputs)


def _draft_key(draft: Draft) -> tuple[str, str, Cause, Status]:
    return (draft.resource.lower(), draft.principal.id if draft.principal else "", draft.cause,
            draft.status)




def _describe_exception(exc: Exception) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"
