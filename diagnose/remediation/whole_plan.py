"""The plan as a whole: every default step applied together to a copy of the snapshot, every
check run again, until the plan converges.

A fix proven alone (diagnose.remediation.proof) says nothing of the plan: switching a
connection to Entra ID clears its key finding and gives its users a need for a data role;
activating an eligible role makes its holder a builder, with a builder's needs. So the plan is
checked as a whole (`converge`):

1. its steps are the default fixes of every finding (an alternative, `alternative_to`, is a
   choice beside its default, never applied with it), once each (`Remediation.dedupe_key`);
   a fix that weakens security (`settings.security_cost`) is no step but a note with its cost;
2. every step that can be applied to a copy of the snapshot is (role assignments added, PIM
   activations made active, settings changed, orphaned assignments removed, Cosmos DB SQL role
   assignments added as children of their accounts); a step that cannot (a deny assignment, a
   resource the snapshot lacks) is left out of the claim;
3. the same checks run again on the copy, for the same creator and declarations; a finding
   that appears or remains brings its default fixes into the plan, and the round repeats, up
   to MAX_ROUNDS. A round computes again only what its new steps can change, with the same
   findings as running everything again (diagnose.remediation.affected);
4. the plan is verified when no finding it addresses remains and no new failure or warning
   appears. Findings are compared per affected principal (check, resource, cause, structured
   details, principal): a finding that stood for several people and now stands for fewer is
   what remains of it, not a new one.

Steps are then ordered, prerequisites first (`STAGES`).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from diagnose.bulk import bulk_allocation
from diagnose.engine.api import (
    CheckInfo,
    Finding,
    Remediation,
    RemediationKind,
    Status,
)
from diagnose.engine.needs import Needs
from diagnose.engine.personas import Declarations
from diagnose.engine.runner import Engine, FixPlannerFactory, Met, MetKey, RunResult
from diagnose.model.authorization import Assignment, Authorization
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.affected import (
    PRINCIPAL_SCOPED,
    Outputs,
    Reach,
    Touched,
    affected,
    relevant,
    still_met,
    touched,
)
from diagnose.remediation.proof import (
    assignments_for,
    cosmos_assignments_for,
    cosmos_grant,
    definitions_for,
    set_property,
)
from diagnose.remediation.settings import security_cost

MAX_ROUNDS = 4
"""Rounds of apply, re-check, add the new findings' fixes; a plan still growing after them is
reported as not converging."""

STAGES = (
    "identity",
    "configuration",
    "activation",
    "role",
    "cleanup",
    "outsidePlan",
)
"""The order of the steps, prerequisites first: enable an identity before it is given a role;
switch Search to Entra ID, a connection to Entra ID or a firewall's bypass before the data
roles they make matter; activate an eligible role before relying on it; then the roles; then
the clean-up (orphaned assignments); last what cannot be done from here (a deny assignment is
changed only by whoever manages it)."""

COUNTED = (Status.FAIL, Status.WARN)
"""The statuses a new finding must not have."""

Unit = tuple[str, str, str, str, str]
"""One principal's part of a finding: check, resource, cause, structured details, principal."""


def stage_of(fix: Remediation) -> str:
    """Where a step goes in the plan (STAGES)."""
    if fix.kind == RemediationKind.CONFIGURATION:
        if fix.setting == "denyAssignment":
            return "outsidePlan"
        return "identity" if fix.setting == "identity.type" else "configuration"
    if fix.kind == RemediationKind.ACTIVATE_ELIGIBLE:
        return "activation"
    if fix.kind == RemediationKind.REMOVE_ASSIGNMENT:
        return "cleanup"
    return "role"


def units(finding: Finding) -> set[Unit]:
    """The finding per principal it stands for (one unit for a finding about no principal)."""
    details = json.dumps(
        {k: v for k, v in finding.details.items() if k != "because"}, sort_keys=True, default=str
    )
    base = (finding.check_id, finding.resource.lower(), finding.cause.value, details)
    principals = {a.id for a in finding.affected_principals}
    if finding.principal is not None:
        principals.add(finding.principal.id)
    return {(*base, p.lower()) for p in principals or {""}}


