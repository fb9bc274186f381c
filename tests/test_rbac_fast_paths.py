"""The evaluator's shortcuts give the same answers as its full path and as the reference.

Questions about a target asked about often use a per-target index (HOT_TARGET), and decide()
answers a plainly allowed one from a table of holders (BULK_TARGET). Random snapshots rarely
repeat a target that often, so here both shortcuts apply from the first question."""

from __future__ import annotations

from typing import Any
from unittest import mock

from hypothesis import given

from diagnose.arm.scopes import scope_key
from diagnose.model.model import Model
from diagnose.rbac import evaluator as evaluator_module
from diagnose.rbac.evaluator import Evaluator
from diagnose.rbac.places import Places, walk_applicable
from tests import arm
from tests.test_rbac_differential import SNAPSHOT_PROPERTY, Reference, snapshot_cases


@SNAPSHOT_PROPERTY
@given(snapshot_cases())
def shortcuts_agree(case: tuple[dict[str, Any], list[tuple[str, str, str, bool]]]) -> None:
    data, queries = case
    model = Model.from_snapshot(arm.load(**{k: v for k, v in data.items() if k != "schemaVersion"}))
    reference = Reference(data)
    quick_first, full_first = Evaluator(model.authorization), Evaluator(model.authorization)
    for principal, target, operation, data_action in queries:
        expected = reference.decide(principal, target, operation, data_action)["decision"]
        quick = quick_first.decide(principal, target, operation, data_action=data_action)
        full = full_first.check(principal, target, operation, data_action=data_action)
        assert quick.outcome.value == expected, (principal, target, operation, data_action)
        assert full.decision.value == expected, (principal, target, operation, data_action)
        assert sorted(quick.grant_ages) == sorted(
            (g.created_on, bool(g.via), scope_key(g.scope)) for g in full.grants
        )


def test_hot_target_shortcuts_agree_with_the_reference() -> None:
    with (
        mock.patch.object(evaluator_module, "HOT_TARGET", 0),
        mock.patch.object(evaluator_module, "BULK_TARGET", 0),
    ):
        shortcuts_agree()


def _hot(*, deny: bool = False, deny_error: bool = False, condition: str | None = None):
    user = "11111111-2222-3333-4444-555555555555"
    storage = f"{arm.RG}/providers/Microsoft.Storage/storageAccounts/st"
    lists: dict[str, list] = {
        "resources": [arm.subscription()],
        "principals": [arm.principal(user)],
        "roleAssignments": [
            arm.role_assignment(
                arm.RG, user, arm.STORAGE_BLOB_DATA_CONTRIBUTOR, condition=condition
            )
        ],
    }
    if deny:
        lists["denyAssignments"] = [
            arm.deny_assignment(
                storage,
                principals=[arm.EVERYONE],
                data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
            )
        ]
    if deny_error:
        lists["errors"] = [
            {
                "scope": arm.RG,
                "operation": "Microsoft.Authorization/denyAssignments/read",
                "status": 403,
                "code": "AuthorizationFailed",
                "message": "no",
            }
        ]
    evaluator = Evaluator(Model.from_snapshot(arm.load(**lists)).authorization)
    operation = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
    with (
        mock.patch.object(evaluator_module, "HOT_TARGET", 0),
        mock.patch.object(evaluator_module, "BULK_TARGET", 0),
    ):
        return (
            evaluator.decide(user, storage, operation, data_action=True).outcome.value,
            evaluator.check(user, storage, operation, data_action=True).decision.value,
        )


def test_a_hot_target_grant_is_allowed():
    assert _hot() == ("allowed", "allowed")


def test_a_deny_assignment_spoils_the_shortcut():
    assert _hot(deny=True) == ("denied", "denied")


def test_an_unread_deny_list_spoils_the_shortcut():
    assert _hot(deny_error=True) == ("unknown", "unknown")


def test_a_condition_naming_the_operation_spoils_the_shortcut():
    condition = (
        "(!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/"
        "blobs/write'})) OR (@Resource[x] StringEquals 'y')"
    )
    assert _hot(condition=condition) == ("conditional", "conditional")


def test_the_table_of_a_hot_target_is_kept_per_scope_operation_and_plane():
    """decide() keeps the holders of a hot target by (scope as asked, operation, plane): a
    table kept for one must never answer another. Ann holds Storage Blob Data Reader on one
    account, Bob on the other, Cara on their resource group (tables are kept per scope of the
    chain, shared by the targets below it), and a group of Ann's holds Reader (an action) on
    the first."""
    ann, bob, cara, group = (arm.guid(f"fast-paths:{n}") for n in ("ann", "bob", "cara", "group"))
    first, second = (
        f"{arm.RG}/providers/Microsoft.Storage/storageAccounts/{name}" for name in ("st1", "st2")
    )
    model = Model.from_snapshot(
        arm.load(
            resources=[arm.subscription()],
            principals=[
                arm.principal(ann, member_of=[group]),
                arm.principal(bob),
                arm.principal(cara),
                arm.principal(group, "Group"),
            ],
            roleAssignments=[
                arm.role_assignment(first, ann, arm.STORAGE_BLOB_DATA_READER),
                arm.role_assignment(second, bob, arm.STORAGE_BLOB_DATA_READER),
                arm.role_assignment(first, group, arm.READER),
                arm.role_assignment(arm.RG, cara, arm.STORAGE_BLOB_DATA_READER),
            ],
        )
    )
    read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
    write = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
    listing = "Microsoft.Storage/storageAccounts/read"
    evaluator = Evaluator(model.authorization)

    def allowed(principal: str, scope: str, operation: str, data: bool) -> bool:
        return evaluator.decide(principal, scope, operation, data_action=data).allowed

    with mock.patch.object(evaluator_module, "BULK_TARGET", 0):
        assert allowed(ann, first, read, True)
        assert not allowed(bob, first, read, True)  # another principal, the same table
        assert allowed(bob, second, read, True) and not allowed(ann, second, read, True)
        assert not allowed(ann, first, write, True)  # another operation
        assert allowed(ann, first, listing, False)  # through the group
        assert not allowed(ann, first, listing, True)  # the other plane: no data action grants it
        assert not allowed(ann, first.upper(), write, True)  # the scope spelled otherwise
        assert allowed(bob, second.upper(), read, True)
        assert allowed(cara, first, read, True) and allowed(cara, second, read, True)
        assert not allowed(cara, first, write, True) and not allowed(cara, first, listing, False)
        grant = evaluator.decide(ann, first, listing, data_action=False).grant_ages
        assert [(through, at) for _, through, at in grant] == [(True, scope_key(first))]


