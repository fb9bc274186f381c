"""When a round of the whole-plan check may ask the checks about people about fewer principals,
and when it must run them in full (diagnose.remediation.affected): each case is driven round
by round and compared with a full run of the same check on the same patched copy."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.synthetic import build_foundry, small_hub
from diagnose.checks._common import (
    AZURE_AI_DEVELOPER,
    READER,
    SEARCH_SERVICE_CONTRIBUTOR,
    WORKSPACE_READ,
)
from diagnose.demo import load_demo
from diagnose.engine.api import (
    Cause,
    CheckInfo,
    Draft,
    Need,
    Operation,
    Remediation,
    RemediationKind,
    Requirement,
    Severity,
    Status,
)
from diagnose.engine.context import CheckContext, Reads
from diagnose.engine.personas import Persona, Personas
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, RunResult
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation import affected
from diagnose.remediation.affected import Outputs, relevant, touched
from diagnose.remediation.whole_plan import _affected, apply
from diagnose.snapshot import parse_snapshot

CHECKS = {c.id: c for c in load_checks()[0]}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"
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
    """Checks' rounds driven by hand: each applies every step so far, asks the checks about the
    affected principals only (as converge does), and runs the same checks in full on the same
    copy to compare with."""

    def __init__(self, model: Model, *checks: CheckInfo) -> None:
        self.model, self.checks = model, checks
        self.outputs = Outputs()
        self.steps: list[Remediation] = []
        engine = Engine(model)
        self.first = engine.run(self.outputs.wrap(checks, engine.context))
        self.outputs.observe(self.first)

    def round(self, *new: Remediation) -> tuple[RunResult, RunResult, frozenset[str] | None]:
        self.steps += new
        patched = apply(self.model, self.steps)
        engine = Engine(patched)
        whom, touching = _affected(self.model, engine, list(new), self.outputs)
        incremental = engine.run(self.outputs.wrap(self.checks, engine.context, whom, touching))
        self.outputs.observe(incremental)
        return incremental, Engine(patched).run(self.checks), whom


def _search_service(model: Model) -> str:
    return next(r.id for r in model.resources.values() if r.type.lower().endswith("searchservices"))


def _key_path(result: RunResult) -> list[str]:
    return [f.message for f in result.findings if f.details.get("keyPath")]


def test_the_key_path_warning_is_said_of_every_builder_in_a_filtered_round() -> None:
    """CON002's key path warning names every builder who cannot list the Search keys: once
    they all can, it goes. The filtered round asks about them alone, and works the warning
    out from every user (SAID_OF_ALL), as the full run does."""
    model = Model(load_demo())
    rounds = _Rounds(model, CHECKS["CON002"])
    assert _key_path(rounds.first)  # not vacuous: the demo has the warning
    search = _search_service(model)
    stated = [  # CON002 states its users' needs in bulk (Need), each user's part the same
        user
        for o in rounds.outputs.by_check["CON002"].outputs
        if isinstance(o, Need) and o.resource.id == search
        for user in o.users
    ]
    builders = {u.principal.id for u in stated if u.persona is Persona.BUILDER}
    assert len(builders) == 3
    first, *others = sorted(builders)
    # one of them can list the keys: the warning names the two others, whom no step touched
    incremental, full, whom = rounds.round(_role(first, SEARCH_SERVICE_CONTRIBUTOR, search))
    assert whom and rounds.outputs.filtered == ["CON002"]  # asked about fewer
    assert ["2 builder(s)" in m for m in _key_path(full)] == [True]
    assert incremental.findings == full.findings
    incremental, full, whom = rounds.round(
        *[_role(p, SEARCH_SERVICE_CONTRIBUTOR, search) for p in others]
    )
    assert not _key_path(full)
    assert incremental.findings == full.findings
    # and a newcomer who builds and cannot list the keys brings it back
    hub = str(model.snapshot.target["hub"])
    incremental, full, whom = rounds.round(_role(NEWCOMER, AZURE_AI_DEVELOPER, hub))
    assert whom == {NEWCOMER}
    assert [NEWCOMER in m for m in _key_path(full)] == [True]
    assert incremental.findings == full.findings
    assert not rounds.outputs.full_runs


def _counting(minimum: int, maximum: int) -> CheckInfo:
    """A check about each person of project 'proj-docs' that also says, about no principal,
    how many builders it has when they are between `minimum` and `maximum`: a count only a
    run about everyone can tell."""

    def run(ctx: CheckContext) -> Iterator[Requirement | Draft]:
        project = next(p for p in ctx.projects(ctx.hubs[0]) if p.name == "proj-docs")
        builders = 0
        for user in ctx.people(project):
            builders += user.persona is Persona.BUILDER
            yield Requirement(
                principal=user.principal,
                resource=project,
                operations=(WORKSPACE_READ,),
                because="works here",
                roles=(READER,),
                persona=user,
            )
        if minimum <= builders <= maximum:
            yield Draft(
                status=Status.WARN,
                resource=project.id,
                cause=Cause.MISSING_ROLE,
                message=f"{builders} builders",
            )

    return CheckInfo("TST001", "Counts builders", Severity.LOW, "test", (), {}, run)


def _said_of_nobody(result: RunResult) -> list[str]:
    return [f.message for f in result.findings if not f.affected_principals]


def _project(model: Model, name: str) -> str:
    return next(r.id for r in model.resources.values() if r.name == name)


def test_a_check_that_said_something_about_no_principal_runs_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The round before counted two builders; a step makes a newcomer a third, whom alone the
    filtered run sees (and counts one: nothing said): only a full run tells three."""
    monkeypatch.setattr(affected, "PER_PERSON", affected.PER_PERSON | {"TST001"})
    model = Model(load_demo())
    rounds = _Rounds(model, _counting(2, 99))
    assert _said_of_nobody(rounds.first) == ["2 builders"]
    step = _role(NEWCOMER, AZURE_AI_DEVELOPER, _project(model, "proj-docs"))
    incremental, full, whom = rounds.round(step)
    assert whom == {NEWCOMER}
    assert _said_of_nobody(full) == ["3 builders"]
    assert incremental.findings == full.findings
    assert rounds.outputs.full_runs == ["TST001"]


