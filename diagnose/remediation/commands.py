"""Render a structured fix (`Remediation`) as Azure CLI, Azure PowerShell, Bicep and Terraform.

`commands_for(remediation)` returns a `Commands` with one copy-pasteable text per language. The
output is deterministic (the same remediation always gives the same text), and every value that
came from Azure is quoted for its language by `diagnose.remediation.quoting`.

Kinds
-----
roleAssignment (principal_id, principal_type, role_definition_id = the role's GUID, scope)
    CLI  `az role assignment create --assignee-object-id ID --assignee-principal-type TYPE
         --role GUID --scope SCOPE`
    PS   `New-AzRoleAssignment -ObjectId ID -RoleDefinitionId GUID -Scope SCOPE -ObjectType TYPE`
    Bicep a deployable file: the target declared `existing` (type and API version from
         `RESOURCE_TYPES`) with the assignment `scope: target`; a resource-group, subscription
         or management-group deployment for those scopes; a commented template for resource
         types this module does not know (it never guesses an API version).
    Terraform `azurerm_role_assignment` with the full role definition id.
    A missing principal type leaves out `--assignee-principal-type`, `-ObjectType`,
    `principalType` and `principal_type` (Azure then looks the principal up itself).

activateEligible (principal_id, role_definition_id, scope): PIM self-activation for 8 hours.
    CLI  `az rest --method put` of a roleAssignmentScheduleRequests (api-version 2020-10-01)
         whose name is a uuid5 of the inputs, so the output is stable.
    PS   `New-AzRoleAssignmentScheduleRequest ... -RequestType SelfActivate`.
    Bicep `Microsoft.Authorization/roleAssignmentScheduleRequests@2020-10-01`.
    Terraform `azurerm_pim_active_role_assignment` (which assigns as an administrator).

removeAssignment (principal_id, role_definition_id, scope; resource = the assignment's id)
    CLI  `az role assignment delete --ids ASSIGNMENT-ID` (without the id: `--assignee ID
         --role GUID --scope SCOPE`); PS `Remove-AzRoleAssignment -ObjectId ID
         -RoleDefinitionId GUID -Scope SCOPE`; Bicep and Terraform say why they cannot.

configuration (resource = the ARM id to change, setting = a property path, value = JSON)
    The settings handled specially, and the value shape each expects:

    ===================================  =============================  =====================
    setting                              value                          resource types
    ===================================  =============================  =====================
    properties.authOptions               {"aadOrApiKey":                Search
                                          {"aadAuthFailureMode":
                                           "http401WithBearerChallenge"
                                           | "http403"}}
    identity.type                        "SystemAssigned"               CognitiveServices
                                                                        account, Search,
                                                                        ML workspace (hub)
                                         (a combined "SystemAssigned,
                                         UserAssigned" takes the generic
                                         form, whose GET+PUT keeps the
                                         user-assigned identities)
    properties.disableLocalAuth          false                          CognitiveServices
                                                                        account, Search
    properties.allowSharedKeyAccess      true                           Storage
    properties                           {"authType": "AAD",            ML workspace or
                                          "category": "<category>",     CognitiveServices
                                          ...any other connection        account/project
                                          properties to send, e.g.       connections
                                          "target"}
    properties.authType                  "AAD" (no category: the        connections
                                         PATCH sends authType only)
    properties.networkAcls.bypass        "AzureServices"                CognitiveServices
                                                                        account
    properties.networkAcls.bypass        "AzureServices" or a list      Storage
                                         with Logging and/or Metrics,
                                         e.g. "AzureServices, Logging"
    properties.networkRuleSet.bypass     "AzureServices"                Search
    properties.customSubDomainName       "<subdomain>"                  CognitiveServices
                                                                        account
    denyAssignment                       ignored (who manages it comes  resource = the deny
                                         from the summary)              assignment's id
    ===================================  =============================  =====================

    Anything else (another setting, value or resource type) gets the generic form:
    `az resource update --ids ID --set 'PATH=<value as JSON>'`, PowerShell
    Get-AzResource/Set-AzResource, and Bicep/Terraform as commented snippets (Terraform as an
    `azapi_update_resource` block when the resource type's API version is known).

Bicep and Terraform for configuration are snippets to merge into the declaration that already
manages the resource (a partial declaration deployed on its own would replace the resource's
configuration), except the generic Terraform `azapi_update_resource`, which patches in place.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as _url_quote

from diagnose.engine.api import Commands, Remediation
from diagnose.remediation.quoting import bash, bicep, comment, hcl, identifier, powershell

ARM = "https://management.azure.com"
ROLE_ASSIGNMENTS_API = "2022-04-01"
PIM_API = "2020-10-01"
DENY_API = "2022-04-01"
ACTIVATION_HOURS = 8
JUSTIFICATION = "Activated to resolve an access failure found by ai-hub-diagnose"
_NAMESPACE = uuid.UUID("5c1e8f0e-3f0b-4d55-9d0c-7a1f3c2b9e41")

RESOURCE_TYPES: dict[str, tuple[str, str]] = {
    key.lower(): (key, version)
    for key, version in (
        ("Microsoft.MachineLearningServices/workspaces", "2024-10-01"),
        ("Microsoft.MachineLearningServices/workspaces/connections", "2024-10-01"),
        ("Microsoft.CognitiveServices/accounts", "2025-09-01"),
        ("Microsoft.CognitiveServices/accounts/projects", "2025-09-01"),
        ("Microsoft.CognitiveServices/accounts/connections", "2025-09-01"),
        ("Microsoft.CognitiveServices/accounts/projects/connections", "2025-09-01"),
        ("Microsoft.Search/searchServices", "2025-05-01"),
        ("Microsoft.Storage/storageAccounts", "2023-05-01"),
        ("Microsoft.Storage/storageAccounts/blobServices/containers", "2023-05-01"),
        ("Microsoft.KeyVault/vaults", "2023-07-01"),
        ("Microsoft.ContainerRegistry/registries", "2023-07-01"),
        ("Microsoft.Insights/components", "2020-02-02"),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", "2023-01-31"),
    )
}
"""Resource types the tool meets: canonical type name and the API version declared in Bicep."""

COGNITIVE = "microsoft.cognitiveservices/accounts"
SEARCH = "microsoft.search/searchservices"
STORAGE = "microsoft.storage/storageaccounts"
WORKSPACE = "microsoft.machinelearningservices/workspaces"
CONNECTIONS = frozenset({
    "microsoft.machinelearningservices/workspaces/connections",
    "microsoft.cognitiveservices/accounts/connections",
    "microsoft.cognitiveservices/accounts/projects/connections",
})


# --------------------------------------------------------------------------------------------
# ARM ids, case preserved


@dataclass(frozen=True)
class ArmId:
    """An ARM scope split into its parts, with the case Azure gave (nothing is lower-cased)."""

    raw: str
    level: str
    """managementGroup | subscription | resourceGroup | resource | other"""
    management_group: str | None = None
    subscription: str | None = None
    resource_group: str | None = None
    namespace: str | None = None
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return "/".join((self.namespace or "", *self.types))

    @property
    def type_key(self) -> str:
        return self.type.lower()

    @property
    def name(self) -> str:
        """The resource name as Bicep writes it for a nested type: parent/child."""
        return "/".join(self.names)

    @property
    def leaf(self) -> str:
        return self.names[-1] if self.names else ""

    @property
    def known(self) -> tuple[str, str] | None:
        return RESOURCE_TYPES.get(self.type_key) if self.level == "resource" else None


def parse_arm_id(raw: str) -> ArmId:
    """Split an ARM id; anything not shaped like a plain scope comes back with level 'other'."""
    if not raw.startswith("/") or "//" in raw:
        return ArmId(raw, "other")
    segments = raw.strip("/").split("/")
    lowered = [s.lower() for s in segments]
    if (len(segments) == 4 and lowered[:3] == ["providers", "microsoft.management",
                                                "managementgroups"] and segments[3]):
        return ArmId(raw, "managementGroup", management_group=segments[3])
    if len(segments) < 2 or lowered[0] != "subscriptions" or not segments[1]:
        return ArmId(raw, "other")
    subscription = segments[1]
    if len(segments) == 2:
        return ArmId(raw, "subscription", subscription=subscription)
    if len(segments) < 4 or lowered[2] != "resourcegroups":
        return ArmId(raw, "other", subscription=subscription)
    group = segments[3]
    if len(segments) == 4:
        return ArmId(raw, "resourceGroup", subscription=subscription, resource_group=group)
    rest, rest_lower = segments[4:], lowered[4:]
    pairs = rest[2:]
    if (rest_lower[0] != "providers" or len(rest) < 4 or len(pairs) % 2
            or "providers" in rest_lower[2::2]):
        return ArmId(raw, "other", subscription=subscription, resource_group=group)
    return ArmId(raw, "resource", subscription=subscription, resource_group=group,
                 namespace=rest[1], types=tuple(pairs[0::2]), names=tuple(pairs[1::2]))


def role_definition_resource_id(scope: ArmId, role_guid: str) -> str:
    """The role definition's full id: subscription-scoped when the scope has a subscription."""
    suffix = f"/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
    return f"/subscriptions/{scope.subscription}{suffix}" if scope.subscription else suffix


