"""The whole-plan check's rounds compute again only what their new steps can change
(diagnose.remediation.affected): the first run's met requirements are kept where no step
reaches them (`still_met`), and the checks about people are asked again only about the
principals whose roles a relevant step changes, the rest taken from the round before
(`Outputs`). The plan, its verdicts and its findings must be exactly those of the full
re-runs (`full=True`)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from benchmarks.synthetic import build_foundry, small_hub, with_shared_group_without_roles
from diagnose.demo import load_demo
from diagnose.engine.api import PrincipalRef, Remediation, RemediationKind
from diagnose.engine.personas import Declarations, Persona
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.affected import Outputs, Reach, still_met, touched
from diagnose.remediation.plan import FixPlan
from diagnose.remediation.whole_plan import WholePlan, apply, converge
from diagnose.snapshot import Snapshot, parse_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"
CHECKS = load_checks()[0]


def _both(
    snapshot: Snapshot, *, recorded: bool = True
) -> tuple[WholePlan, WholePlan, int, Outputs]:
    """The incremental whole-plan check, the full re-runs', how many met requirements the
    first run handed on, and what the incremental rounds recorded. recorded=False: the first
    run's outputs are not handed on (its first round runs the checks about people in full)."""
    model = Model(snapshot)
    engine = Engine(model, fixes=FixPlan)
    result = engine.run(CHECKS)
    reference = converge(model, result, FixPlan, evaluator=engine.evaluator, full=True)
    engine = Engine(model, fixes=FixPlan)  # a fresh run: no cache of the reference's is shared
    outputs = Outputs()
    result = engine.run(outputs.wrap(CHECKS, engine.context) if recorded else CHECKS)
    met = engine.met  # as diagnose_snapshot hands it on (_both_declared: met_keys)
    incremental = converge(
        model,
        result,
        FixPlan,
        evaluator=engine.evaluator,
        met=met,
        outputs=outputs if recorded else None,
        needs=engine.needs,
    )
    return incremental, reference, len(engine.met_keys), outputs


def _assert_same(incremental: WholePlan, reference: WholePlan) -> None:
    assert incremental.verified == reference.verified
    assert incremental.why == reference.why
    assert incremental.rounds == reference.rounds
    assert incremental.steps == reference.steps
    assert incremental.findings == reference.findings
    assert incremental.remaining == reference.remaining
    assert incremental.appeared == reference.appeared
    assert incremental.excluded == reference.excluded
    assert incremental == reference


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "not-recorded"])
def test_the_demos_plan_is_the_same_incremental_or_not(recorded: bool) -> None:
    incremental, reference, met, _ = _both(load_demo(), recorded=recorded)
    assert met and reference.steps  # not vacuous: something was handed on, there is a plan
    _assert_same(incremental, reference)


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.glob("*/*.json")), ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_each_fixtures_plan_is_the_same_incremental_or_not(path: Path) -> None:
    incremental, reference, _, _ = _both(parse_snapshot(json.loads(path.read_bytes()), str(path)))
    _assert_same(incremental, reference)


def _small_hub(seed: int) -> dict:
    return small_hub(seed=seed)


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "not-recorded"])
@pytest.mark.parametrize("seed", random.Random(15).sample(range(1000), 3))
def test_a_small_synthetic_hubs_plan_is_the_same_incremental_or_not(
    seed: int, recorded: bool
) -> None:
    incremental, reference, met, outputs = _both(
        parse_snapshot(_small_hub(seed), f"synthetic-{seed}"), recorded=recorded
    )
    assert met and reference.steps
    # not vacuous: some check about people was asked about fewer (in the first round)
    assert outputs.filtered or not recorded
    _assert_same(incremental, reference)


def test_a_hub_whose_shared_group_lost_its_roles_has_the_same_plan_incremental_or_not() -> None:
    data = with_shared_group_without_roles(_small_hub(3), members=40)
    incremental, reference, _, outputs = _both(parse_snapshot(data, "stripped"))
    assert reference.steps and outputs.filtered
    _assert_same(incremental, reference)


@pytest.mark.parametrize("seed", [11, 12])
def test_a_small_foundry_resources_plan_is_the_same_incremental_or_not(seed: int) -> None:
    data = build_foundry(
        projects=4, principals=120, assignments=200, resources=20, targets=3, broken=0.3, seed=seed
    )
    incremental, reference, met, outputs = _both(parse_snapshot(data, f"foundry-{seed}"))
    assert met and reference.steps and outputs.filtered
    _assert_same(incremental, reference)


