"""FixPlan makes each custom role (and its parsed definitions) once per need and resource
group, and hands the parsed definition to the proof: every fix it plans through that memo is
the fix a fresh plan makes for the shortfall alone (roles, summaries, values, proofs,
commands), across needs, resource groups and principals."""

from __future__ import annotations

import copy

from diagnose.engine.api import Operation, PrincipalRef, Requirement
from diagnose.engine.requirements import evaluate
from diagnose.jsonable import to_jsonable
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import parse_snapshot
from tests import arm

GROUPS = [f"/subscriptions/{arm.SUB}/resourceGroups/rg-{n}" for n in ("ai", "AI-Two")]
SEARCHES = [f"{g}/providers/Microsoft.Search/searchServices/srch" for g in GROUPS]
USERS = [arm.guid("memo:ann"), arm.guid("memo:bob")]
WRITE = Operation.action("Microsoft.Search/searchServices/indexes/write")
DELETE = Operation.action("Microsoft.Search/searchServices/indexes/delete")


def _model() -> Model:
    data = arm.build(
        resources=[
            arm.subscription(),
            *(arm.resource(s, "Microsoft.Search/searchServices") for s in SEARCHES),
        ],
        principals=[arm.principal(u, "User", f"user{i}") for i, u in enumerate(USERS)],
    )
    return Model(parse_snapshot(copy.deepcopy(data), "<memo test>"))


def _needs(model: Model) -> list[Requirement]:
    found = []
    for search in SEARCHES:
        resource = model.resource(search)
        assert resource is not None
        for user in USERS:
            for operations in ((WRITE,), (WRITE, DELETE)):
                found.append(
                    Requirement(
                        principal=PrincipalRef(user, "User", user[:4]),
                        resource=resource,
                        operations=operations,
                        because="needs it for the test",
                        roles=(arm.SEARCH_SERVICE_CONTRIBUTOR,),
                    )
                )
    return found


def test_a_shared_plan_makes_the_fixes_a_fresh_plan_makes():
    model = _model()
    evaluator = Evaluator(model.authorization)
    shared = FixPlan(model, evaluator)
    roles: set[tuple[str, str]] = set()
    for need in _needs(model):
        outcome = evaluate(need, evaluator)
        planned, note = shared.requirement_fixes(need, outcome)
        alone = FixPlan(model, Evaluator(model.authorization)).requirement_fixes(
            need, evaluate(need, Evaluator(model.authorization))
        )
        assert [to_jsonable(f) for f in planned] == [to_jsonable(f) for f in alone[0]]
        assert note == alone[1]
        [custom] = [f for f in planned if f.value is not None]
        assert custom.verified, custom.verification
        roles.add(
            (custom.role_definition_id or "", custom.value["properties"]["assignableScopes"][0])
        )
    # one role per need and group: two needs, two groups (each named as its id spells it)
    assert len(roles) == 4 and {scope for _, scope in roles} == set(GROUPS)
