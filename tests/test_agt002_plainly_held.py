"""AGT002's quick answer (`_plainly_held`) against the Cosmos DB evaluator: an identity is
passed without its decisions only when CosmosEvaluator.check_all says allowed for every thread
action, and it is asked of the evaluator whenever that says anything else.

Each case names a way a quick answer could go wrong (a grant at a sibling database or a single
container, a definition that removes an action, one the snapshot lacks, a grant through a
group, actions split over two assignments)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnose.checks.agt002_cosmos_enterprise_memory import PATH, THREAD_ACTIONS, _plainly_held
from diagnose.engine.context import CheckContext
from diagnose.model.model import Model
from diagnose.rbac.cosmos import CosmosEvaluator
from diagnose.rbac.decision import Outcome
from diagnose.snapshot import parse_snapshot
from tests import arm

SUB = arm.SUB
ACCOUNT = (
    f"/subscriptions/{SUB}/resourceGroups/rg-agents/providers/Microsoft.DocumentDB/"
    "databaseAccounts/cosmos-agents"
)
MEMORY = f"{ACCOUNT}/dbs/enterprise_memory"
IDENTITY = arm.guid("agt002-quick:identity")
GROUP = arm.guid("agt002-quick:group")
OUTER = arm.guid("agt002-quick:outer")
WRITER = arm.guid("agt002-quick:writer")
NO_DELETE = arm.guid("agt002-quick:no-delete")
MISSING = arm.guid("agt002-quick:missing")
DB = "Microsoft.DocumentDB/databaseAccounts"
ITEMS = f"{DB}/sqlDatabases/containers/items"


def _assign(principal: str, role: str, scope: str = "") -> dict[str, Any]:
    return arm.cosmos_sql_role_assignment(ACCOUNT, principal, role, scope)


CASES: dict[str, list[dict[str, Any]]] = {
    "contributor at the account": [_assign(IDENTITY, arm.COSMOS_DATA_CONTRIBUTOR)],
    "contributor at the database": [_assign(IDENTITY, arm.COSMOS_DATA_CONTRIBUTOR, MEMORY)],
    "contributor at a sibling database": [
        _assign(IDENTITY, arm.COSMOS_DATA_CONTRIBUTOR, f"{ACCOUNT}/dbs/enterprise_memory2")
    ],
    "contributor at one container": [
        _assign(IDENTITY, arm.COSMOS_DATA_CONTRIBUTOR, f"{MEMORY}/colls/threads")
    ],
    "contributor through a nested group": [_assign(OUTER, arm.COSMOS_DATA_CONTRIBUTOR, MEMORY)],
    "reader alone": [_assign(IDENTITY, arm.COSMOS_DATA_READER, MEMORY)],
    "reader and a writer role split the actions": [
        _assign(IDENTITY, arm.COSMOS_DATA_READER, MEMORY),
        _assign(GROUP, WRITER),
    ],
    "a wildcard role that removes delete": [_assign(IDENTITY, NO_DELETE, MEMORY)],
    "a definition the snapshot lacks": [_assign(IDENTITY, MISSING, MEMORY)],
    "contributor to someone else": [_assign(arm.guid("other"), arm.COSMOS_DATA_CONTRIBUTOR)],
    "nothing": [],
}


def _model(assignments: list[dict[str, Any]], *, listed: bool = True) -> Model:
    definitions = [
        *arm.cosmos_builtin_definitions(ACCOUNT),
        arm.cosmos_sql_role_definition(
            ACCOUNT,
            WRITER,
            "writer",
            [f"{ITEMS}/create", f"{ITEMS}/replace", f"{ITEMS}/upsert", f"{ITEMS}/delete"],
        ),
        arm.cosmos_sql_role_definition(
            ACCOUNT, NO_DELETE, "no delete", [f"{DB}/*"], not_data_actions=[f"{ITEMS}/delete"]
        ),
    ]
    data = arm.build(
        resources=[
            arm.subscription(),
            arm.cosmos_account(ACCOUNT),
            *(definitions if listed else []),
            *assignments,
        ],
        principals=[
            arm.principal(IDENTITY, "ServicePrincipal", "proj-mi", [GROUP]),
            arm.principal(GROUP, "Group", "grp", [OUTER]),
            arm.principal(OUTER, "Group", "outer", []),
        ],
    )
    return Model(parse_snapshot(data, "<test>"))


def _exact(model: Model, principal: str) -> bool:
    evaluator = CosmosEvaluator(model.cosmos, model.authorization.directory)
    decisions = evaluator.check_all(principal, ACCOUNT, PATH, THREAD_ACTIONS)
    return all(d.decision is Outcome.ALLOWED for d in decisions)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("spelled", [IDENTITY, IDENTITY.upper()])
def test_the_quick_answer_is_the_evaluators(case: str, spelled: str) -> None:
    model = _model(CASES[case])
    cosmos = model.cosmos.account(ACCOUNT)
    assert cosmos is not None
    quick = _plainly_held(CheckContext(model), spelled, cosmos)
    assert quick == _exact(model, spelled), case


def test_the_cases_cover_both_answers() -> None:
    answers = {case: _exact(_model(items), IDENTITY) for case, items in CASES.items()}
    assert {c for c, held in answers.items() if held} == {
        "contributor at the account",
        "contributor at the database",
        "contributor through a nested group",
        "reader and a writer role split the actions",
    }


def test_a_grant_is_plain_even_where_the_definitions_were_not_listed() -> None:
    """The built-in definitions stand in for unlisted ones (the evaluator says allowed with
    doubts about the others), and nothing is held without an assignment."""
    held = _model([_assign(IDENTITY, arm.COSMOS_DATA_CONTRIBUTOR)], listed=False)
    cosmos = held.cosmos.account(ACCOUNT)
    assert cosmos is not None
    assert _plainly_held(CheckContext(held), IDENTITY, cosmos) == _exact(held, IDENTITY) is True
    bare = _model([], listed=False)
    cosmos = bare.cosmos.account(ACCOUNT)
    assert cosmos is not None
    assert _plainly_held(CheckContext(bare), IDENTITY, cosmos) == _exact(bare, IDENTITY) is False
