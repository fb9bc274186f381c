"""engine.api.Operation keeps its hash (computed once, in __post_init__): equal operations hash
alike however they were made, a changed copy hashes as what it now is, the hash is not a field
(JSON, fields() and equality see name and data only), and a pickled copy computes its own (a
string's hash differs between processes)."""

from __future__ import annotations

import copy
import dataclasses
import pickle

from diagnose.engine.api import Operation
from diagnose.jsonable import to_jsonable

NAME = "Microsoft.CognitiveServices/accounts/AIServices/agents/write"


def test_equal_operations_hash_alike_and_as_their_fields():
    made = [Operation(NAME, True), Operation.data_action(NAME), Operation(name=NAME, data=True)]
    assert len(set(made)) == 1
    assert {hash(op) for op in made} == {hash((NAME, True))}
    assert hash(Operation(NAME)) == hash((NAME, False)) and Operation(NAME) not in set(made)


def test_a_changed_copy_hashes_as_what_it_is():
    changed = dataclasses.replace(Operation(NAME, True), data=False)
    assert hash(changed) == hash(Operation(NAME, False)) == hash((NAME, False))
    assert {changed: 1}[Operation.action(NAME)] == 1


def test_the_hash_is_no_field():
    op = Operation(NAME, True)
    assert [f.name for f in dataclasses.fields(Operation)] == ["name", "data"]
    assert to_jsonable(op) == {"name": NAME, "data": True}
    assert repr(op) == f"Operation(name='{NAME}', data=True)"


def test_a_pickled_or_copied_operation_computes_its_own_hash():
    op = Operation(NAME, True)
    assert b"_hash" not in pickle.dumps(op)
    for other in (pickle.loads(pickle.dumps(op)), copy.copy(op), copy.deepcopy(op)):
        assert other == op and hash(other) == hash(op)
