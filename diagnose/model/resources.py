"""Typed, read-only views of the ARM resources in a snapshot (no Azure SDK types).

The type keys (WORKSPACE, SEARCH_SERVICE, ...) are `diagnose.arm.types`'s, re-exported here
because checks, built-in and from other packages, import them from this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from diagnose.arm.ids import last_segment
from diagnose.arm.scopes import scope_key
from diagnose.arm.types import (
    ACCOUNT_CONNECTION,
    APP_INSIGHTS,
    COGNITIVE_ACCOUNT,
    COGNITIVE_PROJECT,
    CONNECTION_TYPES,
    CONTAINER_REGISTRY,
    KEY_VAULT,
    PROJECT_CONNECTION,
    SEARCH_SERVICE,
    STORAGE_ACCOUNT,
    SUBSCRIPTION,
    USER_ASSIGNED_IDENTITY,
    WORKSPACE,
    WORKSPACE_CONNECTION,
)
from diagnose.bulk import fast_init

__all__ = [
    "ACCOUNT_CONNECTION",
    "APP_INSIGHTS",
    "COGNITIVE_ACCOUNT",
    "COGNITIVE_PROJECT",
    "CONNECTION_TYPES",
    "CONTAINER_REGISTRY",
    "KEY_VAULT",
    "PROJECT_CONNECTION",
    "SEARCH_SERVICE",
    "STORAGE_ACCOUNT",
    "SUBSCRIPTION",
    "USER_ASSIGNED_IDENTITY",
    "WORKSPACE",
    "WORKSPACE_CONNECTION",
    "ManagedIdentity",
    "Resource",
]


@dataclass(frozen=True)
class ManagedIdentity:
    type: str
    principal_id: str | None
    user_assigned: dict[str, str | None]
    """User-assigned identity resource id -> its principal id."""

    @classmethod
    def from_arm(cls, identity: dict[str, Any] | None) -> ManagedIdentity:
        identity = identity or {}
        user = identity.get("userAssignedIdentities") or {}
        return cls(
            type=str(identity.get("type") or "None"),
            principal_id=(identity.get("principalId") or None),
            user_assigned={rid: ((v or {}).get("principalId") or None) for rid, v in user.items()},
        )

    # Worked out once per identity: the checks and the personas ask each resource's identity
    # thousands of times (a Foundry resource's hundred projects, every round of the plan).
    @cached_property
    def kinds(self) -> frozenset[str]:
        """{'systemassigned', 'userassigned'} or a subset; spaces and case vary by provider."""
        return frozenset(p.strip().lower() for p in self.type.split(",") if p.strip()) - {"none"}

    @property
    def system_assigned(self) -> bool:
        return "systemassigned" in self.kinds

    @cached_property
    def system_principal_id(self) -> str | None:
        return self.principal_id.lower() if self.system_assigned and self.principal_id else None


@fast_init
@dataclass(frozen=True)
class Resource:
    id: str
    key: str
    name: str
    type: str
    """Lower-case resource type, e.g. microsoft.search/searchservices."""
    kind: str
    """Lower-case kind ('' when none)."""
    properties: dict[str, Any]
    identity: ManagedIdentity
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_arm(cls, item: dict[str, Any]) -> Resource:
        return cls(
            id=item["id"],
            key=scope_key(item["id"]),
            name=str(item.get("name") or last_segment(item["id"])),
            type=str(item.get("type") or "").lower(),
            kind=str(item.get("kind") or "").lower(),
            properties=item.get("properties") or {},
            identity=ManagedIdentity.from_arm(item.get("identity")),
            raw=item,
        )

    def prop(self, *path: str, default: Any = None) -> Any:
        """A nested property, matched case-insensitively (ARM casing varies across versions)."""
        properties = value = self.properties
        for part in path:
            if not isinstance(value, dict):
                return default
            if part in value:
                value = value[part]
                continue
            lowered = part.lower()
            if value is properties:  # the top level, asked of every connection, often in vain
                value = self._lowered_properties.get(lowered, default)
            else:
                value = next((v for k, v in value.items() if k.lower() == lowered), default)
            if value is default:
                return default
        return value

    @cached_property
    def _lowered_properties(self) -> dict[str, Any]:
        """The properties by lower-case key, the first of keys differing only in case kept
        (as prop's walk finds it): built once, for the keys prop does not find as spelled."""
        lowered: dict[str, Any] = {}
        for key, value in self.properties.items():
            lowered.setdefault(key.lower(), value)
        return lowered

    @property
    def is_hub(self) -> bool:
        return self.type == WORKSPACE and self.kind == "hub"

    @property
    def is_hub_project(self) -> bool:
        return self.type == WORKSPACE and self.kind == "project"

    @property
    def parent_id(self) -> str:
        """The id of the resource this child lies in (its last type/name pair dropped), as
        written."""
        return self.id.rstrip("/").rsplit("/", 2)[0]
