"""Is an object from Azure shaped as the snapshot format needs? Checked against the schema's
own definitions (snapshot-v1.schema.json), so that one odd item is dropped and reported
instead of making the whole snapshot invalid."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from diagnose.snapshot import schema
from diagnose.snapshot.fast import valid_assignment, valid_resource, valid_role_definition

RESOURCE = "resource"
ROLE_DEFINITION = "roleDefinition"
ROLE_ASSIGNMENT = "roleAssignment"
DENY_ASSIGNMENT = "denyAssignment"


@cache
def _validator(definition: str) -> Callable[[Any], Any]:
    from diagnose.snapshot.compiled import compile_schema

    # The schema's own definitions under its $id. Compiling rewrites only the $ref of the
    # document it is given (this wrapper), never those it resolves: schema() stays as it is.
    whole = schema()
    return compile_schema(
        {
            "$id": whole.get("$id", ""),
            "$ref": f"#/definitions/{definition}",
            "definitions": whole["definitions"],
        }
    )


def fits(definition: str, item: Any) -> bool:
    import fastjsonschema

    # The snapshot's own specialised validators give the schema's answer
    # (tests/test_snapshot_fast.py) at a fraction of the cost: a listing keeps thousands of
    # assignments, and every hub of a scan checks its resources and role definitions (no
    # generic validator of theirs is compiled then, in each process of a scan).
    if definition == ROLE_ASSIGNMENT:
        return valid_assignment(item)
    if definition == RESOURCE:
        return valid_resource(item)
    if definition == ROLE_DEFINITION:
        return valid_role_definition(item)

    try:
        _validator(definition)(item)
    except fastjsonschema.JsonSchemaException:
        return False
    return True
