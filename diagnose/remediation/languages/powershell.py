"""Azure PowerShell: the cmdlets of the Az modules, after the fix's summary as comments.

roleAssignment   `New-AzRoleAssignment -ObjectId ID -RoleDefinitionId GUID -Scope SCOPE
                 -ObjectType TYPE`; for a custom role, `New-AzRoleDefinition -InputFile` of its
                 JSON first, the assignment then naming the role (`-RoleDefinitionName`).
activateEligible `New-AzRoleAssignmentScheduleRequest ... -RequestType SelfActivate`.
removeAssignment `Remove-AzRoleAssignment -ObjectId ID -RoleDefinitionId GUID -Scope SCOPE`.
configuration    the service's own cmdlet where there is one (after `Set-AzContext` when it
                 takes a resource group and name), else Get-AzResource/Set-AzResource.
cosmosSqlRoleAssignment
                 `New-AzCosmosDBSqlRoleAssignment -AccountName A -ResourceGroupName G
                 -RoleDefinitionId GUID -Scope PATH -PrincipalId ID` after `Set-AzContext`, the
                 path relative to the account ("/dbs/<db>").
"""

from __future__ import annotations

from functools import lru_cache
from typing import assert_never

from diagnose.arm.types import COGNITIVE_ACCOUNT, SEARCH_SERVICE, WORKSPACE
from diagnose.remediation.cosmos import CosmosSqlGrant
from diagnose.remediation.fixes import Fix
from diagnose.remediation.languages import FixLanguage, comments, text, to_json
from diagnose.remediation.quoting import powershell
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
    KeyVaultKeyPolicy,
    LocalAuth,
    SearchAuthOptions,
    Setting,
    SharedKeyAccess,
    StorageBypass,
    SystemIdentity,
    TrustedServices,
)
from diagnose.remediation.targets import RESOURCE_TYPES, rest_path

_AUTH_FAILURE_MODES = {
    "http401WithBearerChallenge": "Http401WithBearerChallenge",
    "http403": "Http403",
}


def _ps(command: str, *params: tuple[str, str | None]) -> str:
    """A cmdlet call: each (parameter, expression) pair; None leaves the parameter out."""
    words = [command]
    words.extend(f"{name} {expression}" for name, expression in params if expression is not None)
    return " ".join(words)


def _set_context(fix: Setting) -> str:
    return f"Set-AzContext -Subscription {powershell(fix.target.subscription or '')} | Out-Null"


def _name_group(fix: Setting) -> list[tuple[str, str | None]]:
    return [
        ("-ResourceGroupName", powershell(fix.target.resource_group or "")),
        ("-Name", powershell(fix.target.leaf)),
    ]


def _by_id(fix: Setting) -> tuple[str, str | None]:
    return ("-ResourceId", powershell(fix.rid))


def _generic_lines(fix: Setting) -> list[str]:
    member = "".join(f".{powershell(segment)}" for segment in fix.setting.split("."))
    return [
        f"$resource = Get-AzResource -ResourceId {powershell(fix.rid)} -ExpandProperties",
        f"$resource{member} = ConvertFrom-Json {powershell(to_json(fix.value))}",
        "$resource | Set-AzResource -Force",
    ]


def _patch(path: str, api_version: str, body: object) -> str:
    return _ps(
        "Invoke-AzRestMethod",
        ("-Method", "PATCH"),
        ("-Path", powershell(rest_path(path, api_version))),
        ("-Payload", powershell(to_json(body))),
    )


def create_custom_role(role: CustomRole) -> list[str]:
    """The lines that create the custom role unless it exists (Azure gives it a GUID of its
    own, so assignments name it by its name)."""
    return list(_create_custom_role(role))