def arm_url(path: str, api_version: str) -> str:
    """A management endpoint URL for an ARM path, the path percent-encoded where needed."""
    encoded = _url_quote(path, safe="/:@!$&'()*+,;=-._~")
    return f"{ARM}{encoded}?api-version={api_version}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _role_guid(remediation: Remediation) -> str:
    role = remediation.role_definition_id or ""
    return role.rstrip("/").rsplit("/", 1)[-1] if "/" in role else role


def _require(remediation: Remediation, *fields: str) -> None:
    missing = [name for name in fields if not getattr(remediation, name)]
    if missing:
        raise ValueError(f"{remediation.kind} remediation needs {', '.join(missing)}")


# --------------------------------------------------------------------------------------------
# Small renderers


def _cli(*parts: str | tuple[str, str]) -> str:
    """An az command line: bare words are literal, (flag, value) pairs get a quoted value.

    A value that starts with '-' is attached with '=' so the CLI's parser cannot take it for
    an option.
    """
    words = []
    for part in parts:
        if isinstance(part, tuple):
            flag, value = part
            words.append(f"{flag}={bash(value)}" if value.startswith("-") else
                         f"{flag} {bash(value)}")
        else:
            words.append(part)
    return " ".join(words)


def _ps(command: str, *params: tuple[str, str | None]) -> str:
    """A cmdlet call: each (parameter, expression) pair; None leaves the parameter out."""
    words = [command]
    words.extend(f"{name} {expression}" for name, expression in params if expression is not None)
    return " ".join(words)


