"""The specialised validator for the bulk arrays accepts exactly what the JSON Schema's
roleAssignment definition accepts: the schema stays the one definition of the format."""

from __future__ import annotations

import copy
from functools import partial

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.snapshot import schema
from diagnose.snapshot.decode import nesting_deeper_than
from diagnose.snapshot.fast import (
    FLAT,
    INVALID,
    all_flat,
    assignment_shape,
    unflat,
    valid_assignment,
    valid_principal,
    valid_resource,
    valid_role_definition,
)
from diagnose.snapshot.fast import VALID as ACCEPTED
from tests import arm

VALID = arm.role_assignment(
    arm.RG,
    "11111111-2222-3333-4444-555555555555",
    arm.READER,
    condition="@Resource[x] StringEquals 'y'",
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.sampled_from(["", "/", "/subscriptions/x", "abc", "a/b"]),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)

# Edge values for the string fields: empty, missing the leading slash, and other JSON types.
edge_values = st.sampled_from(["", "abc", "a/b", "/", "/x", None, 0, True, [], {}]) | json_values

TOP_KEYS = ["id", "name", "type", "properties", "extra"]
PROPERTY_KEYS = [
    "roleDefinitionId",
    "principalId",
    "principalType",
    "scope",
    "condition",
    "conditionVersion",
    "createdOn",
    "description",
    "unknownNew",
]


def schema_accepts(item: object) -> bool:
    document = {**schema(), "$ref": "#/definitions/roleAssignment"}
    return jsonschema.Draft7Validator(document).is_valid(item)


@st.composite
def mutated(draw) -> object:
    if draw(st.integers(0, 20)) == 0:
        return draw(json_values)  # not even an object
    item = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(["top", "properties", "properties"]))
        if where == "properties" and isinstance(item.get("properties"), dict):
            target, keys = item["properties"], PROPERTY_KEYS
        else:
            target, keys = item, TOP_KEYS
        key = draw(st.sampled_from(keys))
        if draw(st.integers(0, 3)) == 0:
            target.pop(key, None)
        else:
            target[key] = draw(edge_values)
    return item


def test_a_valid_assignment_is_accepted_by_both():
    assert valid_assignment(VALID) and schema_accepts(VALID)


@settings(max_examples=600, deadline=None)
@given(mutated())
def test_fast_validator_agrees_with_the_schema(item):
    assert valid_assignment(item) == schema_accepts(item)


SHAPES: set[int] = set()


@settings(max_examples=600, deadline=None)
@given(mutated())
def shape_is_the_schemas_answer_and_flat_nests_two_levels(item):
    shape = assignment_shape(item)
    SHAPES.add(shape)
    assert (shape != INVALID) == schema_accepts(item)
    if shape == FLAT:  # decode's depth check skips it: it must nest no deeper than 2 levels
        assert not nesting_deeper_than(item, 2), item


def test_the_shape_of_an_assignment_is_the_schemas_answer_and_says_when_it_is_flat():
    assert assignment_shape(VALID) == FLAT
    SHAPES.clear()
    shape_is_the_schemas_answer_and_flat_nests_two_levels()
    assert {INVALID, ACCEPTED, FLAT} == SHAPES


def expected_unflat(items: list[object]) -> list[tuple[object, int]]:
    return [(item, s) for item in items if (s := assignment_shape(item)) != FLAT]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(mutated(), st.just(VALID)), max_size=8))
def test_unflat_says_what_assignment_shape_says_of_each_item(items):
    # VALID among the mutations: the mutations that keep its keys and types but change a
    # value come after an item with the same signature was found flat.
    assert list(unflat(items)) == expected_unflat(items)


def test_an_item_shaped_like_a_flat_one_is_checked_on_the_values_types_cannot_tell():
    broken = []
    for where, key, value in [
        ("top", "id", "no-slash"),
        ("properties", "scope", "no-slash"),
        ("properties", "principalId", ""),
        ("properties", "roleDefinitionId", ""),
    ]:
        item = copy.deepcopy(VALID)
        (item if where == "top" else item["properties"])[key] = value
        broken.append(item)
    items = [VALID, *broken, VALID]
    assert list(unflat(items)) == [(item, INVALID) for item in broken]
    assert expected_unflat(items) == [(item, INVALID) for item in broken]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(mutated(), st.just(VALID)), max_size=6))
def test_all_flat_is_said_only_of_arrays_whose_every_item_is_flat(items):
    if all_flat(items):
        assert expected_unflat(items) == []