@lru_cache(maxsize=256)
def _create_custom_role(role: CustomRole) -> tuple[str, ...]:
    # Written once per role: every fix that assigns it carries it.
    exists = _ps(
        "Get-AzRoleDefinition",
        ("-Name", powershell(role.name)),
        ("-Scope", powershell(role.assignable_scope)),
        ("-ErrorAction", "SilentlyContinue"),
    )
    return (
        f"if (-not ({exists})) {{",
        "    $definition = New-TemporaryFile",
        "    "
        + _ps(
            "Set-Content",
            ("-LiteralPath", "$definition.FullName"),
            ("-Value", powershell(to_json(role.flat()))),
        ),
        "    "
        + _ps("New-AzRoleDefinition", ("-InputFile", "$definition.FullName"))
        + " | Out-Null",
        "    " + _ps("Remove-Item", ("-LiteralPath", "$definition.FullName")),
        "}",
    )


def assign_custom_role(fix: RoleGrant) -> str:
    """The assignment of the custom role alone, by its name (it must exist)."""
    role = fix.custom
    assert role is not None
    return _ps(
        "New-AzRoleAssignment",
        ("-ObjectId", powershell(fix.principal)),
        ("-RoleDefinitionName", powershell(role.name)),
        ("-Scope", powershell(fix.scope_text)),
        ("-ObjectType", powershell(fix.principal_type) if fix.principal_type else None),
    )


def _custom_role_lines(fix: RoleGrant) -> list[str]:
    role = fix.custom
    assert role is not None
    return [
        *comments(
            "#",
            [
                fix.summary,
                "The role is created unless it exists; Azure gives it a GUID of its own, so the "
                "assignment names the role.",
            ],
        ),
        *create_custom_role(role),
        assign_custom_role(fix),
    ]


def _role_lines(fix: RoleGrant | RoleActivation | RoleRemoval) -> list[str]:
    if isinstance(fix, RoleGrant) and fix.custom is not None:
        return _custom_role_lines(fix)
    if isinstance(fix, RoleGrant):
        return [
            *comments("#", [fix.summary]),
            _ps(
                "New-AzRoleAssignment",
                ("-ObjectId", powershell(fix.principal)),
                ("-RoleDefinitionId", powershell(fix.role_guid)),
                ("-Scope", powershell(fix.scope_text)),
                ("-ObjectType", powershell(fix.principal_type) if fix.principal_type else None),
            ),
        ]
    if isinstance(fix, RoleActivation):
        return [
            *comments("#", fix.notes),
            _ps(
                "New-AzRoleAssignmentScheduleRequest",
                ("-Name", powershell(fix.request)),
                ("-Scope", powershell(fix.scope_text)),
                ("-PrincipalId", powershell(fix.principal)),
                ("-RoleDefinitionId", powershell(fix.role_id)),
                ("-RequestType", "SelfActivate"),
                ("-Justification", powershell(JUSTIFICATION)),
                ("-ExpirationType", "AfterDuration"),
                ("-ExpirationDuration", f"PT{ACTIVATION_HOURS}H"),
            ),
        ]
    return [
        *comments("#", [fix.summary]),
        _ps(
            "Remove-AzRoleAssignment",
            ("-ObjectId", powershell(fix.principal)),
            ("-RoleDefinitionId", powershell(fix.role_guid)),
            ("-Scope", powershell(fix.scope_text)),
        ),
    ]


def _system_identity(fix: SystemIdentity) -> list[str]:
    kind = fix.target.type_key
    if kind == COGNITIVE_ACCOUNT:
        return [
            _set_context(fix),
            _ps(
                "Set-AzCognitiveServicesAccount",
                *_name_group(fix),
                ("-IdentityType", "SystemAssigned"),
            ),
        ]
    if kind == SEARCH_SERVICE:
        return [_ps("Set-AzSearchService", _by_id(fix), ("-IdentityType", "SystemAssigned"))]
    # WORKSPACE, the only other type settings.SystemIdentity admits
    return [_patch(fix.rid, RESOURCE_TYPES[WORKSPACE][1], fix.fragment)]


def _local_auth(fix: LocalAuth) -> list[str]:
    if fix.target.type_key == COGNITIVE_ACCOUNT:
        return [
            _set_context(fix),
            _ps(
                "Set-AzCognitiveServicesAccount", *_name_group(fix), ("-DisableLocalAuth", "$false")
            ),
        ]
    return [_ps("Set-AzSearchService", _by_id(fix), ("-DisableLocalAuth", "$false"))]


