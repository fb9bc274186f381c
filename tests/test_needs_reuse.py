"""What Needs (diagnose.engine.needs) keeps between the needs of one run, and the short cuts
of its split, each checked against the exact path (a Requirement per user):

- the users who may fall short are found by searching the list (a few) or in one pass (many):
  every place of each, duplicates included, in the users' order;
- an id's spelling is judged once per run: an id the evaluator would spell otherwise takes the
  exact path in every list it is in, not only the first;
- an operation whose holders are the very holders of one already met is not met again: only
  when they are the same (one role granting both), never when two roles grant the two.
"""

from __future__ import annotations

from functools import partial

from diagnose.engine.api import Need, Operation, Requirement
from diagnose.engine.context import CheckContext
from diagnose.engine.needs import FEW, Needs
from diagnose.engine.personas import Classification
from diagnose.engine.runner import Engine
from diagnose.jsonable import to_jsonable
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac import Evaluator
from tests import arm
from tests.checks_support import yielding as _check
from tests.test_needs_cases import ACCOUNT, OTHER, READ, USER, ago, grant, model_of, users

WRITE = Operation.data_action(
    "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
)
SPACED = f"{OTHER} "


def _state(resource: Resource, operations: tuple[Operation, ...], user: Classification):
    return Requirement(
        principal=user.principal,
        resource=resource,
        operations=operations,
        because="works with the test's blobs",
        subject=user.subject,
        persona=user,
    )


def _need(model: Model, people: list[Classification], operations: tuple[Operation, ...]) -> Need:
    resource = model.resource(ACCOUNT)
    assert resource is not None
    return Need(people, resource, operations, partial(_state, resource, operations))


def _same_as_one_by_one(model: Model, needs: list[Need]) -> Engine:
    """An engine given the needs reports what one given each user's Requirement reports."""
    with_needs = Engine(model)
    found = with_needs.run([_check(needs)])
    one_by_one = Engine(model)
    expected = one_by_one.run([_check([n.state(u) for n in needs for u in n.users])])
    assert [to_jsonable(f) for f in found.findings] == [to_jsonable(f) for f in expected.findings]
    assert (found.requirements, found.met) == (expected.requirements, expected.met)
    assert with_needs.met_keys == one_by_one.met_keys
    return with_needs


def _split(model: Model, need: Need, needs: Needs | None = None) -> tuple[int, list[str]]:
    needs = needs or Needs(Evaluator(model.authorization), CheckContext(model).collected_at)
    met, rest = needs.split(need)
    return met, [r.principal.id for r in rest]


def test_those_who_fall_short_keep_their_places_and_duplicates():
    model = model_of([grant(USER, ago(days=3))])
    people = users(model, OTHER, USER, OTHER, USER, SPACED)
    need = _need(model, people, (READ,))
    assert _split(model, need) == (2, [OTHER, OTHER, SPACED])
    _same_as_one_by_one(model, [need])


def test_many_who_fall_short_are_found_in_one_pass_in_order():
    many = [arm.guid(f"needs-reuse:{i}") for i in range(FEW + 5)]
    principals = [arm.principal(p, "User", f"u{i}", member_of=[]) for i, p in enumerate(many)]
    principals.append(arm.principal(USER, "User", "ann", member_of=[]))
    model = model_of([grant(USER, ago(days=3))], principals=principals)
    order = [*many[:3], USER, *many[3:], many[0]]
    need = _need(model, users(model, *order), (READ,))
    assert _split(model, need) == (1, [p for p in order if p != USER])
    _same_as_one_by_one(model, [need])


def test_an_odd_spelling_takes_the_exact_path_in_every_list():
    model = model_of(
        [grant(SPACED, ago(days=3)), grant(USER, ago(days=3))],
        principals=[
            arm.principal(USER, "User", "ann", member_of=[]),
            arm.principal(SPACED, "User", "bob", member_of=[]),
        ],
    )
    needs = Needs(Evaluator(model.authorization), CheckContext(model).collected_at)
    first = _need(model, users(model, USER, SPACED), (READ,))
    second = _need(model, users(model, SPACED, USER), (READ,))
    assert _split(model, first, needs) == (1, [SPACED])
    assert _split(model, second, needs) == (1, [SPACED])
    _same_as_one_by_one(model, [first, second])


def test_two_operations_of_one_role_are_met_once_and_of_two_roles_each():
    contributor = [
        arm.role_assignment(
            ACCOUNT,
            USER,
            arm.STORAGE_BLOB_DATA_CONTRIBUTOR,
            created_on=ago(days=3),
            name=arm.guid("c"),
        )
    ]
    model = model_of(contributor)
    need = _need(model, users(model, USER, OTHER), (READ, WRITE))
    assert _split(model, need) == (1, [OTHER])
    _same_as_one_by_one(model, [need])
    # The reader role grants READ to OTHER and nothing else: OTHER holds READ, not WRITE.
    model = model_of([*contributor, grant(OTHER, ago(days=3))])
    need = _need(model, users(model, USER, OTHER), (READ, WRITE))
    assert _split(model, need) == (1, [OTHER])
    _same_as_one_by_one(model, [need])
    # Each holds one of the two, from two roles: neither holds both.
    writer = arm.custom_role("writes blobs", data_actions=[WRITE.name])
    model = model_of(
        [
            grant(USER, ago(days=3)),
            grant(OTHER, ago(days=3), role=writer["name"]),
        ],
        roles=[writer],
    )
    need = _need(model, users(model, USER, OTHER), (READ, WRITE))
    assert _split(model, need) == (0, [USER, OTHER])
    _same_as_one_by_one(model, [need])


def test_needs_alike_are_met_as_one_set_with_everyone_of_each():
    """Needs of the same scope, operations and built-in only (a hundred projects' builders
    asked the same of their account) are kept as one set: each need's met users in it."""
    model = model_of([grant(USER, ago(days=3)), grant(OTHER, ago(days=3))])
    first = _need(model, users(model, USER), (READ,))
    second = _need(model, users(model, OTHER, USER), (READ,))
    engine = _same_as_one_by_one(model, [first, second])
    [(ids, scope, operations, builtin)] = engine.needs.met
    assert (ids, scope, operations, builtin) == (frozenset({USER, OTHER}), ACCOUNT, (READ,), False)