# -- whom the first run's answers are kept for -------------------------------------------------
def _member_and_group(model: Model) -> tuple[str, str]:
    directory = model.authorization.directory
    for principal in directory.principals.values():
        groups = [g for g in directory.closure(principal.id).via if g != principal.id.lower()]
        if groups:
            return principal.id, groups[0]
    raise AssertionError("the demo has no group with a member")


def _role_for(principal_id: str, model: Model) -> Remediation:
    scope = model.authorization.assignments[0].scope
    return Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary="a role for the test",
        principal_id=principal_id,
        principal_type="Group",
        role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/"
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        scope=scope,
    )


def test_a_group_given_a_role_has_its_members_evaluated_again_where_it_reaches() -> None:
    model = Model(load_demo())
    member, group = _member_and_group(model)
    other = next(
        p.id
        for p in model.authorization.directory.principals.values()
        if group not in model.authorization.directory.closure(p.id).via
    )
    # the step names the group in upper case, as a snapshot may: closures are lower-case
    step = _role_for(group.upper(), model)
    patched = apply(model, [step])
    changes = touched(model, [step])
    assert changes is not None
    below = f"{step.scope}/providers/Microsoft.Storage/storageAccounts/below"
    met = frozenset(
        (principal, scope, (), False)
        for principal in (member, group, other)
        for scope in (below, "/subscriptions/elsewhere")
    )
    kept = {key[:2] for key in still_met(met, Reach(patched, changes))}
    # the role reaches the scope below the step's, never one beside it
    assert kept == {
        (other, below),
        (other, "/subscriptions/elsewhere"),
        (member, "/subscriptions/elsewhere"),
        (group, "/subscriptions/elsewhere"),
    }


def test_a_removed_assignment_has_its_principal_evaluated_again_where_it_reached() -> None:
    model = Model(load_demo())
    assignment = model.authorization.assignments[0]
    removal = Remediation(
        kind=RemediationKind.REMOVE_ASSIGNMENT,
        summary="remove it",
        resource=assignment.id,
    )
    patched = apply(model, [removal])
    changes = touched(model, [removal])
    assert changes is not None
    met = frozenset(
        [
            (assignment.principal_id, assignment.scope, (), False),
            (assignment.principal_id, "/subscriptions/elsewhere", (), False),
        ]
    )
    kept = still_met(met, Reach(patched, changes))
    assert [key[1] for key in kept] == ["/subscriptions/elsewhere"]


def test_a_principal_that_held_nothing_before_has_its_answers_asked_again() -> None:
    """A step may give a role to a principal the snapshot names nowhere (an identity without
    a role, in no group): what the first run answered about it is not kept where the role
    reaches."""
    model = Model(load_demo())
    newcomer = "00000000-0000-4000-8000-0000000000ab"
    step = _role_for(newcomer, model)
    changes = touched(model, [step])
    assert changes is not None
    reach = Reach(model, changes)
    assert step.scope is not None
    assert not reach.keeps(newcomer.upper(), step.scope)
    assert reach.keeps(newcomer, "/subscriptions/elsewhere")


def _both_declared(declarations: Declarations) -> tuple[WholePlan, WholePlan]:
    model = Model(load_demo())
    engine = Engine(model, fixes=FixPlan, declarations=declarations)
    result = engine.run(CHECKS)
    reference = converge(
        model, result, FixPlan, declarations=declarations, evaluator=engine.evaluator, full=True
    )
    engine = Engine(model, fixes=FixPlan, declarations=declarations)
    outputs = Outputs()
    result = engine.run(outputs.wrap(CHECKS, engine.context))
    incremental = converge(
        model,
        result,
        FixPlan,
        declarations=declarations,
        evaluator=engine.evaluator,
        met=engine.met_keys,
        outputs=outputs,
        needs=engine.needs,
    )
    return incremental, reference


def test_a_focused_or_declared_runs_plan_is_the_same_incremental_or_not() -> None:
    """--principal (everyone else left out, the focus a builder everywhere) and --personas
    (a declared group's members take its persona) as the whole-plan rounds see them."""
    model = Model(load_demo())
    directory = model.authorization.directory
    member, group = _member_and_group(model)
    entry = directory.get(member)
    assert entry is not None
    focus = Declarations(focus=(PrincipalRef(entry.id, entry.type, entry.display_name),))
    declared = Declarations(personas={group: Persona.BUILDER})
    for declarations in (focus, declared):
        incremental, reference = _both_declared(declarations)
        assert reference.steps
        _assert_same(incremental, reference)
