"""Traps the checks must not fall into, and the rules for what cannot be told.

Every trap fixture grants access through an indirect path Azure honours (a nested group, an
inherited resource-group, subscription or management-group assignment, a renamed or wildcard
role, a second role granting what the first one's NotActions removed): the check must report
nothing. Each trap also comes with its counterfactual, the same snapshot with that one path cut,
on which the check must fail: so a trap cannot pass just because the check never looked.

Unknown rules: a connection target missing from the snapshot, role assignments that could not be
read at the target's subscription, memberships that could not be read when only a group could
grant the access, an ABAC condition naming the operation: each gives `unknown` for that check,
never fail and never pass.

A check that raises is reported in RunResult.check_errors, and every other check still reports
what it reports without it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from diagnose.arm.scopes import scope_key
from diagnose.engine.api import (
    Cause,
    CheckInfo,
    Draft,
    Finding,
    Remediation,
    Requirement,
    Severity,
    Status,
    check,
)
from diagnose.engine.context import CheckContext
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, RunResult
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import parse_snapshot
from tests import arm
from tests.checks_support import without_key_paths

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "checks"
OTHER_SUBSCRIPTION = "/subscriptions/99999999-8888-7777-6666-555555555555"
KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395"

Data = dict[str, Any]


def fixture(name: str) -> Data:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def checks() -> list[CheckInfo]:
    found, errors = load_checks()
    assert not errors, errors
    return found


def run(data: Data, extra: list[CheckInfo] = ()) -> RunResult:
    snapshot = parse_snapshot(copy.deepcopy(data), "<trap>")
    engine = Engine(Model(snapshot), creator=snapshot.target.get("creator"), fixes=FixPlan)
    return engine.run([*extra, *checks()])


def reported(result: RunResult, check_id: str) -> list[Finding]:
    return [f for f in result.findings if f.check_id == check_id]


def show(findings: list[Finding]) -> str:
    return (
        "\n".join(
            f"  {f.check_id} {f.status.value} {f.cause.value} "
            f"{f.principal.label if f.principal else '-'}: {f.message}"
            for f in findings
        )
        or "  (none)"
    )


# -- editing a fixture the way the tenant would differ --------------------------------------------
def principal(data: Data, display_name: str) -> Data:
    found = [p for p in data["principals"] if p.get("displayName") == display_name]
    assert len(found) == 1, display_name
    return found[0]


def role_guid(assignment: Data) -> str:
    return assignment["properties"]["roleDefinitionId"].rsplit("/", 1)[-1].lower()


def drop_assignments(
    data: Data, who: str, role: str | None = None, scope: str | None = None
) -> None:
    """Remove the active assignments of a principal (by display name), of one role and/or at one
    scope; at least one must go."""
    object_id = principal(data, who)["id"].lower()

    def doomed(item: Data) -> bool:
        properties = item["properties"]
        return (
            properties["principalId"].lower() == object_id
            and (role is None or role_guid(item) == role.lower())
            and (scope is None or scope_key(properties["scope"]) == scope_key(scope))
        )

    before = len(data["roleAssignments"])
    data["roleAssignments"] = [a for a in data["roleAssignments"] if not doomed(a)]
    assert len(data["roleAssignments"]) < before, f"no assignment of {who} to drop"


def definition(data: Data, role_name: str) -> Data:
    found = [d for d in data["roleDefinitions"] if d["properties"]["roleName"] == role_name]
    assert len(found) == 1, role_name
    return found[0]


def subscription(data: Data) -> Data:
    found = [
        r for r in data["resources"] if r["type"].lower() == "microsoft.resources/subscriptions"
    ]
    assert len(found) == 1
    return found[0]


# -- traps ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trap:
    check_id: str
    variant: str
    who: str
    """Display name of the principal whose access the trap is about."""
    cut: Callable[[Data], None]
    """Cut the indirect path: the check must then fail for `who`."""
    also: tuple[str, ...] = ()
    """Others the same cut legitimately implicates (display names)."""

    @property
    def name(self) -> str:
        return f"{self.check_id}/{self.variant}"


def _cut_nested_link(data: Data) -> None:
    principal(data, "grp-a")["memberOf"] = []


def _unname_management_group(data: Data) -> None:
    chain = subscription(data)["properties"]["managementGroupAncestorsChain"]
    subscription(data)["properties"]["managementGroupAncestorsChain"] = [
        mg for mg in chain if mg["name"] != "mg-ai-platform"
    ]


def _strip_data_actions(role_name: str) -> Callable[[Data], None]:
    def cut(data: Data) -> None:
        for permission in definition(data, role_name)["properties"]["permissions"]:
            permission["dataActions"] = []

    return cut


def _no_identity(resource_name: str) -> Callable[[Data], None]:
    """The resource no longer names its managed identity: its principal is then an ordinary
    service principal of the tenant."""

    def cut(data: Data) -> None:
        [resource] = [r for r in data["resources"] if r.get("name") == resource_name]
        resource.pop("identity")

    return cut


def _narrow_search_wildcard(data: Data) -> None:
    permission = definition(data, "Contoso Search Document Editor")["properties"]["permissions"][0]
    permission["dataActions"] = ["Microsoft.Search/searchServices/indexes/documents/read"]


def _wildcard_to_other_provider_path(data: Data) -> None:
    # accounts/AIServices/* does not reach accounts/OpenAI/... (segment-wise, anchored)
    permission = definition(data, "Contoso OpenAI Data Access")["properties"]["permissions"][0]
    permission["dataActions"] = ["Microsoft.CognitiveServices/accounts/AIServices/*"]


TRAPS = [
    Trap("HUB001", "trap-nested-group", "Ana Alvarez", _cut_nested_link),
    Trap(
        "HUB001",
        "trap-nested-group",
        "Ana Alvarez",
        lambda d: drop_assignments(d, "grp-b", arm.READER),
    ),
    Trap(
        "CON001",
        "trap-inherited-resource-group",
        "Ana Alvarez",
        lambda d: drop_assignments(d, "Ana Alvarez", arm.OPENAI_USER),
    ),
    Trap(
        "INS001",
        "trap-inherited-subscription",
        "Cara Creator",
        lambda d: drop_assignments(d, "Cara Creator", arm.CONTRIBUTOR, f"/subscriptions/{arm.SUB}"),
    ),
    Trap(
        "OYD001",
        "trap-inherited-subscription",
        "aoai-chat",
        lambda d: drop_assignments(d, "aoai-chat", scope=f"/subscriptions/{arm.SUB}"),
    ),
    Trap(
        "HUB004",
        "trap-inherited-management-group",
        "Cara Creator",
        lambda d: drop_assignments(
            d, "Cara Creator", arm.CONTRIBUTOR, arm.management_group_scope("mg-ai-platform")
        ),
    ),
    Trap("HUB004", "trap-inherited-management-group", "Cara Creator", _unname_management_group),
    # Finn is a builder only because the renamed role grants the Foundry data actions: without
    # them Finn is a reader, asked nothing; the project's identity, which holds the same
    # renamed role, must then fail.
    Trap("FDY001", "trap-renamed-role", "fproj-agents", _strip_data_actions("Azure AI User")),
    Trap(
        "CON001", "trap-tenant-role-name", "Ana Alvarez", _strip_data_actions("Contoso Chat Caller")
    ),
    Trap("CON002", "trap-wildcard-custom-role", "Ana Alvarez", _narrow_search_wildcard),
    Trap("OYD003", "trap-wildcard-custom-role", "srch-fixture", _wildcard_to_other_provider_path),
    Trap(
        "CON001",
        "trap-second-role-notdataactions",
        "Ana Alvarez",
        lambda d: drop_assignments(d, "Ana Alvarez", role=arm.guid("role:OpenAI Chat Caller")),
    ),
    Trap(
        "CMK003",
        "trap-second-role-notactions",
        "Cara Creator",
        lambda d: drop_assignments(d, "Cara Creator", role=KEY_VAULT_CONTRIBUTOR),
    ),
    # an ordinary service principal with Azure AI Administrator at the resource group is an
    # administrator of the Foundry project and is warned: only the snapshot's own services
    # (here the hub's identity) and the Azure Machine Learning app are left out
    Trap("FDY001", "trap-service-identities", "hub-fixture", _no_identity("hub-fixture")),
]


@pytest.mark.parametrize("trap", TRAPS, ids=lambda t: t.name)
def test_trap_does_not_fail(trap: Trap) -> None:
    result = run(fixture(trap.name))
    assert not result.check_errors, result.check_errors
    # The one portal key-path warning a Search connection's builders get is not a trap.
    mine = without_key_paths(reported(result, trap.check_id))
    assert not mine, f"{trap.check_id} falls into {trap.variant}:\n{show(mine)}"


@pytest.mark.parametrize("trap", TRAPS, ids=lambda t: t.name)
def test_trap_without_its_indirect_path_fails(trap: Trap) -> None:
    data = fixture(trap.name)
    trap.cut(data)
    who = principal(data, trap.who)["id"].lower()
    mine = without_key_paths(reported(run(data), trap.check_id))
    failing = [
        f
        for f in mine
        if f.status in (Status.FAIL, Status.WARN)
        and f.cause is Cause.MISSING_ROLE
        and f.principal
        and f.principal.id == who
    ]
    assert failing, (
        f"{trap.check_id} should fail for {trap.who} once the path is cut:\n{show(mine)}"
    )
    allowed = {who, *(principal(data, name)["id"].lower() for name in trap.also)}
    assert all(f.principal and f.principal.id in allowed for f in mine), (
        f"cutting one path must not implicate anyone else:\n{show(mine)}"
    )


def test_nested_group_finding_names_the_chain_when_the_top_group_loses_the_role() -> None:
    """The evidence of a nested grant shows the groups crossed, outermost last."""
    data = fixture("HUB001/trap-nested-group")
    snapshot = parse_snapshot(copy.deepcopy(data))
    engine = Engine(Model(snapshot), fixes=FixPlan)
    ana = principal(data, "Ana Alvarez")["id"].lower()
    hub = next(r["id"] for r in data["resources"] if r["name"] == "hub-fixture")
    decision = engine.evaluator.check(
        ana, hub, "Microsoft.MachineLearningServices/workspaces/read", data_action=False
    )
    assert decision.allowed
    groups = [principal(data, n)["id"].lower() for n in ("grp-a", "grp-b")]
    assert any(tuple(g.lower() for g in grant.via) == tuple(groups) for grant in decision.grants)


def test_deny_assignment_is_not_overridden_by_owner() -> None:
    """Owner on the storage account does not beat the deny assignment that blocks blob writes
    (a warning: a builder's blob writes are only needed to upload)."""
    data = fixture("CON003/warn-deny-assignment")
    ana = principal(data, "Ana Alvarez")["id"]
    storage = next(r["id"] for r in data["resources"] if r["name"] == "stdatafixture")
    data["roleAssignments"].append(arm.role_assignment(storage, ana, arm.OWNER))
    mine = reported(run(data), "CON003")
    assert [f.cause for f in mine] == [Cause.DENY_ASSIGNMENT]
    assert mine[0].status is Status.WARN


# -- unknown rules ------------------------------------------------------------------------------
def assert_unknown_only(result: RunResult, check_id: str, cause: Cause) -> list[Finding]:
    mine = reported(result, check_id)
    assert mine, f"{check_id} must say unknown, not pass"
    failing = [f for f in mine if f.status is not Status.UNKNOWN]
    assert not failing, f"{check_id} must say unknown, never:\n{show(failing)}"
    assert {f.cause for f in mine} == {cause}, show(mine)
    return mine


def test_connection_target_missing_is_unknown() -> None:
    data = fixture("CON001/unknown-target-missing")
    result = run(data)
    mine = assert_unknown_only(result, "CON001", Cause.UNREADABLE)
    connection = next(r for r in data["resources"] if r["name"] == "conn-aoai")
    assert [scope_key(f.resource) for f in mine] == [scope_key(connection["id"])]
    target = connection["properties"]["metadata"]["ResourceId"]
    assert target in mine[0].message
    assert mine[0].details["target"] == target


def test_read_error_at_the_target_subscription_is_unknown() -> None:
    data = fixture("CON001/unknown-read-error")
    errors = data["errors"]
    assert [(e["scope"], e["operation"]) for e in errors] == [
        (f"/subscriptions/{arm.SUB}", "Microsoft.Authorization/roleAssignments/read")
    ]
    mine = assert_unknown_only(run(data), "CON001", Cause.UNREADABLE)
    assert "Microsoft.Authorization/roleAssignments/read" in mine[0].message
    assert not mine[0].remediations, "no role to assign while the answer is unknown"


@pytest.mark.parametrize("scope", [OTHER_SUBSCRIPTION, None], ids=["other-subscription", "none"])
def test_without_that_read_error_the_same_snapshot_fails(scope: str | None) -> None:
    """The unknown comes from the error at the target's subscription, nothing else: an error
    at another subscription, or none, leaves a plain missing role."""
    data = fixture("CON001/unknown-read-error")
    if scope is None:
        data["errors"] = []
    else:
        data["errors"][0]["scope"] = scope
    mine = reported(run(data), "CON001")
    assert [(f.status, f.cause) for f in mine] == [(Status.FAIL, Cause.MISSING_ROLE)]


def test_unreadable_memberships_are_unknown_when_only_a_group_could_grant() -> None:
    data = fixture("HUB001/unknown-memberof-null")
    assert principal(data, "Ana Alvarez")["memberOf"] is None
    mine = assert_unknown_only(run(data), "HUB001", Cause.UNREADABLE)
    assert "memberships" in mine[0].message


def test_unreadable_memberships_do_not_matter_with_a_direct_grant() -> None:
    data = fixture("HUB001/unknown-memberof-null")
    ana = principal(data, "Ana Alvarez")["id"]
    hub = next(r["id"] for r in data["resources"] if r["name"] == "hub-fixture")
    data["roleAssignments"].append(arm.role_assignment(hub, ana, arm.READER))
    assert not reported(run(data), "HUB001")


def test_known_memberships_turn_the_unknown_into_a_failure() -> None:
    data = fixture("HUB001/unknown-memberof-null")
    principal(data, "Ana Alvarez")["memberOf"] = []
    mine = reported(run(data), "HUB001")
    assert [(f.status, f.cause) for f in mine] == [(Status.FAIL, Cause.MISSING_ROLE)]


def test_condition_naming_the_operation_is_unknown() -> None:
    data = fixture("CON003/unknown-conditional")
    mine = assert_unknown_only(run(data), "CON003", Cause.CONDITIONAL)
    assert "condition" in mine[0].message.lower()


def test_condition_naming_other_operations_grants_unconditionally() -> None:
    data = fixture("CON003/unknown-conditional")
    for item in data["roleAssignments"]:
        condition = item["properties"]["condition"]
        if condition:
            item["properties"]["condition"] = condition.replace(
                "blobs/read", "blobs/delete"
            ).replace("blobs/write", "blobs/delete")
    assert not reported(run(data), "CON003")


def test_without_the_condition_the_grant_counts() -> None:
    data = fixture("CON003/unknown-conditional")
    for item in data["roleAssignments"]:
        item["properties"]["condition"] = None
        item["properties"]["conditionVersion"] = None
    assert not reported(run(data), "CON003")


# -- a check that breaks --------------------------------------------------------------------------
@check(
    id="ZZZ901",
    title="A check that always raises",
    severity=Severity.HIGH,
    scenario="test: a broken plug-in",
)
def _raises(ctx: CheckContext):
    """
    What it checks: nothing; it raises.

    Why it matters: one broken check must not take the others down.

    How to fix: not applicable.
    """
    raise RuntimeError("this check is broken on purpose")


@check(
    id="ZZZ902",
    title="A check that raises half-way",
    severity=Severity.HIGH,
    scenario="test: a broken plug-in",
)
def _raises_late(ctx: CheckContext):
    """
    What it checks: every hub's members, then it raises.

    Why it matters: a check that fails half-way must not leave half of its findings.

    How to fix: not applicable.
    """
    hub = ctx.hubs[0]
    yield Requirement(
        principal=ctx.principal("00000000-aaaa-bbbb-cccc-000000000000", "User"),
        resource=hub,
        operations=(),
        because="is made up",
    )
    raise KeyError("late")


def summary(findings: tuple[Finding, ...]) -> list[tuple[str, str, str, str, str]]:
    return sorted(
        (
            f.check_id,
            f.status.value,
            f.cause.value,
            f.resource.lower(),
            f.principal.id if f.principal else "",
        )
        for f in findings
    )


def test_a_check_that_raises_is_reported_and_the_others_still_run() -> None:
    data = fixture("OYD001/fail")
    alone = run(data)
    together = run(data, extra=[_raises, _raises_late])
    assert [(e.check_id, e.error.split(":")[0]) for e in together.check_errors] == [
        ("ZZZ901", "RuntimeError"),
        ("ZZZ902", "KeyError"),
    ]
    assert "this check is broken on purpose" in together.check_errors[0].error
    assert not [f for f in together.findings if f.check_id.startswith("ZZZ")]
    assert summary(together.findings) == summary(alone.findings)
    assert reported(together, "OYD001"), "the real checks still report"
    assert len(together.checks) == len(alone.checks) + 2


@check(
    id="ZZZ903",
    title="A check whose fix is of a kind no one knows",
    severity=Severity.LOW,
    scenario="test: a plug-in ahead of the tool",
)
def _unknown_fix_kind(ctx: CheckContext):
    """
    What it checks: nothing; it reports one finding with a fix of an unknown kind.

    Why it matters: a plug-in check written for a newer version must not take the run down.

    How to fix: not applicable.
    """
    hub = ctx.hubs[0]
    yield Draft(
        status=Status.WARN,
        resource=hub.id,
        cause=Cause.CONFIGURATION,
        message="a finding with a fix of a future kind",
        remediations=(
            Remediation(kind="futureKind", summary="do the future thing", resource=hub.id),
        ),
    )


def test_a_fix_of_unknown_kind_is_a_check_error_not_a_crash() -> None:
    data = fixture("OYD001/fail")
    alone = run(data)
    together = run(data, extra=[_unknown_fix_kind])
    assert [e.check_id for e in together.check_errors] == ["ZZZ903"]
    assert summary(together.findings) == summary(alone.findings)
