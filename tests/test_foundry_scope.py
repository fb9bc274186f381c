"""Which Foundry resources, projects and connections a diagnosis covers: the snapshot may target
a hub, a Foundry resource or a Foundry project, and may hold a hub and a Foundry resource side by
side."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from diagnose.app.sources import narrow_to_project
from diagnose.cli import main
from diagnose.engine.basis import Basis, GapKind
from diagnose.engine.context import CheckContext
from diagnose.errors import BadInput
from diagnose.model.model import Model
from diagnose.report.schema import schema as report_schema
from diagnose.snapshot import parse_snapshot
from tests import arm

P = f"{arm.RG}/providers"
HUB = f"{P}/Microsoft.MachineLearningServices/workspaces/hub-a"
HUB_PROJECT = f"{P}/Microsoft.MachineLearningServices/workspaces/proj-hub"
ACCOUNT = f"{P}/Microsoft.CognitiveServices/accounts/fdy-a"
AGENTS = f"{ACCOUNT}/projects/agents"
EVALS = f"{ACCOUNT}/projects/evals"
OTHER_ACCOUNT = f"{P}/Microsoft.CognitiveServices/accounts/aoai-plain"
ALICE = arm.guid("scope:alice")


def _connection(parent: str, name: str, *, shared: bool = False) -> dict[str, Any]:
    kind = "projects/connections" if "/projects/" in parent else "connections"
    return arm.resource(
        f"{parent}/connections/{name}",
        f"Microsoft.CognitiveServices/accounts/{kind}",
        properties={
            "category": "AzureOpenAI",
            "authType": "AAD",
            "target": "https://aoai-plain.openai.azure.com/",
            "isSharedToAll": shared,
            "metadata": {"ResourceId": OTHER_ACCOUNT},
        },
    )


def _snapshot(target: dict[str, Any], *, with_account: bool = True) -> Any:
    resources = [
        arm.subscription(),
        arm.resource(HUB, "Microsoft.MachineLearningServices/workspaces", kind="Hub"),
        arm.resource(
            HUB_PROJECT,
            "Microsoft.MachineLearningServices/workspaces",
            kind="Project",
            properties={"hubResourceId": HUB},
        ),
        arm.resource(OTHER_ACCOUNT, "Microsoft.CognitiveServices/accounts", kind="OpenAI"),
        arm.resource(AGENTS, "Microsoft.CognitiveServices/accounts/projects"),
        arm.resource(EVALS, "Microsoft.CognitiveServices/accounts/projects"),
        _connection(ACCOUNT, "aoai-shared", shared=True),
        _connection(ACCOUNT, "aoai-private"),
        _connection(AGENTS, "aoai-agents"),
    ]
    if with_account:
        resources.append(
            arm.resource(
                ACCOUNT,
                "Microsoft.CognitiveServices/accounts",
                kind="AIServices",
                properties={"allowProjectManagement": True},
            )
        )
    data = arm.build(
        resources=resources,
        roleDefinitions=[arm.builtin_role(arm.FOUNDRY_USER)],
        roleAssignments=[arm.role_assignment(AGENTS, ALICE, arm.FOUNDRY_USER)],
        principals=[arm.principal(ALICE, name="Alice")],
    )
    data["target"] = target
    return parse_snapshot(data, "<test>")


def _context(target: dict[str, Any], **kwargs: Any) -> CheckContext:
    return CheckContext(Model(_snapshot(target, **kwargs)))


def names(resources: list[Any]) -> list[str]:
    return [r.name for r in resources]


def test_a_foundry_resource_target_covers_its_projects_and_no_hub() -> None:
    ctx = _context({"hub": ACCOUNT, "project": None})
    assert ctx.hubs == []
    assert names(ctx.foundry_accounts) == ["fdy-a"]
    assert names(ctx.foundry_projects()) == ["agents", "evals"]
    assert Basis(ctx).target_missing is None
    assert sorted(c.name for c in ctx.all_connections()) == [
        "aoai-agents",
        "aoai-private",
        "aoai-shared",
    ]


def test_a_foundry_project_target_covers_that_project_and_its_account() -> None:
    ctx = _context({"hub": EVALS, "project": None})
    assert names(ctx.foundry_accounts) == ["fdy-a"]
    assert names(ctx.foundry_projects()) == ["evals"]
    assert [w.name for _, w in ctx.foundry_workspaces()] == ["fdy-a", "evals"]
    # The account's connections are in scope; the other project's are not.
    assert sorted(c.name for c in ctx.all_connections()) == ["aoai-private", "aoai-shared"]


def test_a_project_uses_its_own_and_the_accounts_shared_connections() -> None:
    ctx = _context({"hub": ACCOUNT, "project": None})
    agents = ctx.resource(AGENTS)
    assert agents is not None
    assert sorted(c.name for c in ctx.usable_connections(agents)) == [
        "aoai-agents",
        "aoai-shared",
    ]


def test_the_account_connections_users_are_the_people_of_the_projects_it_is_shared_with() -> None:
    ctx = _context({"hub": ACCOUNT, "project": "evals"})
    shared = next(c for c in ctx.all_connections() if c.name == "aoai-shared")
    # --project evals: the agents project (where Alice works) is out of scope.
    assert [u.principal.id for u in ctx.connection_users(shared)] == []
    ctx = _context({"hub": ACCOUNT, "project": None})
    shared = next(c for c in ctx.all_connections() if c.name == "aoai-shared")
    assert [u.principal.id for u in ctx.connection_users(shared)] == [ALICE]


def test_a_hub_target_keeps_a_foundry_resource_held_beside_it() -> None:
    ctx = _context({"hub": HUB, "project": None})
    assert names(ctx.hubs) == ["hub-a"]
    assert names(ctx.foundry_accounts) == ["fdy-a"]
    assert names(ctx.foundry_projects()) == ["agents", "evals"]


def test_a_project_name_narrows_hub_and_foundry_projects_alike() -> None:
    ctx = _context({"hub": ACCOUNT, "project": "Agents"})
    assert names(ctx.foundry_projects()) == ["agents"]
    ctx = _context({"hub": HUB, "project": "proj-hub"})
    assert names(ctx.foundry_projects()) == []
    assert names(ctx.projects(ctx.hubs[0])) == ["proj-hub"]


def test_a_target_whose_account_is_missing_is_a_target_gap() -> None:
    ctx = _context({"hub": AGENTS, "project": None}, with_account=False)
    assert ctx.foundry_accounts == []
    [gap] = [g for g in Basis(ctx).gaps if g.kind is GapKind.TARGET]
    assert "Foundry resource of the project" in gap.reason


def test_an_openai_account_as_target_has_no_projects_and_no_gap() -> None:
    ctx = _context({"hub": OTHER_ACCOUNT, "project": None})
    assert names(ctx.foundry_accounts) == ["aoai-plain"]
    assert ctx.foundry_projects() == []
    assert Basis(ctx).target_missing is None


def test_an_unknown_project_name_is_a_target_gap() -> None:
    ctx = _context({"hub": ACCOUNT, "project": "nope"})
    [gap] = [g for g in Basis(ctx).gaps if g.kind is GapKind.TARGET]
    assert "not a project of its hub or Foundry resource" in gap.reason


def test_narrowing_a_foundry_snapshot_to_a_project_by_name() -> None:
    narrowed = narrow_to_project(_snapshot({"hub": ACCOUNT, "project": None}), "evals")
    assert narrowed.target == {"hub": ACCOUNT, "project": "evals"}
    with pytest.raises(BadInput) as caught:
        narrow_to_project(_snapshot({"hub": ACCOUNT, "project": None}), "nope")
    assert "agents, evals" in str(caught.value.fix)


def _write(tmp_path: Any, target: dict[str, Any]) -> str:
    path = tmp_path / "foundry.json"
    path.write_text(json.dumps(_snapshot(target).data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("target", "kind", "words"),
    [
        (ACCOUNT, "foundryResource", "Foundry resource fdy-a"),
        (AGENTS, "foundryProject", "Foundry project agents"),
    ],
)
def test_a_foundry_target_is_named_as_such_in_every_report(
    capsys: Any, tmp_path: Any, target: str, kind: str, words: str
) -> None:
    path = _write(tmp_path, {"hub": target, "project": None})
    main(["--snapshot", path, "--json"])
    report = json.loads(capsys.readouterr().out)
    jsonschema.Draft7Validator(report_schema()).validate(report)
    assert report["target"]["targetKind"] == kind
    assert report["target"]["hub"] == target
    assert "unknownBecause" not in report["summary"]  # a Foundry target is no target gap
    main(["--snapshot", path, "--format", "text", "--no-tui"])
    assert words in capsys.readouterr().out.splitlines()[0]
    main(["--snapshot", path, "--format", "markdown"])
    assert f"- {words.rsplit(' ', 1)[0]}: `{target}`" in capsys.readouterr().out


def test_a_hub_report_keeps_its_shape(capsys: Any, tmp_path: Any) -> None:
    path = _write(tmp_path, {"hub": HUB, "project": None})
    main(["--snapshot", path, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert "targetKind" not in report["target"]
