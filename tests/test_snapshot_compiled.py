"""The schema's validators kept as compiled code (diagnose/snapshot/compiled.py), which a scan's
worker process adopts instead of generating them again: each is the validator
fastjsonschema.compile makes of its definition, and adopted code serves only the definition
it was made for, on the interpreter that can run it."""

from __future__ import annotations

import copy
from typing import Any

import fastjsonschema
import pytest

from diagnose.snapshot import compiled, empty_snapshot, schema
from tests.test_snapshot_fast import RESOURCE, ROLE

SHAPES = ("resource", "roleDefinition", "denyAssignment")


def _shape(definition: str) -> dict[str, Any]:
    whole = schema()
    return {
        "$id": whole.get("$id", ""),
        "$ref": f"#/definitions/{definition}",
        "definitions": whole["definitions"],
    }


SAMPLES = [
    empty_snapshot(),
    {**empty_snapshot(), "resources": [RESOURCE]},
    {**empty_snapshot(), "resources": [{"id": "no-slash", "type": "x"}]},
    {**empty_snapshot(), "roleDefinitions": [ROLE, {**ROLE, "properties": {"roleName": 1}}]},
    {"schemaVersion": 2},
    RESOURCE,
    ROLE,
    {**ROLE, "id": "no-slash"},
    {"id": "/x", "type": 1},
    None,
    [],
]


def _verdict(validator: Any, value: Any) -> str:
    try:
        validator(copy.deepcopy(value))
    except fastjsonschema.JsonSchemaException as exc:
        return f"refused: {exc.message}"
    return "accepted"


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Nothing compiled yet in this process; the definitions fastjsonschema generates code
    for, in order."""
    monkeypatch.setattr(compiled, "_made", {})
    generated: list[object] = []
    original = fastjsonschema.compile_to_code

    def counted(definition: Any, *args: Any, **kwargs: Any) -> str:
        generated.append(copy.deepcopy(definition))
        return original(definition, *args, **kwargs)

    monkeypatch.setattr(fastjsonschema, "compile_to_code", counted)
    return generated


@pytest.mark.parametrize("name", ["snapshot", *SHAPES])
def test_each_validator_is_the_one_fastjsonschema_compiles(name: str, fresh: list[object]) -> None:
    def definition() -> dict[str, Any]:
        return copy.deepcopy(schema()) if name == "snapshot" else _shape(name)

    theirs = fastjsonschema.compile(definition())
    for _ in range(2):  # generated, then from the code kept
        ours = compiled.compile_schema(definition())
        assert ours.__name__ == theirs.__name__
        assert [_verdict(ours, v) for v in SAMPLES] == [_verdict(theirs, v) for v in SAMPLES]
    assert len(fresh) == 1


def test_adopted_code_is_run_instead_of_generated_and_only_for_its_definition(
    fresh: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled.compile_schema(_shape("resource"))
    exported = compiled.export()
    monkeypatch.setattr(compiled, "_made", {})  # another process of the scan
    fresh.clear()
    compiled.adopt(exported)
    resource = compiled.compile_schema(_shape("resource"))
    assert fresh == []  # run, not generated
    assert _verdict(resource, RESOURCE) == "accepted"
    assert _verdict(resource, {"id": "/x"}).startswith("refused")
    # another definition gets its own validator, never the adopted one
    role = compiled.compile_schema(_shape("roleDefinition"))
    assert len(fresh) == 1
    assert _verdict(role, ROLE) == "accepted"
    assert _verdict(role, RESOURCE).startswith("refused")


def test_code_of_another_interpreter_version_is_not_adopted(
    fresh: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled.compile_schema(_shape("denyAssignment"))
    magic, made = compiled.export()
    monkeypatch.setattr(compiled, "_made", {})
    fresh.clear()
    compiled.adopt((b"\x00\x00\r\n", made))
    compiled.adopt(None)
    compiled.compile_schema(_shape("denyAssignment"))
    assert len(fresh) == 1  # generated again
    assert magic != b"\x00\x00\r\n"
