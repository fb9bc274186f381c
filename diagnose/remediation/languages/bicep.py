"""Bicep: a deployable file for the role kinds, a snippet to merge for configuration.

roleAssignment   the target declared `existing` (type and API version from `RESOURCE_TYPES`)
                 with the assignment `scope: target`; a resource-group, subscription or
                 management-group deployment for those scopes; a commented template for resource
                 types this tool does not know (it never guesses an API version). A custom role
                 is declared first (`Microsoft.Authorization/roleDefinitions`, named by its
                 GUID) and the assignment depends on it.
activateEligible `Microsoft.Authorization/roleAssignmentScheduleRequests@2020-10-01`, framed the
                 same way.
removeAssignment a comment: a deployment cannot remove an assignment.
configuration    a declaration to merge into the one that already manages the resource (deployed
                 on its own, a partial declaration would replace the resource's configuration).
cosmosSqlRoleAssignment
                 a resource-group deployment: the account declared `existing`, the
                 `Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments` its child (`parent`),
                 named `guid(<account id>, <principal>, <role GUID>, <path>)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, assert_never

from diagnose.remediation.cosmos import ASSIGNMENT_TYPE, COSMOS_API, CosmosSqlGrant
from diagnose.remediation.fixes import Fix
from diagnose.remediation.languages import FixLanguage, comments, text, to_json
from diagnose.remediation.languages.azcli import cli, deny_assignment_command
from diagnose.remediation.quoting import bicep, comment, identifier
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
    nest,
)
from diagnose.remediation.targets import PIM_API, ROLE_ASSIGNMENTS_API, Target


@lru_cache(maxsize=1024)
def _key(key: str) -> str:
    # A custom role's definition is written out with every fix that creates it: its few keys
    # recur across hundreds of fixes.
    is_identifier = (
        key[:1].isascii()
        and (key[:1].isalpha() or key[:1] == "_")
        and all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in key)
    )
    return key if is_identifier else bicep(key)


def _value(value: Any, indent: int) -> list[str]:
    """Bicep lines for a JSON value; the first line has no indentation of its own."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        lines = ["{"]
        for key, item in value.items():
            rendered = _value(item, indent + 1)
            lines.append(f"{pad}  {_key(str(key))}: {rendered[0]}")
            lines.extend(rendered[1:])
        lines.append(f"{pad}}}")
        return lines
    if isinstance(value, list):
        if not value:
            return ["[]"]
        lines = ["["]
        for item in value:
            rendered = _value(item, indent + 1)
            lines.append(f"{pad}  {rendered[0]}")
            lines.extend(rendered[1:])
        lines.append(f"{pad}]")
        return lines
    return [_scalar(value)]


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"json({bicep(to_json(value))})"
    return bicep(str(value))


def _properties(fragment: dict[str, Any]) -> list[str]:
    """A JSON fragment as the top-level properties of a resource declaration."""
    lines = []
    for key, item in fragment.items():
        rendered = _value(item, 1)
        lines.append(f"  {_key(key)}: {rendered[0]}")
        lines.extend(rendered[1:])
    return lines


# --------------------------------------------------------------------------------------------
# The role kinds: a deployment framed by the scope


@dataclass(frozen=True)
class _Frame:
    header: Sequence[str]
    """targetScope, deploy comment and the `existing` declaration, if any."""
    scope_line: str | None
    """`scope: <symbol>` for an extension resource on a resource, else None."""
    id_expression: str
    """An expression for the scope's id, for guid()."""
    role_definition: str
    """An expression for the role definition's full id."""
    supported: bool
    """False for scopes this module cannot declare: the body must then stay commented."""


_SAVE = "// Save as main.bicep and deploy (the location only stores the deployment record):"


@lru_cache(maxsize=1024)
def _frame(scope: Target, role_guid: str) -> _Frame:
    """The frame of every assignment of this role at this scope: a few scopes and roles recur
    across thousands of fixes, so it is built once for each (the whole input is the key)."""
    frame = _build_frame(scope, role_guid)
    return replace(frame, header=tuple(frame.header))


def _build_frame(scope: Target, role_guid: str) -> _Frame:
    role = bicep(role_guid)
    subscription_role = f"subscriptionResourceId('Microsoft.Authorization/roleDefinitions', {role})"
    if scope.level == "managementGroup":
        deploy = cli(
            "az deployment mg create",
            ("--management-group-id", scope.management_group or ""),
            "--location eastus --template-file main.bicep",
        )
        return _Frame(
            ["targetScope = 'managementGroup'", "", _SAVE, *comments("//", [deploy]), ""],
            None,
            "managementGroup().id",
            f"tenantResourceId('Microsoft.Authorization/roleDefinitions', {role})",
            True,
        )
    if scope.level == "subscription":
        deploy = cli(
            "az deployment sub create",
            ("--subscription", scope.subscription or ""),
            "--location eastus --template-file main.bicep",
        )
        return _Frame(
            ["targetScope = 'subscription'", "", _SAVE, *comments("//", [deploy]), ""],
            None,
            "subscription().id",
            subscription_role,
            True,
        )
    if scope.resource_group is None:
        return _Frame(
            [
                "// This scope is neither a management group, a subscription, a resource group",
                "// nor a resource in one, so there is no Bicep deployment to write for it: use "
                "the",
                "// Azure CLI or PowerShell command.",
                "",
            ],
            None,
            "''",
            subscription_role,
            False,
        )
    deploy = cli(
        "az deployment group create",
        ("--subscription", scope.subscription or ""),
        ("--resource-group", scope.resource_group),
        "--template-file main.bicep",
    )
    deploy_lines = ["// Save as main.bicep and deploy:", *comments("//", [deploy]), ""]
    header = deploy_lines
    if scope.level == "resourceGroup":
        return _Frame(header, None, "resourceGroup().id", subscription_role, True)
    if scope.level != "resource":
        header += [
            *comments(
                "//",
                [
                    "The scope is not a plain resource id (an extension resource or an unusual "
                    "path), so",
                    "there is no resource to declare here: use the Azure CLI or PowerShell "
                    "command.",
                ],
            ),
            "",
        ]
        return _Frame(header, None, "''", subscription_role, False)
    known = scope.known
    if known is None:
        header = [
            *comments(
                "//",
                [
                    f"The scope is a resource of type {scope.type}, which this tool has no API "
                    "version",
                    "for, so it declares nothing rather than guess one. Declare the resource as",
                    "existing, uncomment the assignment below and deploy, for example:",
                ],
            ),
            f"// resource target '{comment(scope.type)}@<api-version>' existing = {{",
            f"//   name: {comment(bicep(scope.name))}",
            "// }",
            "//",
            *deploy_lines,
        ]
        return _Frame(header, "scope: target", "target.id", subscription_role, False)
    canonical, version = known
    symbol = identifier("target", scope.leaf, scope.raw)
    header += [
        f"resource {symbol} '{canonical}@{version}' existing = {{",
        f"  name: {bicep(scope.name)}",
        "}",
        "",
    ]
    return _Frame(header, f"scope: {symbol}", f"{symbol}.id", subscription_role, True)


def _resource(symbol: str, type_and_version: str, body: list[str], enabled: bool) -> list[str]:
    lines = [f"resource {symbol} '{type_and_version}' = {{", *body, "}"]
    return lines if enabled else [f"// {line}" if line else "//" for line in lines]


def _role_definition(fix: RoleGrant, symbol: str, enabled: bool) -> list[str]:
    """The custom role's declaration (fix.custom is set)."""
    assert fix.custom is not None
    return list(_declaration(fix.custom, symbol, enabled))


@lru_cache(maxsize=256)
def _declaration(role: CustomRole, symbol: str, enabled: bool) -> tuple[str, ...]:
    # Written once per role: every fix that assigns it carries it.
    properties = {
        "roleName": role.name,
        "description": role.description,
        "type": "CustomRole",
        "permissions": [role.permissions],
        "assignableScopes": [role.assignable_scope],
    }
    body = [f"  name: {bicep(role.guid)}", *_properties({"properties": properties})]
    return (
        *_resource(
            symbol, f"Microsoft.Authorization/roleDefinitions@{ROLE_ASSIGNMENTS_API}", body, enabled
        ),
        "",
    )


def _role_assignment(fix: RoleGrant) -> str:
    frame = _frame(fix.scope, fix.role_guid)
    symbol = identifier("ra", fix.role_label, fix.principal, fix.role_guid, fix.scope_text)
    definition: list[str] = []
    body = [f"  name: guid({frame.id_expression}, {bicep(fix.principal)}, {bicep(fix.role_guid)})"]
    if frame.scope_line:
        body.append(f"  {frame.scope_line}")
    if fix.custom is not None:
        role_symbol = identifier("role", fix.custom.name, fix.custom.guid)
        definition = _role_definition(fix, role_symbol, frame.supported)
        body += ["  dependsOn: [", f"    {role_symbol}", "  ]"]
    properties = [
        f"    roleDefinitionId: {frame.role_definition}",
        f"    principalId: {bicep(fix.principal)}",
    ]
    if fix.principal_type:
        properties.append(f"    principalType: {bicep(fix.principal_type)}")
    body += ["  properties: {", *properties, "  }"]
    return text(
        [
            *comments("//", [fix.summary]),
            *frame.header,
            *definition,
            *_resource(
                symbol,
                f"Microsoft.Authorization/roleAssignments@{ROLE_ASSIGNMENTS_API}",
                body,
                frame.supported,
            ),
        ]
    )


def _activate(fix: RoleActivation) -> str:
    frame = _frame(fix.scope, fix.role_guid)
    symbol = identifier("activate", fix.role_label, fix.principal, fix.role_guid, fix.scope_text)
    body = [f"  name: {bicep(fix.request)}"]
    if frame.scope_line:
        body.append(f"  {frame.scope_line}")
    body += [
        "  properties: {",
        f"    principalId: {bicep(fix.principal)}",
        f"    roleDefinitionId: {frame.role_definition}",
        "    requestType: 'SelfActivate'",
        f"    justification: {bicep(JUSTIFICATION)}",
        "    scheduleInfo: {",
        "      expiration: {",
        "        type: 'AfterDuration'",
        f"        duration: 'PT{ACTIVATION_HOURS}H'",
        "      }",
        "    }",
        "  }",
    ]
    return text(
        [
            *comments("//", fix.notes),
            *frame.header,
            *_resource(
                symbol,
                f"Microsoft.Authorization/roleAssignmentScheduleRequests@{PIM_API}",
                body,
                frame.supported,
            ),
        ]
    )


# --------------------------------------------------------------------------------------------
# A Cosmos DB SQL role assignment: a child of the account


def cosmos_assignment_resource(
    symbol: str, account_symbol: str, fix: CosmosSqlGrant, principal: str
) -> list[str]:
    """The sqlRoleAssignments declaration, a child of the account declared `existing` as
    `account_symbol`; `principal` is an expression (the id quoted, or a param of a whole-plan
    export): the name's guid() seed is the same either way."""
    return [
        f"resource {symbol} '{ASSIGNMENT_TYPE}@{COSMOS_API}' = {{",
        f"  parent: {account_symbol}",
        f"  name: guid({account_symbol}.id, {principal}, {bicep(fix.role_guid)}, "
        f"{bicep(fix.path)})",
        "  properties: {",
        f"    roleDefinitionId: {bicep(fix.role_definition_id)}",
        f"    principalId: {principal}",
        f"    scope: {bicep(fix.scope_id)}",
        "  }",
        "}",
    ]


def cosmos_account_symbol(fix: CosmosSqlGrant) -> str:
    return identifier("target", fix.account.leaf, fix.account.raw)


def cosmos_account_existing(fix: CosmosSqlGrant, symbol: str) -> list[str]:
    canonical, version = fix.account.known or ("Microsoft.DocumentDB/databaseAccounts", COSMOS_API)
    return [
        f"resource {symbol} '{canonical}@{version}' existing = {{",
        f"  name: {bicep(fix.account.name)}",
        "}",
    ]


def _cosmos(fix: CosmosSqlGrant) -> str:
    account = fix.account  # a resource in a resource group (CosmosSqlGrant.of)
    deploy = cli(
        "az deployment group create",
        ("--subscription", account.subscription or ""),
        ("--resource-group", account.resource_group or ""),
        "--template-file main.bicep",
    )
    symbol = cosmos_account_symbol(fix)
    assignment = identifier("sqlra", fix.role_label, fix.principal, fix.role_guid, fix.scope_id)
    return text(
        [
            *comments("//", fix.notes),
            "// Save as main.bicep and deploy:",
            *comments("//", [deploy]),
            "",
            *cosmos_account_existing(fix, symbol),
            "",
            *cosmos_assignment_resource(assignment, symbol, fix, bicep(fix.principal)),
        ]
    )


# --------------------------------------------------------------------------------------------
# Configuration: a declaration to merge


def _generic(fix: Setting) -> str:
    known = fix.target.known
    type_text = f"{known[0]}@{known[1]}" if known else f"{fix.target.type}@<api-version>"
    snippet = [
        f"resource target '{type_text}' = {{",
        f"  name: {bicep(fix.target.name)}",
        *_properties(nest(fix.setting, fix.value)),
        "}",
    ]
    return text(
        comments(
            "//",
            [
                fix.summary,
                f"Set {fix.setting} on {fix.rid} in the declaration that manages it, e.g.:",
                *snippet,
            ],
        )
    )


def _snippet(fix: Setting, fragment: dict[str, Any], note: str = "") -> str:
    known = fix.target.known
    if known is None:
        return _generic(fix)
    canonical, version = known
    symbol = identifier("res", fix.target.leaf, fix.rid)
    lines = [
        f"resource {symbol} '{canonical}@{version}' = {{",
        f"  name: {bicep(fix.target.name)}",
        *_properties(fragment),
        "}",
    ]
    return text(
        [
            *comments(
                "//",
                [
                    fix.summary,
                    f"Merge into the declaration that manages {fix.rid}:",
                    "deployed on its own, a partial declaration would replace the resource's "
                    "settings.",
                    *([note] if note else []),
                ],
            ),
            *lines,
        ]
    )


def render(fix: Fix) -> str:
    """The fix as Bicep: a deployment for the role kinds, a snippet to merge for settings."""
    match fix:
        case RoleGrant():
            return _role_assignment(fix)
        case RoleActivation():
            return _activate(fix)
        case RoleRemoval():
            return text(
                comments(
                    "//",
                    [
                        fix.summary,
                        f"A Bicep deployment cannot remove {fix.where}: if a template created it,",
                        "delete it from that template; otherwise use the Azure CLI or PowerShell "
                        "command.",
                    ],
                )
            )
        case (
            SearchAuthOptions()
            | SystemIdentity()
            | LocalAuth()
            | SharedKeyAccess()
            | TrustedServices()
            | StorageBypass()
        ):
            return _snippet(fix, fix.fragment)
        case ConnectionAuth():
            return _snippet(fix, fix.body)
        case CustomSubdomain():
            return _snippet(fix, fix.fragment, " ".join(fix.notes[1:]))
        case DenyAssignment():
            return text(
                comments(
                    "//",
                    [
                        *fix.notes,
                        "There is nothing to deploy with Bicep.",
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
    name="bicep",
    key="bicep",
    label="Bicep",
    description="fix as a Bicep template",
    fence="bicep",
    comment="//",
    order=30,
    render=render,
)
