"""Principal.from_snapshot: the usual principal (not reported deleted) takes a short path; it
must give what the whole one gives, raw entry included (raw is left out of equality, so it is
compared on its own)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnose.model.principals import Principal

GROUP = "AAAAAAAA-0000-0000-0000-000000000001"
USER = "BBBBBBBB-0000-0000-0000-000000000002"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"id": USER, "type": "User", "displayName": "Ana", "memberOf": [GROUP]},
            (USER.lower(), "User", "Ana", (GROUP.lower(),), False, None, False),
        ),
        (
            {"id": USER, "type": "User", "displayName": "", "memberOf": None, "deleted": False},
            (USER.lower(), "User", None, None, False, None, False),
        ),
        (
            {
                "id": USER,
                "type": "User",
                "memberOf": [],
                "deleted": True,
                "deletedEvidence": " 404 ",
            },
            (USER.lower(), "User", None, (), True, "404", False),
        ),
        (
            {"id": USER, "type": "Group", "memberOf": [], "deleted": True, "deletedEvidence": " "},
            (USER.lower(), "Group", None, (), False, None, True),
        ),
        (
            {"id": USER, "type": "User", "memberOf": [], "deletedEvidence": "404"},
            (USER.lower(), "User", None, (), False, None, False),
        ),
    ],
)
def test_a_principal_from_the_snapshot(entry: dict[str, Any], expected: tuple[Any, ...]) -> None:
    found = Principal.from_snapshot(entry)
    assert (
        found.id,
        found.type,
        found.display_name,
        found.member_of,
        found.deleted,
        found.deleted_evidence,
        found.deletion_unconfirmed,
    ) == expected
    assert found.raw is entry
