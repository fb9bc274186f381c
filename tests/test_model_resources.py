"""Resource.prop matches keys case-insensitively; at the top level, a key not found as spelled
is looked up in a table by lower-case key built once per resource. Its answers must be those of
walking the keys, at every level, whatever was asked before."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.model.resources import ManagedIdentity, Resource

MISSING = object()


def walk(properties: Any, path: tuple[str, ...], default: Any = None) -> Any:
    """prop as a walk of every key at every level (what it was)."""
    value = properties
    for part in path:
        if not isinstance(value, dict):
            return default
        if part in value:
            value = value[part]
            continue
        lowered = part.lower()
        value = next((v for k, v in value.items() if k.lower() == lowered), default)
        if value is default:
            return default
    return value


keys = st.sampled_from(["a", "A", "ab", "aB", "Ab", "b", "B"])
leaves = st.none() | st.integers(0, 2) | st.sampled_from(["", "x"])
properties = (
    st.recursive(
        leaves, lambda inner: st.dictionaries(keys, inner, max_size=4), max_leaves=8
    ).filter(lambda v: isinstance(v, dict))
    | leaves
)


@settings(max_examples=400, deadline=None)
@given(properties, st.lists(st.lists(keys, max_size=3).map(tuple), min_size=1, max_size=4))
def test_prop_answers_as_the_walk_whatever_was_asked_before(
    found: Any, paths: list[tuple[str, ...]]
) -> None:
    resource = Resource("/r", "/r", "r", "t", "", found, None, {})  # type: ignore[arg-type]
    for path in paths:
        for default in (None, MISSING):
            assert resource.prop(*path, default=default) is walk(found, path, default), path


def test_the_first_of_keys_differing_in_case_is_the_one_found() -> None:
    resource = Resource("/r", "/r", "r", "t", "", {"Ab": 1, "AB": 2}, None, {})  # type: ignore[arg-type]
    assert resource.prop("ab") == 1 and resource.prop("AB") == 2 and resource.prop("aB") == 1


@pytest.mark.parametrize(
    ("spelling", "kinds", "system"),
    [
        ("SystemAssigned", {"systemassigned"}, "abc"),
        ("systemassigned, userassigned", {"systemassigned", "userassigned"}, "abc"),
        (" UserAssigned ", {"userassigned"}, None),
        ("None", set(), None),
    ],
)
def test_an_identitys_kinds_are_worked_out_once_and_stay_its_own(
    spelling: str, kinds: set[str], system: str | None
) -> None:
    identity = ManagedIdentity.from_arm({"type": spelling, "principalId": "ABC"})
    for _ in range(2):  # asked again: the same answer
        assert identity.kinds == kinds and identity.system_principal_id == system
    assert identity == ManagedIdentity.from_arm({"type": spelling, "principalId": "ABC"})
    # a copy with another type has its own
    other = dataclasses.replace(identity, type="None")
    assert not other.kinds and other.system_principal_id is None
    assert identity.kinds == kinds
    another = ManagedIdentity.from_arm({"type": spelling, "principalId": "DEF"})
    assert another.system_principal_id == (system and "def")
