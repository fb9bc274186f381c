"""Specialised validators for the arrays that make up most of a large snapshot: role
assignments and PIM eligibilities (100,000 items in a big tenant), principals (tens of
thousands when a large group's members are listed) and resources (thousands); and for role
definitions, which every hub of a scan reads again (the same few roles, each checked by the
generic validator in every hub's snapshot).

Each accepts exactly what its definition in snapshot-v1.schema.json (`roleAssignment`,
`principal`, `resource`, `roleDefinition`) accepts, at a fraction of the cost of a generic
validator; tests/test_snapshot_fast.py proves them and the schema agree on random mutations.
The schema stays the one definition of the format: when these say no, the generic validator
explains why.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

OPTIONAL_STRINGS = ("principalType", "condition", "conditionVersion", "createdOn")
CONTAINERS = frozenset({dict, list})

INVALID = 0
"""The schema refuses the item."""
VALID = 1
"""The schema accepts the item; it may nest deeper than an assignment does (an unknown key)."""
FLAT = 2
"""The schema accepts the item, and it nests 2 levels: scalars but for `properties`, whose
values are all scalars (decode.too_deep_item need not walk it)."""


def valid_assignment(item: Any) -> bool:
    return assignment_shape(item) != INVALID


def assignment_shape(item: Any) -> int:
    """INVALID, VALID or FLAT: the schema's answer and, for the price of one pass over the
    item, whether its nesting needs to be walked."""
    if type(item) is not dict:
        return INVALID
    arm_id = item.get("id", None)
    if type(arm_id) is not str or not arm_id.startswith("/"):
        return INVALID
    for key in ("name", "type"):
        if key in item and type(item[key]) is not str:
            return INVALID
    properties = item.get("properties", None)
    if type(properties) is not dict:
        return INVALID
    for key in ("roleDefinitionId", "principalId"):
        value = properties.get(key, None)
        if type(value) is not str or not value:
            return INVALID
    scope = properties.get("scope", None)
    if type(scope) is not str or not scope.startswith("/"):
        return INVALID
    for key in OPTIONAL_STRINGS:
        if key in properties:
            value = properties[key]
            if value is not None and type(value) is not str:
                return INVALID
    # Counted at C speed: properties is the one container among the item's values.
    if sum(map(CONTAINERS.__contains__, map(type, item.values()))) == 1 and (
        CONTAINERS.isdisjoint(map(type, properties.values()))
    ):
        return FLAT
    return VALID


def unflat(items: list[Any]) -> Iterator[tuple[Any, int]]:
    """(item, assignment_shape(item)) for each item that is not FLAT, in order.

    An item with the same keys, in the same order, holding values of the same types as an
    item found FLAT is FLAT too, provided its values pass the checks types cannot tell (the id
    and the scope start with "/", the role and principal ids are not empty): every other test
    of assignment_shape depends on the keys and types alone. A collected array holds a few
    such signatures, so most of its 100,000 items cost a signature and four tests."""
    flat: set[tuple[Any, ...]] = set()
    for item in items:
        signature = None
        if type(item) is dict:
            properties = item.get("properties")
            if type(properties) is dict:
                # Keys are strings and types are not, so the four runs cannot be confused.
                signature = (
                    *item,
                    *map(type, item.values()),
                    *properties,
                    *map(type, properties.values()),
                )
                if (
                    signature in flat
                    and item["id"][:1] == "/"
                    and properties["scope"][:1] == "/"
                    and properties["roleDefinitionId"]
                    and properties["principalId"]
                ):
                    continue
        shape = assignment_shape(item)
        if shape != FLAT:
            yield item, shape
        elif signature is not None:
            flat.add(signature)


STRING_OR_NULL = frozenset({str, type(None)})
_properties = itemgetter("properties")
_id = itemgetter("id")
_scope = itemgetter("scope")
_principal_id = itemgetter("principalId")
_role_definition_id = itemgetter("roleDefinitionId")


def all_flat(items: list[Any]) -> bool:
    """Whether assignment_shape(item) is FLAT for every item (then unflat(items) yields
    nothing), told in a few passes over the array that run at C speed, with no Python code per
    item. False says only "not proven here": unflat then tells which items are not FLAT.

    The proof, pass by pass: every item is an object with a `properties` object (dict.values
    refuses anything else); every value of every `properties` is a string or null (so nothing
    nests in it, and its optional strings are strings or null); each item has exactly one value
    that is not a string (its `properties`: so nothing else nests, and `name` and `type`, when
    present, are strings); the id and the scope are strings starting with "/", and the
    principal and role definition ids are strings (not null) that are not empty."""
    try:
        properties = list(map(_properties, items))
        if not STRING_OR_NULL.issuperset(
            map(type, chain.from_iterable(map(dict.values, properties)))
        ):
            return False
        values = list(map(type, chain.from_iterable(map(dict.values, items))))
        if values.count(str) != len(values) - len(items):
            return False
        # Strings or null from here: str.startswith refuses null, which is false like "".
        return (
            all(map(str.startswith, map(_id, items), repeat("/")))
            and all(map(str.startswith, map(_scope, properties), repeat("/")))
            and all(map(_principal_id, properties))
            and all(map(_role_definition_id, properties))
        )
    except (KeyError, TypeError):  # a key missing, a value of another type than needed
        return False


PRINCIPAL_TYPES = frozenset({"User", "Group", "ServicePrincipal"})
NULLABLE_STRINGS = ("displayName", "userPrincipalName", "appId")


def valid_principal(item: Any) -> bool:
    """What the schema's `principal` definition says of an item."""
    if type(item) is not dict:
        return False
    principal_id = item.get("id")
    if type(principal_id) is not str or not principal_id:
        return False
    kind = item.get("type")
    if type(kind) is not str or kind not in PRINCIPAL_TYPES:
        return False
    if "memberOf" not in item:
        return False
    groups = item["memberOf"]
    if groups is not None and (type(groups) is not list or not _all_strings(groups)):
        return False
    for key in NULLABLE_STRINGS:
        if key in item and item[key] is not None and type(item[key]) is not str:
            return False
    if "deleted" in item and type(item["deleted"]) is not bool:
        return False
    return "deletedEvidence" not in item or type(item["deletedEvidence"]) is str