def test_all_flat_is_said_of_valid_flat_arrays_and_of_none_with_one_item_that_is_not():
    bare = copy.deepcopy(VALID)
    del bare["name"], bare["type"], bare["properties"]["condition"]
    assert all_flat([]) and all_flat([VALID, bare, VALID])
    for where, key, value in [
        ("top", "id", "no-slash"),
        ("top", "id", None),
        ("top", "id", 3),
        ("top", "name", None),
        ("top", "type", 1),
        ("top", "extra", {"nested": "object"}),
        ("top", "extra", ["list"]),
        ("top", "properties", None),
        ("top", "properties", ["list"]),
        ("properties", "scope", "no-slash"),
        ("properties", "scope", None),
        ("properties", "principalId", ""),
        ("properties", "principalId", None),
        ("properties", "roleDefinitionId", ""),
        ("properties", "roleDefinitionId", None),
        ("properties", "condition", 1),
        ("properties", "createdOn", True),
        ("properties", "description", {"nested": "object"}),
        ("properties", "unknownNew", []),
    ]:
        item = copy.deepcopy(VALID)
        (item if where == "top" else item["properties"])[key] = value
        assert assignment_shape(item) != FLAT, (where, key, value)
        assert not all_flat([VALID, item, VALID]), (where, key, value)
    for where, key in [("top", "id"), ("top", "properties"), ("properties", "scope")]:
        item = copy.deepcopy(VALID)
        del (item if where == "top" else item["properties"])[key]
        assert not all_flat([VALID, item]), (where, key)
    assert not all_flat([VALID, "not an object"]) and not all_flat([None])


PRINCIPAL = arm.principal(
    "11111111-2222-3333-4444-555555555555", "User", "ana", ["aaaaaaaa-0000-0000-0000-000000000001"]
)
PRINCIPAL_KEYS = [
    "id",
    "type",
    "memberOf",
    "displayName",
    "userPrincipalName",
    "appId",
    "deleted",
    "deletedEvidence",
    "extra",
]
principal_values = (
    st.sampled_from(["", "User", "Group", "ServicePrincipal", "user", "x", None, 0, True, False])
    | st.lists(st.sampled_from(["g", "", 1, None, True]), max_size=3)
    | json_values
)


def definition_accepts(definition: str, item: object) -> bool:
    """Whether the snapshot schema's definition accepts the item (the reference)."""
    document = {**schema(), "$ref": f"#/definitions/{definition}"}
    return jsonschema.Draft7Validator(document).is_valid(item)


principal_schema_accepts = partial(definition_accepts, "principal")


@st.composite
def mutated_principal(draw) -> object:
    if draw(st.integers(0, 20)) == 0:
        return draw(json_values)
    item = copy.deepcopy(PRINCIPAL)
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(PRINCIPAL_KEYS))
        if draw(st.integers(0, 3)) == 0:
            item.pop(key, None)
        else:
            item[key] = draw(principal_values)
    return item


def test_a_valid_principal_is_accepted_by_both():
    assert valid_principal(PRINCIPAL) and principal_schema_accepts(PRINCIPAL)
    deleted = {**PRINCIPAL, "deleted": True, "deletedEvidence": "404", "memberOf": None}
    assert valid_principal(deleted) and principal_schema_accepts(deleted)


@settings(max_examples=800, deadline=None)
@given(mutated_principal())
def test_the_principal_validator_agrees_with_the_schema(item):
    assert valid_principal(item) == principal_schema_accepts(item)


def test_a_snapshot_whose_assignments_are_all_flat_skips_the_item_by_item_pass(monkeypatch):
    from diagnose.snapshot import empty_snapshot, fast, parse_snapshot

    def item_by_item(items):
        raise AssertionError("unflat was called")

    data = {**empty_snapshot(), "roleAssignments": [VALID, VALID]}
    monkeypatch.setattr(fast, "unflat", item_by_item)
    assert parse_snapshot(data).data is data
    data["roleEligibilities"] = [{**VALID, "extra": {"nested": 1}}]
    with pytest.raises(AssertionError, match="unflat was called"):
        parse_snapshot(data)


