"""The whole plan as one Bicep template, deployed to one resource group.

A Bicep file deploys to one scope, and a role assignment on a resource must be declared in a
deployment to that resource's resource group. So the template targets the resource group that
most role assignments of the plan are in: each principal is a `param` (its object id the
default), each resource a role is assigned on is declared `existing` once, and each assignment
is named `guid(<scope id>, <principal>, <role GUID>)`, the seed the single-fix template uses,
so deploying the plan after a single fix (or twice) changes nothing. Symbolic names come from
the step's fix id.

A custom role is a `Microsoft.Authorization/roleDefinitions` resource named by its GUID (its
symbol from the GUID too), which its assignments depend on (export.shared_roles: declared once,
however many steps assign it). A Cosmos DB SQL role assignment in the same resource group is a
child (`parent`) of its account, declared `existing` like the other targets, named with the
single-fix template's seed.

Everything else stays as comments saying why, with the single-fix Bicep where there is one:
assignments at another scope (deploy their own template), settings (a template can only merge
them into the declaration that manages the resource), removals, PIM self-activations and the
reasons of export.held_back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

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
from diagnose.remediation.languages.azcli import cli
from diagnose.remediation.languages.bicep import _role_definition, cosmos_assignment_resource
from diagnose.remediation.quoting import bicep, identifier
from diagnose.remediation.roles import RoleActivation, RoleGrant, RoleRemoval
from diagnose.remediation.settings import Setting
from diagnose.remediation.targets import ROLE_ASSIGNMENTS_API, Target, target_of


def _group_of(target: Target) -> tuple[str, str] | None:
    if target.level in ("resourceGroup", "resource") and target.resource_group:
        return ((target.subscription or "").lower(), target.resource_group.lower())
    return None


def _deployment_group(steps: Sequence[Step]) -> tuple[str, str] | None:
    """(subscription, resource group) as the ids spell them: where most grants are."""
    counts: Counter[tuple[str, str]] = Counter()
    spelled: dict[tuple[str, str], tuple[str, str]] = {}
    for step in steps:
        if isinstance(step.fix, RoleGrant | CosmosSqlGrant) and held_back(step) is None:
            where = _where(step.fix)
            key = _group_of(where)
            if key is not None:
                counts[key] += 1
                spelled.setdefault(key, (where.subscription or "", where.resource_group or ""))
    if not counts:
        return None
    best = max(counts.values())
    first = next(key for key in spelled if counts[key] == best)  # plan order breaks a tie
    return spelled[first]


def _where(fix: RoleGrant | CosmosSqlGrant) -> Target:
    """Where a grant is declared: its scope, or a Cosmos DB SQL role assignment's account."""
    return fix.account if isinstance(fix, CosmosSqlGrant) else fix.scope


def _cannot(step: Step, group: tuple[str, str] | None) -> str | None:
    """Why this template cannot deploy this step, None when it can (held_back aside)."""
    fix = step.fix
    if isinstance(fix, CosmosSqlGrant):
        if group is None or _group_of(fix.account) != (group[0].lower(), group[1].lower()):
            return (
                "its Cosmos DB account is outside this template's resource group: deploy its "
                "own template (below) there"
            )
        return None
    if isinstance(fix, RoleGrant):
        where = _group_of(fix.scope)
        if group is None or where != (group[0].lower(), group[1].lower()):
            return (
                "assigned outside this template's resource group: deploy its own template "
                "(below) to its scope"
            )
        if fix.custom is not None and _group_of(target_of(fix.custom.assignable_scope)) != where:
            return (
                "its custom role is assignable in another resource group: deploy its own "
                "template (below) there"
            )
        if fix.scope.level == "resource" and fix.scope.known is None:
            return (
                f"this tool has no API version for {fix.scope.type} and does not guess one: "
                "declare the resource as existing and deploy the template below"
            )
        return None
    if isinstance(fix, RoleActivation):
        return (
            "a PIM self-activation: only the eligible user can request it; use the Azure CLI "
            "or PowerShell plan signed in as that user"
        )
    if isinstance(fix, RoleRemoval):
        return "a deployment cannot remove a role assignment: use the Azure CLI or PowerShell plan"
    if isinstance(fix, Setting):
        return (
            "a setting: merge it into the declaration that already manages the resource "
            "(deployed on its own, a partial declaration would replace the resource's settings)"
        )
    return "Bicep cannot express this change here: use the Azure CLI or PowerShell plan"


def _assignment(
    step: Step, fix: RoleGrant, principal: str, scope: str | None, shared: bool
) -> list[str]:
    """The assignment block; principal is an expression (a param, or the id quoted), scope the
    symbol of the resource it is on (None: the resource group). A custom role is declared in
    the same block unless `shared` (several steps assign it, and it has a block of its own)."""
    seed = f"{scope}.id" if scope else "resourceGroup().id"
    role = bicep(fix.role_guid)
    definition: list[str] = []
    depends: list[str] = []
    if fix.custom is not None:
        symbol = role_symbol(fix.custom.guid)
        if not shared:
            definition = _role_definition(fix, symbol, True)
        depends = ["  dependsOn: [", f"    {symbol}", "  ]"]
    return [
        *definition,
        f"resource {address('ra', fix.role_label, step.fix_id)} "
        f"'Microsoft.Authorization/roleAssignments@{ROLE_ASSIGNMENTS_API}' = {{",
        f"  name: guid({seed}, {principal}, {role})",
        *([f"  scope: {scope}"] if scope else []),
        *depends,
        "  properties: {",
        f"    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
        f"{role})",
        f"    principalId: {principal}",
        *([f"    principalType: {bicep(fix.principal_type)}"] if fix.principal_type else []),
        "  }",
        "}",
    ]


