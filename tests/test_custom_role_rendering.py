"""A custom role's creation is written once per role in each fix language (every fix that
assigns it carries the same text): what is kept is the role's own text, never another role's
(one that differs in any field, its name included), and the lines handed out are the caller's
own to change."""

from __future__ import annotations

import dataclasses

from diagnose.remediation.languages import azcli, bicep, powershell, terraform
from diagnose.remediation.roles import CustomRole, RoleGrant
from diagnose.remediation.targets import target_of

GROUP = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ai"
SEARCH = f"{GROUP}/providers/Microsoft.Search/searchServices/srch"


def _role(*actions: str) -> CustomRole:
    return CustomRole.for_need(((a, False) for a in actions), GROUP)


def _grant(role: CustomRole) -> RoleGrant:
    return RoleGrant(
        "Create and assign.", "p1", "User", role.guid, role.name, SEARCH, target_of(SEARCH), role
    )


def _texts(role: CustomRole) -> tuple[object, ...]:
    grant = _grant(role)
    return (
        azcli.create_custom_role(role),
        powershell.create_custom_role(role),
        bicep._role_definition(grant, "role_x", True),
        terraform._role_definition(grant, "role_x"),
    )


def test_each_role_is_written_as_itself():
    write = _role("Microsoft.Search/searchServices/indexes/write")
    delete = _role("Microsoft.Search/searchServices/indexes/delete")
    renamed = dataclasses.replace(write, name="Another name")
    described = dataclasses.replace(write, description="Another description.")
    first = _texts(write)
    assert _texts(write) == first
    for other in (delete, renamed, described):
        for mine, theirs in zip(first, _texts(other), strict=True):
            assert mine != theirs, other
    assert "indexes/delete" in str(_texts(delete)) and "indexes/delete" not in str(first)
    assert "Another name" in str(_texts(renamed)) and "Another description." in str(
        _texts(described)
    )


def test_the_lines_handed_out_are_the_callers_own():
    role = _role("Microsoft.Search/searchServices/indexes/write")
    for lines in _texts(role)[1:]:
        assert isinstance(lines, list)
        lines.clear()
    assert all(_texts(role)[1:])
