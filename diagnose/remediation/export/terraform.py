"""The whole plan as one Terraform configuration (azurerm, and azapi for settings).

Each principal is a `variable` (its object id the default); each role assignment is an
`azurerm_role_assignment`, each PIM activation an `azurerm_pim_active_role_assignment`, each
setting an `azapi_update_resource` that patches the resource in place (where this tool knows
the resource type's API version). Resource names come from the step's fix id, so an address
stays the same from one run to the next and no two steps share one.

A custom role is an `azurerm_role_definition` named from its GUID, which its assignments
refer to (export.shared_roles: created once, however many steps assign it). A Cosmos DB SQL role
assignment is an `azurerm_cosmosdb_sql_role_assignment`, its principal a variable like the
others.

Everything else stays as comments saying why, with the single-fix Terraform where there is
one: removals (delete the block that manages the assignment), settings of a resource type
without a known API version, and the reasons of export.held_back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from diagnose.remediation.cosmos import CosmosSqlGrant
from diagnose.remediation.export import (
    SharedRole,
    Step,
    comment_lines,
    commented_out,
    held_back,
    shared_roles,
)
from diagnose.remediation.export.names import address, role_symbol
from diagnose.remediation.languages import language_named
from diagnose.remediation.languages.terraform import (
    _attributes,
    _azapi_update,
    _role_definition,
    activation_resource,
    cosmos_resource,
)
from diagnose.remediation.quoting import hcl, identifier
from diagnose.remediation.roles import (
    RoleActivation,
    RoleFix,
    RoleGrant,
    RoleRemoval,
)
from diagnose.remediation.settings import ConnectionAuth, DenyAssignment, GenericSetting, Setting
from diagnose.remediation.targets import role_definition_resource_id


def _patch(fix: Setting) -> tuple[str, Any] | None:
    """(type@api-version, body) of an in-place update, None when there is none to write."""
    if isinstance(fix, DenyAssignment):
        return None
    if isinstance(fix, ConnectionAuth):
        return f"{fix.canonical_type}@{fix.api_version}", fix.body
    known = fix.target.known
    body = fix.body if isinstance(fix, GenericSetting) else getattr(fix, "fragment", None)
    if known is None or not isinstance(body, dict):
        return None
    return f"{known[0]}@{known[1]}", body


def _cannot(step: Step) -> str | None:
    """Why this configuration cannot apply this step, None when it can (held_back aside)."""
    fix = step.fix
    if isinstance(fix, RoleGrant | RoleActivation | CosmosSqlGrant):
        return None
    if isinstance(fix, RoleRemoval):
        return (
            "a removal: if Terraform manages the assignment, delete its block and apply; "
            "otherwise use the Azure CLI or PowerShell plan"
        )
    if isinstance(fix, Setting):
        if _patch(fix) is None:
            return (
                f"this tool has no API version for {fix.target.type} and does not guess one: "
                "set it where the resource is managed"
            )
        return None
    return "Terraform cannot express this change here: use the Azure CLI or PowerShell plan"


def _role_block(step: Step, fix: RoleFix, principal: str, shared: bool) -> list[str]:
    """The block of a grant or an activation; principal is an expression (a variable, or the
    id quoted). A custom role is created in the same block unless `shared` (several steps
    assign it, and it has a block of its own)."""
    if isinstance(fix, RoleActivation):
        lines = comment_lines(
            "#",
            [
                "azurerm_pim_active_role_assignment makes the assignment active as an "
                "administrator (AdminAssign):",
                "whoever applies needs permission to assign roles at this scope.",
            ],
        )
        return [
            *lines,
            *activation_resource(address("activate", fix.role_label, step.fix_id), fix, principal),
        ]
    role_id = hcl(role_definition_resource_id(fix.scope, fix.role_guid))
    definition: list[str] = []
    if isinstance(fix, RoleGrant) and fix.custom is not None:
        symbol = role_symbol(fix.custom.guid)
        role_id = f"azurerm_role_definition.{symbol}.role_definition_resource_id"
        if not shared:  # the step alone assigns it: its block creates it
            definition = _role_definition(fix, symbol)
    attributes = [
        ("scope", hcl(fix.scope_text)),
        ("role_definition_id", role_id),
        ("principal_id", principal),
    ]
    if fix.principal_type:
        attributes.append(("principal_type", hcl(fix.principal_type)))
    return [
        *definition,
        f'resource "azurerm_role_assignment" "{address("ra", fix.role_label, step.fix_id)}" {{',
        *_attributes(attributes),
        "}",
    ]


def _block(step: Step, principal: str, shared: bool) -> list[str]:
    """The block this configuration writes for a step it can apply (`shared`: the custom role
    it assigns has a block of its own)."""
    fix = step.fix
    if isinstance(fix, RoleGrant | RoleActivation):
        return _role_block(step, fix, principal, shared)
    if isinstance(fix, CosmosSqlGrant):
        return cosmos_resource(address("sqlra", fix.role_label, step.fix_id), fix, principal)
    assert isinstance(fix, Setting)
    patch = _patch(fix)
    assert patch is not None
    return [
        *comment_lines(
            "#",
            [
                "azapi provider 2.x: patches the resource in place. If Terraform already "
                "manages it, set the same in that block instead.",
            ],
        ),
        *_azapi_update(
            address("update", fix.target.leaf, step.fix_id), patch[0], fix.rid, patch[1]
        ),
    ]


def _shared_role(shared: SharedRole, step: Step) -> list[str]:
    """The block of a custom role several steps assign (`step`, the first of them)."""
    assert isinstance(step.fix, RoleGrant)
    symbol = role_symbol(shared.role.guid)
    block = _role_definition(step.fix, symbol)[:-1]  # without its trailing blank line
    if shared.live:
        return [*comment_lines("#", shared.note(symbol)), *block]
    return [*comment_lines("#", shared.note(symbol)), *commented_out("#", "\n".join(block))]


def render_plan(steps: Sequence[Step], hub: str) -> tuple[str, int]:
    """The plan as one Terraform configuration; (text, steps applied)."""
    cannot = {step.number: _cannot(step) for step in steps if step.fix is not None}
    held = {step.number: held_back(step) for step in steps}
    writable = [step for step in steps if step.fix is not None and cannot[step.number] is None]
    applied = [step for step in writable if held[step.number] is None]
    numbers = {step.number for step in writable}
    patches = any(isinstance(step.fix, Setting) for step in writable)
    verified = sum(1 for step in steps if step.verified)
    what = f"the hub {hub}" if hub else "the hub"
    lines = comment_lines(
        "#",
        [
            f"The fix plan of {what}, written by ai-hub-diagnose: {len(steps)} steps "
            f"({verified} verified), in order; {len(applied)} applied by this configuration, "
            f"{len(steps) - len(applied)} left as comments that say why.",
            "Save as main.tf, then: terraform init && terraform plan",
        ],
    )
    lines += [
        "",
        "terraform {",
        "  required_providers {",
        "    azurerm = {",
        '      source = "hashicorp/azurerm"',
        "    }",
    ]
    if patches:
        lines += [
            "    azapi = {",
            '      source  = "Azure/azapi"',
            '      version = ">= 2.0"',
            "    }",
        ]
    lines += ["  }", "}", "", 'provider "azurerm" {', "  features {}", "}"]
    if patches:
        lines += ["", 'provider "azapi" {}']

    variables: dict[str, tuple[str, str]] = {}  # lower id -> (variable, id)
    for step in applied:
        if isinstance(step.fix, RoleGrant | RoleActivation | CosmosSqlGrant):
            key = step.fix.principal.lower()
            variables.setdefault(key, (identifier("principal", "", key), step.fix.principal))
    for variable, value in variables.values():
        lines += [
            "",
            f'variable "{variable}" {{',
            *_attributes(
                [
                    ("description", hcl("The object id of a principal the plan assigns roles to")),
                    ("type", "string"),
                    ("default", hcl(value)),
                ]
            ),
            "}",
        ]
    single = language_named("terraform")
    shared = shared_roles(writable, lambda step: held[step.number] is None)
    for step in steps:
        role = shared.get(step.number)
        if role is not None and role.users[0] == step.number:
            lines += ["", *_shared_role(role, step)]
        lines += ["", *comment_lines("#", step.header())]
        reason = held[step.number] or cannot.get(step.number)
        fix = step.fix
        if step.number in numbers:
            principal = ""
            if isinstance(fix, RoleGrant | RoleActivation | CosmosSqlGrant):
                known = variables.get(fix.principal.lower())
                principal = f"var.{known[0]}" if known else hcl(fix.principal)
            block = _block(step, principal, role is not None)
            if reason is None:
                lines += block
            else:  # uncommented, it applies within this configuration
                if role is not None and not role.live:
                    lines += comment_lines("#", [role.uses(role_symbol(role.role.guid))])
                lines += comment_lines("#", [f"Left as a comment: {reason}."])
                lines += commented_out("#", "\n".join(block))
            continue
        lines += comment_lines("#", [f"Left as a comment: {reason}."])
        if fix is not None:
            lines += commented_out("#", single.render(fix))
    if not steps:
        lines += ["", "# The fix plan is empty: nothing to change."]
    return "\n".join(lines) + "\n", len(applied)
