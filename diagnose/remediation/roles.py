"""The three role kinds as every fix language reads them: who, which role (its GUID, whether
the remediation named the GUID or the full definition id), and where.

roleAssignment -> RoleGrant. A missing principal type is left out of every language (Azure then
    looks the principal up itself). When the remediation's `value` is a custom role definition
    (ARM shape, `CustomRole.arm`), the grant creates that role first (`RoleGrant.custom`).
activateEligible -> RoleActivation: PIM self-activation for `ACTIVATION_HOURS` hours; the
    request is named by a uuid5 of the inputs, so the output is stable.
removeAssignment -> RoleRemoval; `assignment` is the assignment's id when the finding knows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Self

from diagnose.arm.ids import last_segment
from diagnose.bulk import fast_init
from diagnose.engine.api import Remediation
from diagnose.remediation.targets import Target, role_definition_resource_id, target_of

ACTIVATION_HOURS = 8
JUSTIFICATION = "Activated to resolve an access failure found by ai-hub-diagnose"
_NAMESPACE = uuid.UUID("5c1e8f0e-3f0b-4d55-9d0c-7a1f3c2b9e41")
CUSTOM_ROLE_NAMESPACE = uuid.UUID("0b6f3a2e-8c1d-4f57-a9e4-3d2c7b1e5f60")
ROLE_DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"


def activation_request_name(principal_id: str, role_guid: str, scope: str) -> str:
    """The schedule request's name: a GUID derived from the inputs, so output is stable."""
    material = "\x1f".join((principal_id.lower(), role_guid.lower(), scope.lower()))
    return str(uuid.uuid5(_NAMESPACE, material))


@dataclass(frozen=True)
class CustomRole:
    """A custom role granting exactly a need: its name is a GUID derived from its assignable
    scope and its operations, so the same need in the same resource group is the same role."""

    guid: str
    name: str
    description: str
    actions: tuple[str, ...]
    data_actions: tuple[str, ...]
    assignable_scope: str

    @classmethod
    def for_need(cls, operations: Iterable[tuple[str, bool]], assignable_scope: str) -> Self:
        """The role for these (operation, is a data action) pairs, assignable at one scope."""
        pairs = sorted({(name, data) for name, data in operations}, key=lambda p: p[0].lower())
        actions = tuple(name for name, data in pairs if not data)
        data_actions = tuple(name for name, data in pairs if data)
        material = "\x1f".join(
            [assignable_scope.lower(), *(f"{int(d)}{n.lower()}" for n, d in pairs)]
        )
        guid = str(uuid.uuid5(CUSTOM_ROLE_NAMESPACE, material))
        return cls(
            guid,
            f"Least privilege {guid[:8]} (ai-hub-diagnose)",
            "Grants exactly " + ", ".join(n for n, _ in pairs) + " (proposed by ai-hub-diagnose).",
            actions,
            data_actions,
            assignable_scope,
        )

    @property
    def permissions(self) -> dict[str, list[str]]:
        return {
            "actions": list(self.actions),
            "notActions": [],
            "dataActions": list(self.data_actions),
            "notDataActions": [],
        }

    def arm(self, subscription: str | None) -> dict[str, Any]:
        """The definition in the ARM wire shape (what a snapshot's roleDefinitions hold)."""
        prefix = f"/subscriptions/{subscription}" if subscription else ""
        return {
            "id": f"{prefix}/providers/{ROLE_DEFINITION_TYPE}/{self.guid}",
            "name": self.guid,
            "type": ROLE_DEFINITION_TYPE,
            "properties": {
                "roleName": self.name,
                "description": self.description,
                "type": "CustomRole",
                "assignableScopes": [self.assignable_scope],
                "permissions": [self.permissions],
            },
        }

    def flat(self) -> dict[str, Any]:
        """The definition as `az role definition create` and `New-AzRoleDefinition
        -InputFile` read it."""
        return {
            "Name": self.name,
            "IsCustom": True,
            "Description": self.description,
            "Actions": list(self.actions),
            "NotActions": [],
            "DataActions": list(self.data_actions),
            "NotDataActions": [],
            "AssignableScopes": [self.assignable_scope],
        }

    @classmethod
    def from_arm(cls, value: Any) -> Self | None:
        """The custom role a remediation's `value` defines, or None when it defines none."""
        if not isinstance(value, dict) or str(value.get("type", "")).lower() != (
            ROLE_DEFINITION_TYPE.lower()
        ):
            return None
        properties = value.get("properties") or {}
        permissions = (properties.get("permissions") or [{}])[0]
        scopes = properties.get("assignableScopes") or [""]
        return cls(
            str(value.get("name", "")),
            str(properties.get("roleName", "")),
            str(properties.get("description", "")),
            tuple(str(a) for a in permissions.get("actions") or ()),
            tuple(str(a) for a in permissions.get("dataActions") or ()),
            str(scopes[0]),
        )


def _role_fields(
    remediation: Remediation,
) -> tuple[str, str, str | None, str, str | None, str, Target]:
    """RoleFix's fields from a remediation, in order (each kind adds its own in one object)."""
    role = remediation.role_definition_id or ""
    scope_text = remediation.scope or ""
    return (
        remediation.summary,
        remediation.principal_id or "",
        remediation.principal_type or None,
        last_segment(role),
        remediation.role_name,
        scope_text,
        target_of(scope_text),
    )


@dataclass(frozen=True)
class RoleFix:
    """What the three role kinds share: who, which role, where."""

    summary: str
    principal: str
    principal_type: str | None
    role_guid: str
    role_name: str | None
    scope_text: str
    scope: Target

    @property
    def role_label(self) -> str:
        return self.role_name or self.role_guid

    @classmethod
    def of(cls, remediation: Remediation) -> Self:
        """The remediation's fields (`fixes.classify` has checked the ones it needs)."""
        return cls(*_role_fields(remediation))


@fast_init
@dataclass(frozen=True)
class RoleGrant(RoleFix):
    """Assign a role (roleAssignment), after creating it when it is a custom role."""

    custom: CustomRole | None = None

    @classmethod
    def of(cls, remediation: Remediation) -> Self:
        return cls(*_role_fields(remediation), custom=CustomRole.from_arm(remediation.value))


@dataclass(frozen=True)
class RoleActivation(RoleFix):
    """Activate an eligible role through PIM (activateEligible)."""

    @property
    def request(self) -> str:
        return activation_request_name(self.principal, self.role_guid, self.scope_text)

    @property
    def role_id(self) -> str:
        return role_definition_resource_id(self.scope, self.role_guid)

    @property
    def notes(self) -> list[str]:
        return [
            self.summary,
            f"PIM self-activation for {ACTIVATION_HOURS} hours: run it signed in as the "
            "eligible user.",
            "If Azure answers that the request already exists, use a new GUID as its name.",
        ]


@dataclass(frozen=True)
class RoleRemoval(RoleFix):
    """Remove an assignment (removeAssignment); `assignment` is its id when known."""

    assignment: str = ""

    @classmethod
    def of(cls, remediation: Remediation) -> Self:
        return cls(*_role_fields(remediation), assignment=remediation.resource or "")

    @property
    def where(self) -> str:
        return (
            f"the assignment {self.assignment}"
            if self.assignment
            else f"the {self.role_label} assignment at {self.scope_text}"
        )
