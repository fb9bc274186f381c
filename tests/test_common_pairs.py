"""service_pairs (checks/_common.py): the (workspace, caller, callee) triples of services that
call each other because a workspace connects both, as the OYD, IDN and NET checks read them."""

from __future__ import annotations

from typing import Any

from diagnose.checks._common import service_pairs
from diagnose.engine.context import CheckContext
from diagnose.model.model import Model
from tests import arm

HUB = f"{arm.RG}/providers/Microsoft.MachineLearningServices/workspaces/hub"
PROJECT = f"{arm.RG}/providers/Microsoft.MachineLearningServices/workspaces/project"


def account(name: str) -> dict[str, Any]:
    return arm.resource(
        f"{arm.RG}/providers/Microsoft.CognitiveServices/accounts/{name}",
        "Microsoft.CognitiveServices/accounts",
        kind="OpenAI",
    )


def search(name: str) -> dict[str, Any]:
    return arm.resource(
        f"{arm.RG}/providers/Microsoft.Search/searchServices/{name}",
        "Microsoft.Search/searchServices",
    )


def connection(parent: str, target: dict[str, Any], category: str, shared: bool) -> dict[str, Any]:
    name = f"conn-{target['name']}"
    return {
        "id": f"{parent}/connections/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/connections",
        "properties": {
            "category": category,
            "authType": "AAD",
            "target": f"https://{target['name']}.example",
            "isSharedToAll": shared,
            "metadata": {"ApiType": "Azure", "ResourceId": target["id"]},
        },
    }


def test_a_projects_pairs_are_those_with_one_of_its_own_services_the_hubs_shared_at_the_hub():
    shared_ai, shared_search = account("shared-ai"), search("shared-search")
    own_ai, own_search = account("own-ai"), search("own-search")
    resources = [
        *hub_and_project(),
        shared_ai,
        shared_search,
        own_ai,
        own_search,
        connection(HUB, shared_ai, "AzureOpenAI", shared=True),
        connection(HUB, shared_search, "CognitiveSearch", shared=True),
        connection(PROJECT, own_ai, "AzureOpenAI", shared=False),
        connection(PROJECT, own_search, "CognitiveSearch", shared=False),
    ]
    ctx = CheckContext(Model(arm.load(resources=resources)))
    found = [(w.name, a.name, b.name) for w, a, b in service_pairs(ctx, "ai", "search")]
    assert found == [
        ("hub", "shared-ai", "shared-search"),
        # the project's own account calls both services; the shared one only its own
        ("project", "own-ai", "own-search"),
        ("project", "own-ai", "shared-search"),
        ("project", "shared-ai", "own-search"),
    ]


def hub_and_project() -> list[dict]:
    """The hub and its project, as ARM returns them (their connections are the test's)."""
    return [
        arm.resource(HUB, "Microsoft.MachineLearningServices/workspaces", kind="Hub"),
        arm.resource(
            PROJECT,
            "Microsoft.MachineLearningServices/workspaces",
            kind="Project",
            properties={"hubResourceId": HUB},
        ),
    ]


def hub_with_project() -> Model:
    shared_ai, own_search = account("shared-ai"), search("own-search")
    resources = [
        *hub_and_project(),
        shared_ai,
        own_search,
        connection(HUB, shared_ai, "AzureOpenAI", shared=True),
        connection(PROJECT, own_search, "CognitiveSearch", shared=False),
    ]
    return Model(arm.load(resources=resources))