def _uncaused(found: set[Unit]) -> set[tuple[str, ...]]:
    """Units with their cause left out (check, resource, details, principal)."""
    return {(u[0], u[1], *u[3:]) for u in found}


class _Units:
    """Each finding's units, with and without their cause, computed once per whole-plan check:
    a finding is compared in several places and every round, and its units cost a JSON
    encoding of its details. Keyed by the finding object, which the memo holds, so no other
    finding can take its key (an id is reused only once its object is freed)."""

    def __init__(self) -> None:
        self._found: dict[int, tuple[Finding, set[Unit], set[tuple[str, ...]]]] = {}

    def _entry(self, finding: Finding) -> tuple[Finding, set[Unit], set[tuple[str, ...]]]:
        entry = self._found.get(id(finding))
        if entry is None or entry[0] is not finding:
            found = units(finding)
            entry = self._found[id(finding)] = (finding, found, _uncaused(found))
        return entry

    def of(self, finding: Finding) -> set[Unit]:
        """units(finding); the caller must not change the set."""
        return self._entry(finding)[1]

    def uncaused(self, finding: Finding) -> set[tuple[str, ...]]:
        """_uncaused(units(finding)); the caller must not change the set."""
        return self._entry(finding)[2]


@dataclass(frozen=True)
class Step:
    """One change of the plan, in order."""

    remediation: Remediation
    """The fix, its `verified` and `verification` as the whole-plan check found them."""
    order: int
    """Its number in the plan, from 1; an alternative shares its default's."""
    stage: str
    in_claim: bool
    """Applied in the whole-plan check: its effect is part of what `verified` vouches for.
    False for a step that cannot be applied to a copy of the snapshot (its verification says
    why)."""
    anticipates: tuple[Finding, ...] = ()
    """Findings that only the plan's other steps raise (the users of a connection switched to
    Entra ID, the holder of a role just activated), which this step clears: the reason it is in
    the plan although no finding of the report names it."""


@dataclass(frozen=True)
class WholePlan:
    """The outcome of the whole-plan check."""

    verified: bool
    why: str
    """Why the plan is, or is not, verified, in plain words."""
    steps: tuple[Step, ...]
    """Every default step, in order (alternatives are not steps: the report shows them with
    their default)."""
    findings: tuple[Finding, ...]
    """The run's findings with their fixes as the plan judged them: defaults first, `verified`
    as the whole-plan check found it, a fix that weakens security turned into a note."""
    remaining: tuple[Finding, ...]
    """Findings the plan addresses that the checks still report once it is applied."""
    appeared: tuple[Finding, ...]
    """Failures and warnings that appear once the plan is applied and that it does not clear."""
    excluded: tuple[Finding, ...]
    """Findings whose only fixes cannot be applied here (a deny assignment): out of the claim."""
    notes: tuple[str, ...]
    """Options the plan leaves out because they weaken security, each with its cost."""
    rounds: int
    converged: bool

    def step(self, fix: Remediation) -> Step | None:
        return self._by_key().get(fix.dedupe_key)

    def _by_key(self) -> dict[tuple[Any, ...], Step]:
        cached: dict[tuple[Any, ...], Step] | None = self.__dict__.get("_index")
        if cached is None:
            cached = {s.remediation.dedupe_key: s for s in self.steps}
            object.__setattr__(self, "_index", cached)
        return cached


