"""The three role kinds as every fix language reads them: who, which role (its GUID, whether
the remediation named the GUID or the full definition id), and where.

roleAssignment -> RoleGrant. A missing principal type is left out of every language (Azure then
    looks the principal up itself).
activateEligible -> RoleActivation: PIM self-activation for `ACTIVATION_HOURS` hours; the
    request is named by a uuid5 of the inputs, so the output is stable.
removeAssignment -> RoleRemoval; `assignment` is the assignment's id when the finding knows it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Self

from diagnose.arm.ids import last_segment
from diagnose.engine.api import Remediation
from diagnose.remediation.targets import Target, role_definition_resource_id, target_of

ACTIVATION_HOURS = 8
JUSTIFICATION = "Activated to resolve an access failure found by ai-hub-diagnose"
_NAMESPACE = uuid.UUID("5c1e8f0e-3f0b-4d55-9d0c-7a1f3c2b9e41")


def activation_request_name(principal_id: str, role_guid: str, scope: str) -> str:
    """The schedule request's name: a GUID derived from the inputs, so output is stable."""
    material = "\x1f".join((principal_id.lower(), role_guid.lower(), scope.lower()))
    return str(uuid.uuid5(_NAMESPACE, material))


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
        role = remediation.role_definition_id or ""
        scope_text = remediation.scope or ""
        return cls(
            remediation.summary,
            remediation.principal_id or "",
            remediation.principal_type or None,
            last_segment(role),
            remediation.role_name,
            scope_text,
            target_of(scope_text),
        )


@dataclass(frozen=True)
class RoleGrant(RoleFix):
    """Assign a role (roleAssignment)."""


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
        return replace(super().of(remediation), assignment=remediation.resource or "")

    @property
    def where(self) -> str:
        return (
            f"the assignment {self.assignment}"
            if self.assignment
            else f"the {self.role_label} assignment at {self.scope_text}"
        )
