"""search_openai_scenario (checks/_services.py), which OYD003 asks once per (workspace, Azure
OpenAI resource): whether a workspace's connections speak of ingestion is found once per
workspace, and must stay that workspace's answer."""

from __future__ import annotations

from diagnose.checks._services import search_openai_scenario
from diagnose.engine.context import CheckContext
from diagnose.model.model import Model
from tests import arm
from tests.test_common_pairs import HUB, PROJECT, account, connection, hub_and_project, search


def test_each_workspace_has_its_own_ingestion_evidence() -> None:
    openai, service = account("openai"), search("search")
    ingest = connection(PROJECT, service, "CognitiveSearch", shared=False)
    ingest["name"] = "ingest-docs"
    resources = [
        *hub_and_project(),
        openai,
        service,
        connection(HUB, openai, "AzureOpenAI", shared=True),
        ingest,
    ]
    model = Model(arm.load(resources=resources))
    target = model.resource(openai["id"])
    hub, project = model.resource(HUB), model.resource(PROJECT)
    assert target is not None and hub is not None and project is not None
    for order in ([hub, project], [project, hub]):
        ctx = CheckContext(model)
        found = {w.name: search_openai_scenario(ctx, w, target)[0] for w in order}
        assert found == {"hub": "unknown", "project": "ingestion"}
        # asked again (OYD003 asks once per account): the same
        assert search_openai_scenario(ctx, project, target)[0] == "ingestion"
