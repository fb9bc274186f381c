"""Cosmos DB SQL RBAC (diagnose.model.cosmos, diagnose.rbac.cosmos): data access decided the way
Cosmos DB decides it, from snapshots in ARM shape (tests/arm.py), never from Azure RBAC."""

from __future__ import annotations

from typing import Any

import pytest

from diagnose.model.cosmos import BUILTIN_DATA_CONTRIBUTOR, CosmosPath, parse_path
from diagnose.model.model import Model
from diagnose.rbac.cosmos import CosmosEvaluator, outcome_of
from diagnose.rbac.decision import Outcome
from tests import arm

ACCOUNT = f"{arm.RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-agents"
OTHER = f"{arm.RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-other"
MEMORY = f"{ACCOUNT}/dbs/enterprise_memory"
DB = "Microsoft.DocumentDB/databaseAccounts"
CREATE = f"{DB}/sqlDatabases/containers/items/create"
READ = f"{DB}/sqlDatabases/containers/items/read"
DELETE = f"{DB}/sqlDatabases/containers/items/delete"
MI = arm.guid("cosmos:mi")
USER = arm.guid("cosmos:user")
GROUP = arm.guid("cosmos:group")
OUTER = arm.guid("cosmos:outer")
CUSTOM = arm.guid("cosmos:custom-role")


def model(
    *items: dict[str, Any],
    definitions: bool = True,
    errors: tuple[dict[str, Any], ...] = (),
    principals: list[dict[str, Any]] | None = None,
    account_properties: dict[str, Any] | None = None,
) -> Model:
    resources = [
        arm.subscription(),
        arm.cosmos_account(ACCOUNT, **(account_properties or {})),
        arm.cosmos_account(OTHER),
    ]
    if definitions:
        resources += arm.cosmos_builtin_definitions(ACCOUNT)
    resources += list(items)
    return Model(
        arm.load(
            resources=resources,
            principals=principals
            if principals is not None
            else [
                arm.principal(MI, "ServicePrincipal", "proj-agents"),
                arm.principal(USER, "User", "Una", [GROUP, OUTER]),
                arm.principal(GROUP, "Group", "grp-agents", [OUTER]),
                arm.principal(OUTER, "Group", "grp-outer", []),
            ],
            errors=list(errors),
        )
    )


def decide(m: Model, principal: str, action: str, path: str = MEMORY, account: str = ACCOUNT):
    return CosmosEvaluator(m.cosmos, m.authorization.directory).check(
        principal, account, path, action
    )


def assign(principal: str, role: str, scope: str, account: str = ACCOUNT) -> dict[str, Any]:
    return arm.cosmos_sql_role_assignment(account, principal, role, scope)


def custom(data_actions: list[str], not_data_actions: tuple[str, ...] = ()) -> dict[str, Any]:
    return arm.cosmos_sql_role_definition(
        ACCOUNT, CUSTOM, "Agents memory writer", data_actions, not_data_actions=not_data_actions
    )


# -- paths ------------------------------------------------------------------------------------
def test_paths_full_and_relative_as_the_cli_accepts_them():
    assert parse_path(ACCOUNT, ACCOUNT) == CosmosPath()
    assert parse_path(ACCOUNT.upper() + "/", ACCOUNT) == CosmosPath()
    assert parse_path("/", ACCOUNT) == CosmosPath()
    assert parse_path("/dbs/enterprise_memory", ACCOUNT) == CosmosPath("enterprise_memory")
    assert parse_path("dbs/enterprise_memory", ACCOUNT) == CosmosPath("enterprise_memory")
    assert parse_path(f"{MEMORY}/colls/threads", ACCOUNT) == CosmosPath(
        "enterprise_memory", "threads"
    )
    assert parse_path(f"{OTHER}/dbs/enterprise_memory", ACCOUNT) is None
    assert parse_path("/dbs/a/colls", ACCOUNT) is None
    assert parse_path("/dbs//colls/c", ACCOUNT) is None
    assert CosmosPath("enterprise_memory").under(ACCOUNT) == MEMORY


