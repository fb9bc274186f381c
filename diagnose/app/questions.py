"""One access question (`diagnose access`), and one error message explained (`diagnose
explain`), answered from a snapshot."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from diagnose.errors import BadInput
from diagnose.model.model import Model
from diagnose.rbac.decision import Decision
from diagnose.snapshot import Snapshot

if TYPE_CHECKING:  # the explain machinery (patterns, checks) loads only when explaining
    from diagnose.explain.explain import Explanation

OPERATION = re.compile(r"[A-Za-z0-9.\-]+(/[A-Za-z0-9_.\-]+)+")


@dataclass(frozen=True)
class AccessQuestion:
    """Does this principal hold this operation at this scope?"""

    principal: str
    """An object id, or a display name or user principal name the snapshot knows."""
    scope: str
    operation: str
    data_action: bool
    """A data-plane operation (--data-action), else a control-plane one (--action)."""


def access_question(
    principal: str, scope: str, operation: str, *, data_action: bool
) -> AccessQuestion:
    """The question, checked: an operation name without wildcards, an ARM scope. BadInput
    (naming the option) otherwise; the principal is resolved against the snapshot later."""
    from diagnose.arm.scopes import scope_problem

    operation = operation.strip()
    if not OPERATION.fullmatch(operation):
        raise BadInput(
            f"{'--data-action' if data_action else '--action'} {operation!r} is not an "
            "operation name",
            fix="give a provider operation such as "
            "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
            " (no wildcards: they belong in role definitions)",
        )
    problem = scope_problem(scope)
    if problem:
        raise BadInput(
            f"--scope {scope!r} is not an ARM scope: {problem}",
            fix="pass an ARM id such as /subscriptions/<id>/resourceGroups/<name>",
        )
    return AccessQuestion(principal, scope.strip(), operation, data_action)


@dataclass(frozen=True, eq=False)
class AccessAnswer:
    question: AccessQuestion
    decision: Decision
    """The evaluator's decision; its warnings start with plane_warning when there is one."""
    plane_warning: str | None
    """The operation catalogs put the operation in the other plane, or do not know it."""
    model: Model

    def name_of(self, principal_id: str) -> str | None:
        """A principal's display name in the snapshot (None when it has none)."""
        entry = self.model.authorization.directory.get(principal_id)
        return entry.display_name if entry else None


def access(snapshot: Snapshot, question: AccessQuestion) -> AccessAnswer:
    """Evaluate the question exactly as Azure does, with the evidence. BadInput when the
    principal is neither an object id nor exactly one name in the snapshot."""
    from diagnose.catalog import plane_warning
    from diagnose.model.lookup import resolve_principal
    from diagnose.rbac import Evaluator

    model = Model.from_snapshot(snapshot)
    principal = resolve_principal(model, question.principal)
    decision = Evaluator(model.authorization).check(
        principal, question.scope, question.operation, data_action=question.data_action
    )
    hint = plane_warning(question.operation, question.data_action)
    if hint:
        decision = dataclasses.replace(decision, warnings=(hint, *decision.warnings))
    return AccessAnswer(question, decision, hint, model)


def explain(text: str, snapshot: Snapshot | None = None) -> Explanation:
    """Recognise an error message and, with a snapshot, answer it: the decision on the
    access it names, the proven fix, and the findings of the checks about that cause."""
    from diagnose.explain.explain import explain_error

    return explain_error(text, snapshot)
