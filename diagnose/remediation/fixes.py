"""What a fix does, decided once for every fix language: `classify(remediation)` checks a
`Remediation` and returns one typed `Fix`, which each module of
`diagnose.remediation.languages` renders.

The forms live beside their kinds: the role kinds in `roles`, configuration in `settings`
(whose docstring lists the settings with a form of their own), a Cosmos DB SQL role assignment
in `cosmos`.
"""

from __future__ import annotations

from typing import TypeAlias

from diagnose.engine.api import Remediation, RemediationKind
from diagnose.remediation.cosmos import CosmosSqlGrant
from diagnose.remediation.roles import RoleActivation, RoleGrant, RoleRemoval
from diagnose.remediation.settings import SettingFix, setting_fix

Fix: TypeAlias = RoleGrant | RoleActivation | RoleRemoval | SettingFix | CosmosSqlGrant
"""Every form a language renders; a language's `match` over it ends in assert_never, so mypy
names the language that misses a new form."""

_ROLE_FIELDS = ("principal_id", "role_definition_id", "scope")
_FIELDS = {
    RemediationKind.ROLE_ASSIGNMENT: _ROLE_FIELDS,
    RemediationKind.ACTIVATE_ELIGIBLE: _ROLE_FIELDS,
    RemediationKind.REMOVE_ASSIGNMENT: _ROLE_FIELDS,
    RemediationKind.CONFIGURATION: ("resource", "setting"),
    RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT: (*_ROLE_FIELDS, "resource"),
}
"""The fields each kind cannot do without."""


def classify(remediation: Remediation) -> Fix:
    """The remediation as the one form every language renders (ValueError when its kind is not
    one this tool knows, or it lacks a field its kind needs)."""
    kind = remediation.kind
    fields = _FIELDS.get(kind)
    if fields is None:
        raise ValueError(f"unknown remediation kind {remediation.kind!r}")
    missing = [name for name in fields if not getattr(remediation, name)]
    if missing:
        raise ValueError(f"{remediation.kind} remediation needs {', '.join(missing)}")
    if kind == RemediationKind.ROLE_ASSIGNMENT:
        return RoleGrant.of(remediation)
    if kind == RemediationKind.ACTIVATE_ELIGIBLE:
        return RoleActivation.of(remediation)
    if kind == RemediationKind.REMOVE_ASSIGNMENT:
        return RoleRemoval.of(remediation)
    if kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT:
        return CosmosSqlGrant.of(remediation)
    return setting_fix(remediation)
