"""The plan step: a finding's fixes, chosen, proven and written in every fix language.

The engine runs the checks and hands each shortfall here (it takes a `FixPlan` as its
`diagnose.engine.runner.FixPlanner`, so the engine never imports this package):

- a missing role: the least risky role that grants it at the requirement's scope (`planner`,
  `risk`), assigned there, proven by re-evaluating the requirement with the assignment added
  to a copy of the snapshot (`proof`); when every built-in role that grants it also grants a
  secret or escalation there, a custom role granting exactly the need is offered next to it
  (`alternative_to` the built-in's fix), proven the same way with its definition added;
- an eligible-only role: its activation, proven the same way;
- a deny assignment: who can change it (nothing to prove from here);
- a check's own configuration fix: proven by re-running the check on a copy of the snapshot
  with the setting changed;
- a check's own Cosmos DB SQL role assignment: proven on a copy of the snapshot with the
  assignment added, by the Cosmos DB evaluator (the data actions it must grant are granted) and
  by re-running the check.

Every fix is then rendered in every fix language (`commands`), once per distinct fix.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from diagnose.arm.scopes import resource_group_key, subscription_of
from diagnose.engine.api import (
    Cause,
    CheckInfo,
    Commands,
    Draft,
    Operation,
    Remediation,
    RemediationKind,
    Requirement,
)
from diagnose.engine.context import describe_scope
from diagnose.engine.requirements import RequirementOutcome
from diagnose.model.model import Model
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.commands import commands_for
from diagnose.remediation.planner import Planner, RoleChoice, ScopeProviders
from diagnose.remediation.proof import prove_configuration, prove_cosmos, prove_requirement
from diagnose.remediation.roles import CustomRole

DEFERRED = "to be verified by the whole-plan check"
"""The verification of a default role fix left to the whole-plan check (FixPlan with
prove_defaults=False): never shown, the check's verdict replaces it."""