RESOURCE = {
    **arm.resource(
        f"{arm.RG}/providers/Microsoft.CognitiveServices/accounts/ai",
        "Microsoft.CognitiveServices/accounts",
        kind="AIServices",
        properties={
            "managementGroupAncestorsChain": [{"name": "mg-a"}, {"name": "root", "x": 1}],
            "endpoint": "https://ai",
        },
        identity={
            "type": "SystemAssigned, UserAssigned",
            "principalId": "11111111-2222-3333-4444-555555555555",
            "userAssignedIdentities": {"/x": {"principalId": "p", "clientId": "c"}, "/y": None},
        },
    ),
    "extra": {"nested": [1, 2]},
}
# (path to a container in RESOURCE, its keys worth mutating)
RESOURCE_PLACES = [
    ((), ["id", "name", "type", "kind", "properties", "identity", "extra"]),
    (("properties",), ["managementGroupAncestorsChain", "endpoint"]),
    (("properties", "managementGroupAncestorsChain", 0), ["name", "other"]),
    (("identity",), ["type", "principalId", "userAssignedIdentities", "tenantId"]),
    (("identity", "userAssignedIdentities"), ["/x", "/y", "/z"]),
    (("identity", "userAssignedIdentities", "/x"), ["principalId", "clientId"]),
]
resource_values = (
    st.sampled_from(["", "/", "/x", "abc", None, 0, True, [], {}, [{}], [{"name": 1}]])
    | st.lists(st.sampled_from([{"name": "m"}, {}, None, "m"]), max_size=2)
    | json_values
)


resource_schema_accepts = partial(definition_accepts, "resource")


@st.composite
def mutated_item(draw, base: dict, places: list, values: st.SearchStrategy) -> object:
    """`base` with up to three of its entries (at `places`: a path to a container and its keys
    worth mutating) set to one of `values` or removed; now and then any JSON value instead."""
    if draw(st.integers(0, 20)) == 0:
        return draw(json_values)
    item = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        path, keys = draw(st.sampled_from(places))
        target: object = item
        for step in path:
            found = (isinstance(target, dict) and step in target) or (
                isinstance(target, list) and isinstance(step, int) and step < len(target)
            )
            if found:
                target = target[step]  # type: ignore[index]
            else:
                target = None
                break
        if not isinstance(target, dict):
            continue
        key = draw(st.sampled_from(keys))
        if draw(st.integers(0, 3)) == 0:
            target.pop(key, None)
        else:
            target[key] = draw(values)
    return item


def mutated_resource() -> st.SearchStrategy:
    return mutated_item(RESOURCE, RESOURCE_PLACES, resource_values)


_REMOVED = object()


def _broken(base: dict, path: tuple[object, ...], key: str, value: object) -> dict:
    """A copy of `base` with the entry `key` below `path` set to `value` (_REMOVED: deleted)."""
    item = copy.deepcopy(base)
    target = item
    for step in path:
        target = target[step]
    if value is _REMOVED:
        del target[key]
    else:
        target[key] = value
    return item


def test_a_valid_resource_is_accepted_by_both():
    bare = {"id": "/subscriptions/x", "type": "Microsoft.Resources/subscriptions"}
    nulls = {**bare, "kind": None, "properties": None, "identity": None}
    for item in (RESOURCE, bare, nulls):
        assert valid_resource(item) and resource_schema_accepts(item), item


@settings(max_examples=1000, deadline=None)
@given(mutated_resource())
def test_the_resource_validator_agrees_with_the_schema(item):
    assert valid_resource(item) == resource_schema_accepts(item)


def test_the_resource_validator_refuses_what_the_schema_refuses_at_each_level():
    broken = partial(_broken, RESOURCE)
    cases = [
        broken((), "id", "no-slash"),
        broken((), "type", None),
        broken((), "name", 1),
        broken((), "kind", 1),
        broken((), "properties", []),
        broken(("properties",), "managementGroupAncestorsChain", {}),
        broken(("properties", "managementGroupAncestorsChain", 0), "name", None),
        broken((), "identity", "SystemAssigned"),
        broken(("identity",), "type", None),
        broken(("identity",), "principalId", 1),
        broken(("identity",), "userAssignedIdentities", []),
        broken(("identity", "userAssignedIdentities"), "/y", "id"),
        broken(("identity", "userAssignedIdentities", "/x"), "principalId", 1),
    ]
    cases.append(broken((), "type", _REMOVED))
    for item in cases:
        assert not resource_schema_accepts(item), item
        assert not valid_resource(item), item


def test_a_snapshot_with_a_resource_the_schema_refuses_is_refused_with_its_path():
    from diagnose.errors import BadInput
    from diagnose.snapshot import empty_snapshot, parse_snapshot

    item = copy.deepcopy(RESOURCE)
    item["identity"]["userAssignedIdentities"]["/x"]["principalId"] = 7
    data = {**empty_snapshot(), "resources": [RESOURCE, item]}
    with pytest.raises(BadInput, match=r"\$\.resources\[1\]\.identity\.userAssignedIdentities"):
        parse_snapshot(data)
    assert parse_snapshot({**data, "resources": [RESOURCE, RESOURCE]}).data["resources"]