def unprovable_reason(
    model: Model, fix: Remediation, assignment_ids: frozenset[str] | None = None
) -> str | None:
    """Why a step cannot be applied to a copy of the snapshot, None when it can.
    assignment_ids: the lower-case ids of the model's role assignments, when known."""
    if fix.kind in (RemediationKind.ROLE_ASSIGNMENT, RemediationKind.ACTIVATE_ELIGIBLE):
        if fix.principal_id and fix.role_definition_id and fix.scope:
            return None
        return "it names no principal, role or scope to assign"
    if fix.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT:
        grant = cosmos_grant(fix)
        if grant is None:
            return "it names no principal, SQL role, Cosmos DB account or path in it to assign"
        if model.cosmos.account(grant.account.raw) is None:
            return "the Cosmos DB account is not in the snapshot"
        return None
    if fix.kind == RemediationKind.REMOVE_ASSIGNMENT:
        if assignment_ids is None:
            assignment_ids = frozenset(a.id.lower() for a in model.authorization.assignments)
        if fix.resource and fix.resource.lower() in assignment_ids:
            return None
        return "the assignment to remove is not in the snapshot"
    if fix.setting == "denyAssignment":
        return "a deny assignment can be changed only by whoever manages it, not from here"
    if not fix.resource or not fix.setting:
        return "it names no resource or setting to change"
    if model.resource(fix.resource) is None:
        return "the resource to change is not in the snapshot (configuration outside ARM)"
    return None


Made = dict[tuple[Any, ...], tuple[Remediation, list[Assignment]]]
"""A fix's dedupe_key -> the fix and the role assignments apply made of it."""


def apply(model: Model, fixes: Iterable[Remediation], made: Made | None = None) -> Model:
    """A copy of the model with these fixes applied (each must be provable: see
    unprovable_reason); the original is left as it was. Each changed resource is copied once,
    whatever the number of its settings the plan changes. `made`: the role assignments
    earlier calls made of the same fixes (a whole-plan round applies every step of the round
    before again), kept up to date."""
    fixes = list(fixes)
    raws: dict[str, dict[str, Any]] = {}
    for fix in fixes:
        if fix.kind != RemediationKind.CONFIGURATION or not fix.resource or not fix.setting:
            continue
        resource = model.resource(fix.resource)
        if resource is None or fix.setting == "denyAssignment":
            continue
        raw = raws.setdefault(resource.key, copy.deepcopy(resource.raw))
        set_property(raw, fix.setting, fix.value)
    authorization = model.authorization
    removed = {
        fix.resource.lower()
        for fix in fixes
        if fix.kind == RemediationKind.REMOVE_ASSIGNMENT and fix.resource
    }
    if removed:
        data = dict(model.snapshot.data)
        data["roleAssignments"] = [
            item
            for item in data["roleAssignments"]
            if str(item.get("id") or "").lower() not in removed
        ]
        authorization = Authorization.from_snapshot(data, model.tree)
    added = _assignments(fixes, {} if made is None else made)
    if added:
        # a custom role a step creates is in the copy before it is assigned (as proof does)
        roles = [RoleDefinition.from_arm(d, "snapshot") for d in definitions_for(fixes)]
        authorization = authorization.with_assignments(added, roles)
    for item in cosmos_assignments_for(fixes):
        raws.setdefault(Resource.from_arm(item).key, item)
    if authorization is model.authorization and not raws:
        return model
    if not raws:
        clone = object.__new__(Model)
        clone.__dict__.update(model.__dict__)
        clone.authorization = authorization
        return clone
    return model.with_resources(raws.values(), authorization)


def _assignments(fixes: list[Remediation], made: Made) -> list[Assignment]:
    """The role assignments the fixes create or activate (assignments_for), each fix's made
    once for `made`."""
    found: list[Assignment] = []
    for fix in fixes:
        entry = made.get(fix.dedupe_key)
        if entry is None or entry[0] is not fix:
            entry = made[fix.dedupe_key] = (
                fix,
                [Assignment.from_arm(o) for o in assignments_for([fix])],
            )
        found += entry[1]
    return found


def _defaults(finding: Finding) -> list[Remediation]:
    return [f for f in finding.remediations if f.alternative_to is None]