class FixPlan:
    """The fixes of one run: proofs and commands are memoised across its checks (the same
    principal, role and scope recur across requirements and checks).

    prove_defaults=False: a default fix that assigns or activates a role is not proven alone:
    for a run whose plan is checked as a whole (diagnose.remediation.whole_plan.converge),
    which applies every such step and gives it its own verdict, that proof is never shown.
    Alternatives (a custom role) are proven."""

    def __init__(self, model: Model, evaluator: Evaluator, *, prove_defaults: bool = True) -> None:
        self.model = model
        self.evaluator = evaluator
        self.prove_defaults = prove_defaults
        self.planner = Planner(evaluator, ScopeProviders.of(model).at)
        self._proofs: dict[tuple[object, ...], bool] = {}
        self._commands: dict[tuple[object, ...], Commands] = {}
        self._custom_roles: dict[
            tuple[tuple[Operation, ...], str, str],
            tuple[CustomRole, RoleDefinition, RoleDefinition, str],
        ] = {}

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
        scope = requirement.target_scope
        choices = self.planner.choose(outcome.missing, requirement.roles, scope)
        if not choices:
            custom = self._custom_fix(requirement, outcome, [], None)
            if custom is not None:
                return [custom], ""
            return [], (
                "No built-in role known to this tool grants "
                f"{', '.join(op.name for op in outcome.missing)}: create a custom role."
            )
        principal = requirement.principal
        where = describe_scope(scope, requirement.resource)
        fixes = [
            Remediation(
                kind=RemediationKind.ROLE_ASSIGNMENT,
                summary=f"Assign {choice.role.name} to {principal.label} on {where} "
                f"({choice.reason}). {choice.label()}",
                principal_id=principal.id,
                principal_type=principal.type,
                role_definition_id=choice.role.id,
                role_name=choice.role.name,
                scope=scope,
            )
            for choice in choices
        ]
        proven = self._proven(requirement, fixes, defaults=True)
        custom = self._custom_fix(requirement, outcome, choices, proven[0])
        return proven + ([custom] if custom is not None else []), ""

    def _custom_fix(
        self,
        requirement: Requirement,
        outcome: RequirementOutcome,
        choices: list[RoleChoice],
        default: Remediation | None,
    ) -> Remediation | None:
        """A custom role granting exactly the need, assignable in the target's resource group:
        offered next to the built-in choice when every built-in role that covers the need also
        grants a secret or escalation there (as an alternative to `default`, the built-in's
        fix), or as the fix itself when no built-in role covers it (`default` None). None when
        a built-in role is enough, or Azure takes no custom role here."""
        risky = [c for c in choices if c.extra.secret_or_escalation]
        if requirement.builtin_roles_only or (choices and not risky):
            return None
        scope = requirement.target_scope
        group = resource_group_key(scope)
        if group is None:
            return None
        group_id = scope[: len(group)] if scope.lower().startswith(group) else group
        role, planned, proven, canonical = self._custom_role(outcome.missing, group_id, group)
        principal = requirement.principal
        where = describe_scope(scope, requirement.resource)
        grants = ", ".join(op.name for op in outcome.missing)
        if risky:
            unlike = "; ".join(
                f"{c.role.name}, which beyond the need {c.extra.adds()}" for c in risky
            )
            summary = (
                f"Or create the custom role '{role.name}' that grants exactly {grants} "
                f"(assignable only in resource group {group_id}) and assign it to "
                f"{principal.label} on {where}: unlike {unlike}."
            )
        else:
            summary = (
                f"No built-in role known to this tool grants {grants}: create the custom role "
                f"'{role.name}' that grants exactly that (assignable only in resource group "
                f"{group_id}) and assign it to {principal.label} on {where}."
            )
        definition = role.arm(subscription_of(group))
        reach = self.planner.risk(planned, scope).describe()
        summary += f" At this scope it {reach}; it grants nothing beyond the need."
        fix = Remediation(
            kind=RemediationKind.ROLE_ASSIGNMENT,
            summary=summary,
            principal_id=principal.id,
            principal_type=principal.type,
            role_definition_id=role.guid,
            role_name=role.name,
            scope=scope,
            value=definition,
            # the default's id only now: most shortfalls get no custom role, and the report
            # works out the id of the fixes it lists itself
            alternative_to=default.fix_id if default is not None else None,
        )
        return self._proven(requirement, [fix], (proven,), canonical)[0]

    def _custom_role(
        self, missing: tuple[Operation, ...], group_id: str, group: str
    ) -> tuple[CustomRole, RoleDefinition, RoleDefinition, str]:
        """The custom role granting exactly `missing` in a resource group, with its definition
        as the planner ranks it and as a proof adds it to the copy of the snapshot, and that
        definition's canonical JSON (_value_key): made once per need and group (a need shared
        by a hundred projects' identities is one role)."""
        key = (missing, group_id, group)
        found = self._custom_roles.get(key)
        if found is None:
            role = CustomRole.for_need(((op.name, op.data) for op in missing), group_id)
            definition = role.arm(subscription_of(group))
            found = self._custom_roles[key] = (
                role,
                RoleDefinition.from_arm(definition, "plan"),
                RoleDefinition.from_arm(definition, "snapshot"),
                _canonical(definition),
            )
        return found

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
        return self._proven(requirement, [fix], defaults=True), ""

    def _proven(
        self,
        requirement: Requirement,
        fixes: list[Remediation],
        roles: tuple[RoleDefinition, ...] | None = None,
        canonical: str | None = None,
        *,
        defaults: bool = False,
    ) -> list[Remediation]:
        """The fixes, proven together (`roles`: the custom role definitions they create, when
        the caller has them parsed already; `canonical`: the canonical JSON of the one fix's
        value, when the caller has it) and written in every language. `defaults`: they are a
        finding's default fixes, left to the whole-plan check unless prove_defaults (each
        names the principal, role and scope it needs to apply them: commands_for refuses a
        role fix that does not)."""
        if defaults and not self.prove_defaults:
            return [
                self._with_commands(f, canonical, verified=False, verification=DEFERRED)
                for f in fixes
            ]
        key = (
            requirement.principal.id,
            requirement.target_scope.lower(),
            requirement.operations,
            tuple(f.dedupe_key for f in fixes),
        )
        verified = self._proofs.get(key)
        if verified is None:
            verified = self._proofs[key] = prove_requirement(
                requirement, fixes, self.evaluator, roles
            )
        verification = (
            "verified: applied to a copy of the snapshot, the requirement is met"
            if verified
            else "not verified: with this change applied to a copy of the snapshot the requirement "
            "is still not met"
        )
        return [
            self._with_commands(f, canonical, verified=verified, verification=verification)
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
            elif fix.kind == RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT:
                verified = prove_cosmos(self.model, fix, still_failing)
                fix = dataclasses.replace(
                    fix,
                    verified=verified,
                    verification=(
                        "verified: with this SQL role assignment added to a copy of the "
                        "snapshot, Cosmos DB grants the data actions and "
                        f"{info.id} no longer reports it"
                    )
                    if verified
                    else "not verified: with this SQL role assignment added to a copy of the "
                    "snapshot, the data actions are still not all granted or the finding remains",
                )
            elif (
                fix.kind in (RemediationKind.ROLE_ASSIGNMENT, RemediationKind.ACTIVATE_ELIGIBLE)
                and not fix.verification
            ):
                fix = dataclasses.replace(fix, verification="not verified")
            fixes.append(self._with_commands(fix))
        return fixes

    # -- commands ------------------------------------------------------------------------------
    def _with_commands(
        self, fix: Remediation, canonical: str | None = None, **changes: object
    ) -> Remediation:
        """The fix with its commands (and these other `changes`, made in the same copy);
        rendered once per distinct fix. `canonical`: _canonical(fix.value), when the caller
        has it (a custom role's definition, the same for every fix that assigns it)."""
        value = fix.value
        key = (
            fix.kind,
            fix.summary,
            fix.principal_id,
            fix.principal_type,
            fix.role_definition_id,
            fix.role_name,
            fix.scope,
            fix.resource,
            fix.setting,
            # any other value (a custom role, a setting's object, true) by its canonical JSON,
            # tagged so that the string "true" is not taken for true
            value
            if value is None or type(value) is str
            else ("json", _canonical(value) if canonical is None else canonical),
        )
        commands = self._commands.get(key)
        if commands is None:
            commands = self._commands[key] = commands_for(fix)
        return fix.changed(commands=commands, **changes)


def _canonical(value: object) -> str:
    """A fix's value as the commands memo tells values apart."""
    return json.dumps(value, sort_keys=True, default=str)