def _all_strings(values: list[Any]) -> bool:
    return all(type(value) is str for value in values)


def valid_resource(item: Any) -> bool:
    """What the schema's `resource` definition (an `armObject` with a type, and the few
    properties the tool reads typed) says of an item."""
    if not _valid_arm_object(item) or type(item.get("type")) is not str:
        return False
    if "kind" in item and not _nullable_string(item["kind"]):
        return False
    properties = item.get("properties")
    if properties is not None:
        if type(properties) is not dict:
            return False
        if "managementGroupAncestorsChain" in properties and not _valid_chain(
            properties["managementGroupAncestorsChain"]
        ):
            return False
    identity = item.get("identity")
    return identity is None or _valid_identity(identity)


def _valid_arm_object(item: Any) -> bool:
    """What the schema's `armObject` definition says of an item: an object whose id starts
    with "/", and whose name and type, when present, are strings."""
    if type(item) is not dict:
        return False
    arm_id = item.get("id")
    if type(arm_id) is not str or not arm_id.startswith("/"):
        return False
    return all(type(item[key]) is str for key in ("name", "type") if key in item)


def _nullable_string(value: Any) -> bool:
    return value is None or type(value) is str


def _valid_chain(chain: Any) -> bool:
    return type(chain) is list and all(
        type(group) is dict and type(group.get("name")) is str for group in chain
    )


def _valid_identity(identity: Any) -> bool:
    if type(identity) is not dict:
        return False
    if "type" in identity and type(identity["type"]) is not str:
        return False
    if "principalId" in identity and not _nullable_string(identity["principalId"]):
        return False
    assigned = identity.get("userAssignedIdentities")
    if assigned is None:
        return True
    if type(assigned) is not dict:
        return False
    return all(
        entry is None
        or (
            type(entry) is dict
            and ("principalId" not in entry or _nullable_string(entry["principalId"]))
        )
        for entry in assigned.values()
    )


PERMISSION_LISTS = ("actions", "notActions", "dataActions", "notDataActions")
PERMISSION_STRINGS = ("condition", "conditionVersion")


def valid_role_definition(item: Any) -> bool:
    """What the schema's `roleDefinition` definition (an `armObject` whose properties name the
    role and list its permissions) says of an item."""
    if not _valid_arm_object(item):
        return False
    properties = item.get("properties")
    if type(properties) is not dict or type(properties.get("roleName")) is not str:
        return False
    if "type" in properties and type(properties["type"]) is not str:
        return False
    permissions = properties.get("permissions")
    if type(permissions) is not list or not all(map(_valid_permission, permissions)):
        return False
    return "assignableScopes" not in properties or _string_list(properties["assignableScopes"])


def _valid_permission(permission: Any) -> bool:
    if type(permission) is not dict:
        return False
    for key in PERMISSION_LISTS:
        if key in permission and not _string_list(permission[key]):
            return False
    return all(
        key not in permission or _nullable_string(permission[key]) for key in PERMISSION_STRINGS
    )


def _string_list(value: Any) -> bool:
    return value is None or (type(value) is list and _all_strings(value))