def test_a_check_that_says_something_about_no_principal_when_filtered_runs_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The round before said nothing about no principal (two builders); the filtered run sees
    the newcomer alone and says "1 builders", which a full run (three) does not say."""
    monkeypatch.setattr(affected, "PER_PERSON", affected.PER_PERSON | {"TST001"})
    model = Model(load_demo())
    rounds = _Rounds(model, _counting(1, 1))
    assert not _said_of_nobody(rounds.first)
    step = _role(NEWCOMER, AZURE_AI_DEVELOPER, _project(model, "proj-docs"))
    incremental, full, whom = rounds.round(step)
    assert whom == {NEWCOMER}
    assert not _said_of_nobody(full)
    assert incremental.findings == full.findings
    assert rounds.outputs.full_runs == ["TST001"]


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


def _snapshots() -> list[tuple[str, Model]]:
    found = [("demo", Model(load_demo()))]
    # the demo where the administrator has since been deleted: no longer one of its people
    data = copy.deepcopy(load_demo().data)
    for entry in data["principals"]:
        if entry["displayName"] == "Ana Lopez":
            entry.update(deleted=True, deletedEvidence="graph-404")
    found.append(("demo, a holder deleted", Model(parse_snapshot(data, "deleted"))))
    for path in sorted(FIXTURES.glob("*/*.json")):
        found.append((path.stem, Model(parse_snapshot(json.loads(path.read_bytes()), str(path)))))
    data = small_hub(seed=3)
    found.append(("synthetic", Model(parse_snapshot(data, "synthetic"))))
    foundry = build_foundry(projects=4, principals=120, assignments=200, resources=20, targets=3)
    found.append(("foundry", Model(parse_snapshot(foundry, "foundry"))))
    return found


def test_the_people_among_some_are_those_of_everyone_less_the_others() -> None:
    """Personas.people_among classifies only the principals asked about: the same people, in
    the same order, with the same personas, as people() filtered."""
    rng = random.Random(13)
    compared = 0
    for name, model in _snapshots():
        ctx = CheckContext(model)
        workspaces = [w for _, w in [*ctx.workspaces(), *ctx.foundry_workspaces()]]
        principals = sorted(
            {p.lower() for p in model.authorization.directory.principals}
            | set(model.authorization.assignments_by_principal)
        )
        for workspace in workspaces:
            among = frozenset(rng.sample(principals, k=(len(principals) + 2) // 3))
            fresh = Personas(model, Evaluator(model.authorization))
            some = fresh.people_among(workspace, among)
            everyone = Personas(model, Evaluator(model.authorization)).people(workspace)
            assert some == [c for c in everyone if c.principal.id in among], (name, workspace.id)
            compared += bool(some)
    assert compared > 10  # not vacuous: people were found among those asked about


def _ins002_fail() -> Model:
    path = FIXTURES / "INS002" / "fail.json"
    return Model(parse_snapshot(json.loads(path.read_bytes()), str(path)))


def _builder_role(model: Model) -> Remediation:
    """The removal of the role that makes Ana Alvarez a builder (a persona that goes down)."""
    ana = next(
        p.id
        for p in model.authorization.directory.principals.values()
        if p.display_name == "Ana Alvarez"
    )
    assignment = next(a for a in model.authorization.assignments if a.principal_id == ana)
    return Remediation(
        kind=RemediationKind.REMOVE_ASSIGNMENT, summary="remove", resource=assignment.id
    )


def test_the_users_of_a_connection_are_the_round_befores_less_those_whose_persona_changed() -> None:
    """INS002 asks every builder using a tracing connection: with the people of its places
    recorded (HUB001, HUB003), a round starts from the round before's list of users, less the
    principal whose role a step removes."""
    model = _ins002_fail()
    rounds = _Rounds(model, CHECKS["HUB001"], CHECKS["HUB003"], CHECKS["INS002"])
    assert any(f.check_id == "INS002" for f in rounds.first.findings)  # Ana is asked
    incremental, full, whom = rounds.round(_builder_role(model))
    assert whom  # a filtered round: the list of users came from the round before's
    assert not any(f.check_id == "INS002" and f.principal for f in full.findings)
    assert incremental.findings == full.findings


def test_the_users_of_places_no_check_about_people_looked_at_are_found_again() -> None:
    """With no check about people recording the connection's places, nothing says whose
    persona there may have changed: the users are found again, not taken from before."""
    model = _ins002_fail()
    rounds = _Rounds(model, CHECKS["INS002"])
    incremental, full, whom = rounds.round(_builder_role(model))
    assert whom == frozenset()  # nothing recorded, nothing relevant
    assert incremental.findings == full.findings


def _grouping(sizes: range) -> CheckInfo:
    """A check that says, in one output of a kind affected does not know (a requirement
    standing for many principals, say), who the people of project 'proj-docs' are, when they
    are so many."""

    def run(ctx: CheckContext) -> Iterator[object]:
        project = next(p for p in ctx.projects(ctx.hubs[0]) if p.name == "proj-docs")
        people = tuple(sorted(u.principal.id for u in ctx.people(project)))
        if len(people) in sizes:
            yield people

    return CheckInfo("TST002", "Groups people", Severity.LOW, "test", (), {}, run)


@pytest.mark.parametrize("sizes", [range(4, 5), range(1, 2)], ids=["before", "filtered"])
def test_an_output_of_a_kind_it_does_not_know_makes_a_check_run_in_full(
    monkeypatch: pytest.MonkeyPatch, sizes: range
) -> None:
    """Such an output cannot be split by principal: its check runs in full, whether the round
    before (four people) or the filtered run (the newcomer alone) says it, even for a check
    whose outputs about no principal are trusted (SAID_OF_ALL)."""
    monkeypatch.setattr(affected, "PER_PERSON", affected.PER_PERSON | {"TST002"})
    monkeypatch.setattr(affected, "SAID_OF_ALL", affected.SAID_OF_ALL | {"TST002"})
    check = _grouping(sizes)
    model = Model(load_demo())
    outputs = Outputs()
    first = CheckContext(model)
    (wrapped,) = outputs.wrap([check], first)
    said = [len(o) for o in wrapped.run(first)]
    patched = apply(model, [_role(NEWCOMER, AZURE_AI_DEVELOPER, _project(model, "proj-docs"))])
    then = CheckContext(patched)
    (wrapped,) = outputs.wrap([check], then, frozenset({NEWCOMER}))
    said += [len(o) for o in wrapped.run(then)]
    assert said == [n for n in (4, 5) if n in sizes]  # everyone, never the newcomer alone
    assert outputs.full_runs == ["TST002"]


def test_a_check_that_failed_in_the_round_before_has_all_its_outputs_evaluated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A check that raised in the round before said nothing about anyone there: that is no
    sign that what it asks of them is met, so none of it is left out of the next round."""
    monkeypatch.setattr(affected, "PER_PERSON", affected.PER_PERSON | {"TST003"})
    never = Operation.action("Microsoft.Test/never/action")

    def run(ctx: CheckContext) -> Iterator[Requirement]:
        if NEWCOMER not in ctx.model.authorization.assignments_by_principal:
            raise RuntimeError("broken before the step")
        project = next(p for p in ctx.projects(ctx.hubs[0]) if p.name == "proj-docs")
        for user in ctx.people(project):
            yield Requirement(
                principal=user.principal,
                resource=project,
                operations=(never,),
                because="works here",
                roles=(READER,),
            )

    check = CheckInfo("TST003", "Asks the impossible", Severity.LOW, "test", (), {}, run)
    model = Model(load_demo())
    rounds = _Rounds(model, check)
    assert rounds.first.check_errors and not rounds.first.findings
    step = _role(NEWCOMER, AZURE_AI_DEVELOPER, _project(model, "proj-docs"))
    incremental, full, _ = rounds.round(step)
    assert (
        len({u for f in full.findings for u in f.affected_principals}) > 1
    )  # not the newcomer alone
    assert incremental.findings == full.findings


def test_holding_records_what_it_tested_as_holds_does() -> None:
    """A check asking in bulk (CheckContext.holding, answered from who plainly holds the
    operation) reads what holds() reads: a new assignment granting that operation there must
    make the whole-plan check ask its people again, so the read is recorded either way."""
    model = Model(load_demo())
    hub = str(model.snapshot.target["hub"])
    ctx = CheckContext(model)
    ctx.reads = Reads()
    people = [u.principal.id for u in ctx.people(model.resource(hub))]  # type: ignore[arg-type]
    assert people  # not vacuous
    ctx.reads = Reads()
    ctx.holding(people, hub, WORKSPACE_READ)
    assert ctx.reads.holds == {(hub, WORKSPACE_READ)}