def _comments(prefix: str, lines: Sequence[str]) -> list[str]:
    return [f"{prefix} {comment(line)}".rstrip() for line in lines]


def _text(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n"


def _bicep_key(key: str) -> str:
    is_identifier = key[:1].isascii() and (key[:1].isalpha() or key[:1] == "_") and all(
        ch.isascii() and (ch.isalnum() or ch == "_") for ch in key)
    return key if is_identifier else bicep(key)


def _bicep_value(value: Any, indent: int) -> list[str]:
    """Bicep lines for a JSON value; the first line has no indentation of its own."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        lines = ["{"]
        for key, item in value.items():
            rendered = _bicep_value(item, indent + 1)
            lines.append(f"{pad}  {_bicep_key(str(key))}: {rendered[0]}")
            lines.extend(rendered[1:])
        lines.append(f"{pad}}}")
        return lines
    if isinstance(value, list):
        if not value:
            return ["[]"]
        lines = ["["]
        for item in value:
            rendered = _bicep_value(item, indent + 1)
            lines.append(f"{pad}  {rendered[0]}")
            lines.extend(rendered[1:])
        lines.append(f"{pad}]")
        return lines
    return [_bicep_scalar(value)]


def _bicep_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"json({bicep(_json(value))})"
    return bicep(str(value))


def _hcl_key(key: str) -> str:
    is_identifier = key[:1].isascii() and key[:1].isalpha() and all(
        ch.isascii() and (ch.isalnum() or ch in "_-") for ch in key)
    return key if is_identifier else hcl(key)


def _hcl_value(value: Any, indent: int) -> list[str]:
    """HCL expression lines for a JSON value; the first line has no indentation of its own."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        items = [(_hcl_key(str(key)), _hcl_value(item, indent + 1))
                 for key, item in value.items()]
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
            rendered = _hcl_value(item, indent + 1)
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
        return [_json(value)]
    return [hcl(str(value))]


def _hcl_attributes(pairs: Sequence[tuple[str, str]], indent: int = 1) -> list[str]:
    """Aligned `name = expression` lines (names are constants of this module)."""
    if not pairs:
        return []
    width = max(len(name) for name, _ in pairs)
    pad = "  " * indent
    return [f"{pad}{name.ljust(width)} = {expression}" for name, expression in pairs]


# --------------------------------------------------------------------------------------------
# Bicep scaffolding shared by the role kinds


@dataclass(frozen=True)
class _BicepScope:
    header: list[str]
    """targetScope, deploy comment and the `existing` declaration, if any."""
    scope_line: str | None
    """`scope: <symbol>` for an extension resource on a resource, else None."""
    id_expression: str
    """An expression for the scope's id, for guid()."""
    role_definition: str
    """An expression for the role definition's full id."""
    supported: bool
    """False for scopes this module cannot declare: the body must then stay commented."""


def _bicep_scope(scope: ArmId, role_guid: str) -> _BicepScope:
    role = bicep(role_guid)
    subscription_role = (
        f"subscriptionResourceId('Microsoft.Authorization/roleDefinitions', {role})")
    if scope.level == "managementGroup":
        deploy = _cli("az deployment mg create",
                      ("--management-group-id", scope.management_group or ""),
                      "--location eastus --template-file main.bicep")
        return _BicepScope(
            ["targetScope = 'managementGroup'", "",
             "// Save as main.bicep and deploy (the location only stores the deployment record):",
             *_comments("//", [deploy]), ""],
            None, "managementGroup().id",
            f"tenantResourceId('Microsoft.Authorization/roleDefinitions', {role})", True)
    if scope.level == "subscription":
        deploy = _cli("az deployment sub create", ("--subscription", scope.subscription or ""),
                      "--location eastus --template-file main.bicep")
        return _BicepScope(
            ["targetScope = 'subscription'", "",
             "// Save as main.bicep and deploy (the location only stores the deployment record):",
             *_comments("//", [deploy]), ""],
            None, "subscription().id", subscription_role, True)
    if scope.resource_group is None:
        return _BicepScope(
            ["// This scope is neither a management group, a subscription, a resource group",
             "// nor a resource in one, so there is no Bicep deployment to write for it: use the",
             "// Azure CLI or PowerShell command.", ""],
            None, "''", subscription_role, False)
    deploy = _cli("az deployment group create", ("--subscription", scope.subscription or ""),
                  ("--resource-group", scope.resource_group), "--template-file main.bicep")
    deploy_lines = ["// Save as main.bicep and deploy:", *_comments("//", [deploy]), ""]
    header = deploy_lines
    if scope.level == "resourceGroup":
        return _BicepScope(header, None, "resourceGroup().id", subscription_role, True)
    if scope.level != "resource":
        header += [*_comments("//", [
            "The scope is not a plain resource id (an extension resource or an unusual path), so",
            "there is no resource to declare here: use the Azure CLI or PowerShell command.",
        ]), ""]
        return _BicepScope(header, None, "''", subscription_role, False)
    known = scope.known
    if known is None:
        header = [*_comments("//", [
            f"The scope is a resource of type {scope.type}, which this tool has no API version",
            "for, so it declares nothing rather than guess one. Declare the resource as",
            "existing, uncomment the assignment below and deploy, for example:",
        ]), f"// resource target '{comment(scope.type)}@<api-version>' existing = {{",
            f"//   name: {comment(bicep(scope.name))}", "// }", "//", *deploy_lines]
        return _BicepScope(header, "scope: target", "target.id", subscription_role, False)
    canonical, version = known
    symbol = identifier("target", scope.leaf, scope.raw)
    header += [f"resource {symbol} '{canonical}@{version}' existing = {{",
               f"  name: {bicep(scope.name)}", "}", ""]
    return _BicepScope(header, f"scope: {symbol}", f"{symbol}.id", subscription_role, True)