def test_a_path_contains_another_only_by_whole_segments_and_exact_ids():
    memory = CosmosPath("enterprise_memory")
    assert memory.contains(CosmosPath("enterprise_memory", "threads"))
    assert not memory.contains(CosmosPath("enterprise_memory2"))
    assert not CosmosPath("enterprise").contains(memory)
    assert not CosmosPath("Enterprise_Memory").contains(memory)
    assert not CosmosPath("enterprise_memory", "threads").contains(memory)
    assert CosmosPath().contains(memory)


# -- scopes -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "scope, levels",
    [
        (MEMORY, 0),
        ("/dbs/enterprise_memory", 0),
        (ACCOUNT, 1),
        (ACCOUNT.upper(), 1),  # the ARM part of the path is case-insensitive
        ("/", 1),
    ],
)
def test_an_assignment_at_the_database_or_above_grants(scope, levels):
    found = decide(model(assign(MI, BUILTIN_DATA_CONTRIBUTOR, scope)), MI, CREATE)
    assert found.decision is Outcome.ALLOWED
    [grant] = found.grants
    assert grant.role_name == "Cosmos DB Built-in Data Contributor"
    assert grant.levels_above == levels and grant.matched_pattern.endswith("containers/*")
    assert found.scope == MEMORY and found.data_action


@pytest.mark.parametrize(
    "scope",
    [
        f"{ACCOUNT}/dbs/enterprise_memory2",  # a prefix by characters, not by segments
        f"{ACCOUNT}/dbs/Enterprise_Memory",  # database ids are case-sensitive in Cosmos DB
        f"{MEMORY}/colls/thread-message-store",  # one container, below the database
        f"{OTHER}/dbs/enterprise_memory",  # another account's path
    ],
)
def test_an_assignment_elsewhere_does_not_grant(scope):
    found = decide(model(assign(MI, BUILTIN_DATA_CONTRIBUTOR, scope)), MI, CREATE)
    assert found.decision is Outcome.DENIED
    if not scope.startswith(OTHER):
        [miss] = found.near_misses
        assert (
            miss.kind == "otherScope" and "does not contain /dbs/enterprise_memory" in miss.detail
        )


def test_a_container_scope_grants_in_that_container():
    items = assign(MI, BUILTIN_DATA_CONTRIBUTOR, f"{MEMORY}/colls/threads")
    m = model(items)
    assert decide(m, MI, CREATE, f"{MEMORY}/colls/threads").decision is Outcome.ALLOWED
    assert decide(m, MI, CREATE, "/dbs/enterprise_memory/colls/other").decision is Outcome.DENIED


def test_another_accounts_assignment_counts_only_there():
    elsewhere = assign(MI, BUILTIN_DATA_CONTRIBUTOR, OTHER, account=OTHER)
    m = model(elsewhere, *arm.cosmos_builtin_definitions(OTHER))
    assert decide(m, MI, CREATE).decision is Outcome.DENIED
    assert decide(m, MI, CREATE, f"{OTHER}/dbs/x", OTHER).decision is Outcome.ALLOWED


# -- definitions --------------------------------------------------------------------------------
def test_the_reader_lacks_writes_and_says_how_close_it_came():
    m = model(assign(MI, arm.COSMOS_DATA_READER, MEMORY))
    assert decide(m, MI, READ).decision is Outcome.ALLOWED
    found = decide(m, MI, CREATE)
    assert found.decision is Outcome.DENIED and not found.unknowns
    [miss] = found.near_misses
    assert miss.kind == "partial" and miss.role_name == "Cosmos DB Built-in Data Reader"


@pytest.mark.parametrize(
    "pattern",
    [f"{DB}/sqlDatabases/containers/*", f"{DB}/sqlDatabases/*", f"{DB}/*", "*"],
)
def test_a_wildcard_grants_every_action_below_it(pattern):
    m = model(custom([pattern]), assign(MI, CUSTOM, ACCOUNT))
    found = decide(m, MI, CREATE)
    assert found.decision is Outcome.ALLOWED and found.grants[0].matched_pattern == pattern
    assert decide(m, MI, f"{DB}/readMetadata").decision is (
        Outcome.ALLOWED if pattern in (f"{DB}/*", "*") else Outcome.DENIED
    )


