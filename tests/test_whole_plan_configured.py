"""The checks of affected.CONFIGURED work out what they ask from the snapshot's resources alone
(the needs of services' identities): a whole-plan round on a copy with the same resources
takes what they yielded in the round before, and a copy whose resources a step changed runs
them again. Either way the findings are those of running them on the copy."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from diagnose.demo import load_demo
from diagnose.engine.api import CheckInfo, Remediation, RemediationKind
from diagnose.engine.context import CheckContext
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.affected import CONFIGURED, Outputs
from diagnose.remediation.whole_plan import apply

READER = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"


def _counted(calls: list[str]) -> list[CheckInfo]:
    """The CONFIGURED checks, each counting its runs."""

    def counting(info: CheckInfo) -> CheckInfo:
        def run(ctx: CheckContext) -> Iterator[Any]:
            calls.append(info.id)
            return iter(info.run(ctx))

        return dataclasses.replace(info, run=run)

    return [counting(c) for c in load_checks()[0] if c.id in CONFIGURED]


def _search_connection(model: Model) -> str:
    ctx = CheckContext(model)
    return next(c.id for c in ctx.all_connections() if c.category == "cognitivesearch")


def _round(model: Model, step: Remediation) -> tuple[list[str], Any, Any]:
    calls: list[str] = []
    checks = _counted(calls)
    outputs = Outputs()
    engine = Engine(model)
    first = engine.run(outputs.wrap(checks, engine.context))
    assert sorted(calls) == sorted(CONFIGURED)
    calls.clear()
    patched = apply(model, [step])
    engine = Engine(patched)
    found = engine.run(outputs.wrap(checks, engine.context))
    reference = Engine(patched).run([c for c in load_checks()[0] if c.id in CONFIGURED])
    assert found.findings == reference.findings
    assert found.requirements == reference.requirements
    return calls, first, found


def test_a_round_that_changes_roles_only_takes_what_they_yielded() -> None:
    model = Model(load_demo())
    step = Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary="Reader",
        principal_id=next(iter(model.authorization.directory.principals)),
        role_definition_id=READER,
        scope=model.hubs[0].id,
    )
    calls, first, _ = _round(model, step)
    assert calls == []  # none ran again
    assert first.requirements  # not vacuous: they ask something of the demo's services


def test_a_round_that_changes_a_resource_runs_them_again() -> None:
    """The hub's Search connection switched to a key: Azure OpenAI and Search no longer call
    each other with their identities, so what the checks ask changes."""
    model = Model(load_demo())
    step = Remediation(
        kind=RemediationKind.CONFIGURATION,
        summary="Use a key",
        resource=_search_connection(model),
        setting="properties.authType",
        value="ApiKey",
    )
    calls, first, found = _round(model, step)
    assert sorted(calls) == sorted(CONFIGURED)
    assert found.requirements != first.requirements
