"""When a round of the whole-plan check may ask the checks about people about fewer principals,
and when it must run them in full (diagnose.remediation.affected): each case is driven round
by round and compared with a full run of the same check on the same patched copy."""

from __future__ import annotations

from diagnose.checks._common import AZURE_AI_DEVELOPER, READER, SEARCH_SERVICE_CONTRIBUTOR
from diagnose.demo import load_demo
from diagnose.engine.api import CheckInfo, Operation, Remediation, RemediationKind, Requirement
from diagnose.engine.context import CheckContext, Reads
from diagnose.engine.personas import Persona
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, RunResult
from diagnose.model.model import Model
from diagnose.remediation.affected import Outputs, relevant, touched
from diagnose.remediation.whole_plan import _affected, apply

CHECKS = {c.id: c for c in load_checks()[0]}
ROLES = "/providers/Microsoft.Authorization/roleDefinitions/"
NEWCOMER = "00000000-0000-4000-8000-0000000000aa"


def _role(principal: str, role: str, scope: str, kind: str = "User") -> Remediation:
    return Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary=f"{role} for {principal}",
        principal_id=principal,
        principal_type=kind,
        role_definition_id=ROLES + role,
        scope=scope,
    )


class _Rounds:
    """One check's rounds driven by hand: each applies every step so far, asks the check about
    the affected principals only (as converge does), and the same check's full run on the same
    copy to compare with."""

    def __init__(self, model: Model, check: CheckInfo) -> None:
        self.model, self.check = model, check
        self.outputs = Outputs()
        self.steps: list[Remediation] = []
        engine = Engine(model)
        self.first = engine.run(self.outputs.wrap([check], engine.context))

    def round(self, *new: Remediation) -> tuple[RunResult, RunResult, frozenset[str] | None]:
        self.steps += new
        patched = apply(self.model, self.steps)
        engine = Engine(patched)
        whom = _affected(self.model, engine, list(new), self.outputs)
        incremental = engine.run(self.outputs.wrap([self.check], engine.context, whom))
        return incremental, Engine(patched).run([self.check]), whom


def _search_service(model: Model) -> str:
    return next(r.id for r in model.resources.values() if r.type.lower().endswith("searchservices"))


def _key_path(result: RunResult) -> list[str]:
    return [f.message for f in result.findings if f.details.get("keyPath")]


def test_a_warning_about_no_principal_makes_its_check_run_in_full() -> None:
    """CON002's key path warning names every builder who cannot list the Search keys: once
    they all can, it goes, which only a full run of the check can tell (a run for them alone
    would keep the round before's)."""
    model = Model(load_demo())
    rounds = _Rounds(model, CHECKS["CON002"])
    assert _key_path(rounds.first)  # not vacuous: the demo has the warning
    search = _search_service(model)
    builders = {
        o.principal.id
        for o in rounds.outputs.by_check["CON002"].outputs
        if isinstance(o, Requirement)
        and o.resource.id == search
        and o.persona is not None
        and o.persona.persona is Persona.BUILDER
    }
    steps = [_role(p, SEARCH_SERVICE_CONTRIBUTOR, search) for p in sorted(builders)]
    incremental, full, whom = rounds.round(*steps)
    assert whom  # a filtered round, as far as the steps go
    assert not _key_path(full)
    assert incremental.findings == full.findings
    assert rounds.outputs.full_runs == ["CON002"]


def test_a_warning_about_no_principal_in_the_filtered_run_makes_its_check_run_in_full() -> None:
    """The round before had no key path warning; a step makes a newcomer a builder who cannot
    list the keys: the filtered run says so about no principal, and the check runs in full."""
    model = Model(load_demo())
    rounds = _Rounds(model, CHECKS["CON002"])
    search = _search_service(model)
    everyone = {o.principal.id for o in rounds.outputs.by_check["CON002"].outputs if o.principal}
    rounds.round(*[_role(p, SEARCH_SERVICE_CONTRIBUTOR, search) for p in sorted(everyone)])
    assert not rounds.outputs.by_check["CON002"].anonymous
    hub = str(model.snapshot.target["hub"])
    incremental, full, whom = rounds.round(_role(NEWCOMER, AZURE_AI_DEVELOPER, hub))
    assert whom == {NEWCOMER}
    assert [NEWCOMER in m for m in _key_path(full)] == [True]
    assert incremental.findings == full.findings
    assert rounds.outputs.full_runs[-1] == "CON002"


def test_a_configuration_step_makes_the_round_a_full_one() -> None:
    """Switching a connection to Entra ID touches no principal's roles, yet gives its users
    requirements: the round asks everyone again."""
    model = Model(load_demo())
    ctx = CheckContext(model)
    key_connection = next(
        c
        for c in ctx.all_connections()
        if c.uses_key and c.category in ("azureopenai", "aiservices", "cognitivesearch")
    )
    rounds = _Rounds(
        model, CHECKS["CON001" if "search" not in key_connection.category else "CON002"]
    )
    switch = Remediation(
        kind=RemediationKind.CONFIGURATION,
        summary="use Entra ID",
        resource=key_connection.id,
        setting="properties.authType",
        value="AAD",
    )
    incremental, full, whom = rounds.round(switch)
    assert whom is None
    assert len(full.findings) > len(rounds.first.findings)  # not vacuous: users now asked
    assert incremental.findings == full.findings


def test_only_steps_at_a_workspace_or_above_or_granting_what_is_tested_are_relevant() -> None:
    model = Model(load_demo())
    hub = model.resource(str(model.snapshot.target["hub"]))
    assert hub is not None
    search = _search_service(model)
    storage = next(r.id for r in model.resources.values() if r.type.lower().endswith("accounts"))
    tested = Operation.action("Microsoft.Search/searchServices/listAdminKeys/action")
    reads = Reads(workspaces={hub.key}, holds={(search, tested)})
    group = hub.id.split("/providers/", 1)[0]  # the resource group: above the hub
    steps = [
        _role("p-at-hub", READER, hub.id),
        _role("p-above", READER, group),
        _role("p-beside", READER, storage),  # neither a workspace's nor a tested scope
        _role("p-grants", SEARCH_SERVICE_CONTRIBUTOR, search),  # grants listAdminKeys
        _role("p-reads", READER, search),  # reaches the tested scope, grants nothing tested
    ]
    changes = touched(model, steps)
    assert changes is not None
    patched = apply(model, steps)
    found = relevant(changes, reads, patched, Engine(patched).evaluator)
    assert found == {"p-at-hub", "p-above", "p-grants"}