def converge(
    model: Model,
    result: RunResult,
    fixes: FixPlannerFactory,
    *,
    creator: str | None = None,
    declarations: Declarations | None = None,
    checks: Iterable[CheckInfo] | None = None,
    evaluator: Evaluator | None = None,
    met: frozenset[MetKey] | Met = frozenset(),
    outputs: Outputs | None = None,
    needs: Needs | None = None,
    full: bool = False,
) -> WholePlan:
    """Check the plan of a run as a whole (see the module's docstring): `result` is the run on
    `model`, `fixes` the plan step it used; the same checks (`result.checks` unless given),
    creator and declarations are run again on the patched copies.

    A round computes again only what its new steps can change (diagnose.remediation.affected):
    `met`, the requirements the run found met (Engine.met, or its met_keys), with `evaluator` its
    evaluator, are taken as met where no step reaches them; `outputs`, what the run's checks
    yielded (recorded with Outputs.wrap), spares the first round the checks about people
    (without it, the first round runs them in full and the later ones use what it recorded);
    `needs`, the run's bulk answers (Engine.needs, on `evaluator`), spares working out again
    who holds what at a scope where the steps only add grants (Needs.derived).
    `full`: every round runs every check in full and evaluates every requirement again (the
    reference the tests compare with)."""
    selected = tuple(checks if checks is not None else result.checks)
    record = outputs if outputs is not None else Outputs()
    origin = record.last  # the first run's context, when it was recorded

    def rerun(patched: Model, applied: list[Remediation], new: list[Remediation]) -> RunResult:
        # What roles grant is the same on the copy: the run's evaluator shares it (`evaluator`,
        # the first run's), so the re-run matches each role to each operation only once; and
        # its answers, and the requirements it found met, where no step reaches them.
        changes = touched(model, applied, only_roles=False) if not full else None
        reach = Reach(model, changes) if changes is not None else None
        derived = None
        if evaluator is not None:
            derived = (
                evaluator.derived(patched.authorization, changed=reach.changed, keep=reach.keeps)
                if reach is not None
                else evaluator.derived(patched.authorization)
            )
        engine = Engine(
            patched,
            creator=creator,
            fixes=fixes,
            declarations=declarations,
            evaluator=derived,
            known_met=still_met(met, reach) if reach is not None and derived is not None else (),
        )
        if full:
            return engine.run(selected)
        if origin is not None and origin.model is model:
            # what depends on the resources alone is the first run's when no step changed them
            engine.context.share_resources(origin)
            if reach is not None:  # what the steps cannot reach keeps its persona
                engine.context.personas = origin.personas.derived(patched, engine.evaluator, reach)
        if needs is not None and derived is not None and reach is not None:
            engine.needs = needs.derived(derived, engine.context.collected_at)
        # in a round whose steps are all new (the first), its changes are those of `reach`
        whom, touching = _affected(
            model, engine, new, record, reach if len(new) == len(applied) else None
        )
        found = engine.run(record.wrap(selected, engine.context, whom, touching))
        record.observe(found)
        return found

    if not full:
        record.observe(result)
        if needs is not None:
            record.lists_known(needs.known_ids)
    # As a run's (Engine.run): the rounds' copies and answers are acyclic and mostly kept until
    # the report is made; the collector's passes over them cost more than the rest of a round.
    with bulk_allocation(lasting=True):
        return _converge(model, result.findings, rerun)


def _affected(
    model: Model,
    engine: Engine,
    new: list[Remediation],
    record: Outputs,
    reach: Reach | None = None,
) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """Whom the checks about people must be asked about again in a round whose new steps are
    `new`, and whose closure those steps touch at all; (None, None) when the checks must run
    in full: a step that is not a change of some principal's role assignments, or a snapshot
    with gaps in its role assignments (whose checks may answer that whom they are about
    cannot be told, from every workspace they look at). `model`: the snapshot's, before any
    step; `reach`: the Reach of exactly the steps `new` on it, when there is one (spares
    working the same changes out again)."""
    if reach is not None and all(fix.kind in PRINCIPAL_SCOPED for fix in new):
        changes: Touched | None = reach.changes
    else:
        changes, reach = touched(model, new), None
    if changes is None or engine.basis.missing:
        return None, None
    patched = engine.model
    if patched.authorization.errors_by_topic.get("assignments"):
        return None, None
    whom = affected(relevant(changes, record.reads, patched, engine.evaluator), patched)
    return whom, reach.touching if reach is not None else affected(frozenset(changes), patched)


