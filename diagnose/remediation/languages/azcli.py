"""Azure CLI (bash): one command per fix, after the fix's summary as comments.

roleAssignment   `az role assignment create --assignee-object-id ID --assignee-principal-type
                 TYPE --role GUID --scope SCOPE`; for a custom role, `az role definition create
                 --role-definition JSON` first, the assignment then naming the role by name (the
                 CLI picks a new role's GUID itself).
activateEligible `az rest --method put` of a roleAssignmentScheduleRequests (api-version
                 2020-10-01) whose name is a uuid5 of the inputs.
removeAssignment `az role assignment delete --ids ASSIGNMENT-ID` (without the id: `--assignee
                 ID --role GUID --scope SCOPE`).
configuration    the service's own command where there is one, else `az resource update --ids
                 ID --set 'PATH=<value as JSON>'`.
cosmosSqlRoleAssignment
                 `az cosmosdb sql role assignment create --account-name A --resource-group G
                 --subscription S --scope PATH --principal-id ID --role-definition-id GUID`,
                 the path relative to the account ("/dbs/<db>").
"""

from __future__ import annotations

from functools import lru_cache
from typing import assert_never

from diagnose.arm.types import COGNITIVE_ACCOUNT, SEARCH_SERVICE, WORKSPACE
from diagnose.remediation.cosmos import CosmosSqlGrant
from diagnose.remediation.fixes import Fix
from diagnose.remediation.languages import FixLanguage, comments, text, to_json
from diagnose.remediation.quoting import bash
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
from diagnose.remediation.targets import DENY_API, PIM_API, RESOURCE_TYPES, arm_url


def cli(*parts: str | tuple[str, str]) -> str:
    """An az command line: bare words are literal, (flag, value) pairs get a quoted value.

    A value that starts with '-' is attached with '=' so the CLI's parser cannot take it for
    an option.
    """
    words = []
    for part in parts:
        if isinstance(part, tuple):
            flag, value = part
            words.append(
                f"{flag}={bash(value)}" if value.startswith("-") else f"{flag} {bash(value)}"
            )
        else:
            words.append(part)
    return " ".join(words)


def deny_assignment_command(fix: DenyAssignment) -> str:
    """The command that shows a deny assignment (the other languages point to it)."""
    return cli("az rest --method get", ("--url", arm_url(fix.rid, DENY_API)))


def _name_group(fix: Setting) -> list[tuple[str, str]]:
    return [
        ("--name", fix.target.leaf),
        ("--resource-group", fix.target.resource_group or ""),
        ("--subscription", fix.target.subscription or ""),
    ]


@lru_cache(maxsize=256)
def create_custom_role(role: CustomRole) -> str:
    """The command that creates the custom role unless it exists (the CLI gives it a GUID of
    its own, so assignments name it by its name). Written once per role: every fix that
    assigns it carries it."""
    exists = cli(
        "az role definition list --custom-role-only true",
        ("--name", role.name),
        ("--scope", role.assignable_scope),
        "--query '[0].name' --output tsv | grep -q .",
    )
    create = cli("az role definition create", ("--role-definition", to_json(role.flat())))
    return f"{exists} || {create}"


def assign_role(fix: RoleGrant) -> str:
    """The assignment alone (a custom role by its name: it must exist)."""
    parts: list[str | tuple[str, str]] = [
        "az role assignment create",
        ("--assignee-object-id", fix.principal),
    ]
    if fix.principal_type:
        parts.append(("--assignee-principal-type", fix.principal_type))
    role = fix.role_guid if fix.custom is None else fix.custom.name
    parts += [("--role", role), ("--scope", fix.scope_text)]
    return cli(*parts)


def _role_assignment(fix: RoleGrant) -> str:
    if fix.custom is None:
        return text([*comments("#", [fix.summary]), assign_role(fix)])
    return text(
        [
            *comments(
                "#",
                [
                    fix.summary,
                    "The role is created unless it exists; the CLI gives it a GUID of its own, so "
                    "the assignment names the role.",
                ],
            ),
            create_custom_role(fix.custom),
            assign_role(fix),
        ]
    )


def _activate(fix: RoleActivation) -> str:
    body = {
        "properties": {
            "principalId": fix.principal,
            "roleDefinitionId": fix.role_id,
            "requestType": "SelfActivate",
            "justification": JUSTIFICATION,
            "scheduleInfo": {
                "expiration": {"type": "AfterDuration", "duration": f"PT{ACTIVATION_HOURS}H"}
            },
        }
    }
    url = arm_url(
        f"{fix.scope_text.rstrip('/')}/providers/Microsoft.Authorization/"
        f"roleAssignmentScheduleRequests/{fix.request}",
        PIM_API,
    )
    return text(
        [
            *comments("#", fix.notes),
            cli("az rest --method put", ("--url", url), ("--body", to_json(body))),
        ]
    )