def test_the_generic_validator_is_left_only_the_resources_not_proven_valid(monkeypatch):
    import diagnose.snapshot as snapshot_module

    given: list[dict] = []
    generic = snapshot_module._fast_validator()
    monkeypatch.setattr(snapshot_module, "_fast_validator", lambda: given.append)
    data = {**snapshot_module.empty_snapshot(), "resources": [RESOURCE]}
    snapshot_module.parse_snapshot(data)
    assert given[-1]["resources"] == []
    odd = {**RESOURCE, "kind": 1}
    with pytest.raises(Exception):  # noqa: B017 - the generic validator's own error
        generic({**data, "resources": [odd]})
    snapshot_module.parse_snapshot({**data, "resources": [odd]})
    assert given[-1]["resources"] == [odd]


ROLE = {
    **arm.custom_role(
        "reader-plus",
        actions=["Microsoft.Storage/*/read"],
        data_actions=["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
        condition="@Resource[x] StringEquals 'y'",
        scopes=[arm.RG],
    ),
    "extra": {"nested": [1, 2]},
}
ROLE["properties"]["permissions"].append({"actions": None, "notActions": [], "condition": None})
# (path to a container in ROLE, its keys worth mutating)
ROLE_PLACES = [
    ((), ["id", "name", "type", "properties", "extra"]),
    (("properties",), ["roleName", "type", "permissions", "assignableScopes", "description"]),
    (("properties", "permissions", 0), ["actions", "notActions", "dataActions", "other"]),
    (("properties", "permissions", 0), ["notDataActions", "condition", "conditionVersion"]),
    (("properties", "permissions", 1), ["actions", "condition"]),
]
role_values = (
    st.sampled_from(["", "/", "/x", "abc", None, 0, True, [], {}, [{}], ["a", 1], ["a"]])
    | st.lists(st.sampled_from([{"actions": ["a"]}, {}, None, "m", {"condition": 1}]), max_size=2)
    | json_values
)


role_schema_accepts = partial(definition_accepts, "roleDefinition")


def mutated_role() -> st.SearchStrategy:
    return mutated_item(ROLE, ROLE_PLACES, role_values)


def test_a_valid_role_definition_is_accepted_by_both():
    bare = {"id": "/x", "properties": {"roleName": "r", "permissions": []}}
    builtin = arm.builtin_role(arm.READER)
    for item in (ROLE, bare, builtin):
        assert valid_role_definition(item) and role_schema_accepts(item), item


@settings(max_examples=1000, deadline=None)
@given(mutated_role())
def test_the_role_definition_validator_agrees_with_the_schema(item):
    assert valid_role_definition(item) == role_schema_accepts(item)


def test_the_role_definition_validator_refuses_what_the_schema_refuses_at_each_level():
    broken = partial(_broken, ROLE)
    cases = [
        broken((), "id", "no-slash"),
        broken((), "id", ""),
        broken((), "name", 1),
        broken((), "type", None),
        broken((), "properties", []),
        broken(("properties",), "roleName", None),
        broken(("properties",), "type", 1),
        broken(("properties",), "permissions", None),
        broken(("properties",), "permissions", [None]),
        broken(("properties",), "assignableScopes", ["/", 1]),
        broken(("properties", "permissions", 0), "actions", "*"),
        broken(("properties", "permissions", 0), "notDataActions", [None]),
        broken(("properties", "permissions", 0), "condition", 1),
        broken(("properties", "permissions", 0), "conditionVersion", []),
    ]
    for path, key in [((), "id"), ((), "properties"), (("properties",), "roleName")]:
        cases.append(broken(path, key, _REMOVED))
    cases.append(broken(("properties",), "permissions", _REMOVED))
    for item in cases:
        assert not role_schema_accepts(item), item
        assert not valid_role_definition(item), item


def test_the_generic_validator_is_left_only_the_role_definitions_not_proven_valid(monkeypatch):
    import diagnose.snapshot as snapshot_module

    given: list[dict] = []
    monkeypatch.setattr(snapshot_module, "_fast_validator", lambda: given.append)
    data = {**snapshot_module.empty_snapshot(), "roleDefinitions": [ROLE, ROLE]}
    snapshot_module.parse_snapshot(data)
    assert given[-1]["roleDefinitions"] == []
    odd = {**ROLE, "properties": {**ROLE["properties"], "roleName": 1}}
    snapshot_module.parse_snapshot({**data, "roleDefinitions": [ROLE, odd]})
    assert given[-1]["roleDefinitions"] == [ROLE, odd]
