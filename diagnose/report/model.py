"""The report of one run: summary, findings, one de-duplicated fix plan, and what could not be
read. Everything here is sorted, so the same snapshot always gives the same report."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from diagnose import TOOL_NAME, __version__
from diagnose.arm import types
from diagnose.arm.scopes import level_of, scope_key
from diagnose.bulk import bulk_allocation, fast_init
from diagnose.engine.api import (
    CheckInfo,
    Finding,
    Remediation,
    RemediationKind,
    Severity,
    Status,
)
from diagnose.engine.personas import Declarations, Persona
from diagnose.engine.runner import CheckError, RunResult
from diagnose.jsonable import to_jsonable
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac.evaluator import Evaluator, Holder
from diagnose.remediation.whole_plan import WholePlan, stage_of, unchecked
from diagnose.secrets import scrub_text
from diagnose.snapshot.codes import HASH_MISMATCH_CODE, TIMEOUT_CODE

REPORT_SCHEMA_VERSION = 1
MAX_HOLDERS_SHOWN = 10


def finding_id(finding: Finding) -> str:
    """A stable fingerprint: the same problem gets the same id in every run, every format and
    every version of the tool. It covers what the finding is (check, resource, principal, cause
    and its structured details, such as the operations missing), never how it is worded."""
    details = {k: v for k, v in finding.details.items() if k != "because"}
    key = "|".join(
        [
            finding.check_id,
            finding.resource.lower(),
            finding.principal.id if finding.principal else "",
            finding.cause.value,
            json.dumps(details, sort_keys=True, default=str),
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@fast_init
@dataclass(frozen=True)
class FindingRef:
    finding_id: str
    check_id: str
    resource: str
    principal_id: str | None
    verified: bool
    """Whether this change was proven to clear this finding."""


@dataclass(frozen=True)
class AnticipatedFinding:
    """A finding that only the plan's other steps would raise (it is not among the report's
    findings), which a step clears."""

    finding_id: str
    check_id: str
    status: str
    resource: str
    principal_id: str | None
    message: str


@fast_init
@dataclass(frozen=True)
class PlannedFix:
    """One change that fixes one or more findings; verified only when the whole-plan check
    proves it (diagnose.remediation.whole_plan). An alternative ("choose one") shares the
    order of its default and names it in `remediation.alternative_to`."""

    id: str
    """The change's stable id (Remediation.fix_id): what an alternative's alternativeTo names."""
    order: int
    """The step's number in the plan, prerequisites first; an alternative has its default's."""
    stage: str
    """identity | configuration | activation | role | cleanup | outsidePlan (see
    diagnose.remediation.whole_plan.STAGES)."""
    in_claim: bool
    """Whether the whole-plan check applied it; False for a step that cannot be applied to a
    copy of the snapshot (a deny assignment, configuration outside ARM) and for an
    alternative."""
    remediation: Remediation
    fixes: tuple[FindingRef, ...]
    anticipates: tuple[AnticipatedFinding, ...]
    """Findings that only the plan's other steps raise and that this step clears (the users of
    a connection switched to Entra ID): why a step no finding names is in the plan."""
    who_can_run: tuple[Holder, ...]
    who_can_run_total: int
    permission_needed: str | None


@dataclass(frozen=True)
class CollectionError:
    scope: str
    operation: str
    status: int | None
    code: str | None
    message: str
    retry: str


@dataclass(frozen=True)
class Report:
    tool: dict[str, str]
    target: dict[str, Any]
    summary: dict[str, Any]
    findings: tuple[Finding, ...]
    fix_plan: tuple[PlannedFix, ...]
    check_errors: tuple[CheckError, ...]
    collection_errors: tuple[CollectionError, ...]
    finding_ids: dict[int, str] = field(repr=False, compare=False, default_factory=dict)
    checks: tuple[CheckInfo, ...] = field(repr=False, compare=False, default=())
    plan_check: dict[str, Any] = field(default_factory=dict)
    """What the whole-plan check found (the report's planCheck): rounds, whether it
    converged, what remains, what appeared, what is outside the claim, what is not planned."""
    """The checks that ran, in id order (target["checks"] lists their ids): what a format
    that describes its rules, such as SARIF, documents."""

    baseline: frozenset[str] | None = field(default=None, repr=False, compare=False)
    """With --baseline REPORT: the ids of this report's findings that the baseline has
    (renderers mark them; only the others decide the exit code). None: no baseline."""

    def id_of(self, finding: Finding) -> str:
        return self.finding_ids.get(id(finding)) or finding_id(finding)

    def in_baseline(self, finding: Finding) -> bool:
        return self.baseline is not None and self.id_of(finding) in self.baseline

    @property
    def unknown_count(self) -> int:
        return sum(1 for f in self.findings if f.status is Status.UNKNOWN)


PEOPLE = (Persona.BUILDER, Persona.ADMINISTRATOR, Persona.READER)
"""The personas summary.byPersona counts, strongest first."""


def build_report(
    result: RunResult,
    model: Model,
    evaluator: Evaluator,
    declarations: Declarations | None = None,
    whole: WholePlan | None = None,
    creator: str | None = None,
) -> Report:
    """The report of a run; declarations (--principal, --personas) and the creator the
    creator checks ran for (--creator, an object id) are recorded in its target, so that a
    focused report says it is one and a diff runs a snapshot for the same creator. `whole` is
    the whole-plan check of the run's plan (diagnose.remediation.whole_plan.converge); without
    it the plan is reported as not checked as a whole, and no fix as verified."""
    with bulk_allocation():
        return _build_report(result, model, evaluator, declarations, whole, creator)


def personas_of(finding: Finding) -> list[str]:
    """The personas a finding concerns (its principal's, and those of the principals it
    stands for), strongest first, each once."""
    found = {a.persona for a in finding.affected_principals if a.persona}
    if finding.persona is not None:
        found.add(finding.persona.persona.value)
    return [p.value for p in (*PEOPLE, Persona.SERVICE_IDENTITY) if p.value in found]


def _build_report(
    result: RunResult,
    model: Model,
    evaluator: Evaluator,
    declarations: Declarations | None,
    whole: WholePlan | None,
    creator: str | None,
) -> Report:
    snapshot = model.snapshot
    if whole is None:
        whole = unchecked(result.findings)
    findings = whole.findings
    ids = {id(f): finding_id(f) for f in findings}
    plan = _fix_plan(findings, ids, model, evaluator, whole)
    errors = tuple(_collection_error(e) for e in snapshot.data["errors"])
    by_status = Counter(f.status.value for f in findings)
    by_severity = Counter(f.severity.value for f in findings)
    by_persona = Counter(p for f in findings for p in personas_of(f))
    hub = snapshot.target.get("hub") or (model.hubs[0].id if model.hubs else None)
    summary: dict[str, Any] = {
        "checks": len(result.checks),
        "requirements": result.requirements,
        "requirementsMet": result.met,
        "findings": len(findings),
        "byStatus": {s.value: by_status.get(s.value, 0) for s in Status},
        "bySeverity": {s.value: by_severity.get(s.value, 0) for s in Severity},
        "byPersona": {p.value: by_persona.get(p.value, 0) for p in PEOPLE},
        "fixes": len(plan),
        "verifiedFixes": sum(1 for p in plan if p.remediation.verified),
        "planVerified": whole.verified,
        "planVerification": whole.why,
        "checkErrors": len(result.check_errors),
        "partial": bool(errors or result.check_errors or result.unknown_because),
    }
    if result.unknown_because:  # only then, so that a complete report keeps its exact shape
        summary["unknownBecause"] = result.unknown_because
    target = {
        "hub": hub,
        "hubName": hub.rstrip("/").rsplit("/", 1)[-1] if hub else None,
        "project": snapshot.target.get("project"),
        "snapshot": snapshot.source,
        "collectedAt": snapshot.data.get("collectedAt"),
        "checks": [c.id for c in result.checks],
    }
    if declarations is not None and declarations.focus:  # only then: the shape stays
        target["focus"] = [
            {"id": p.id, "type": p.type, "displayName": p.display_name} for p in declarations.focus
        ]
    if declarations is not None and declarations.personas:
        target["personas"] = declarations.source
    if creator is not None:  # only then: the shape stays
        target["creator"] = creator
    kind = _target_kind(model.resource(hub) if hub else None)
    if kind is not None:  # only for a Foundry target: a hub's report keeps its exact shape
        target["targetKind"] = kind
    return Report(
        tool={"name": TOOL_NAME, "version": __version__},
        target=target,
        summary=summary,
        findings=findings,
        fix_plan=plan,
        check_errors=result.check_errors,
        collection_errors=errors,
        finding_ids=ids,
        checks=result.checks,
        plan_check=_plan_check(whole),
    )


def _target_kind(target: Resource | None) -> str | None:
    """What the report's target is when it is no hub: "foundryResource" or "foundryProject"."""
    if target is None:
        return None
    return {
        types.COGNITIVE_ACCOUNT: "foundryResource",
        types.COGNITIVE_PROJECT: "foundryProject",
    }.get(target.type)


def _fix_plan(
    findings: tuple[Finding, ...],
    ids: dict[int, str],
    model: Model,
    evaluator: Evaluator,
    whole: WholePlan,
) -> tuple[PlannedFix, ...]:
    grouped: dict[tuple[Any, ...], tuple[Remediation, list[FindingRef]]] = {}
    for finding in findings:
        for fix in finding.remediations:
            ref = FindingRef(
                ids[id(finding)],
                finding.check_id,
                finding.resource,
                finding.principal.id if finding.principal else None,
                fix.verified,
            )
            entry = grouped.setdefault(fix.dedupe_key, (fix, []))
            if all(r.finding_id != ref.finding_id for r in entry[1]):
                entry[1].append(ref)
    for added in whole.steps:  # the steps only the plan's own changes call for
        grouped.setdefault(added.remediation.dedupe_key, (added.remediation, []))
    orders = {s.remediation.fix_id: s.order for s in whole.steps}
    last = max(orders.values(), default=0)
    plan = []
    for fix, refs in grouped.values():
        step = whole.step(fix)
        if step is not None:
            fix, order, stage, in_claim = step.remediation, step.order, step.stage, step.in_claim
            named = {r.finding_id for r in refs}  # a merged finding that only grew is named
            anticipates = tuple(
                a for a in map(_anticipated, step.anticipates) if a.finding_id not in named
            )
        else:  # an alternative, in its default's place; or a fix no step stands for
            fix = dataclasses.replace(fix, verified=all(r.verified for r in refs))
            order = orders.get(fix.alternative_to or "", last + 1)
            stage, in_claim, anticipates = stage_of(fix), False, ()
        permission, holders = _who_can_run(fix, model, evaluator)
        plan.append(
            PlannedFix(
                fix.fix_id,
                order,
                stage,
                in_claim,
                fix,
                tuple(refs),
                anticipates,
                tuple(holders[:MAX_HOLDERS_SHOWN]),
                len(holders),
                permission,
            )
        )
    plan.sort(
        key=lambda p: (
            p.order,
            p.remediation.alternative_to is not None,
            p.remediation.kind,
            (p.remediation.scope or p.remediation.resource or "").lower(),
            p.remediation.role_name or p.remediation.setting or "",
            p.remediation.principal_id or "",
        )
    )
    return tuple(plan)


def _anticipated(finding: Finding) -> AnticipatedFinding:
    return AnticipatedFinding(
        finding_id(finding),
        finding.check_id,
        finding.status.value,
        finding.resource,
        finding.principal.id if finding.principal else None,
        finding.message,
    )


def _briefs(findings: tuple[Finding, ...]) -> list[Any]:
    """Findings of the whole-plan check (most are not among the report's), each once."""
    seen = {finding_id(f): f for f in findings}
    return [to_jsonable(_anticipated(f)) for f in seen.values()]


def _plan_check(whole: WholePlan) -> dict[str, Any]:
    """What the whole-plan check found, for the report's planCheck."""
    return {
        "rounds": whole.rounds,
        "converged": whole.converged,
        "remaining": _briefs(whole.remaining),
        "appeared": _briefs(whole.appeared),
        "excluded": _briefs(whole.excluded),
        "notPlanned": list(whole.notes),
    }


def _who_can_run(
    fix: Remediation, model: Model, evaluator: Evaluator
) -> tuple[str | None, list[Holder]]:
    if fix.kind == RemediationKind.ROLE_ASSIGNMENT and fix.scope:
        permission, scope = "Microsoft.Authorization/roleAssignments/write", fix.scope
    elif fix.kind == RemediationKind.REMOVE_ASSIGNMENT and fix.scope:
        permission, scope = "Microsoft.Authorization/roleAssignments/delete", fix.scope
    elif fix.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT and fix.resource:
        # A Cosmos DB SQL role assignment is an ARM child of the account, written with
        # Azure RBAC on the account (Owner, Contributor, DocumentDB Account Contributor, ...).
        permission = "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/write"
        scope = fix.resource
    elif fix.kind == RemediationKind.ACTIVATE_ELIGIBLE:
        entry = model.authorization.directory.get(fix.principal_id or "")
        holder = Holder(
            fix.principal_id or "",
            fix.principal_type,
            entry.display_name if entry else None,
            fix.role_name or "",
            fix.scope or "",
            False,
        )
        return "self-activation in Privileged Identity Management", [holder]
    elif (
        fix.kind == RemediationKind.CONFIGURATION
        and fix.resource
        and fix.setting != "denyAssignment"
    ):
        resource = model.resource(fix.resource)
        if resource is None:
            return None, []
        permission, scope = f"{resource.raw.get('type') or resource.type}/write", resource.id
    else:
        return None, []
    return permission, evaluator.who_can(scope, permission)


def _collection_error(entry: dict[str, Any]) -> CollectionError:
    scope = entry["scope"]
    operation = entry["operation"]
    status = entry.get("status")
    code = entry.get("code")
    if code == HASH_MISMATCH_CODE:
        retry = "ask for the bundle again: a member differs from what its manifest recorded"
    elif code == TIMEOUT_CODE:
        retry = "collect again with a longer --timeout"
    elif status in (401, 403):
        where = f"{level_of(scope_key(scope))} {scope}" if scope.startswith("/") else scope
        if operation.lower().startswith("microsoft.graph"):
            retry = (
                "retry with a directory role that can read users, groups and service "
                "principals (Directory Readers), or accept 'unknown' for group memberships"
            )
        else:
            retry = f"retry with Reader and Microsoft.Authorization/*/read on the {where}"
    elif status == 404:
        retry = "the object no longer exists, or the id is wrong"
    elif status in (429, 500, 502, 503, 504):
        retry = "a transient Azure error: retry the collection later"
    else:
        retry = "retry the collection"
    # The message is Azure's (or an exception's) and may echo a credential: the report quotes
    # it without one, whatever snapshot it came from.
    return CollectionError(
        scope, operation, status, entry.get("code"), scrub_text(entry["message"]), retry
    )


def exit_code(report: Report, fail_on: str, strict: bool) -> int:
    """0 nothing at or above --fail-on; 1 findings; 3 incomplete under --strict: a check
    answered unknown or crashed, or something was not read (a timed-out or refused listing
    leaves the report partial even where no check could tell it was missing)."""
    from diagnose.exitcodes import ExitCode

    if fail_on != "never":
        threshold = Status(fail_on).rank
        if any(f.status.rank <= threshold for f in report.findings):
            return ExitCode.FINDINGS
    partial = report.summary.get("partial")
    if strict and (report.unknown_count or report.check_errors or partial):
        return ExitCode.INCOMPLETE
    return ExitCode.OK
