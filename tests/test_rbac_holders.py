"""Who may run a fix (Evaluator.who_can) starts from the assignments at each scope whose role
grants the operation (holders.granting_at), in their order: the first of a principal's names the
role and scope shown. Where a target adds nothing to its parent for a principal (no assignment
of its closure, no deny assignment, no read error there), the parent's answer is taken
(Evaluator._same_as_parent): the same holders as deciding each at the target."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import given

from diagnose.model.model import Model
from diagnose.rbac import Evaluator
from diagnose.rbac.decision import Outcome
from diagnose.rbac.holders import holders
from tests import arm
from tests.test_rbac_differential import SNAPSHOT_PROPERTY, snapshot_cases

USER = "AAAAAAAA-0000-0000-0000-000000000001"
GROUP = "aaaaaaaa-0000-0000-0000-000000000002"


def test_the_assignments_granting_an_operation_at_a_scope_in_their_order() -> None:
    unknown_role = "99999999-9999-9999-9999-999999999999"
    items = [
        arm.role_assignment(arm.RG, USER, arm.OWNER),
        arm.role_assignment(arm.RG, GROUP, arm.READER),  # reads only
        arm.role_assignment(arm.RG, USER, unknown_role),  # in neither the snapshot nor catalog
        arm.role_assignment(arm.RG, GROUP, arm.CONTRIBUTOR),
    ]
    evaluator = Evaluator(Model(arm.load(roleAssignments=items)).authorization)
    write = "Microsoft.Storage/storageAccounts/write"
    for _ in range(2):  # the second time from the evaluator's memo
        found = evaluator._granting_at(arm.RG.lower(), write, False)
        assert [(a.principal_id, a.role_id) for a in found] == [
            (USER.lower(), arm.OWNER),
            (GROUP, arm.CONTRIBUTOR),
        ]


# -- who_can takes a target's answer from its parent where the target adds nothing ---------------

WRITE = "Microsoft.Authorization/roleAssignments/write"
CONDITION = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
    "ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))"
)
ACCOUNTS = [f"{arm.RG}/providers/Microsoft.Storage/storageAccounts/st{n}" for n in range(3)]


def _holders_at(lists: dict[str, Any], scope: str) -> list[tuple[str, bool]]:
    evaluator = Evaluator(Model(arm.load(**lists)).authorization)
    return [(h.principal_id, h.conditional) for h in evaluator.who_can(scope, WRITE)]


def _decided_at_each(lists: dict[str, Any], scope: str) -> list[tuple[str, bool]]:
    """who_can as the evaluator decides each holder at the target itself (the reference)."""
    authz = Model(arm.load(**lists)).authorization
    evaluator = Evaluator(authz)

    def outcome(principal: str, target: str, operation: str, data: bool) -> Outcome:
        return Evaluator(authz).decide(principal, target, operation, data_action=data).outcome

    found = holders(authz, scope, WRITE, False, evaluator._granting_at, outcome)
    return [(h.principal_id, h.conditional) for h in found]


def test_a_grant_at_the_target_itself_is_not_taken_from_its_parent() -> None:
    """USER holds Owner on the resource group under a condition, and through GROUP without one
    on the second account: there (and only there) it holds the operation plainly."""
    lists = {
        "resources": [arm.subscription()],
        "principals": [arm.principal(USER, member_of=[GROUP]), arm.principal(GROUP, "Group")],
        "roleAssignments": [
            arm.role_assignment(arm.RG, USER, arm.OWNER, condition=CONDITION),
            arm.role_assignment(ACCOUNTS[1], GROUP, arm.OWNER, principal_type="Group"),
        ],
    }
    user = USER.lower()
    for scope in ACCOUNTS:  # each sibling in turn: the first answers come from the parent
        assert _holders_at(lists, scope) == _decided_at_each(lists, scope)
    evaluator = Evaluator(Model(arm.load(**lists)).authorization)
    found = {
        s: [(h.principal_id, h.conditional) for h in evaluator.who_can(s, WRITE)] for s in ACCOUNTS
    }
    assert found[ACCOUNTS[0]] == found[ACCOUNTS[2]] == [(user, True)]
    assert sorted(found[ACCOUNTS[1]]) == [(user, False), (GROUP, False)]


def test_a_deny_that_spares_the_children_of_the_parent_is_not_the_childs() -> None:
    """A deny assignment on the resource group that does not apply to its children blocks
    USER there, not on the accounts below it; one that applies to them blocks it on each."""
    for child_scopes in (False, True):
        lists = {
            "resources": [arm.subscription()],
            "principals": [arm.principal(USER)],
            "roleAssignments": [arm.role_assignment(arm.RG, USER, arm.OWNER)],
            "denyAssignments": [
                arm.deny_assignment(
                    arm.RG, principals=[arm.EVERYONE], actions=[WRITE], child_scopes=child_scopes
                )
            ],
        }
        for scope in (arm.RG, *ACCOUNTS):
            assert _holders_at(lists, scope) == _decided_at_each(lists, scope)
        blocked_below = [] if child_scopes else [(USER.lower(), False)]
        assert _holders_at(lists, ACCOUNTS[0]) == blocked_below
        assert _holders_at(lists, arm.RG) == []


def test_an_error_reading_the_targets_assignments_is_not_the_parents() -> None:
    """USER holds Owner on the resource group under a condition: a holder under it on each
    account, but where the account's assignments could not be read another might grant it
    plainly, so the answer there is unknown (and USER not shown as a holder)."""
    lists = {
        "resources": [arm.subscription()],
        "principals": [arm.principal(USER)],
        "roleAssignments": [arm.role_assignment(arm.RG, USER, arm.OWNER, condition=CONDITION)],
        "errors": [arm.read_error(ACCOUNTS[0], "Microsoft.Authorization/roleAssignments/read")],
    }
    for scope in ACCOUNTS:
        assert _holders_at(lists, scope) == _decided_at_each(lists, scope)
    assert _holders_at(lists, ACCOUNTS[1]) == [(USER.lower(), True)]
    assert _holders_at(lists, ACCOUNTS[0]) == []


def _outcome_of(
    evaluator: Evaluator, principal: str, scope: str, operation: str, data_action: bool
) -> Outcome:
    return evaluator.decide(principal, scope, operation, data_action=data_action).outcome


@SNAPSHOT_PROPERTY
@given(snapshot_cases())
def test_who_can_answers_as_deciding_each_holder_at_the_target(
    case: tuple[dict[str, Any], list[tuple[str, str, str, bool]]],
) -> None:
    """On random snapshots (nested groups, denies that spare children or not, conditions,
    read errors, scopes spelled in any case), every target asked in turn, so that siblings and
    parents share the evaluator's memo."""
    data, queries = case
    lists = {k: v for k, v in data.items() if k != "schemaVersion"}
    authz = Model.from_snapshot(arm.load(**lists)).authorization
    evaluator = Evaluator(authz)
    for _, target, operation, data_action in queries:
        reference = Evaluator(authz)
        outcome = functools.partial(_outcome_of, reference)
        expected = holders(authz, target, operation, data_action, reference._granting_at, outcome)
        assert evaluator.who_can(target, operation, data_action=data_action) == list(expected)
