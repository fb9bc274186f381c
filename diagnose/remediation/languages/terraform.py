"""Terraform (azurerm and azapi providers).

roleAssignment   `azurerm_role_assignment` with the full role definition id; a custom role is an
                 `azurerm_role_definition` (named by its GUID) the assignment refers to.
activateEligible `azurerm_pim_active_role_assignment` (which assigns as an administrator).
removeAssignment a comment: delete the block that manages the assignment, if any.
configuration    a block to merge into the azurerm block that already manages the resource, or,
                 for connections and the generic form, an `azapi_update_resource` that patches
                 in place (commented when the resource type's API version is unknown).
cosmosSqlRoleAssignment
                 `azurerm_cosmosdb_sql_role_assignment` with the full role definition id and
                 the full path as its scope, named by a GUID derived from what it grants.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, assert_never

from diagnose.arm.types import COGNITIVE_ACCOUNT, SEARCH_SERVICE
from diagnose.remediation.cosmos import CosmosSqlGrant
from diagnose.remediation.fixes import Fix
from diagnose.remediation.languages import FixLanguage, comments, text, to_json
from diagnose.remediation.languages.azcli import deny_assignment_command
from diagnose.remediation.quoting import hcl, identifier
from diagnose.remediation.roles import (
    ACTIVATION_HOURS,
    JUSTIFICATION,
    CustomRole,
    RoleActivation,
    RoleGrant,
    RoleRemoval,
)
from diagnose.remediation.settings import (
    ConnectionAuth,
    CustomSubdomain,
    DenyAssignment,
    GenericSetting,
    LocalAuth,
    SearchAuthOptions,
    Setting,
    SharedKeyAccess,
    StorageBypass,
    SystemIdentity,
    TrustedServices,
)
from diagnose.remediation.targets import role_definition_resource_id


def _key(key: str) -> str:
    is_identifier = (
        key[:1].isascii()
        and key[:1].isalpha()
        and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in key)
    )
    return key if is_identifier else hcl(key)


def _value(value: Any, indent: int) -> list[str]:
    """HCL expression lines for a JSON value; the first line has no indentation of its own."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        items = [(_key(str(key)), _value(item, indent + 1)) for key, item in value.items()]
        lines = ["{"]
        for index, (key, rendered) in enumerate(items):
            # Like `terraform fmt`: single-line attributes in a row share one alignment;
            # a multi-line one stands alone.
            width = len(key)
            if len(rendered) == 1:
                start = index
                while start > 0 and len(items[start - 1][1]) == 1:
                    start -= 1
                end = index
                while end + 1 < len(items) and len(items[end + 1][1]) == 1:
                    end += 1
                width = max(len(k) for k, _ in items[start : end + 1])
            lines.append(f"{pad}  {key.ljust(width)} = {rendered[0]}")
            lines.extend(rendered[1:])
        lines.append(f"{pad}}}")
        return lines
    if isinstance(value, list):
        if not value:
            return ["[]"]
        lines = ["["]
        for item in value:
            rendered = _value(item, indent + 1)
            item_lines = [f"{pad}  {rendered[0]}", *rendered[1:]]
            item_lines[-1] += ","
            lines.extend(item_lines)
        lines.append(f"{pad}]")
        return lines
    if value is None:
        return ["null"]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float):
        return [to_json(value)]
    return [hcl(str(value))]


def _attributes(pairs: Sequence[tuple[str, str]], indent: int = 1) -> list[str]:
    """Aligned `name = expression` lines (names are constants of this module)."""
    if not pairs:
        return []
    width = max(len(name) for name, _ in pairs)
    pad = "  " * indent
    return [f"{pad}{name.ljust(width)} = {expression}" for name, expression in pairs]


# --------------------------------------------------------------------------------------------
# The role kinds


def _role_definition(fix: RoleGrant, symbol: str) -> list[str]:
    """The custom role's block (fix.custom is set)."""
    assert fix.custom is not None
    return list(_definition_block(fix.custom, symbol))


@lru_cache(maxsize=256)
def _definition_block(role: CustomRole, symbol: str) -> tuple[str, ...]:
    # Written once per role: every fix that assigns it carries it.
    permissions = [
        (name, _value(list(values), 2))
        for name, values in (
            ("actions", role.actions),
            ("not_actions", ()),
            ("data_actions", role.data_actions),
            ("not_data_actions", ()),
        )
    ]
    width = max(len(name) for name, _ in permissions)
    lines = [
        f'resource "azurerm_role_definition" "{symbol}" {{',
        *_attributes(
            [
                ("role_definition_id", hcl(role.guid)),
                ("name", hcl(role.name)),
                ("scope", hcl(role.assignable_scope)),
                ("description", hcl(role.description)),
            ]
        ),
        "",
        "  permissions {",
    ]
    for name, rendered in permissions:
        lines.append(f"    {name.ljust(width)} = {rendered[0]}")
        lines.extend(rendered[1:])
    lines += [
        "  }",
        "",
        f"  assignable_scopes = [{hcl(role.assignable_scope)}]",
        "}",
        "",
    ]
    return tuple(lines)


