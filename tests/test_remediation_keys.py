"""Remediation.dedupe_key and fix_id are kept in the instance once made (the whole-plan rounds
and the report ask them thousands of times): a changed copy (dataclasses.replace) has its own,
equality and JSON see the fields only, and a configuration change, whose key reads its mutable
JSON value, is keyed afresh each time."""

from __future__ import annotations

import dataclasses

from diagnose.engine.api import Remediation, RemediationKind
from diagnose.jsonable import to_jsonable

SCOPE = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/st"


def _grant(**changes: object) -> Remediation:
    fix = Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary="Assign a role.",
        principal_id="A1",
        role_definition_id="R1",
        scope=SCOPE,
    )
    return dataclasses.replace(fix, **changes) if changes else fix


def test_a_kept_key_is_the_key_of_what_the_fix_is():
    fix = _grant()
    first = (fix.dedupe_key, fix.fix_id)
    assert first == (fix.dedupe_key, fix.fix_id)
    assert fix.dedupe_key == (RemediationKind.ROLE_ASSIGNMENT, "a1", "r1", SCOPE.lower())
    moved = dataclasses.replace(fix, scope=SCOPE + "2")
    assert moved.dedupe_key[-1] == SCOPE.lower() + "2" and moved.fix_id != fix.fix_id
    other = dataclasses.replace(fix, principal_id="B2")
    assert other.dedupe_key[1] == "b2" and other.fix_id != fix.fix_id
    # The same change however it was written: the same key and id.
    same = _grant(summary="Another text.", principal_id="a1")
    assert (same.dedupe_key, same.fix_id) == first


def test_kept_keys_change_neither_equality_nor_json():
    fix, twin = _grant(), _grant()
    _ = fix.fix_id
    assert fix == twin and hash(fix.dedupe_key) == hash(twin.dedupe_key)
    assert to_jsonable(fix) == to_jsonable(twin)
    assert "fixId" not in to_jsonable(fix) and "dedupeKey" not in to_jsonable(fix)


def test_a_configuration_change_is_keyed_by_its_value_as_it_is_now():
    fix = Remediation(
        kind=RemediationKind.CONFIGURATION,
        summary="Turn it off.",
        resource=SCOPE,
        setting="properties.allowSharedKeyAccess",
        value={"enabled": False},
    )
    before = (fix.dedupe_key, fix.fix_id)
    fix.value["enabled"] = True
    assert fix.dedupe_key != before[0] and fix.fix_id != before[1]
