"""The plan step: a finding's fixes, chosen, proven and written in every fix language.

The engine runs the checks and hands each shortfall here (it takes a `FixPlan` as its
`diagnose.engine.runner.FixPlanner`, so the engine never imports this package):

- a missing role: the least-privileged role that grants it (`planner`), assigned at the
  requirement's scope, proven by re-evaluating the requirement with the assignment added to a
  copy of the snapshot (`proof`);
- an eligible-only role: its activation, proven the same way;
- a deny assignment: who can change it (nothing to prove from here);
- a check's own configuration fix: proven by re-running the check on a copy of the snapshot
  with the setting changed.

Every fix is then rendered in every fix language (`commands`), once per distinct fix.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from diagnose.engine.api import (
    Cause,
    CheckInfo,
    Commands,
    Draft,
    Remediation,
    RemediationKind,
    Requirement,
)
from diagnose.engine.context import describe_scope
from diagnose.engine.requirements import RequirementOutcome
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.commands import commands_for
from diagnose.remediation.planner import Planner
from diagnose.remediation.proof import prove_configuration, prove_requirement


class FixPlan:
    """The fixes of one run: proofs and commands are memoised across its checks (the same
    principal, role and scope recur across requirements and checks)."""

    def __init__(self, model: Model, evaluator: Evaluator) -> None:
        self.model = model
        self.evaluator = evaluator
        self.planner = Planner(evaluator)
        self._proofs: dict[tuple[object, ...], bool] = {}
        self._commands: dict[str, Commands] = {}

    # -- a requirement that is not met ---------------------------------------------------------
    def requirement_fixes(
        self, requirement: Requirement, outcome: RequirementOutcome
    ) -> tuple[list[Remediation], str]:
        """The fixes for a shortfall, and a note for the finding's message ('' for none)."""
        if outcome.cause is Cause.MISSING_ROLE:
            return self._role_fixes(requirement, outcome)
        if outcome.cause is Cause.ELIGIBLE_ONLY:
            return self._activation_fixes(requirement, outcome)
        if outcome.cause is Cause.DENY_ASSIGNMENT:
            return self._deny_fixes(outcome), ""
        return [], ""

    def _role_fixes(
        self, requirement: Requirement, outcome: RequirementOutcome
    ) -> tuple[list[Remediation], str]:
        choices = self.planner.choose(outcome.missing, requirement.roles)
        if not choices:
            return [], (
                "No built-in role known to this tool grants "
                f"{', '.join(op.name for op in outcome.missing)}: create a custom role."
            )
        principal = requirement.principal
        fixes = []
        for choice in choices:
            why = (
                "the role the docs name for this scenario"
                if choice.docs_named
                else "the built-in role with the fewest permissions that grants it"
            )
            fixes.append(
                Remediation(
                    kind=RemediationKind.ROLE_ASSIGNMENT,
                    summary=f"Assign {choice.role.name} to {principal.label} on "
                    f"{describe_scope(requirement.target_scope, requirement.resource)} "
                    f"({why}).",
                    principal_id=principal.id,
                    principal_type=principal.type,
                    role_definition_id=choice.role.id,
                    role_name=choice.role.name,
                    scope=requirement.target_scope,
                )
            )
        return self._proven(requirement, fixes), ""

    def _activation_fixes(
        self, requirement: Requirement, outcome: RequirementOutcome
    ) -> tuple[list[Remediation], str]:
        failing = [d for d in outcome.decisions if not d.allowed]
        eligible = failing[0].eligible[0]
        role = self.model.authorization.role(eligible.role_definition_id)
        fix = Remediation(
            kind=RemediationKind.ACTIVATE_ELIGIBLE,
            summary=f"Activate the eligible {eligible.role_name} assignment at {eligible.scope} "
            f"in Privileged Identity Management (as {requirement.principal.label}).",
            principal_id=requirement.principal.id,
            principal_type=requirement.principal.type,
            role_definition_id=role.id if role else eligible.role_definition_id,
            role_name=eligible.role_name,
            scope=eligible.scope,
        )
        return self._proven(requirement, [fix]), ""

    def _proven(self, requirement: Requirement, fixes: list[Remediation]) -> list[Remediation]:
        key = (
            requirement.principal.id,
            requirement.target_scope.lower(),
            requirement.operations,
            tuple(f.dedupe_key for f in fixes),
        )
        verified = self._proofs.get(key)
        if verified is None:
            verified = self._proofs[key] = prove_requirement(requirement, fixes, self.evaluator)
        verification = (
            "verified: applied to a copy of the snapshot, the requirement is met"
            if verified
            else "not verified: with this change applied to a copy of the snapshot the requirement "
            "is still not met"
        )
        return [
            self._with_commands(
                dataclasses.replace(f, verified=verified, verification=verification)
            )
            for f in fixes
        ]

    def _deny_fixes(self, outcome: RequirementOutcome) -> list[Remediation]:
        fixes = []
        for decision in outcome.decisions:
            for deny in decision.denies:
                manager = (
                    (
                        "Azure or the managed application / deployment stack that created it "
                        "(system protected)"
                    )
                    if deny.system_protected
                    else "its owner (it is not system protected)"
                )
                text = deny.description.strip().rstrip(".")
                description = f" Its description: {text}." if text else ""
                fixes.append(
                    self._with_commands(
                        Remediation(
                            kind=RemediationKind.CONFIGURATION,
                            summary=f"The deny assignment '{deny.name}' at {deny.scope} blocks "
                            f"{decision.operation}. It can be changed only by {manager}: ask "
                            f"them to exclude this principal, or use another identity."
                            f"{description}",
                            resource=deny.deny_assignment_id,
                            setting="denyAssignment",
                            value={"name": deny.name, "scope": deny.scope},
                            verification=(
                                "not verified: a deny assignment cannot be changed from here"
                            ),
                        )
                    )
                )
        unique = {f.resource: f for f in fixes}
        return list(unique.values())

    # -- a finding a check yields directly -----------------------------------------------------
    def draft_fixes(
        self, info: CheckInfo, draft: Draft, still_failing: Callable[[Model], bool]
    ) -> list[Remediation]:
        """The check's own fixes, a configuration change proven with `still_failing` (whether
        the check still reports the finding on a copy of the model)."""
        fixes = []
        for fix in draft.remediations:
            if fix.kind == RemediationKind.CONFIGURATION and fix.setting != "denyAssignment":
                verified = prove_configuration(self.model, fix, still_failing)
                fix = dataclasses.replace(
                    fix,
                    verified=verified,
                    verification=(
                        "verified: with this setting changed on a copy of the "
                        f"snapshot, {info.id} no longer reports it"
                    )
                    if verified
                    else "not verified: with this setting changed on a copy of the snapshot the "
                    "finding remains",
                )
            elif (
                fix.kind in (RemediationKind.ROLE_ASSIGNMENT, RemediationKind.ACTIVATE_ELIGIBLE)
                and not fix.verification
            ):
                fix = dataclasses.replace(fix, verification="not verified")
            fixes.append(self._with_commands(fix))
        return fixes

    # -- commands ------------------------------------------------------------------------------
    def _with_commands(self, fix: Remediation) -> Remediation:
        """The fix with its commands; rendered once per distinct fix."""
        key = json.dumps(
            [
                fix.kind,
                fix.summary,
                fix.principal_id,
                fix.principal_type,
                fix.role_definition_id,
                fix.role_name,
                fix.scope,
                fix.resource,
                fix.setting,
                fix.value,
            ],
            sort_keys=True,
            default=str,
        )
        commands = self._commands.get(key)
        if commands is None:
            commands = self._commands[key] = commands_for(fix)
        return dataclasses.replace(fix, commands=commands)