def _role_assignment(fix: RoleGrant) -> str:
    symbol = identifier("ra", fix.role_label, fix.principal, fix.role_guid, fix.scope_text)
    definition: list[str] = []
    role_id = hcl(role_definition_resource_id(fix.scope, fix.role_guid))
    if fix.custom is not None:
        role_symbol = identifier("role", fix.custom.name, fix.custom.guid)
        definition = _role_definition(fix, role_symbol)
        role_id = f"azurerm_role_definition.{role_symbol}.role_definition_resource_id"
    attributes = [
        ("scope", hcl(fix.scope_text)),
        ("role_definition_id", role_id),
        ("principal_id", hcl(fix.principal)),
    ]
    if fix.principal_type:
        attributes.append(("principal_type", hcl(fix.principal_type)))
    return text(
        [
            *comments("#", [fix.summary]),
            *definition,
            f'resource "azurerm_role_assignment" "{symbol}" {{',
            *_attributes(attributes),
            "}",
        ]
    )


def _activate(fix: RoleActivation) -> str:
    symbol = identifier("activate", fix.role_label, fix.principal, fix.role_guid, fix.scope_text)
    return text(
        [
            *comments(
                "#",
                [
                    fix.summary,
                    "azurerm_pim_active_role_assignment creates the active assignment as an",
                    "administrator (AdminAssign): whoever runs Terraform needs permission to "
                    "assign",
                    "roles at this scope. For self-activation use the CLI or PowerShell command.",
                ],
            ),
            *activation_resource(symbol, fix, hcl(fix.principal)),
        ]
    )


def activation_resource(symbol: str, fix: RoleActivation, principal: str) -> list[str]:
    """The azurerm_pim_active_role_assignment block of an activation; `principal` is an HCL
    expression (the id quoted, or a variable of a whole-plan export)."""
    return [
        f'resource "azurerm_pim_active_role_assignment" "{symbol}" {{',
        *_attributes(
            [
                ("scope", hcl(fix.scope_text)),
                ("role_definition_id", hcl(fix.role_id)),
                ("principal_id", principal),
                ("justification", hcl(JUSTIFICATION)),
            ]
        ),
        "",
        "  schedule {",
        "    expiration {",
        f"      duration_hours = {ACTIVATION_HOURS}",
        "    }",
        "  }",
        "}",
    ]


def cosmos_resource(symbol: str, fix: CosmosSqlGrant, principal: str) -> list[str]:
    """The azurerm_cosmosdb_sql_role_assignment block; `principal` is an HCL expression (the id
    quoted, or a variable of a whole-plan export)."""
    return [
        f'resource "azurerm_cosmosdb_sql_role_assignment" "{symbol}" {{',
        *_attributes(
            [
                ("name", hcl(fix.name)),
                ("resource_group_name", hcl(fix.account.resource_group or "")),
                ("account_name", hcl(fix.account.leaf)),
                ("role_definition_id", hcl(fix.role_definition_id)),
                ("principal_id", principal),
                ("scope", hcl(fix.scope_id)),
            ]
        ),
        "}",
    ]


def _cosmos(fix: CosmosSqlGrant) -> str:
    symbol = identifier("sqlra", fix.role_label, fix.principal, fix.role_guid, fix.scope_id)
    return text([*comments("#", fix.notes), *cosmos_resource(symbol, fix, hcl(fix.principal))])


# --------------------------------------------------------------------------------------------
# Configuration


def _snippet(
    fix: Setting,
    resource_type: str,
    attributes: Sequence[tuple[str, str]],
    blocks: Sequence[str] = (),
    note: str = "",
) -> str:
    """A block to merge into the azurerm block that manages the resource."""
    symbol = identifier("res", fix.target.leaf, fix.rid)
    lines = [
        f'resource "{resource_type}" "{symbol}" {{',
        *_attributes(
            [
                ("name", hcl(fix.target.leaf)),
                ("resource_group_name", hcl(fix.target.resource_group or "")),
                *attributes,
            ]
        ),
    ]
    if blocks:
        lines += ["", *blocks]
    lines.append("}")
    return text(
        [
            *comments(
                "#",
                [
                    fix.summary,
                    f"Merge into the {resource_type} block that manages {fix.rid}.",
                    *([note] if note else []),
                ],
            ),
            *lines,
        ]
    )


def _azapi_update(label: str, type_text: str, resource_id: str, body: Any) -> list[str]:
    rendered = _value(body, 1)
    return [
        f'resource "azapi_update_resource" "{label}" {{',
        *_attributes([("type", hcl(type_text)), ("resource_id", hcl(resource_id))]),
        f"  body = {rendered[0]}",
        *rendered[1:],
        "}",
    ]