Rerun = Callable[[Model, list[Remediation], list[Remediation]], RunResult]
"""A round's run: on the patched copy, with every step applied and those new in the round."""


def _converge(model: Model, findings: tuple[Finding, ...], rerun: Rerun) -> WholePlan:
    memo = _Units()
    notes: dict[str, str] = {}
    steps: dict[tuple[Any, ...], Remediation] = {}
    unprovable: dict[tuple[Any, ...], str] = {}
    anticipated: dict[tuple[Any, ...], dict[frozenset[Unit], Finding]] = {}
    known: list[frozenset[str]] = []
    made: Made = {}  # the role assignments of the steps, for every round

    def assignment_ids() -> frozenset[str]:
        if not known:
            known.append(frozenset(a.id.lower() for a in model.authorization.assignments))
        return known[0]

    serves: dict[tuple[Any, ...], dict[frozenset[Unit], Finding]] = {}
    """Findings of the report that remained once the plan was applied, for the steps their
    fixes then added: what those steps must clear."""

    def admit(fix: Remediation, because: Finding | None, remains: bool = False) -> bool:
        """Add a default fix as a step, for a finding that only the plan raises (`because`) or
        one that remained (`remains`); False when it is already one or is only a note."""
        cost = security_cost(fix)
        if cost is not None:
            notes.setdefault(fix.summary, f"{fix.summary.rstrip('.')}: not planned, it {cost}.")
            return False
        key = fix.dedupe_key
        if key in steps:
            link(key, because, remains)
            return False
        steps[key] = fix
        removal = fix.kind == RemediationKind.REMOVE_ASSIGNMENT
        reason = unprovable_reason(model, fix, assignment_ids() if removal else None)
        if reason is not None:
            unprovable[key] = reason
        link(key, because, remains)
        return True

    def link(key: tuple[Any, ...], because: Finding | None, remains: bool) -> None:
        if because is not None:
            into = serves if remains else anticipated
            into.setdefault(key, {}).setdefault(frozenset(memo.of(because)), because)

    original: set[Unit] = set()
    for finding in findings:
        original |= memo.of(finding)
        for fix in _defaults(finding):
            admit(fix, None)

    def addressed(finding: Finding) -> bool:
        keys = [f.dedupe_key for f in _defaults(finding) if f.dedupe_key in steps]
        return any(k not in unprovable for k in keys)

    in_plan = [f for f in findings if addressed(f)]
    excluded: tuple[Finding, ...] = tuple(
        f
        for f in findings
        if not addressed(f) and any(x.dedupe_key in unprovable for x in _defaults(f))
    )
    addressed_units = set().union(*(memo.of(f) for f in in_plan)) if in_plan else set()
    addressed_uncaused = _uncaused(addressed_units)

    def only_unprovable(finding: Finding) -> bool:
        keys = [f.dedupe_key for f in _defaults(finding)]
        return bool(keys) and all(k in unprovable for k in keys)

    rounds = 0
    before: set[tuple[Any, ...]] = set()  # the steps applied in the round before
    final: tuple[Finding, ...] = findings
    remaining: list[Finding] = []
    appeared: list[Finding] = []
    while True:
        rounds += 1
        applied = [fix for key, fix in steps.items() if key not in unprovable]
        new = [fix for fix in applied if fix.dedupe_key not in before]
        before = {fix.dedupe_key for fix in applied}
        final = rerun(apply(model, applied, made), applied, new).findings if applied else findings
        # A finding the plan addressed that is still there counts whatever its cause now: a
        # step that only turns a failure into `unknown` has not cleared it.
        remaining = [f for f in final if memo.uncaused(f) & addressed_uncaused]
        appeared = [f for f in final if f.status in COUNTED and memo.of(f) - original]
        grew = False
        for finding in remaining:
            for fix in _defaults(finding):
                grew |= admit(fix, finding, remains=True)
        for finding in appeared:
            for fix in _defaults(finding):
                grew |= admit(fix, finding)
        if not grew or rounds >= MAX_ROUNDS:
            break
    # What appears and only a step that cannot be applied here clears (a deny assignment that
    # also blocks the holder of a role just activated) is out of the claim like its step.
    excluded += tuple(f for f in appeared if only_unprovable(f))
    appeared = [f for f in appeared if not only_unprovable(f)]
    converged = not remaining and not appeared
    stalled = not converged and not grew
    left = set().union(*(memo.of(f) for f in final)) if final else set()
    return _outcome(
        memo,
        findings,
        steps,
        unprovable,
        anticipated,
        serves,
        left,
        remaining,
        appeared,
        excluded,
        notes,
        rounds,
        converged,
        stalled,
    )


