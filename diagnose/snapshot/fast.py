"""A specialised validator for the two arrays that make up most of a large snapshot (role
assignments and PIM eligibilities: 100,000 items in a big tenant).

It accepts exactly what the `roleAssignment` definition of snapshot-v1.schema.json accepts,
at a fraction of the cost of a generic validator; tests/test_snapshot_fast.py proves the two
agree on random mutations. The schema stays the one definition of the format: when this says
no, the generic validator explains why.
"""

from __future__ import annotations

from typing import Any

OPTIONAL_STRINGS = ("principalType", "condition", "conditionVersion", "createdOn")


def valid_assignment(item: Any) -> bool:
    if type(item) is not dict:
        return False
    arm_id = item.get("id", None)
    if type(arm_id) is not str or not arm_id.startswith("/"):
        return False
    for key in ("name", "type"):
        if key in item and type(item[key]) is not str:
            return False
    properties = item.get("properties", None)
    if type(properties) is not dict:
        return False
    for key in ("roleDefinitionId", "principalId"):
        value = properties.get(key, None)
        if type(value) is not str or not value:
            return False
    scope = properties.get("scope", None)
    if type(scope) is not str or not scope.startswith("/"):
        return False
    for key in OPTIONAL_STRINGS:
        if key in properties:
            value = properties[key]
            if value is not None and type(value) is not str:
                return False
    return True