def _system_identity(fix: SystemIdentity) -> str:
    kind = fix.target.type_key
    resource_type, note = (
        ("azurerm_cognitive_account", "")
        if kind == COGNITIVE_ACCOUNT
        else ("azurerm_search_service", "")
        if kind == SEARCH_SERVICE
        else (
            "azurerm_machine_learning_workspace",
            "For a hub managed as azurerm_ai_foundry, merge the same identity block.",
        )
    )
    return _snippet(
        fix, resource_type, [], ["  identity {", '    type = "SystemAssigned"', "  }"], note=note
    )


def _trusted_services(fix: TrustedServices) -> str:
    if fix.target.type_key == COGNITIVE_ACCOUNT:
        return _snippet(
            fix,
            "azurerm_cognitive_account",
            [],
            [
                "  network_acls {",
                '    bypass = "AzureServices"',
                "    # keep default_action, ip_rules and virtual_network_rules as they are",
                "  }",
            ],
        )
    return _snippet(
        fix, "azurerm_search_service", [("network_rule_bypass_option", hcl("AzureServices"))]
    )


def _connection_auth(fix: ConnectionAuth) -> str:
    return text(
        [
            *comments("#", [*fix.notes, "azapi provider 2.x: patches the connection in place."]),
            *_azapi_update(
                identifier("update", fix.target.leaf, fix.rid),
                f"{fix.canonical_type}@{fix.api_version}",
                fix.rid,
                fix.body,
            ),
        ]
    )


def _generic(fix: GenericSetting) -> str:
    known = fix.target.known
    label = identifier("update", fix.target.leaf, fix.rid, fix.setting)
    if known:
        return text(
            [
                *comments("#", [fix.summary, "azapi provider 2.x: patches the resource in place."]),
                *_azapi_update(label, f"{known[0]}@{known[1]}", fix.rid, fix.body),
            ]
        )
    return text(
        comments(
            "#",
            [
                fix.summary,
                "This tool has no API version for this resource type; with the azapi "
                "provider, for example:",
                *_azapi_update(label, f"{fix.target.type}@<api-version>", fix.rid, fix.body),
            ],
        )
    )


def render(fix: Fix) -> str:
    """The fix as Terraform."""
    match fix:
        case RoleGrant():
            return _role_assignment(fix)
        case RoleActivation():
            return _activate(fix)
        case RoleRemoval():
            return text(
                comments(
                    "#",
                    [
                        fix.summary,
                        f"If Terraform manages {fix.where}, delete its azurerm_role_assignment",
                        "block and apply; otherwise use the Azure CLI or PowerShell command.",
                    ],
                )
            )
        case SearchAuthOptions():
            return _snippet(
                fix,
                "azurerm_search_service",
                [
                    ("local_authentication_enabled", "true"),
                    ("authentication_failure_mode", hcl(fix.mode)),
                ],
                note="API keys and Entra ID together: local_authentication_enabled stays true.",
            )
        case SystemIdentity():
            return _system_identity(fix)
        case LocalAuth() if fix.target.type_key == COGNITIVE_ACCOUNT:
            return _snippet(fix, "azurerm_cognitive_account", [("local_auth_enabled", "true")])
        case LocalAuth():
            return _snippet(
                fix, "azurerm_search_service", [("local_authentication_enabled", "true")]
            )
        case SharedKeyAccess():
            return _snippet(fix, "azurerm_storage_account", [("shared_access_key_enabled", "true")])
        case ConnectionAuth():
            return _connection_auth(fix)
        case TrustedServices():
            return _trusted_services(fix)
        case StorageBypass():
            return _snippet(
                fix,
                "azurerm_storage_account",
                [],
                [
                    "  network_rules {",
                    "    bypass = [" + ", ".join(hcl(item) for item in fix.items) + "]",
                    "    # keep default_action, ip_rules and virtual_network_subnet_ids as they "
                    "are",
                    "  }",
                ],
            )
        case CustomSubdomain():
            return _snippet(
                fix,
                "azurerm_cognitive_account",
                [("custom_subdomain_name", hcl(fix.subdomain))],
                note="Once set, changing it makes Terraform replace the account.",
            )
        case DenyAssignment():
            return text(
                comments(
                    "#",
                    [
                        *fix.notes,
                        "There is nothing to apply with Terraform.",
                        "Inspect it with:",
                        f"  {deny_assignment_command(fix)}",
                    ],
                )
            )
        case GenericSetting():
            return _generic(fix)
        case CosmosSqlGrant():
            return _cosmos(fix)
        case _:
            assert_never(fix)


LANGUAGE = FixLanguage(
    name="terraform",
    key="terraform",
    label="Terraform",
    description="fix as Terraform",
    fence="hcl",
    comment="#",
    order=40,
    render=render,
)
