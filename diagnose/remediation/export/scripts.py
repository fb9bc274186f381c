"""The whole plan as one Azure CLI (bash) script or one Azure PowerShell script.

Each step that runs is its single-fix text (diagnose.remediation.languages.azcli and
.powershell: the same commands, the same quoting) under a comment naming the findings it
clears; the script stops at the first command that fails. A custom role that several steps
assign is created once, before the first of them, and each of them assigns it by its name.
What a script cannot run stays as comments saying why (export.held_back, and a PIM
self-activation, which only the eligible user can make).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from diagnose.engine.api import RemediationKind
from diagnose.remediation.export import (
    Step,
    comment_lines,
    commented_out,
    held_back,
    shared_roles,
)
from diagnose.remediation.languages import azcli, comments, language_named, powershell, text
from diagnose.remediation.quoting import comment
from diagnose.remediation.roles import CustomRole, RoleGrant

SELF_ACTIVATION = (
    "a PIM self-activation: only the eligible user can make it; run this command signed in "
    "as that user"
)


def _held_back(step: Step) -> str | None:
    reason = held_back(step)
    if reason is None and step.remediation.kind == RemediationKind.ACTIVATE_ELIGIBLE:
        return SELF_ACTIVATION
    return reason


def _create(role: CustomRole, language: str) -> list[str]:
    """The lines that create a custom role unless it exists."""
    if language == "cli":
        return [azcli.create_custom_role(role)]
    return powershell.create_custom_role(role)


def _assign(fix: RoleGrant, language: str) -> str:
    """A custom role's assignment alone (the role created above), with its summary."""
    command = azcli.assign_role(fix) if language == "cli" else powershell.assign_custom_role(fix)
    return text([*comments("#", [fix.summary]), command])


def _body(steps: Sequence[Step], language: str) -> tuple[list[str], int, list[str]]:
    """The steps' blocks, how many run, and the text of those that run. A custom role that
    several steps assign is created once, before the first of them (commented out when none
    of them runs); a custom role one step alone assigns is created in that step's block."""
    renderer = language_named(language)
    reasons = {step.number: _held_back(step) for step in steps}
    written = [step for step in steps if step.fix is not None]
    shared = shared_roles(written, lambda step: reasons[step.number] is None)
    lines: list[str] = []
    runnable = 0
    live: list[str] = []
    for step in steps:
        role = shared.get(step.number)
        if role is not None and role.users[0] == step.number:
            create = _create(role.role, language)
            lines += ["", *comment_lines("#", role.note(None))]
            lines += create if role.live else commented_out("#", "\n".join(create))
            if role.live:
                live.append(text(create))
        lines += ["", *comment_lines("#", step.header())]
        reason = reasons[step.number]
        code = ""
        if isinstance(step.fix, RoleGrant) and role is not None:
            code = _assign(step.fix, language)
        elif step.fix is not None:
            code = renderer.render(step.fix)
        if reason is None:
            runnable += 1
            live.append(code)
            lines += code.rstrip("\n").splitlines()
        else:
            if role is not None and not role.live:
                lines += comment_lines("#", [role.uses(f"'{role.role.name}'")])
            lines += comment_lines("#", [f"Left as a comment: {reason}."])
            lines += commented_out("#", code)
    return lines, runnable, live


def _intro(steps: Sequence[Step], hub: str, runnable: int) -> list[str]:
    verified = sum(1 for step in steps if step.verified)
    what = f"the hub {hub}" if hub else "the hub"
    return [
        f"The fix plan of {what}, written by ai-hub-diagnose: {len(steps)} steps "
        f"({verified} verified), in order; {runnable} run, "
        f"{len(steps) - runnable} left as comments that say why.",
        "Review it, sign in as someone allowed to make these changes, then run it.",
    ]


def render_az(steps: Sequence[Step], hub: str) -> tuple[str, int]:
    """One bash script of az commands; `set -euo pipefail` stops it at the first failure."""
    body, runnable, _ = _body(steps, "cli")
    lines = [
        "#!/usr/bin/env bash",
        *comment_lines("#", _intro(steps, hub, runnable)),
        *comment_lines("#", ["Needs the Azure CLI, signed in: az login"]),
        "set -euo pipefail",
        *body,
    ]
    if not steps:
        lines += ["", "# The fix plan is empty: nothing to change."]
    return "\n".join(lines) + "\n", runnable


_CMDLET = re.compile(r"^\s*(?:if \(-not \()?(?:\$\w+\s*=\s*)?([A-Z][A-Za-z]+-Az[A-Za-z]+)")
_MODULES = {
    "AzRoleAssignment": "Az.Resources",
    "AzRoleDefinition": "Az.Resources",
    "AzRoleAssignmentScheduleRequest": "Az.Resources",
    "AzResource": "Az.Resources",
    "AzDenyAssignment": "Az.Resources",
    "AzSearchService": "Az.Search",
    "AzCognitiveServicesAccount": "Az.CognitiveServices",
    "AzStorageAccount": "Az.Storage",
    "AzStorageAccountNetworkRuleSet": "Az.Storage",
    "AzCosmosDBSqlRoleAssignment": "Az.CosmosDB",
    "AzContext": "Az.Accounts",
    "AzRestMethod": "Az.Accounts",
}


def _modules(live: Sequence[str]) -> list[str]:
    """The Az modules the running commands need (Az.Accounts always: it signs in)."""
    found = {"Az.Accounts"}
    for code in live:
        for line in code.splitlines():
            match = _CMDLET.match(line)
            if match:
                noun = match.group(1).split("-", 1)[1]
                module = _MODULES.get(noun)
                if module:
                    found.add(module)
    return sorted(found)


def render_powershell(steps: Sequence[Step], hub: str) -> tuple[str, int]:
    """One PowerShell script of Az cmdlets; `$ErrorActionPreference = 'Stop'` stops it at the
    first failure."""
    body, runnable, live = _body(steps, "powershell")
    lines = [
        f"#Requires -Modules {', '.join(_modules(live))}",
        *comment_lines("#", _intro(steps, hub, runnable)),
        *comment_lines("#", ["Needs Azure PowerShell, signed in: Connect-AzAccount"]),
        "$ErrorActionPreference = 'Stop'",
        *body,
    ]
    if not steps:
        lines += ["", f"# {comment('The fix plan is empty: nothing to change.')}"]
    return "\n".join(lines) + "\n", runnable