def _trusted_services(fix: TrustedServices) -> list[str]:
    if fix.target.type_key == COGNITIVE_ACCOUNT:
        return _generic_lines(fix)
    return [_ps("Set-AzSearchService", _by_id(fix), ("-Bypass", "AzureServices"))]


def _setting_lines(fix: Setting) -> list[str]:
    """The cmdlets of a configuration fix, without its comments."""
    match fix:
        case SearchAuthOptions():
            return [
                _ps(
                    "Set-AzSearchService",
                    _by_id(fix),
                    ("-AuthOption", "AadOrApiKey"),
                    ("-AadAuthFailureMode", _AUTH_FAILURE_MODES[fix.mode]),
                )
            ]
        case SystemIdentity():
            return _system_identity(fix)
        case LocalAuth():
            return _local_auth(fix)
        case SharedKeyAccess():
            return [
                _set_context(fix),
                _ps("Set-AzStorageAccount", *_name_group(fix), ("-AllowSharedKeyAccess", "$true")),
            ]
        case ConnectionAuth():
            return [_patch(fix.rid, fix.api_version, fix.body)]
        case TrustedServices():
            return _trusted_services(fix)
        case StorageBypass():
            return [
                _set_context(fix),
                _ps(
                    "Update-AzStorageAccountNetworkRuleSet",
                    *_name_group(fix),
                    ("-Bypass", ",".join(fix.items)),
                ),
            ]
        case CustomSubdomain():
            return [
                _set_context(fix),
                _ps(
                    "Set-AzCognitiveServicesAccount",
                    *_name_group(fix),
                    ("-CustomSubdomainName", powershell(fix.subdomain)),
                ),
            ]
        case DenyAssignment():
            return [_ps("Get-AzDenyAssignment", ("-Id", powershell(fix.rid)))]
        case KeyVaultKeyPolicy():
            return [
                _set_context(fix),
                _ps(
                    "Set-AzKeyVaultAccessPolicy",
                    ("-VaultName", powershell(fix.target.leaf)),
                    ("-ResourceGroupName", powershell(fix.target.resource_group or "")),
                    ("-ObjectId", powershell(fix.object_id)),
                    ("-PermissionsToKeys", ",".join(powershell(key) for key in fix.keys)),
                )
                # a managed identity's object id need not be looked up in the directory
                + " -BypassObjectIdValidation",
            ]
        case _:
            return _generic_lines(fix)


def _cosmos_lines(fix: CosmosSqlGrant) -> list[str]:
    return [
        f"Set-AzContext -Subscription {powershell(fix.account.subscription or '')} | Out-Null",
        _ps(
            "New-AzCosmosDBSqlRoleAssignment",
            ("-AccountName", powershell(fix.account.leaf)),
            ("-ResourceGroupName", powershell(fix.account.resource_group or "")),
            ("-RoleDefinitionId", powershell(fix.role_guid)),
            ("-Scope", powershell(fix.path)),
            ("-PrincipalId", powershell(fix.principal)),
        ),
    ]


def render(fix: Fix) -> str:
    """The fix as Azure PowerShell, after its summary (and notes) as comments."""
    match fix:
        case RoleGrant() | RoleActivation() | RoleRemoval():
            return text(_role_lines(fix))
        case KeyVaultKeyPolicy():
            return text([*comments("#", fix.notes), *_setting_lines(fix)])
        case SearchAuthOptions() | SharedKeyAccess() | GenericSetting():
            return text([*comments("#", [fix.summary]), *_setting_lines(fix)])
        case (
            SystemIdentity()
            | LocalAuth()
            | ConnectionAuth()
            | TrustedServices()
            | StorageBypass()
            | CustomSubdomain()
            | DenyAssignment()
        ):
            return text([*comments("#", fix.notes), *_setting_lines(fix)])
        case CosmosSqlGrant():
            return text([*comments("#", fix.notes), *_cosmos_lines(fix)])
        case _:
            assert_never(fix)


LANGUAGE = FixLanguage(
    name="powershell",
    key="powershell",
    label="PowerShell",
    description="fix commands for Azure PowerShell",
    fence="powershell",
    comment="#",
    order=20,
    render=render,
)