def _remove_assignment(fix: RoleRemoval) -> str:
    if fix.assignment:
        command = cli("az role assignment delete", ("--ids", fix.assignment))
    else:
        command = cli(
            "az role assignment delete",
            ("--assignee", fix.principal),
            ("--role", fix.role_guid),
            ("--scope", fix.scope_text),
        )
    return text([*comments("#", [fix.summary]), command])


def _system_identity(fix: SystemIdentity) -> str:
    kind = fix.target.type_key
    if kind == COGNITIVE_ACCOUNT:
        command = cli("az cognitiveservices account identity assign", *_name_group(fix))
    elif kind == SEARCH_SERVICE:
        command = cli(
            "az search service update", *_name_group(fix), "--identity-type SystemAssigned"
        )
    else:  # WORKSPACE, the only other type settings.SystemIdentity admits
        command = cli(
            "az rest --method patch",
            ("--url", arm_url(fix.rid, RESOURCE_TYPES[WORKSPACE][1])),
            ("--body", to_json(fix.fragment)),
        )
    return text([*comments("#", fix.notes), command])


def _local_auth(fix: LocalAuth) -> str:
    if fix.target.type_key == COGNITIVE_ACCOUNT:
        command = cli(
            "az resource update", ("--ids", fix.rid), ("--set", "properties.disableLocalAuth=false")
        )
    else:
        command = cli("az search service update", *_name_group(fix), "--disable-local-auth false")
    return text([*comments("#", fix.notes), command])


def _trusted_services(fix: TrustedServices) -> str:
    # The value as JSON, like the generic form: `--set` parses it.
    command = cli(
        "az resource update", ("--ids", fix.rid), ("--set", f'{fix.setting}="AzureServices"')
    )
    return text([*comments("#", fix.notes), command])


def cosmos_assignment(fix: CosmosSqlGrant) -> str:
    """The Cosmos DB SQL role assignment alone."""
    return cli(
        "az cosmosdb sql role assignment create",
        ("--account-name", fix.account.leaf),
        ("--resource-group", fix.account.resource_group or ""),
        ("--subscription", fix.account.subscription or ""),
        ("--scope", fix.path),
        ("--principal-id", fix.principal),
        ("--role-definition-id", fix.role_guid),
    )


def render(fix: Fix) -> str:
    """The fix as an Azure CLI command (bash), after its summary as comments."""
    match fix:
        case RoleGrant():
            return _role_assignment(fix)
        case RoleActivation():
            return _activate(fix)
        case RoleRemoval():
            return _remove_assignment(fix)
        case SearchAuthOptions():
            return text(
                [
                    *comments("#", [fix.summary]),
                    cli(
                        "az search service update",
                        *_name_group(fix),
                        "--auth-options aadOrApiKey",
                        f"--aad-auth-failure-mode {fix.mode}",
                    ),
                ]
            )
        case SystemIdentity():
            return _system_identity(fix)
        case LocalAuth():
            return _local_auth(fix)
        case SharedKeyAccess():
            return text(
                [
                    *comments("#", [fix.summary]),
                    cli(
                        "az storage account update",
                        *_name_group(fix),
                        "--allow-shared-key-access true",
                    ),
                ]
            )
        case ConnectionAuth():
            return text(
                [
                    *comments("#", fix.notes),
                    cli(
                        "az rest --method patch",
                        ("--url", arm_url(fix.rid, fix.api_version)),
                        ("--body", to_json(fix.body)),
                    ),
                ]
            )
        case TrustedServices():
            return _trusted_services(fix)
        case StorageBypass():
            return text(
                [
                    *comments("#", fix.notes),
                    cli(
                        "az storage account update",
                        *_name_group(fix),
                        "--bypass " + " ".join(fix.items),
                    ),
                ]
            )
        case CustomSubdomain():
            return text(
                [
                    *comments("#", fix.notes),
                    cli(
                        "az cognitiveservices account update",
                        *_name_group(fix),
                        ("--custom-domain", fix.subdomain),
                    ),
                ]
            )
        case DenyAssignment():
            return text([*comments("#", fix.notes), deny_assignment_command(fix)])
        case CosmosSqlGrant():
            return text([*comments("#", fix.notes), cosmos_assignment(fix)])
        case KeyVaultKeyPolicy():
            return text(
                [
                    *comments("#", fix.notes),
                    cli(
                        "az keyvault set-policy",
                        *_name_group(fix),
                        ("--object-id", fix.object_id),
                        "--key-permissions " + " ".join(bash(key) for key in fix.keys),
                    ),
                ]
            )
        case GenericSetting():
            return text(
                [
                    *comments("#", [fix.summary]),
                    cli(
                        "az resource update",
                        ("--ids", fix.rid),
                        ("--set", f"{fix.setting}={to_json(fix.value)}"),
                    ),
                ]
            )
        case _:
            assert_never(fix)


LANGUAGE = FixLanguage(
    name="cli",
    key="azureCli",
    label="Azure CLI",
    description="fix commands for the Azure CLI",
    fence="bash",
    comment="#",
    order=10,
    render=render,
)
