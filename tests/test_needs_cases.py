"""Needs met in bulk, case by case (diagnose.engine.needs): each test below fails when the bulk
path drops one of the conditions under which the exact path would not say MET (a young grant,
a service principal reached through a group, a data action at a management group, a deny
assignment or an unread deny list, unknown management groups, a custom role where only a
built-in one counts, a creation time without a zone, an id the evaluator would spell
otherwise), and the engine reports the same findings with a Need as with a Requirement each,
in focus (--principal) too. The random differential is tests/test_needs_bulk.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from diagnose.engine.api import Need, Operation, PrincipalRef, Requirement
from diagnose.engine.context import CheckContext
from diagnose.engine.needs import Needs
from diagnose.engine.personas import Classification, Declarations, Persona
from diagnose.engine.requirements import evaluate
from diagnose.engine.runner import Engine
from diagnose.jsonable import to_jsonable
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.rbac import Evaluator
from diagnose.snapshot import parse_snapshot
from tests import arm
from tests.checks_support import yielding as _check

COLLECTED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNT = f"{arm.RG}/providers/Microsoft.Storage/storageAccounts/st"
READ = Operation.data_action("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read")
USER = "a1a1a1a1-0000-4000-8000-000000000001"
OTHER = "a1a1a1a1-0000-4000-8000-000000000002"
SERVICE = "d4d4d4d4-0000-4000-8000-000000000001"
GROUP = "b2b2b2b2-0000-4000-8000-000000000001"


def ago(**delta: float) -> str:
    return (COLLECTED - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def model_of(
    assignments: list[dict[str, Any]],
    *,
    denies: Sequence[dict[str, Any]] = (),
    errors: Sequence[dict[str, Any]] = (),
    roles: Sequence[dict[str, Any]] = (),
    eligibilities: Sequence[dict[str, Any]] = (),
    groups_known: bool = True,
    principals: list[dict[str, Any]] | None = None,
) -> Model:
    data = arm.build(
        resources=[
            arm.subscription(arm.SUB, ["mg-a", arm.TENANT] if groups_known else []),
            arm.resource(ACCOUNT, "Microsoft.Storage/storageAccounts"),
        ],
        principals=principals
        or [
            arm.principal(USER, "User", "ann", member_of=[GROUP]),
            arm.principal(OTHER, "User", "bob", member_of=[]),
            arm.principal(SERVICE, "ServicePrincipal", "app", member_of=[GROUP]),
            arm.principal(GROUP, "Group", "builders", member_of=[]),
        ],
        roleDefinitions=list(roles),
        roleAssignments=assignments,
        roleEligibilities=list(eligibilities),
        denyAssignments=list(denies),
        errors=list(errors),
    )
    data["collectedAt"] = COLLECTED.isoformat().replace("+00:00", "Z")
    return Model(parse_snapshot(data, "<test>"))


def grant(
    principal: str, created: str | None, *, scope: str = ACCOUNT, role: str | None = None
) -> dict[str, Any]:
    return arm.role_assignment(
        scope,
        principal,
        role or arm.STORAGE_BLOB_DATA_READER,
        created_on=created,  # type: ignore[arg-type]
        name=arm.guid(f"{principal}{scope}{created}{role}"),
    )


def users(model: Model, *ids: str) -> list[Classification]:
    found = []
    for pid in ids or (USER, OTHER, SERVICE, GROUP):
        entry = model.authorization.directory.get(pid.strip())
        kind = entry.type if entry is not None else "User"
        found.append(Classification(PrincipalRef(pid, kind, pid[:4]), Persona.BUILDER, ()))
    return found


def state(resource: Resource, builtin: bool, user: Classification) -> Requirement:
    return Requirement(
        principal=user.principal,
        resource=resource,
        operations=(READ,),
        because="reads the test's blobs",
        builtin_roles_only=builtin,
        subject=user.subject,
        persona=user,
    )


def need_of(model: Model, people: list[Classification], *, builtin: bool = False) -> Need:
    resource = model.resource(ACCOUNT)
    assert resource is not None
    return Need(
        people, resource, (READ,), partial(state, resource, builtin), builtin_roles_only=builtin
    )


def met_in_bulk(
    model: Model, *, builtin: bool = False, people: list[Classification] | None = None
) -> set[str]:
    """Who the bulk path meets, each checked MET by the exact path."""
    need = need_of(model, people or users(model), builtin=builtin)
    collected = CheckContext(model).collected_at
    met = Needs(Evaluator(model.authorization), collected).plainly_met(need)
    exact = Evaluator(model.authorization)
    for user in need.users:
        if user.principal.id in met:
            assert evaluate(need.state(user), exact, collected).met, user.principal.id
    return set(met)


def test_an_old_grant_is_met_in_bulk_directly_and_through_a_group() -> None:
    model = model_of([grant(OTHER, ago(days=3)), grant(GROUP, ago(days=3))])
    assert met_in_bulk(model) == {USER, OTHER, SERVICE, GROUP}


def test_a_grant_younger_than_ten_minutes_is_left_to_the_exact_path() -> None:
    model = model_of([grant(OTHER, ago(minutes=5)), grant(USER, ago(minutes=11))])
    assert met_in_bulk(model) == {USER}


def test_a_service_principal_through_a_group_waits_a_day() -> None:
    model = model_of([grant(GROUP, ago(hours=2))])
    assert met_in_bulk(model) == {USER, GROUP}  # not SERVICE: its token caches its groups
    model = model_of([grant(GROUP, ago(hours=25))])
    assert met_in_bulk(model) == {USER, SERVICE, GROUP}
    model = model_of([grant(GROUP, ago(hours=2)), grant(SERVICE, ago(hours=2))])
    assert met_in_bulk(model) == {USER, SERVICE, GROUP}  # its own grant applies in minutes


def test_a_data_action_at_a_management_group_waits_twelve_hours() -> None:
    group = arm.management_group_scope("mg-a")
    model = model_of([grant(OTHER, ago(hours=6), scope=group)])
    assert met_in_bulk(model) == set()
    model = model_of([grant(OTHER, ago(hours=13), scope=group)])
    assert met_in_bulk(model) == {OTHER}


def test_a_deny_assignment_or_an_unread_deny_list_sends_everyone_to_the_exact_path() -> None:
    old = [grant(OTHER, ago(days=3)), grant(GROUP, ago(days=3))]
    deny = arm.deny_assignment(
        arm.RG, principals=[(SERVICE, "ServicePrincipal")], data_actions=[READ.name]
    )
    assert met_in_bulk(model_of(old, denies=[deny])) == set()
    unread = arm.read_error(arm.RG, "Microsoft.Authorization/denyAssignments/read")
    assert met_in_bulk(model_of(old, errors=[unread])) == set()
    # An unread list of role assignments spoils nothing that is granted.
    unread = arm.read_error(arm.RG, "Microsoft.Authorization/roleAssignments/read")
    assert met_in_bulk(model_of(old, errors=[unread])) == {USER, OTHER, SERVICE, GROUP}


def test_unknown_management_groups_send_everyone_to_the_exact_path() -> None:
    model = model_of([grant(OTHER, ago(days=3))], groups_known=False)
    assert met_in_bulk(model) == set()


def test_a_need_of_built_in_roles_counts_only_built_in_grants() -> None:
    custom = arm.custom_role("reads blobs", data_actions=[READ.name])
    model = model_of(
        [grant(OTHER, ago(days=3), role=custom["name"]), grant(USER, ago(days=3))], roles=[custom]
    )
    assert met_in_bulk(model) == {USER, OTHER}
    assert met_in_bulk(model, builtin=True) == {USER}


def test_a_conditional_grant_or_an_eligibility_alone_is_not_met_in_bulk() -> None:
    conditional = arm.role_assignment(
        ACCOUNT,
        OTHER,
        arm.STORAGE_BLOB_DATA_READER,
        condition="((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/"
        "containers/blobs/read'})) OR (@Resource[x] StringEquals 'y'))",
        created_on=ago(days=3),
    )
    eligible = arm.eligibility(ACCOUNT, USER, arm.STORAGE_BLOB_DATA_READER)
    model = model_of([conditional], eligibilities=[eligible])
    assert met_in_bulk(model) == set()


def test_a_creation_time_without_a_zone_sends_everyone_to_the_exact_path() -> None:
    naive = (COLLECTED - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S")
    model = model_of([grant(OTHER, naive, scope=arm.RG), grant(USER, ago(days=3))])
    assert met_in_bulk(model) == set()
    # Unknown or unreadable times are old enough, as the exact path takes them.
    model = model_of([grant(OTHER, None), grant(USER, "yesterday")])
    assert met_in_bulk(model) == {USER, OTHER}


def test_an_id_the_evaluator_would_spell_otherwise_takes_the_exact_path() -> None:
    spaced = f"{OTHER} "
    model = model_of(
        [grant(spaced, ago(days=3)), grant(USER, ago(days=3))],
        principals=[
            arm.principal(USER, "User", "ann", member_of=[]),
            arm.principal(spaced, "User", "bob", member_of=[]),
        ],
    )
    people = users(model, USER, spaced, USER.upper())
    assert met_in_bulk(model, people=people) == {USER}


def test_the_engine_reports_a_need_as_it_reports_each_requirement() -> None:
    model = model_of(
        [grant(GROUP, ago(hours=2)), grant(OTHER, ago(minutes=3))],
        denies=[],
    )
    need = need_of(model, users(model))
    with_need = Engine(model)
    found = with_need.run([_check([need])])
    one_by_one = Engine(model)
    expected = one_by_one.run([_check([need.state(u) for u in need.users])])
    assert [to_jsonable(f) for f in found.findings] == [to_jsonable(f) for f in expected.findings]
    assert (found.requirements, found.met) == (expected.requirements, expected.met) == (4, 2)
    assert {f.cause for f in found.findings} == {"propagation"}
    assert with_need.met_keys == one_by_one.met_keys
    assert (USER, ACCOUNT, (READ,), False) in with_need.met_keys  # met in bulk, kept for reuse


def test_in_focus_a_need_asks_only_about_the_principals_in_focus() -> None:
    model = model_of([grant(USER, ago(days=3))])
    focus = Declarations(focus=(PrincipalRef(OTHER, "User", "bob"),))
    need = need_of(model, users(model, USER, OTHER))
    found = Engine(model, declarations=focus).run([_check([need])])
    expected = Engine(model, declarations=focus).run([_check([need.state(u) for u in need.users])])
    assert [to_jsonable(f) for f in found.findings] == [to_jsonable(f) for f in expected.findings]
    assert (found.requirements, found.met) == (expected.requirements, expected.met) == (1, 0)
    assert [f.principal.id for f in found.findings if f.principal] == [OTHER]


def test_a_need_whose_state_states_something_else_is_a_check_error() -> None:
    model = model_of([])
    resource = model.resource(ACCOUNT)
    assert resource is not None
    wrong = Need(
        users(model, OTHER),
        resource,
        (READ,),
        lambda user: state(resource, False, user).__class__(
            user.principal, resource, (READ, READ), "reads twice"
        ),
    )
    result = Engine(model).run([_check([wrong])])
    assert result.findings == ()
    assert "not a Requirement of that principal" in result.check_errors[0].error