def _bicep_resource(symbol: str, type_and_version: str, body: list[str],
                    enabled: bool) -> list[str]:
    lines = [f"resource {symbol} '{type_and_version}' = {{", *body, "}"]
    return lines if enabled else [f"// {line}" if line else "//" for line in lines]


# --------------------------------------------------------------------------------------------
# roleAssignment


def _role_assignment(remediation: Remediation) -> Commands:
    _require(remediation, "principal_id", "role_definition_id", "scope")
    principal = remediation.principal_id or ""
    principal_type = remediation.principal_type or None
    role_guid = _role_guid(remediation)
    scope_text = remediation.scope or ""
    scope = parse_arm_id(scope_text)
    summary = remediation.summary
    role_label = remediation.role_name or role_guid

    cli_parts: list[str | tuple[str, str]] = [
        "az role assignment create", ("--assignee-object-id", principal)]
    if principal_type:
        cli_parts.append(("--assignee-principal-type", principal_type))
    cli_parts += [("--role", role_guid), ("--scope", scope_text)]
    cli = _text([*_comments("#", [summary]), _cli(*cli_parts)])

    ps = _text([*_comments("#", [summary]), _ps(
        "New-AzRoleAssignment", ("-ObjectId", powershell(principal)),
        ("-RoleDefinitionId", powershell(role_guid)), ("-Scope", powershell(scope_text)),
        ("-ObjectType", powershell(principal_type) if principal_type else None))])

    frame = _bicep_scope(scope, role_guid)
    symbol = identifier("ra", role_label, principal, role_guid, scope_text)
    properties = [f"    roleDefinitionId: {frame.role_definition}",
                  f"    principalId: {bicep(principal)}"]
    if principal_type:
        properties.append(f"    principalType: {bicep(principal_type)}")
    body = [f"  name: guid({frame.id_expression}, {bicep(principal)}, {bicep(role_guid)})"]
    if frame.scope_line:
        body.append(f"  {frame.scope_line}")
    body += ["  properties: {", *properties, "  }"]
    bicep_text = _text([
        *_comments("//", [summary]), *frame.header,
        *_bicep_resource(symbol, f"Microsoft.Authorization/roleAssignments@{ROLE_ASSIGNMENTS_API}",
                         body, frame.supported)])

    attributes = [("scope", hcl(scope_text)),
                  ("role_definition_id", hcl(role_definition_resource_id(scope, role_guid))),
                  ("principal_id", hcl(principal))]
    if principal_type:
        attributes.append(("principal_type", hcl(principal_type)))
    terraform = _text([*_comments("#", [summary]),
                       f'resource "azurerm_role_assignment" "{symbol}" {{',
                       *_hcl_attributes(attributes), "}"])
    return Commands(cli, ps, bicep_text, terraform)


# --------------------------------------------------------------------------------------------
# removeAssignment


def _remove_assignment(remediation: Remediation) -> Commands:
    _require(remediation, "principal_id", "role_definition_id", "scope")
    principal = remediation.principal_id or ""
    role_guid = _role_guid(remediation)
    scope_text = remediation.scope or ""
    assignment = remediation.resource or ""
    summary = remediation.summary
    if assignment:
        cli = _cli("az role assignment delete", ("--ids", assignment))
    else:
        cli = _cli("az role assignment delete", ("--assignee", principal), ("--role", role_guid),
                   ("--scope", scope_text))
    ps = _ps("Remove-AzRoleAssignment", ("-ObjectId", powershell(principal)),
             ("-RoleDefinitionId", powershell(role_guid)), ("-Scope", powershell(scope_text)))
    where = f"the assignment {assignment}" if assignment else \
        f"the {remediation.role_name or role_guid} assignment at {scope_text}"
    return Commands(
        _text([*_comments("#", [summary]), cli]), _text([*_comments("#", [summary]), ps]),
        _text(_comments("//", [
            summary, f"A Bicep deployment cannot remove {where}: if a template created it,",
            "delete it from that template; otherwise use the Azure CLI or PowerShell command."])),
        _text(_comments("#", [
            summary, f"If Terraform manages {where}, delete its azurerm_role_assignment",
            "block and apply; otherwise use the Azure CLI or PowerShell command."])))


# --------------------------------------------------------------------------------------------
# activateEligible


def activation_request_name(principal_id: str, role_guid: str, scope: str) -> str:
    """The schedule request's name: a GUID derived from the inputs, so output is stable."""
    material = "\x1f".join((principal_id.lower(), role_guid.lower(), scope.lower()))
    return str(uuid.uuid5(_NAMESPACE, material))