def test_a_wildcard_matches_no_sibling_sharing_its_prefix():
    m = model(custom([f"{DB}/sqlDatabases/containers/items/*"]), assign(MI, CUSTOM, ACCOUNT))
    assert decide(m, MI, f"{DB}/sqlDatabases/containers/itemsX/read").decision is Outcome.DENIED
    assert decide(m, MI, f"{DB}/sqlDatabases/containers/executeQuery").decision is Outcome.DENIED


def test_not_data_actions_remove_from_their_own_permission():
    m = model(
        custom([f"{DB}/sqlDatabases/containers/items/*"], (DELETE,)), assign(MI, CUSTOM, MEMORY)
    )
    assert decide(m, MI, CREATE).decision is Outcome.ALLOWED
    found = decide(m, MI, DELETE)
    assert found.decision is Outcome.DENIED
    [miss] = found.near_misses
    assert miss.kind == "notActions" and miss.excluded_by == DELETE
    # another role still grants what one removes
    both = model(
        custom([f"{DB}/sqlDatabases/containers/items/*"], (DELETE,)),
        assign(MI, CUSTOM, MEMORY),
        assign(MI, BUILTIN_DATA_CONTRIBUTOR, MEMORY),
    )
    assert decide(both, MI, DELETE).decision is Outcome.ALLOWED


def test_built_ins_count_when_the_snapshot_does_not_list_them():
    m = model(assign(MI, BUILTIN_DATA_CONTRIBUTOR, MEMORY), definitions=False)
    found = decide(m, MI, CREATE)
    assert found.decision is Outcome.ALLOWED
    assert found.grants[0].role_source == "catalog"
    assert m.cosmos.account(ACCOUNT).definition(BUILTIN_DATA_CONTRIBUTOR).id == (  # type: ignore[union-attr]
        f"{ACCOUNT}/sqlRoleDefinitions/{BUILTIN_DATA_CONTRIBUTOR}"
    )


def test_a_definition_the_snapshot_does_not_hold_makes_a_missing_grant_unknown():
    m = model(assign(MI, CUSTOM, MEMORY), definitions=False)
    found = decide(m, MI, CREATE)
    assert found.decision is Outcome.UNKNOWN
    assert any("not in the snapshot" in u for u in found.unknowns)
    assert found.near_misses[0].kind == "unknownRole"
    # ... but not a grant found elsewhere
    m = model(assign(MI, CUSTOM, MEMORY), assign(MI, BUILTIN_DATA_CONTRIBUTOR, ACCOUNT))
    assert decide(m, MI, CREATE).decision is Outcome.ALLOWED


# -- principals -----------------------------------------------------------------------------------
def test_a_grant_to_a_group_counts_for_its_members_transitively():
    m = model(assign(OUTER, BUILTIN_DATA_CONTRIBUTOR, MEMORY))
    found = decide(m, USER, CREATE)
    assert found.decision is Outcome.ALLOWED
    assert found.grants[0].via == (OUTER,) and found.principal_name == "Una"
    assert decide(m, MI, CREATE).decision is Outcome.DENIED  # not a member


def test_unknown_group_closure_makes_a_missing_grant_unknown_not_a_grant_found():
    principals = [arm.principal(USER, "User", "Una", None)]
    assert decide(model(principals=principals), USER, CREATE).decision is Outcome.UNKNOWN
    direct = model(assign(USER, BUILTIN_DATA_CONTRIBUTOR, MEMORY), principals=principals)
    assert decide(direct, USER, CREATE).decision is Outcome.ALLOWED


def test_azure_rbac_roles_grant_no_cosmos_data_access():
    m = Model(
        arm.load(
            resources=[
                arm.subscription(),
                arm.cosmos_account(ACCOUNT),
                *arm.cosmos_builtin_definitions(ACCOUNT),
            ],
            roleAssignments=[
                arm.role_assignment(ACCOUNT, MI, arm.OWNER, principal_type="ServicePrincipal")
            ],
            principals=[arm.principal(MI, "ServicePrincipal", "proj-agents")],
        )
    )
    assert decide(m, MI, CREATE).decision is Outcome.DENIED


