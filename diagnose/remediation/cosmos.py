"""cosmosSqlRoleAssignment -> CosmosSqlGrant: a Cosmos DB SQL role assignment, as every fix
language reads it.

Cosmos DB data access is not Azure RBAC: a principal gets it from a SQL role assignment, a
child resource of the account (`Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments`)
naming a SQL role definition of the account and a path scope in it (the account, `/dbs/<db>`
or `/dbs/<db>/colls/<container>`). The remediation carries:

    principal_id          who gets it
    role_definition_id    the SQL role definition: its GUID (a built-in,
                          00000000-0000-0000-0000-000000000002 for the Data Contributor) or its
                          full id (`<account>/sqlRoleDefinitions/<guid>`)
    resource              the Cosmos DB account's ARM id
    scope                 the path: full (`<account>/dbs/<db>`) or relative (`/dbs/<db>`)
    value                 {"dataActions": [...], "neededAt": path}: what the assignment must
                          grant, and where (default: its scope), which the proof re-evaluates
                          (diagnose.remediation.proof)

Each language writes the full ids Terraform and Bicep need and the relative path the Azure CLI
and PowerShell take. The assignment's name is a GUID derived from the account, path, principal
and role (Bicep derives its own with guid() from the same four), so writing it twice makes one
assignment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Self

from diagnose.arm.ids import last_segment
from diagnose.arm.types import COSMOS_ACCOUNT, COSMOS_SQL_ROLE_ASSIGNMENT, canonical
from diagnose.engine.api import Remediation
from diagnose.model.cosmos import parse_path
from diagnose.remediation.targets import Target, target_of

COSMOS_API = "2024-11-15"
"""The api-version the Bicep of a SQL role assignment declares."""
ASSIGNMENT_TYPE = canonical(COSMOS_SQL_ROLE_ASSIGNMENT) or (
    "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments"
)
_NAMESPACE = uuid.UUID("8f2b6c1e-4d7a-4b3e-9c5f-0a1d2e3f4b5c")
NOTE = (
    "Cosmos DB data access is a Cosmos DB SQL role assignment (data plane): Azure RBAC roles on "
    "the account (Owner, Contributor, Cosmos DB Operator) grant none."
)


def assignment_name(account_id: str, path: str, principal_id: str, role_guid: str) -> str:
    """The SQL role assignment's name: a GUID derived from what it grants, so output is stable."""
    material = "\x1f".join((account_id.lower(), path, principal_id.lower(), role_guid.lower()))
    return str(uuid.uuid5(_NAMESPACE, material))


@dataclass(frozen=True)
class CosmosSqlGrant:
    """Assign a Cosmos DB SQL role (cosmosSqlRoleAssignment)."""

    summary: str
    principal: str
    principal_type: str | None
    role_guid: str
    role_name: str | None
    account: Target
    """The Cosmos DB account, split as the languages need it."""
    path: str
    """Relative to the account: "/", "/dbs/<db>" or "/dbs/<db>/colls/<container>"."""
    data_actions: tuple[str, ...] = ()
    """What the assignment must grant (value.dataActions), for its proof."""
    needed_at: str = "/"
    """Where it must grant them (value.neededAt, relative like `path`; default: `path`)."""

    @classmethod
    def of(cls, remediation: Remediation) -> Self:
        """The remediation's fields (`fixes.classify` has checked that they are there);
        ValueError when `resource` is no Cosmos DB account or `scope` no path of it."""
        account = target_of(remediation.resource or "")
        if account.level != "resource" or account.type_key != COSMOS_ACCOUNT:
            raise ValueError(
                f"cosmosSqlRoleAssignment needs a Cosmos DB account as its resource, not "
                f"{remediation.resource!r}"
            )
        path = parse_path(remediation.scope or "", account.raw)
        if path is None:
            raise ValueError(
                f"cosmosSqlRoleAssignment scope {remediation.scope!r} is no path of {account.raw}"
            )
        value: Any = remediation.value if isinstance(remediation.value, dict) else {}
        actions = value.get("dataActions")
        needed = (
            parse_path(str(value.get("neededAt") or ""), account.raw)
            if value.get("neededAt")
            else path
        )
        if needed is None:
            raise ValueError(
                f"cosmosSqlRoleAssignment neededAt {value.get('neededAt')!r} is no path of "
                f"{account.raw}"
            )
        return cls(
            remediation.summary,
            remediation.principal_id or "",
            remediation.principal_type or None,
            last_segment(remediation.role_definition_id or "").lower(),
            remediation.role_name,
            account,
            path.relative,
            tuple(str(a) for a in actions or ()) if isinstance(actions, list) else (),
            needed.relative,
        )

    @property
    def role_label(self) -> str:
        return self.role_name or self.role_guid

    @property
    def role_definition_id(self) -> str:
        """The SQL role definition's full id in this account."""
        return f"{self.account.raw.rstrip('/')}/sqlRoleDefinitions/{self.role_guid}"

    @property
    def scope_id(self) -> str:
        """The path as a full ARM path (what Azure returns as `scope`)."""
        base = self.account.raw.rstrip("/")
        return base if self.path == "/" else base + self.path

    @property
    def name(self) -> str:
        return assignment_name(self.account.raw, self.path, self.principal, self.role_guid)

    @property
    def notes(self) -> list[str]:
        return [self.summary, NOTE]

    def arm(self) -> dict[str, Any]:
        """The SQL role assignment Azure holds once the fix is made (ARM shape)."""
        return {
            "id": f"{self.account.raw.rstrip('/')}/sqlRoleAssignments/{self.name}",
            "name": self.name,
            "type": ASSIGNMENT_TYPE,
            "properties": {
                "roleDefinitionId": self.role_definition_id,
                "scope": self.scope_id,
                "principalId": self.principal,
            },
        }