def _activate(remediation: Remediation) -> Commands:
    _require(remediation, "principal_id", "role_definition_id", "scope")
    principal = remediation.principal_id or ""
    role_guid = _role_guid(remediation)
    scope_text = remediation.scope or ""
    scope = parse_arm_id(scope_text)
    summary = remediation.summary
    role_label = remediation.role_name or role_guid
    request = activation_request_name(principal, role_guid, scope_text)
    role_id = role_definition_resource_id(scope, role_guid)
    notes = [
        summary,
        f"PIM self-activation for {ACTIVATION_HOURS} hours: run it signed in as the eligible "
        "user.",
        "If Azure answers that the request already exists, use a new GUID as its name.",
    ]

    body = {"properties": {
        "principalId": principal,
        "roleDefinitionId": role_id,
        "requestType": "SelfActivate",
        "justification": JUSTIFICATION,
        "scheduleInfo": {"expiration": {"type": "AfterDuration",
                                        "duration": f"PT{ACTIVATION_HOURS}H"}},
    }}
    url = arm_url(f"{scope_text.rstrip('/')}/providers/Microsoft.Authorization/"
                  f"roleAssignmentScheduleRequests/{request}", PIM_API)
    cli = _text([*_comments("#", notes),
                 _cli("az rest --method put", ("--url", url), ("--body", _json(body)))])

    ps = _text([*_comments("#", notes), _ps(
        "New-AzRoleAssignmentScheduleRequest", ("-Name", powershell(request)),
        ("-Scope", powershell(scope_text)), ("-PrincipalId", powershell(principal)),
        ("-RoleDefinitionId", powershell(role_id)), ("-RequestType", "SelfActivate"),
        ("-Justification", powershell(JUSTIFICATION)), ("-ExpirationType", "AfterDuration"),
        ("-ExpirationDuration", f"PT{ACTIVATION_HOURS}H"))])

    frame = _bicep_scope(scope, role_guid)
    symbol = identifier("activate", role_label, principal, role_guid, scope_text)
    request_body = [f"  name: {bicep(request)}"]
    if frame.scope_line:
        request_body.append(f"  {frame.scope_line}")
    request_body += [
        "  properties: {",
        f"    principalId: {bicep(principal)}",
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
    bicep_text = _text([
        *_comments("//", notes), *frame.header,
        *_bicep_resource(symbol,
                         f"Microsoft.Authorization/roleAssignmentScheduleRequests@{PIM_API}",
                         request_body, frame.supported)])

    terraform = _text([
        *_comments("#", [
            summary,
            "azurerm_pim_active_role_assignment creates the active assignment as an",
            "administrator (AdminAssign): whoever runs Terraform needs permission to assign",
            "roles at this scope. For self-activation use the CLI or PowerShell command.",
        ]),
        f'resource "azurerm_pim_active_role_assignment" "{symbol}" {{',
        *_hcl_attributes([("scope", hcl(scope_text)), ("role_definition_id", hcl(role_id)),
                          ("principal_id", hcl(principal)),
                          ("justification", hcl(JUSTIFICATION))]),
        "",
        "  schedule {",
        "    expiration {",
        f"      duration_hours = {ACTIVATION_HOURS}",
        "    }",
        "  }",
        "}",
    ])
    return Commands(cli, ps, bicep_text, terraform)


# --------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class _Config:
    remediation: Remediation
    target: ArmId
    setting: str
    value: Any

    @property
    def summary(self) -> str:
        return self.remediation.summary

    @property
    def rid(self) -> str:
        return self.target.raw


def _set_context(config: _Config) -> str:
    return f"Set-AzContext -Subscription {powershell(config.target.subscription or '')} | Out-Null"


def _name_group(config: _Config) -> list[tuple[str, str]]:
    return [("--name", config.target.leaf), ("--resource-group", config.target.resource_group
                                             or ""), ("--subscription",
                                                      config.target.subscription or "")]


def _ps_name_group(config: _Config) -> list[tuple[str, str]]:
    return [("-ResourceGroupName", powershell(config.target.resource_group or "")),
            ("-Name", powershell(config.target.leaf))]


def _nest(path: str, value: Any) -> dict[str, Any]:
    result: Any = value
    for segment in reversed(path.split(".")):
        result = {segment: result}
    return result


def _bicep_snippet(config: _Config, fragment: dict[str, Any], note: str) -> str:
    known = config.target.known
    if known is None:
        return _generic_bicep(config)
    canonical, version = known
    symbol = identifier("res", config.target.leaf, config.rid)
    lines = [f"resource {symbol} '{canonical}@{version}' = {{",
             f"  name: {bicep(config.target.name)}"]
    for key, item in fragment.items():
        rendered = _bicep_value(item, 1)
        lines.append(f"  {_bicep_key(key)}: {rendered[0]}")
        lines.extend(rendered[1:])
    lines.append("}")
    return _text([*_comments("//", [
        config.summary,
        f"Merge into the declaration that manages {config.rid}:",
        "deployed on its own, a partial declaration would replace the resource's settings.",
        *([note] if note else []),
    ]), *lines])


def _terraform_snippet(config: _Config, resource_type: str,
                       attributes: Sequence[tuple[str, str]], blocks: Sequence[str] = (),
                       note: str = "") -> str:
    symbol = identifier("res", config.target.leaf, config.rid)
    lines = [f'resource "{resource_type}" "{symbol}" {{',
             *_hcl_attributes([("name", hcl(config.target.leaf)),
                               ("resource_group_name", hcl(config.target.resource_group or "")),
                               *attributes])]
    if blocks:
        lines += ["", *blocks]
    lines.append("}")
    return _text([*_comments("#", [
        config.summary,
        f"Merge into the {resource_type} block that manages {config.rid}.",
        *([note] if note else []),
    ]), *lines])


def _search_auth_options(config: _Config) -> Commands | None:
    value = config.value
    if not (isinstance(value, dict) and list(value) == ["aadOrApiKey"]
            and isinstance(value["aadOrApiKey"], dict)):
        return None
    mode = value["aadOrApiKey"].get("aadAuthFailureMode", "http401WithBearerChallenge")
    modes = {"http401WithBearerChallenge": "Http401WithBearerChallenge", "http403": "Http403"}
    if mode not in modes:
        return None
    cli = _text([*_comments("#", [config.summary]), _cli(
        "az search service update", *_name_group(config), "--auth-options aadOrApiKey",
        f"--aad-auth-failure-mode {mode}")])
    ps = _text([*_comments("#", [config.summary]), _ps(
        "Set-AzSearchService", ("-ResourceId", powershell(config.rid)),
        ("-AuthOption", "AadOrApiKey"), ("-AadAuthFailureMode", modes[mode]))])
    fragment = {"properties": {"authOptions": {"aadOrApiKey": {"aadAuthFailureMode": mode}}}}
    terraform = _terraform_snippet(
        config, "azurerm_search_service",
        [("local_authentication_enabled", "true"), ("authentication_failure_mode", hcl(mode))],
        note="API keys and Entra ID together: local_authentication_enabled stays true.")
    return Commands(cli, ps, _bicep_snippet(config, fragment, ""), terraform)


def _identity_block() -> list[str]:
    return ["  identity {", '    type = "SystemAssigned"', "  }"]


_IDENTITY_NOTE = ("If the resource also uses user-assigned identities, use "
                  "'SystemAssigned,UserAssigned' and keep them listed.")


def _system_identity(config: _Config) -> Commands | None:
    if config.value != "SystemAssigned":
        return None
    kind = config.target.type_key
    notes = [config.summary, _IDENTITY_NOTE]
    fragment = {"identity": {"type": "SystemAssigned"}}
    terraform_note = ""
    if kind == COGNITIVE:
        cli = _cli("az cognitiveservices account identity assign", *_name_group(config))
        ps = [_set_context(config), _ps("Set-AzCognitiveServicesAccount", *_ps_name_group(config),
                                        ("-IdentityType", "SystemAssigned"))]
        resource_type = "azurerm_cognitive_account"
    elif kind == SEARCH:
        cli = _cli("az search service update", *_name_group(config),
                   "--identity-type SystemAssigned")
        ps = [_ps("Set-AzSearchService", ("-ResourceId", powershell(config.rid)),
                  ("-IdentityType", "SystemAssigned"))]
        resource_type = "azurerm_search_service"
    elif kind == WORKSPACE:
        api = RESOURCE_TYPES[WORKSPACE][1]
        cli = _cli("az rest --method patch", ("--url", arm_url(config.rid, api)),
                   ("--body", _json(fragment)))
        ps = [_ps("Invoke-AzRestMethod", ("-Method", "PATCH"),
                  ("-Path", powershell(_rest_path(config.rid, api))),
                  ("-Payload", powershell(_json(fragment))))]
        resource_type = "azurerm_machine_learning_workspace"
        terraform_note = "For a hub managed as azurerm_ai_foundry, merge the same identity block."
    else:
        return None
    return Commands(_text([*_comments("#", notes), cli]), _text([*_comments("#", notes), *ps]),
                    _bicep_snippet(config, fragment, ""),
                    _terraform_snippet(config, resource_type, [], _identity_block(),
                                       note=terraform_note))


def _rest_path(path: str, api_version: str) -> str:
    return arm_url(path, api_version)[len(ARM):]


def _local_auth(config: _Config) -> Commands | None:
    if config.value is not False:
        return None
    kind = config.target.type_key
    fragment = {"properties": {"disableLocalAuth": False}}
    note = "Keys work again beside Entra ID; callers configured for keys stop failing."
    if kind == COGNITIVE:
        cli = _cli("az resource update", ("--ids", config.rid),
                   ("--set", "properties.disableLocalAuth=false"))
        ps = [_set_context(config), _ps("Set-AzCognitiveServicesAccount", *_ps_name_group(config),
                                        ("-DisableLocalAuth", "$false"))]
        terraform = _terraform_snippet(config, "azurerm_cognitive_account",
                                       [("local_auth_enabled", "true")])
    elif kind == SEARCH:
        cli = _cli("az search service update", *_name_group(config),
                   "--disable-local-auth false")
        ps = [_ps("Set-AzSearchService", ("-ResourceId", powershell(config.rid)),
                  ("-DisableLocalAuth", "$false"))]
        terraform = _terraform_snippet(config, "azurerm_search_service",
                                       [("local_authentication_enabled", "true")])
    else:
        return None
    return Commands(_text([*_comments("#", [config.summary, note]), cli]),
                    _text([*_comments("#", [config.summary, note]), *ps]),
                    _bicep_snippet(config, fragment, ""), terraform)


def _shared_key(config: _Config) -> Commands | None:
    if config.value is not True or config.target.type_key != STORAGE:
        return None
    cli = _cli("az storage account update", *_name_group(config),
               "--allow-shared-key-access true")
    ps = [_set_context(config), _ps("Set-AzStorageAccount", *_ps_name_group(config),
                                    ("-AllowSharedKeyAccess", "$true"))]
    return Commands(
        _text([*_comments("#", [config.summary]), cli]),
        _text([*_comments("#", [config.summary]), *ps]),
        _bicep_snippet(config, {"properties": {"allowSharedKeyAccess": True}}, ""),
        _terraform_snippet(config, "azurerm_storage_account",
                           [("shared_access_key_enabled", "true")]))


def _connection_auth(config: _Config) -> Commands | None:
    kind = config.target.type_key
    if kind not in CONNECTIONS:
        return None
    if config.setting == "properties" and isinstance(config.value, dict) \
            and config.value.get("authType") == "AAD" and config.value.get("category"):
        properties = {"authType": "AAD", "category": config.value["category"]}
        properties.update({key: config.value[key] for key in sorted(config.value)
                           if key not in properties})
    elif config.setting == "properties.authType" and config.value == "AAD":
        properties = {"authType": "AAD"}
    else:
        return None
    canonical, api = RESOURCE_TYPES[kind]
    body = {"properties": properties}
    notes = [config.summary,
             "Switches the connection to Microsoft Entra ID: its users then need roles on the",
             "target resource instead of its key."]
    cli = _cli("az rest --method patch", ("--url", arm_url(config.rid, api)),
               ("--body", _json(body)))
    ps = _ps("Invoke-AzRestMethod", ("-Method", "PATCH"),
             ("-Path", powershell(_rest_path(config.rid, api))),
             ("-Payload", powershell(_json(body))))
    terraform = _text([
        *_comments("#", [*notes, "azapi provider 2.x: patches the connection in place."]),
        *_azapi_update(identifier("update", config.target.leaf, config.rid),
                       f"{canonical}@{api}", config.rid, body),
    ])
    return Commands(_text([*_comments("#", notes), cli]), _text([*_comments("#", notes), ps]),
                    _bicep_snippet(config, body, ""), terraform)


_STORAGE_BYPASS = ("AzureServices", "Logging", "Metrics")


def _bypass(config: _Config) -> Commands | None:
    kind = config.target.type_key
    if kind == STORAGE and config.setting == "properties.networkAcls.bypass":
        return _storage_bypass(config)
    if config.value != "AzureServices":
        return None
    notes = [config.summary, "Lets trusted Azure services through the firewall; other network "
             "rules stay as they are."]
    if kind == COGNITIVE and config.setting == "properties.networkAcls.bypass":
        cli = _cli("az resource update", ("--ids", config.rid),
                   ("--set", 'properties.networkAcls.bypass="AzureServices"'))
        ps = _generic_ps_lines(config)
        terraform = _terraform_snippet(
            config, "azurerm_cognitive_account", [],
            ["  network_acls {", '    bypass = "AzureServices"',
             "    # keep default_action, ip_rules and virtual_network_rules as they are", "  }"])
    elif kind == SEARCH and config.setting == "properties.networkRuleSet.bypass":
        cli = _cli("az resource update", ("--ids", config.rid),
                   ("--set", 'properties.networkRuleSet.bypass="AzureServices"'))
        ps = [_ps("Set-AzSearchService", ("-ResourceId", powershell(config.rid)),
                  ("-Bypass", "AzureServices"))]
        terraform = _terraform_snippet(config, "azurerm_search_service",
                                       [("network_rule_bypass_option", hcl("AzureServices"))])
    else:
        return None
    fragment = _nest(config.setting, "AzureServices")
    return Commands(_text([*_comments("#", notes), cli]), _text([*_comments("#", notes), *ps]),
                    _bicep_snippet(config, fragment, ""), terraform)


def _storage_bypass(config: _Config) -> Commands | None:
    """Storage's bypass is a list ("AzureServices, Logging, Metrics"), set as a whole."""
    if not isinstance(config.value, str):
        return None
    items = [item.strip() for item in config.value.split(",")]
    if "AzureServices" not in items or any(item not in _STORAGE_BYPASS for item in items) \
            or len(set(items)) != len(items):
        return None
    notes = [config.summary,
             "Storage sets the whole bypass list at once: this one keeps "
             + ", ".join(items) + "; other network rules stay as they are."]
    cli = _cli("az storage account update", *_name_group(config), "--bypass " + " ".join(items))
    ps = [_set_context(config), _ps("Update-AzStorageAccountNetworkRuleSet",
                                    *_ps_name_group(config), ("-Bypass", ",".join(items)))]
    terraform = _terraform_snippet(
        config, "azurerm_storage_account", [],
        ["  network_rules {", "    bypass = [" + ", ".join(hcl(item) for item in items) + "]",
         "    # keep default_action, ip_rules and virtual_network_subnet_ids as they are", "  }"])
    fragment = _nest(config.setting, ", ".join(items))
    return Commands(_text([*_comments("#", notes), cli]), _text([*_comments("#", notes), *ps]),
                    _bicep_snippet(config, fragment, ""), terraform)


def _custom_subdomain(config: _Config) -> Commands | None:
    if config.target.type_key != COGNITIVE or not isinstance(config.value, str) \
            or not config.value:
        return None
    notes = [config.summary,
             "A custom subdomain cannot be changed or removed once set, and must be unique in",
             "Azure: choose it with care."]
    cli = _cli("az cognitiveservices account update", *_name_group(config),
               ("--custom-domain", config.value))
    ps = [_set_context(config), _ps("Set-AzCognitiveServicesAccount", *_ps_name_group(config),
                                    ("-CustomSubdomainName", powershell(config.value)))]
    terraform = _terraform_snippet(config, "azurerm_cognitive_account",
                                   [("custom_subdomain_name", hcl(config.value))],
                                   note="Once set, changing it makes Terraform replace the "
                                        "account.")
    return Commands(_text([*_comments("#", notes), cli]), _text([*_comments("#", notes), *ps]),
                    _bicep_snippet(config, {"properties": {"customSubDomainName": config.value}},
                                   notes[1] + " " + notes[2]), terraform)


def _deny_assignment(config: _Config) -> Commands:
    notes = [config.summary,
             "A deny assignment cannot be changed or removed by you: the service or managed",
             "application that created it (see above) manages it. These commands only show it."]
    cli = _cli("az rest --method get", ("--url", arm_url(config.rid, DENY_API)))
    ps = _ps("Get-AzDenyAssignment", ("-Id", powershell(config.rid)))
    inspect = ["Inspect it with:", f"  {cli}"]
    return Commands(
        _text([*_comments("#", notes), cli]), _text([*_comments("#", notes), ps]),
        _text(_comments("//", [*notes, "There is nothing to deploy with Bicep.", *inspect])),
        _text(_comments("#", [*notes, "There is nothing to apply with Terraform.", *inspect])))


def _generic_ps_lines(config: _Config) -> list[str]:
    member = "".join(f".{powershell(segment)}" for segment in config.setting.split("."))
    return [
        f"$resource = Get-AzResource -ResourceId {powershell(config.rid)} -ExpandProperties",
        f"$resource{member} = ConvertFrom-Json {powershell(_json(config.value))}",
        "$resource | Set-AzResource -Force",
    ]


def _generic_bicep(config: _Config) -> str:
    known = config.target.known
    type_text = f"{known[0]}@{known[1]}" if known else f"{config.target.type}@<api-version>"
    snippet = [f"resource target '{type_text}' = {{", f"  name: {bicep(config.target.name)}"]
    fragment = _nest(config.setting, config.value)
    for key, item in fragment.items():
        rendered = _bicep_value(item, 1)
        snippet.append(f"  {_bicep_key(key)}: {rendered[0]}")
        snippet.extend(rendered[1:])
    snippet.append("}")
    return _text(_comments("//", [
        config.summary,
        f"Set {config.setting} on {config.rid} in the declaration that manages it, e.g.:",
        *snippet,
    ]))


def _azapi_update(label: str, type_text: str, resource_id: str, body: Any) -> list[str]:
    rendered = _hcl_value(body, 1)
    return [f'resource "azapi_update_resource" "{label}" {{',
            *_hcl_attributes([("type", hcl(type_text)), ("resource_id", hcl(resource_id))]),
            f"  body = {rendered[0]}", *rendered[1:], "}"]


def _generic(config: _Config) -> Commands:
    notes = [config.summary]
    cli = _cli("az resource update", ("--ids", config.rid),
               ("--set", f"{config.setting}={_json(config.value)}"))
    known = config.target.known
    body = _nest(config.setting, config.value)
    label = identifier("update", config.target.leaf, config.rid, config.setting)
    if known:
        terraform_lines = [
            *_comments("#", [*notes, "azapi provider 2.x: patches the resource in place."]),
            *_azapi_update(label, f"{known[0]}@{known[1]}", config.rid, body),
        ]
    else:
        terraform_lines = _comments("#", [
            *notes, "This tool has no API version for this resource type; with the azapi "
            "provider, for example:",
            *_azapi_update(label, f"{config.target.type}@<api-version>", config.rid, body)])
    return Commands(_text([*_comments("#", notes), cli]),
                    _text([*_comments("#", notes), *_generic_ps_lines(config)]),
                    _generic_bicep(config), _text(terraform_lines))


_HANDLERS: dict[str, Callable[[_Config], Commands | None]] = {
    "properties.authOptions": lambda c: _search_auth_options(c)
    if c.target.type_key == SEARCH else None,
    "identity.type": _system_identity,
    "properties.disableLocalAuth": _local_auth,
    "properties.allowSharedKeyAccess": _shared_key,
    "properties": _connection_auth,
    "properties.authType": _connection_auth,
    "properties.networkAcls.bypass": _bypass,
    "properties.networkRuleSet.bypass": _bypass,
    "properties.customSubDomainName": _custom_subdomain,
}


def _configuration(remediation: Remediation) -> Commands:
    _require(remediation, "resource", "setting")
    config = _Config(remediation, parse_arm_id(remediation.resource or ""),
                     remediation.setting or "", remediation.value)
    if config.setting == "denyAssignment":
        return _deny_assignment(config)
    handler = _HANDLERS.get(config.setting)
    if handler is not None and config.target.level == "resource":
        commands = handler(config)
        if commands is not None:
            return commands
    return _generic(config)


def commands_for(remediation: Remediation) -> Commands:
    """The fix as Azure CLI (bash), Azure PowerShell, Bicep and Terraform text."""
    if remediation.kind == "roleAssignment":
        return _role_assignment(remediation)
    if remediation.kind == "activateEligible":
        return _activate(remediation)
    if remediation.kind == "configuration":
        return _configuration(remediation)
    if remediation.kind == "removeAssignment":
        return _remove_assignment(remediation)
    raise ValueError(f"unknown remediation kind {remediation.kind!r}")