# -- what the snapshot could not read ----------------------------------------------------------
def test_a_failed_listing_is_unknown_never_no_assignment():
    error = arm.read_error(
        f"{ACCOUNT}/sqlRoleAssignments", f"{DB}/sqlRoleAssignments/read", status=403
    )
    m = model(errors=(error,))
    found = decide(m, MI, CREATE)
    assert found.decision is Outcome.UNKNOWN
    assert any("sqlRoleAssignments/read" in u for u in found.unknowns)
    assert not m.cosmos.account(ACCOUNT).assignments_known  # type: ignore[union-attr]
    assert m.cosmos.account(OTHER).assignments_known is False  # never collected either


def test_an_account_never_read_is_unknown_and_one_read_with_no_assignment_is_denied():
    assert decide(model(definitions=False), MI, CREATE).decision is Outcome.UNKNOWN
    assert decide(model(), MI, CREATE).decision is Outcome.DENIED
    missing = decide(model(), MI, CREATE, account=f"{ACCOUNT}x")
    assert missing.decision is Outcome.UNKNOWN and "not in the snapshot" in missing.unknowns[0]


def test_outcome_of_several_actions():
    allowed = decide(model(assign(MI, arm.COSMOS_DATA_READER, MEMORY)), MI, READ)
    denied = decide(model(assign(MI, arm.COSMOS_DATA_READER, MEMORY)), MI, CREATE)
    unknown = decide(model(definitions=False), MI, CREATE)
    assert outcome_of([allowed, denied, unknown]) is Outcome.DENIED
    assert outcome_of([allowed, unknown]) is Outcome.UNKNOWN
    assert outcome_of([allowed]) is Outcome.ALLOWED


def test_the_model_rebuilds_its_cosmos_view_for_a_changed_copy():
    m = model()
    before = m.cosmos
    assert m.cosmos is before
    copy = m.with_resource(assign(MI, BUILTIN_DATA_CONTRIBUTOR, MEMORY))
    assert m.cosmos is before and copy.cosmos is not before
    assert decide(copy, MI, CREATE).decision is Outcome.ALLOWED
    assert decide(m, MI, CREATE).decision is Outcome.DENIED


def test_local_auth_disabled_is_read_from_the_account():
    assert (
        model(account_properties={"disableLocalAuth": True})
        .cosmos.account(ACCOUNT)
        .local_auth_disabled
    )  # type: ignore[union-attr]
    assert not model().cosmos.account(ACCOUNT).local_auth_disabled  # type: ignore[union-attr]


def test_a_failed_sql_role_assignment_read_leaves_azure_rbac_on_the_account_known() -> None:
    """The collector records a failed sqlRoleAssignments list at the account's scope: it says
    nothing about the Azure roles on the account, so Azure RBAC answers there stay decided."""
    from diagnose.rbac.evaluator import Evaluator

    operator = "230815da-be43-4aae-9cb4-875f7bd000aa"  # Cosmos DB Operator
    snapshot = arm.load(
        resources=[
            arm.subscription(),
            arm.resource(ACCOUNT, "Microsoft.DocumentDB/databaseAccounts"),
        ],
        roleDefinitions=[arm.builtin_role(operator)],
        roleAssignments=[
            arm.role_assignment(ACCOUNT, MI, operator, principal_type="ServicePrincipal")
        ],
        principals=[arm.principal(MI, "ServicePrincipal", "mi"), arm.principal(USER, name="u")],
        errors=[arm.read_error(ACCOUNT, f"{DB}/sqlRoleAssignments/read")],
    )
    evaluator = Evaluator(Model(snapshot).authorization)
    assert evaluator.check(MI, ACCOUNT, f"{DB}/read", data_action=False).decision is (
        Outcome.ALLOWED
    )
    # Someone without an Azure role there lacks it: denied, not "cannot be told".
    assert evaluator.check(USER, ACCOUNT, f"{DB}/read", data_action=False).decision is (
        Outcome.DENIED
    )
