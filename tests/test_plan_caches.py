"""The plan step's caches (issue 15): each answer is computed once per distinct input and
shared only between inputs that give the same answer. Each test would fail if a cache handed
one input's answer to another."""

from __future__ import annotations

import copy
from typing import Any

from diagnose.engine.api import Operation
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.planner import Planner, ScopeProviders
from diagnose.snapshot import parse_snapshot
from tests import arm

RG = f"/subscriptions/{arm.SUB}/resourceGroups/rg-ai"
SEARCH = f"{RG}/providers/Microsoft.Search/searchServices/srch"
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/st"
CONTAINER = f"{STORAGE}/blobServices/default/containers/data"
USER = arm.guid("user:dev")


def snapshot_data() -> dict[str, Any]:
    return arm.build(
        resources=[
            arm.subscription(),
            arm.resource(SEARCH, "Microsoft.Search/searchServices"),
            arm.resource(STORAGE, "Microsoft.Storage/storageAccounts", kind="StorageV2"),
        ],
        principals=[arm.principal(USER, "User", "dev")],
    )


def model_of(data: dict[str, Any]) -> Model:
    return Model(parse_snapshot(copy.deepcopy(data), "<plan cache test>"))


def planner_of(model: Model) -> Planner:
    return Planner(Evaluator(model.authorization), ScopeProviders.of(model).at)


READ_ACCOUNT = (Operation.action("Microsoft.Storage/storageAccounts/read"),)


def test_a_role_choice_is_shared_only_between_scopes_with_the_same_providers() -> None:
    model = model_of(snapshot_data())
    shared = planner_of(model)
    at_storage = shared.choose(READ_ACCOUNT, (), STORAGE)
    at_search = shared.choose(READ_ACCOUNT, (), SEARCH)
    # Roles are ranked over the providers at the scope (Reader reads every Storage operation
    # on the account, nothing of Storage on a Search service): the Search service's answer is
    # its own, as a planner that never saw the storage account says.
    alone = planner_of(model).choose(READ_ACCOUNT, (), SEARCH)
    assert [(c.role.id, c.risk, c.extra, c.label()) for c in at_search] == [
        (c.role.id, c.risk, c.extra, c.label()) for c in alone
    ]
    assert at_storage[0].role.id == arm.READER
    assert at_search[0].role.id != arm.READER
    # A container of the storage account has the same providers: the same answer, not redone.
    assert shared.choose(READ_ACCOUNT, (), CONTAINER) is at_storage


def test_each_finding_keeps_its_own_units_in_the_whole_plan_memo() -> None:
    """The whole-plan check remembers each finding's units: findings made and dropped one after
    another (as each round's re-run makes them) each get their own, never a freed one's."""
    from diagnose.engine.api import Cause, Finding, PrincipalRef, Severity, Status
    from diagnose.remediation.whole_plan import _Units, units

    memo = _Units()
    for number in range(200):
        finding = Finding(
            check_id="HUB001",
            title="t",
            severity=Severity.HIGH,
            status=Status.FAIL,
            resource=SEARCH,
            principal=PrincipalRef(arm.guid(f"user:{number}"), "User", f"u{number}"),
            message="m",
            cause=Cause.MISSING_ROLE,
            details={"scope": SEARCH, "n": number},
        )
        assert memo.of(finding) == units(finding)
        assert memo.uncaused(finding) == {(u[0], u[1], *u[3:]) for u in units(finding)}


def test_commands_are_shared_only_by_fixes_that_render_alike() -> None:
    """Commands are rendered once per distinct fix: a setting made true and one made the
    string "true" are two fixes with two commands, and the same fix again is not rendered
    again."""
    from diagnose.engine.api import Remediation, RemediationKind
    from diagnose.remediation.plan import FixPlan

    model = model_of(snapshot_data())
    plan = FixPlan(model, Evaluator(model.authorization))

    def setting(value: object) -> Remediation:
        return Remediation(
            kind=RemediationKind.CONFIGURATION,
            summary="Set the flag.",
            resource=STORAGE,
            setting="properties.someFlag",
            value=value,
        )

    as_bool = plan._with_commands(setting(True))
    as_text = plan._with_commands(setting("true"))
    as_object = plan._with_commands(setting({"on": True}))
    assert as_bool.commands is not None and as_text.commands is not None
    assert "properties.someFlag=true" in as_bool.commands["azureCli"]
    assert 'properties.someFlag="true"' in as_text.commands["azureCli"]
    assert as_object.commands is not None and '{"on":true}' in as_object.commands["azureCli"]
    again = plan._with_commands(setting({"on": True}))
    assert again.commands is as_object.commands


def test_each_scope_renders_its_own_frame_and_target() -> None:
    """Targets and Bicep frames are remembered per scope as spelled and per role: scopes that
    differ only in case, or in the resource group, each keep their own words."""
    from diagnose.engine.api import Remediation, RemediationKind
    from diagnose.remediation.commands import commands_for
    from diagnose.remediation.targets import target_of

    def grant(scope: str, role: str = arm.READER) -> str:
        fix = Remediation(
            kind=RemediationKind.ROLE_ASSIGNMENT,
            summary="Assign the role.",
            principal_id=USER,
            principal_type="User",
            role_definition_id=role,
            role_name="Reader",
            scope=scope,
        )
        return commands_for(fix)["bicep"]

    upper = f"/subscriptions/{arm.SUB}/resourceGroups/RG-Upper"
    lower = upper.lower()
    other = f"/subscriptions/{arm.SUB}/resourceGroups/rg-other"
    assert target_of(upper).resource_group == "RG-Upper"
    assert target_of(lower).resource_group == "rg-upper"
    assert "--resource-group 'RG-Upper'" in grant(upper)
    assert "--resource-group 'rg-upper'" in grant(lower)
    assert "--resource-group 'rg-other'" in grant(other)
    assert "--resource-group 'RG-Upper'" in grant(upper)  # again, after the others
    contributor = grant(upper, arm.CONTRIBUTOR)
    assert arm.CONTRIBUTOR in contributor and arm.READER not in contributor


def test_ranking_measures_the_tie_break_only_for_ties_and_ranks_as_the_full_key_does() -> None:
    """Roles are ranked by their risk at the scope, then (only among equals) by what they grant
    over every catalog, their name and id: the same order as sorting on all four at once."""
    model = model_of(snapshot_data())
    planner = planner_of(model)
    builtins = [r for r in model.authorization.roles.values() if r.builtin]
    for scope in (STORAGE, SEARCH, RG, CONTAINER):
        providers = planner.providers_at(scope)
        reference = sorted(
            builtins,
            key=lambda r: (
                planner.risks.of(r, providers).key,
                planner.risks.everywhere(r),
                r.name.lower(),
                r.id,
            ),
        )
        assert [r.id for r in planner.rank(builtins, scope)] == [r.id for r in reference]
        assert planner.best(builtins, scope) is reference[0]


def test_providers_at_a_group_or_subscription_are_those_of_the_resources_under_it() -> None:
    at = ScopeProviders.of(model_of(snapshot_data())).at
    present = {"microsoft.storage", "microsoft.search"}
    assert present <= at(RG) and at(RG.upper()) == at(RG)
    assert present <= at(f"/subscriptions/{arm.SUB}")
    assert not present & at(f"/subscriptions/{arm.SUB}/resourceGroups/rg-empty")
    assert not present & at("/subscriptions/00000000-0000-0000-0000-0000000000ff")