def _outcome(
    memo: _Units,
    findings: tuple[Finding, ...],
    steps: dict[tuple[Any, ...], Remediation],
    unprovable: dict[tuple[Any, ...], str],
    anticipated: dict[tuple[Any, ...], dict[frozenset[Unit], Finding]],
    serves: dict[tuple[Any, ...], dict[frozenset[Unit], Finding]],
    left: set[Unit],
    remaining: list[Finding],
    appeared: list[Finding],
    excluded: tuple[Finding, ...],
    notes: dict[str, str],
    rounds: int,
    converged: bool,
    stalled: bool,
) -> WholePlan:
    # Which findings each step is there for: the report's and those only the plan raises.
    for_step: dict[tuple[Any, ...], list[Finding]] = {}
    for finding in findings:
        for fix in _defaults(finding):
            for_step.setdefault(fix.dedupe_key, []).append(finding)
    judged: dict[tuple[Any, ...], Remediation] = {}
    left_uncaused = _uncaused(left)  # whatever its cause now, a finding still there remains
    for key, fix in steps.items():
        reason = unprovable.get(key)
        targets = [
            *for_step.get(key, ()),
            *anticipated.get(key, {}).values(),
            *serves.get(key, {}).values(),
        ]
        if reason is not None:
            verified = False
            verification = (
                f"not verified: {reason}; left out of the plan's claim"
                if not fix.verification
                else f"{fix.verification.rstrip('.')}; left out of the plan's claim ({reason})"
            )
        else:
            still = [f for f in targets if memo.uncaused(f) & left_uncaused]
            verified = not still
            verification = (
                "verified as part of the whole plan: with every step applied together to a copy "
                "of the snapshot and every check run again, the findings it addresses are gone"
                if verified
                else "not verified: with every step of the plan applied to a copy of the "
                f"snapshot, {', '.join(sorted({f.check_id for f in still}))} still report(s) "
                "what it addresses"
            )
        judged[key] = fix.changed(verified=verified, verification=verification)

    ordered = sorted(judged.items(), key=lambda item: _step_key(item[1]))
    out_steps = tuple(
        Step(
            fix,
            number,
            stage_of(fix),
            key not in unprovable,
            tuple(anticipated.get(key, {}).values()),
        )
        for number, (key, fix) in enumerate(ordered, 1)
    )
    # An identity enabled by the plan gets its object id from Azure: the roles it will need
    # cannot be stated on the copy, so the plan cannot vouch for what follows.
    identities = [s.order for s in out_steps if s.stage == "identity" and s.in_claim]
    verified = converged and bool(steps) and len(unprovable) < len(steps) and not identities
    why = _why(
        verified, stalled, identities, steps, unprovable, remaining, appeared, excluded, rounds
    )
    return WholePlan(
        verified=verified,
        why=why,
        steps=out_steps,
        findings=tuple(_judged_finding(f, judged, notes) for f in findings),
        remaining=tuple(remaining),
        appeared=tuple(appeared),
        excluded=excluded,
        notes=tuple(notes.values()),
        rounds=rounds,
        converged=converged,
    )


def _step_key(fix: Remediation) -> tuple[Any, ...]:
    return (
        STAGES.index(stage_of(fix)),
        (fix.scope or fix.resource or "").lower(),
        fix.setting or fix.role_name or "",
        (fix.principal_id or "").lower(),
        fix.summary,
    )


