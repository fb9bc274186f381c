"""The collector's item shapes are the snapshot schema's own definitions, compiled from the one
cached schema document without changing it."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings

from diagnose.collect import shapes
from diagnose.collect.shapes import ROLE_ASSIGNMENT, fits
from diagnose.snapshot import empty_snapshot, parse_snapshot, schema
from tests.test_snapshot_fast import (
    mutated,
    mutated_resource,
    mutated_role,
    resource_schema_accepts,
    role_schema_accepts,
    schema_accepts,
)

DEFINITIONS = (
    shapes.RESOURCE,
    shapes.ROLE_DEFINITION,
    shapes.ROLE_ASSIGNMENT,
    shapes.DENY_ASSIGNMENT,
)


@pytest.mark.parametrize("snapshot_first", [False, True])
def test_compiling_the_shapes_leaves_the_schema_as_it_is(snapshot_first: bool) -> None:
    shapes._validator.cache_clear()
    before = copy.deepcopy(schema())
    if snapshot_first:
        parse_snapshot(empty_snapshot())
    for definition in DEFINITIONS:
        assert not shapes.fits(definition, {"id": "no leading slash"})
    assert schema() == before
    parse_snapshot(empty_snapshot())
    assert schema() == before


def test_an_item_fits_as_the_schema_says() -> None:
    resource = {
        "id": "/subscriptions/s/resourceGroups/r",
        "type": "Microsoft.Resources/x",
        "identity": {"type": "SystemAssigned", "principalId": None},
    }
    assert shapes.fits(shapes.RESOURCE, resource)
    assert not shapes.fits(shapes.RESOURCE, {**resource, "identity": {"principalId": 5}})
    assert not shapes.fits(shapes.RESOURCE, {"id": "/x"})  # no type


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_a_role_assignment_fits_exactly_when_the_schema_accepts_it(item):
    """fits() takes the snapshot's fast validator for role assignments: same answers."""
    assert fits(ROLE_ASSIGNMENT, item) == schema_accepts(item)


@settings(max_examples=300, deadline=None)
@given(mutated_resource())
def test_a_resource_fits_exactly_when_the_schema_accepts_it(item):
    """fits() takes the snapshot's fast validator for resources: same answers."""
    assert fits(shapes.RESOURCE, item) == resource_schema_accepts(item)


@settings(max_examples=300, deadline=None)
@given(mutated_role())
def test_a_role_definition_fits_exactly_when_the_schema_accepts_it(item):
    """fits() takes the snapshot's fast validator for role definitions: same answers."""
    assert fits(shapes.ROLE_DEFINITION, item) == role_schema_accepts(item)
