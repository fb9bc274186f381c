"""A key vault's access policies (properties.accessPolicies) as Key Vault reads them: whom an
entry names and what it gives, and which entry is a principal's own. One reading for the checks
that evaluate them (CMK001, CMK003), `explain` and the fix languages that write one entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def access_policy_grant(policy: object, kind: str) -> tuple[str, frozenset[str]]:
    """Whom one key vault access policy entry names (its objectId, lower case) and the
    permissions of one kind ("keys", "secrets", "certificates", "storage") it gives them, lower
    case ("all" as written); ("", nothing) for an entry of another shape."""
    if not isinstance(policy, dict):
        return "", frozenset()
    permissions = policy.get("permissions")
    granted = permissions.get(kind) if isinstance(permissions, dict) else None
    names = frozenset(str(name).lower() for name in granted or () if isinstance(name, str))
    return str(policy.get("objectId") or "").lower(), names


def is_compound(policy: object) -> bool:
    """An entry with an applicationId: it gives that application acting for the principal it
    names, never the principal alone."""
    return isinstance(policy, dict) and bool(policy.get("applicationId"))


def own_entry(policies: Sequence[object], principal_id: str) -> tuple[int, dict[str, Any]] | None:
    """The principal's own entry and where it is (its objectId, not a compound identity's;
    Key Vault keeps one per identity), None when it has none."""
    wanted = principal_id.lower()
    for index, policy in enumerate(policies):
        if (
            isinstance(policy, dict)
            and not is_compound(policy)
            and str(policy.get("objectId") or "").lower() == wanted
        ):
            return index, policy
    return None