@SNAPSHOT_PROPERTY
@given(snapshot_cases())
def test_the_hot_target_index_finds_what_the_walk_finds(
    case: tuple[dict[str, Any], list[tuple[str, str, str, bool]]],
) -> None:
    """Places.applicable_here (indexes of the target's own assignments and, shared per chain,
    of those above it) gives walk_applicable's list exactly: the same assignments, how far
    above and groups crossed, in the same order (nearest first, group by group), whatever
    target was indexed before."""
    data, queries = case
    model = Model.from_snapshot(arm.load(**{k: v for k, v in data.items() if k != "schemaVersion"}))
    authz = model.authorization
    places = Places(authz)
    for principal, target, _, _ in queries:
        key = scope_key(target)
        ancestors = authz.tree.ancestors(key)
        membership = authz.directory.closure(principal.strip().lower())
        assert places.applicable_here(key, ancestors, membership) == walk_applicable(
            authz, ancestors, membership
        )


def test_the_hot_targets_under_one_parent_share_the_index_above_them():
    """The assignments above a hot target are indexed once per chain of ancestors: two
    accounts in a resource group share the index of the group and what is above it (with one
    index per target, a resource group holding an assignment per project member was indexed
    again for each of its hundreds of hot targets), and each still finds its own and the
    group's assignments, at their distance."""
    ann, bob = arm.guid("fast-paths:share:ann"), arm.guid("fast-paths:share:bob")
    first, second = (
        f"{arm.RG}/providers/Microsoft.Storage/storageAccounts/{name}" for name in ("st1", "st2")
    )
    authz = Model.from_snapshot(
        arm.load(
            resources=[arm.subscription()],
            principals=[arm.principal(ann), arm.principal(bob)],
            roleAssignments=[
                arm.role_assignment(first, ann, arm.STORAGE_BLOB_DATA_READER),
                arm.role_assignment(arm.RG, ann, arm.READER),
                arm.role_assignment(arm.RG, bob, arm.READER),
            ],
        )
    ).authorization
    places = Places(authz)
    indexes = {}
    for target in (first, second):
        key = scope_key(target)
        ancestors = authz.tree.ancestors(key)
        indexes[key] = places.by_principal(key, ancestors)
        found = places.applicable_here(key, ancestors, authz.directory.closure(ann))
        assert [(a.scope_key, level) for a, level, _ in found] == (
            [(key, 0), (scope_key(arm.RG), 1)] if target == first else [(scope_key(arm.RG), 1)]
        )
    (own_first, above_first), (own_second, above_second) = indexes.values()
    assert above_first is above_second
    assert own_first is not own_second


def test_a_derived_evaluator_shares_the_places_only_of_the_same_denies_and_errors() -> None:
    """Evaluator.derived takes the table of places (a target's ancestors, the deny
    assignments and read errors reaching it) from the evaluator it derives from when the copy
    has the same scope tree, deny assignments and read errors (a copy with assignments added);
    a copy with other deny assignments works its places out again, and answers as an
    evaluator of its own."""
    ann = arm.guid("fast-paths:places:ann")
    blob = f"{arm.RG}/providers/Microsoft.Storage/storageAccounts/st1"
    read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
    lists: dict[str, list[dict[str, Any]]] = {
        "resources": [arm.subscription()],
        "principals": [arm.principal(ann)],
        "roleAssignments": [arm.role_assignment(arm.RG, ann, arm.STORAGE_BLOB_DATA_READER)],
    }
    base = Model.from_snapshot(arm.load(**lists)).authorization
    denied = Model.from_snapshot(
        arm.load(
            **lists,
            denyAssignments=[
                arm.deny_assignment(arm.RG, principals=[arm.EVERYONE], data_actions=[read])
            ],
        )
    ).authorization
    evaluator = Evaluator(base)
    assert evaluator.decide(ann, blob, read, data_action=True).allowed
    copy = evaluator.derived(base.with_assignments([]))
    assert copy._places._places is evaluator._places._places
    other = evaluator.derived(denied)
    assert other._places._places is not evaluator._places._places
    assert not other.decide(ann, blob, read, data_action=True).allowed
    assert not Evaluator(denied).decide(ann, blob, read, data_action=True).allowed
