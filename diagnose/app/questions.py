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
    from diagnose.rbac import Evaluator

OPERATION = re.compile(r"[A-Za-z0-9.\-]+(/[A-Za-z0-9_.\-:]+)+")
"""A provider operation as Azure writes it: a namespace, then segments that may hold a ':'
(`.../documentmodels:analyze/action`), never a wildcard or white space."""
FLAG = {False: "--action", True: "--data-action"}


@dataclass(frozen=True)
class AccessQuestion:
    """Does this principal hold this operation at this scope?"""

    principal: str
    """An object id, or a display name or user principal name the snapshot knows."""
    scope: str
    operation: str
    data_action: bool
    """A data-plane operation (--data-action), else a control-plane one (--action)."""
    note: str | None = None
    """What the operation catalogs say that the reader should know: the provider is not in
    them, or --force-plane overrode them."""
    catalog_plane: bool | None = None
    """With --force-plane against the catalogs: the plane they list the operation in (True:
    data), which the answer also reports."""


def access_question(
    principal: str,
    scope: str,
    operation: str,
    *,
    data_action: bool,
    force_plane: bool = False,
) -> AccessQuestion:
    """The question, checked: an operation name without wildcards, in the plane the provider
    catalogs list it in, at an ARM scope. BadInput (naming the option) otherwise; the
    principal is resolved against the snapshot later. With force_plane, an operation the
    catalogs list in the other plane, or do not list, is evaluated as given, with a note."""
    from diagnose.arm.scopes import scope_problem

    operation = operation.strip()
    flag = FLAG[data_action]
    if not OPERATION.fullmatch(operation):
        raise BadInput(
            f"{flag} {operation!r} is not an operation name",
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
    note, catalog_plane = _catalog_check(operation, data_action, force_plane)
    return AccessQuestion(principal, scope.strip(), operation, data_action, note, catalog_plane)


def _catalog_check(
    operation: str, data_action: bool, force_plane: bool
) -> tuple[str | None, bool | None]:
    """(a note, the catalogs' plane when --force-plane overrides it), or BadInput."""
    from diagnose.catalog.lookup import (
        find_operation,
        provider_is_catalogued,
        provider_of,
        similar_operations,
    )

    flag, plane = FLAG[data_action], _plane_words(data_action)
    entry = find_operation(operation)
    if entry is not None and entry.in_plane(data_action):
        return None, None
    provider = provider_of(operation)
    if entry is not None:
        listed = _plane_words(not data_action)
        if force_plane:
            return (
                f"the provider operation catalogs list {entry.name} as {listed}; evaluated as "
                f"{plane} because of --force-plane",
                not data_action,
            )
        why = (
            "Actions never grant a data action, so Owner's '*' does not"
            if entry.data
            else "DataActions never grant a control-plane action"
        )
        raise BadInput(
            f"{flag} {operation!r} is {listed} in the {provider} operation catalog ({why}): "
            f"ask with {FLAG[not data_action]}",
            fix=f"{FLAG[not data_action]} {entry.name}, or add --force-plane to evaluate it "
            f"as {plane} anyway (catalogs can lag behind Azure)",
        )
    if not provider_is_catalogued(operation):
        return (
            f"{provider} is not in the tool's operation catalogs, so {operation} is evaluated "
            f"as {plane} as given, unchecked",
            None,
        )
    if force_plane:
        return (
            f"{operation} is not in the {provider} operation catalog; evaluated as {plane} as "
            "given because of --force-plane",
            None,
        )
    near = similar_operations(operation)
    guesses = ", ".join(f"{FLAG[e.data and not e.control]} {e.name}" for e in near)
    raise BadInput(
        f"{flag} {operation!r} is not in the {provider} operation catalog"
        + (f"; did you mean {guesses}?" if near else " and no catalogued name is close"),
        fix="check the spelling (`az provider operation show --namespace "
        f"{provider}` lists them), or add --force-plane to evaluate it as given (catalogs can "
        "lag behind Azure)",
    )


def _plane_words(data_action: bool) -> str:
    return "a data action" if data_action else "a control-plane action"


@dataclass(frozen=True, eq=False)
class AccessAnswer:
    question: AccessQuestion
    decision: Decision
    """The evaluator's decision; its warnings start with plane_warning when there is one."""
    plane_warning: str | None
    """What the operation catalogs say about the question (AccessQuestion.note), with the
    answer in the catalogs' plane when --force-plane overrode them."""
    model: Model

    def name_of(self, principal_id: str) -> str | None:
        """A principal's display name in the snapshot (None when it has none)."""
        entry = self.model.authorization.directory.get(principal_id)
        return entry.display_name if entry else None


def access(snapshot: Snapshot, question: AccessQuestion) -> AccessAnswer:
    """Evaluate the question exactly as Azure does, with the evidence. BadInput when the
    principal is neither an object id nor exactly one name in the snapshot."""
    return access_in(Model.from_snapshot(snapshot), question)


def access_in(
    model: Model,
    question: AccessQuestion,
    *,
    principal_id: str | None = None,
    evaluator: Evaluator | None = None,
) -> AccessAnswer:
    """The same on a model already built, or on a part of the snapshot that holds the
    principal and its groups (diagnose.app.access_index: principal_id is then the principal
    resolved on the whole snapshot), with the model's evaluator when one is kept."""
    if not principal_id:
        from diagnose.model.lookup import resolve_principal

        principal_id = resolve_principal(model, question.principal)
    principal = principal_id
    if evaluator is None:
        from diagnose.rbac import Evaluator

        evaluator = Evaluator(model.authorization)
    decision = evaluator.check(
        principal, question.scope, question.operation, data_action=question.data_action
    )
    hint = question.note
    if hint and question.catalog_plane is not None:
        other = evaluator.check(
            principal,
            question.scope,
            question.operation,
            data_action=question.catalog_plane,
            explain=False,
        )
        hint += (
            f" (as {_plane_words(question.catalog_plane)}, as the catalogs list it, the "
            f"answer is {other.decision.value.upper()})"
        )
    if hint:
        decision = dataclasses.replace(decision, warnings=(hint, *decision.warnings))
    return AccessAnswer(question, decision, hint, model)


def explain(text: str, snapshot: Snapshot | None = None) -> Explanation:
    """Recognise an error message and, with a snapshot, answer it: the decision on the
    access it names, the proven fix, and the findings of the checks about that cause."""
    from diagnose.explain.explain import explain_error

    return explain_error(text, snapshot)