def _shared_role(shared: SharedRole, step: Step) -> list[str]:
    """The declaration of a custom role several steps assign (`step`, the first of them)."""
    assert isinstance(step.fix, RoleGrant)
    symbol = role_symbol(shared.role.guid)
    block = _role_definition(step.fix, symbol, True)[:-1]  # without its trailing blank line
    if shared.live:
        return [*comment_lines("//", shared.note(symbol)), *block]
    return [*comment_lines("//", shared.note(symbol)), *commented_out("//", "\n".join(block))]


def render_plan(steps: Sequence[Step], hub: str) -> tuple[str, int]:
    """The plan as one resource-group Bicep template; (text, steps deployed)."""
    group = _deployment_group(steps)
    cannot = {step.number: _cannot(step, group) for step in steps if step.fix is not None}
    held = {step.number: held_back(step) for step in steps}
    in_template = [
        step
        for step in steps
        if step.fix is not None
        and cannot[step.number] is None
        and isinstance(step.fix, RoleGrant | CosmosSqlGrant)
    ]
    grants = [step for step in in_template if held[step.number] is None]
    numbers = {step.number for step in in_template}
    verified = sum(1 for step in steps if step.verified)
    what = f"the hub {hub}" if hub else "the hub"
    lines = comment_lines(
        "//",
        [
            f"The fix plan of {what}, written by ai-hub-diagnose: {len(steps)} steps "
            f"({verified} verified), in order; {len(grants)} deployed by this template, "
            f"{len(steps) - len(grants)} left as comments that say why.",
        ],
    )
    if group is not None:
        deploy = cli(
            "az deployment group create",
            ("--subscription", group[0]),
            ("--resource-group", group[1]),
            "--template-file main.bicep",
        )
        lines += comment_lines("//", ["Save as main.bicep and deploy:", f"  {deploy}"])
    lines += ["", "targetScope = 'resourceGroup'"]

    principals: dict[str, tuple[str, str]] = {}  # lower id -> (param, id)
    targets: dict[str, tuple[str, Target]] = {}  # lower resource id -> (symbol, target)
    for step in in_template:
        assert isinstance(step.fix, RoleGrant | CosmosSqlGrant)
        fix = step.fix
        key = fix.principal.lower()
        if held[step.number] is None:
            principals.setdefault(key, (identifier("principal", "", key), fix.principal))
        where = _where(fix)
        if where.level == "resource":
            rid = where.raw.lower()
            targets.setdefault(rid, (identifier("target", where.leaf, rid), where))
    for param, value in principals.values():
        lines += ["", "@description('The object id of a principal the plan assigns roles to')"]
        lines.append(f"param {param} string = {bicep(value)}")
    for symbol, target in targets.values():
        canonical, version = target.known or ("", "")
        lines += [
            "",
            f"resource {symbol} '{canonical}@{version}' existing = {{",
            f"  name: {bicep(target.name)}",
            "}",
        ]
    single = language_named("bicep")
    shared = shared_roles(in_template, lambda step: held[step.number] is None)
    for step in steps:
        role = shared.get(step.number)
        if role is not None and role.users[0] == step.number:
            lines += ["", *_shared_role(role, step)]
        lines += ["", *comment_lines("//", step.header())]
        reason = held[step.number] or cannot.get(step.number)
        if step.number in numbers and isinstance(step.fix, RoleGrant | CosmosSqlGrant):
            fix = step.fix
            known = principals.get(fix.principal.lower())
            principal = known[0] if known else bicep(fix.principal)
            if isinstance(fix, CosmosSqlGrant):
                account = targets[fix.account.raw.lower()][0]
                symbol = address("sqlra", fix.role_label, step.fix_id)
                block = cosmos_assignment_resource(symbol, account, fix, principal)
            else:
                scope = (
                    targets.get(fix.scope.raw.lower()) if fix.scope.level == "resource" else None
                )
                block = _assignment(
                    step, fix, principal, scope[0] if scope else None, role is not None
                )
            if reason is None:
                lines += block
            else:  # uncommented, it deploys within this template
                if role is not None and not role.live:
                    lines += comment_lines("//", [role.uses(role_symbol(role.role.guid))])
                lines += comment_lines("//", [f"Left as a comment: {reason}."])
                lines += commented_out("//", "\n".join(block))
            continue
        lines += comment_lines("//", [f"Left as a comment: {reason}."])
        if step.fix is not None:
            lines += commented_out("//", single.render(step.fix))
    if not steps:
        lines += ["", "// The fix plan is empty: nothing to change."]
    return "\n".join(lines) + "\n", len(grants)
