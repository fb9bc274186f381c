"""Recognising identifiers: GUIDs, e-mail addresses, IPv4 addresses, and the well-known GUIDs
that stay as they are.

Part of diagnose.bundle.redact (see its package docstring for the policy): the alias makers
(pseudonyms.py) and every family module ask these patterns what a whole value is.
"""

from __future__ import annotations

import re
from typing import Any

GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
FULL_GUID = re.compile(rf"^{GUID}$")
FULL_EMAIL = re.compile(r"^[\w.+#%'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
IPV4 = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})

ALL_PRINCIPALS = "00000000-0000-0000-0000-000000000000"
AZURE_ML_APP = "0736f41a-0425-4b46-bdb5-1563eff02385"
FIRST_PARTY_APPS = frozenset(
    {
        AZURE_ML_APP,
        "00000003-0000-0000-c000-000000000000",  # Microsoft Graph
        "797f4846-ba00-4fd7-ba43-dac1f8f63013",  # Azure Resource Manager
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",  # Azure CLI
    }
)


COSMOS_BUILTIN_SQL_ROLES = frozenset(
    {"00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"}
)
"""Cosmos DB's built-in SQL role definitions (Data Reader, Data Contributor): the same GUID in
every account."""


def well_known_guids(snapshot: dict[str, Any]) -> frozenset[str]:
    """GUIDs that identify nothing about a customer: built-in role definitions (from the
    tool's catalog and those the snapshot marks BuiltInRole, and Cosmos DB's built-in SQL role
    definitions), All Principals, and the first-party applications the checks look for."""
    from diagnose.catalog import builtin_role_definitions

    found = {ALL_PRINCIPALS, *FIRST_PARTY_APPS, *COSMOS_BUILTIN_SQL_ROLES}
    found |= {str(d.get("name", "")).lower() for d in builtin_role_definitions()}
    for definition in snapshot.get("roleDefinitions") or ():
        if isinstance(definition, dict) and is_builtin_role(definition):
            found.add(
                str(definition.get("name") or definition.get("id", ""))
                .rstrip("/")
                .rsplit("/", 1)[-1]
                .lower()
            )
    return frozenset(g for g in found if FULL_GUID.match(g))


def is_builtin_role(definition: dict[str, Any]) -> bool:
    """Whether a role definition (ARM JSON) says it is built in: its name and description
    are Microsoft's, not the customer's."""
    properties = definition.get("properties")
    if not isinstance(properties, dict):
        return False
    kind = properties.get("type") or properties.get("roleType") or ""
    return isinstance(kind, str) and kind.lower() == "builtinrole"
