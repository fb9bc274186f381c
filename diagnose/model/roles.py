"""Role definitions as data: permission blocks, ids and names (matching is in diagnose.rbac)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from diagnose.arm.ids import last_segment


@lru_cache(maxsize=4096)
def role_guid(role_definition_id: str) -> str:
    """The GUID of a role definition id (`.../roleDefinitions/<guid>` or a bare GUID)."""
    return last_segment(role_definition_id).lower()


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value or () if isinstance(v, str) and v.strip())


@dataclass(frozen=True, slots=True)
class PermissionBlock:
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    data_actions: tuple[str, ...]
    not_data_actions: tuple[str, ...]
    condition: str | None = None

    @classmethod
    def from_arm(cls, permission: dict[str, Any]) -> PermissionBlock:
        return cls(
            actions=_strings(permission.get("actions")),
            not_actions=_strings(permission.get("notActions")),
            data_actions=_strings(permission.get("dataActions")),
            not_data_actions=_strings(permission.get("notDataActions")),
            condition=(permission.get("condition") or None),
        )

    def allows(self, data: bool) -> tuple[str, ...]:
        return self.data_actions if data else self.actions

    def excludes(self, data: bool) -> tuple[str, ...]:
        return self.not_data_actions if data else self.not_actions


@dataclass(frozen=True, slots=True)
class RoleDefinition:
    id: str
    """Lower-case GUID: roles are matched by id, never by name."""
    name: str
    former_names: tuple[str, ...]
    role_type: str
    blocks: tuple[PermissionBlock, ...]
    source: str
    """'snapshot' when collected from the tenant, 'catalog' when from the tool's built-in data."""
    arm_id: str

    @classmethod
    def from_arm(cls, definition: dict[str, Any], source: str) -> RoleDefinition:
        properties = definition.get("properties") or {}
        return cls(
            id=role_guid(definition.get("name") or definition["id"]),
            name=str(properties.get("roleName") or definition.get("name") or "?"),
            former_names=_strings(properties.get("formerRoleNames")),
            role_type=str(properties.get("type") or properties.get("roleType") or "CustomRole"),
            blocks=tuple(
                PermissionBlock.from_arm(p)
                for p in properties.get("permissions") or ()
                if isinstance(p, dict)
            ),
            source=source,
            arm_id=definition["id"],
        )

    @property
    def builtin(self) -> bool:
        return self.role_type.lower() == "builtinrole"

    def patterns(self, data: bool) -> tuple[str, ...]:
        return tuple(p for block in self.blocks for p in block.allows(data))

    def display_name(self) -> str:
        if self.former_names:
            return f"{self.name} (formerly {', '.join(self.former_names)})"
        return self.name