def _judged_finding(
    finding: Finding, judged: dict[tuple[Any, ...], Remediation], notes: dict[str, str]
) -> Finding:
    """The finding with its fixes as the plan judged them: defaults first, a default's
    verification the whole-plan check's, an option that weakens security only a note."""
    defaults: list[Remediation] = []
    alternatives: list[Remediation] = []
    dropped: list[str] = []
    for fix in finding.remediations:
        if fix.alternative_to is not None:
            alternatives.append(fix)
        elif fix.summary in notes and security_cost(fix) is not None:
            dropped.append(notes[fix.summary])
        else:
            step = judged.get(fix.dedupe_key)
            defaults.append(  # its own words; the step's verdict
                fix
                if step is None
                else fix.changed(verified=step.verified, verification=step.verification)
            )
    fixes = (*defaults, *alternatives)
    if fixes == finding.remediations and not dropped:
        return finding
    message = " ".join([finding.message, *dropped]) if dropped else finding.message
    return dataclasses.replace(finding, remediations=fixes, message=message)


def _why(
    verified: bool,
    stalled: bool,
    identities: list[int],
    steps: dict[tuple[Any, ...], Remediation],
    unprovable: dict[tuple[Any, ...], str],
    remaining: list[Finding],
    appeared: list[Finding],
    excluded: tuple[Finding, ...],
    rounds: int,
) -> str:
    if not steps:
        return "Nothing to verify: the plan has no step."
    applied = len(steps) - len(unprovable)
    if applied == 0:
        return "Not verified: no step of the plan can be applied to a copy of the snapshot."
    parts = []
    if not remaining and not appeared:
        parts.append(
            ("Verified as a whole" if verified else "Converged")
            + f": with its {applied} applicable step(s) applied together to a "
            "copy of the snapshot and every check run again, every finding it addresses is gone "
            f"and no new failure or warning appears ({rounds} round(s))."
        )
    else:
        why = []
        if remaining:
            why.append(
                f"{len(remaining)} finding(s) it addresses remain "
                f"({', '.join(sorted({f.check_id for f in remaining}))})"
            )
        if appeared:
            why.append(
                f"{len(appeared)} new failure(s) or warning(s) appear "
                f"({', '.join(sorted({f.check_id for f in appeared}))})"
            )
        parts.append(
            f"Not verified: with its {applied} applicable step(s) applied together to a copy of "
            f"the snapshot and every check run again, {' and '.join(why)}"
            + (
                "; no fix is known for what is left"
                if stalled
                else f"; the plan was still growing after {rounds} round(s)"
            )
            + "."
        )
    if identities:
        parts.append(
            f"But step(s) {', '.join(map(str, identities))} enable a managed identity, whose "
            "object id only Azure gives: the roles it will need cannot be checked on a copy of "
            "the snapshot, so the plan is not verified as a whole; run diagnose again after "
            "them."
        )
    if unprovable:
        parts.append(
            f"{len(unprovable)} step(s) cannot be applied here (a deny assignment, configuration "
            "outside ARM) and are left out of the claim"
            + (f", with the {len(excluded)} finding(s) only they address" if excluded else "")
            + "."
        )
    parts.append(
        "Role changes take effect only after Azure propagates them (up to 10 minutes, 24 hours "
        "for a managed identity that gets a role through a group): not something a snapshot "
        "can prove."
    )
    return " ".join(parts)


def unchecked(findings: tuple[Finding, ...]) -> WholePlan:
    """The plan of these findings, ordered but not checked as a whole: each fix keeps what its
    own proof found (the report of a run made without the whole-plan check)."""
    steps: dict[tuple[Any, ...], Remediation] = {}
    for finding in findings:
        for fix in _defaults(finding):
            if security_cost(fix) is None:
                steps.setdefault(fix.dedupe_key, fix)
    ordered = sorted(steps.values(), key=_step_key)
    return WholePlan(
        verified=False,
        why="Not checked as a whole: each fix was proven alone, the plan was not.",
        steps=tuple(
            Step(fix, number, stage_of(fix), False) for number, fix in enumerate(ordered, 1)
        ),
        findings=findings,
        remaining=(),
        appeared=(),
        excluded=(),
        notes=(),
        rounds=0,
        converged=False,
    )
