"""Live collection of a Foundry resource and its projects through the real Azure SDK clients
(azure-mgmt-cognitiveservices, azure-mgmt-cosmosdb) on the collector's own pipeline,
replaying ARM shapes with `responses` (fixtures/arm/foundry-*, written by
fixtures/arm/generate.py with foundry_world.py)."""

from __future__ import annotations

import copy
import json

import pytest

from diagnose.errors import BadInput
from diagnose.testing.fixtures import exchange, fixtures_root, load_fixture_set
from diagnose.testing.harness import ARM_TOKEN, FOUNDRY_BASIC, collect_replayed

SUB_A = "00000000-1111-2222-3333-444444444444"
SUB_B = "55555555-6666-7777-8888-999999999999"
PROJ_AGENTS = f"{FOUNDRY_BASIC}/projects/proj-agents"
PROJ_EVAL = f"{FOUNDRY_BASIC}/projects/proj-eval"
RG_COSMOS = f"/subscriptions/{SUB_B}/resourceGroups/rg-agents-data"
COSMOS = f"{RG_COSMOS}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-fdy"
COGNITIVE = {"api-version": "2025-09-01"}
COSMOS_API = {"api-version": "2025-04-15"}


def expected_snapshot() -> dict:
    return json.loads((fixtures_root() / "foundry-basic" / "expected-snapshot.json").read_text())


def comparable(data: dict) -> dict:
    data = copy.deepcopy(data)
    data.pop("collectedAt", None)
    data["tool"].pop("version", None)
    return data


def by_scope(errors: list[dict]) -> dict[tuple[str, str], dict]:
    return {(e["scope"], e["operation"]): e for e in errors}


def ids(data: dict) -> set[str]:
    return {r["id"] for r in data["resources"]}


def failing(path: str, query: dict[str, str], status: int, code: str, message: str):
    return exchange(
        "GET", path, query, status=status, body={"error": {"code": code, "message": message}}
    )


@pytest.fixture(scope="module")
def basic():
    return collect_replayed(load_fixture_set("foundry-basic"), hub=FOUNDRY_BASIC)


def test_snapshot_equals_what_the_fixtures_describe(basic):
    collection, replay = basic
    assert replay.unmatched == []
    assert comparable(collection.snapshot.data) == expected_snapshot()
    assert collection.snapshot.data["target"] == {"hub": FOUNDRY_BASIC, "project": None}


def test_children_are_resources_as_arm_returns_them(basic):
    collection, _ = basic
    types = {r["type"] for r in collection.snapshot.data["resources"]}
    assert types >= {
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.CognitiveServices/accounts/projects",
        "Microsoft.CognitiveServices/accounts/connections",
        "Microsoft.CognitiveServices/accounts/projects/connections",
        "Microsoft.CognitiveServices/accounts/deployments",
        "Microsoft.CognitiveServices/accounts/capabilityHosts",
        "Microsoft.CognitiveServices/accounts/projects/capabilityHosts",
        "Microsoft.CognitiveServices/accounts/privateEndpointConnections",
        "Microsoft.DocumentDB/databaseAccounts",
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions",
    }
    account = next(r for r in collection.snapshot.data["resources"] if r["id"] == FOUNDRY_BASIC)
    # fields no SDK model of 14.1 declares survive: the JSON is Azure's, not a model's
    assert account["properties"]["internalId"] and account["etag"]


def test_reads_go_through_the_sdk_clients_on_our_pipeline(monkeypatch):
    from azure.mgmt.cognitiveservices import operations as cognitive
    from azure.mgmt.cosmosdb import operations as cosmos

    called: list[str] = []

    def spy(owner, name):
        original = getattr(owner, name)

        def wrapper(self, *args, **kwargs):
            called.append(f"{owner.__name__}.{name}")
            return original(self, *args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    for owner, name in (
        (cognitive.AccountsOperations, "get"),
        (cognitive.ProjectsOperations, "list"),
        (cognitive.DeploymentsOperations, "list"),
        (cognitive.AccountConnectionsOperations, "list"),
        (cognitive.ProjectConnectionsOperations, "list"),
        (cognitive.PrivateEndpointConnectionsOperations, "list"),
        (cosmos.DatabaseAccountsOperations, "get"),
        (cosmos.SqlResourcesOperations, "list_sql_role_assignments"),
        (cosmos.SqlResourcesOperations, "list_sql_role_definitions"),
    ):
        spy(owner, name)
    collection, replay = collect_replayed(load_fixture_set("foundry-basic"), hub=FOUNDRY_BASIC)
    assert replay.unmatched == []
    assert sorted(set(called)) == sorted(
        {
            "AccountsOperations.get",
            "ProjectsOperations.list",
            "DeploymentsOperations.list",
            "AccountConnectionsOperations.list",
            "ProjectConnectionsOperations.list",
            "PrivateEndpointConnectionsOperations.list",
            "DatabaseAccountsOperations.get",
            "SqlResourcesOperations.list_sql_role_assignments",
            "SqlResourcesOperations.list_sql_role_definitions",
        }
    )
    assert called.count("ProjectConnectionsOperations.list") == 2
    listed = [e for e in collection.requests if e["path"].endswith("/connections")]
    assert listed and all(e["query"]["includeAll"] == "false" for e in listed)
    assert called.count("AccountsOperations.get") == 2  # the target and aoai-fdy
    # every request went through our pipeline: logged, signed, our user agent
    assert len(collection.requests) == len(replay.calls)
    for call in replay.calls:
        assert call.request.headers["Authorization"] == f"Bearer {ARM_TOKEN}" or (
            "/v1.0/" in call.request.url
        )
        assert call.request.headers["User-Agent"].startswith("ai-hub-diagnose/")


def test_only_reads_are_sent(basic):
    _, replay = basic
    assert replay.methods <= {"GET", "POST"}
    posts = {c.request.path_url.split("?")[0] for c in replay.calls if c.request.method == "POST"}
    allowed = {
        "/providers/Microsoft.ResourceGraph/resources",
        "/v1.0/directoryObjects/getByIds",
        "/v1.0/$batch",
    }
    assert posts <= allowed, posts
    inside = {(c.request.method, c.request.path_url.split("?")[0]) for c in replay.sub_calls}
    assert inside and all(
        (m == "POST" and p.endswith("/getMemberGroups"))
        or (m == "GET" and p.startswith("/v1.0/directoryObjects/"))
        for m, p in inside
    ), inside
    assert not any("register" in c.request.url.lower() for c in replay.calls)


def test_credentials_in_connections_never_reach_the_snapshot(basic):
    collection, _ = basic
    text = json.dumps(collection.snapshot.data) + json.dumps(collection.requests)
    assert "Zm91bmRyeS1zZWFyY2gta2V5" not in text  # the search-vectors connection's key
    assert "ZXZhbC1ncmFkZXIta2V5" not in text  # the aoai-grader connection's key
    connections = [
        r for r in collection.snapshot.data["resources"] if r["type"].endswith("/connections")
    ]
    assert len(connections) == 5
    assert all("credentials" not in c["properties"] for c in connections)


def test_every_subscription_involved_has_its_authorization_read(basic):
    collection, replay = basic
    # At each resource group involved (in B only through the Cosmos DB account a connection
    # names), never at a subscription, whose other resource groups hold nothing that matters.
    for group in (f"/subscriptions/{SUB_A}/resourceGroups/rg-foundry", RG_COSMOS):
        for listing in ("roleAssignments", "denyAssignments", "roleEligibilityScheduleInstances"):
            assert any(
                f"{group}/providers/Microsoft.Authorization/{listing}" in c.request.url
                for c in replay.calls
            ), (group, listing)
    for sub in (SUB_A, SUB_B):
        assert not any(
            f"/subscriptions/{sub}/providers/Microsoft.Authorization/" in c.request.url
            and "/roleDefinitions/" not in c.request.url
            for c in replay.calls
        ), sub
    scopes = {a["properties"]["scope"] for a in collection.snapshot.data["roleAssignments"]}
    assert COSMOS in scopes and f"{PROJ_EVAL}/agents/grader" in scopes
    assert not any("vm-unrelated" in s or "rg-elsewhere" in s for s in scopes)
    principals = {p["id"] for p in collection.snapshot.data["principals"]}
    identities = [
        r["identity"]
        for r in collection.snapshot.data["resources"]
        if r["type"].endswith(("/accounts", "/projects")) and r.get("identity")
    ]
    system = {i["principalId"] for i in identities if i.get("principalId")}
    assigned = {
        v["principalId"]
        for i in identities
        for v in (i.get("userAssignedIdentities") or {}).values()
    }
    assert system and assigned and system | assigned <= principals


def test_projects_children_are_read_in_one_wave(basic):
    collection, _ = basic
    waves = {
        e["path"]: e["wave"]
        for e in collection.requests
        if e["path"].endswith(("/connections", "/capabilityHosts")) and "/projects/" in e["path"]
    }
    assert len(waves) == 4 and set(waves.values()) == {2}
    # Foundry resource -> projects -> project connections -> Cosmos DB (with its SQL RBAC,
    # and subscription B's listings) -> the role definitions B's listing names
    assert collection.waves == 5


def test_a_capability_host_list_azure_does_not_offer_is_unknown_not_none():
    fixtures = load_fixture_set("foundry-basic").replaced(
        failing(
            f"{PROJ_AGENTS}/capabilityHosts",
            COGNITIVE,
            405,
            "MethodNotAllowed",
            "The requested resource does not support http method 'GET'.",
        )
    )
    collection, replay = collect_replayed(fixtures, hub=FOUNDRY_BASIC)
    assert replay.unmatched == []
    data = collection.snapshot.data
    error = by_scope(data["errors"])[
        (PROJ_AGENTS, "Microsoft.CognitiveServices/accounts/projects/capabilityHosts/read")
    ]
    assert error["status"] == 405 and error["code"] == "MethodNotAllowed"
    assert "is unknown" in error["message"] and "does not support" in error["message"]
    expected = expected_snapshot()
    missing = f"{PROJ_AGENTS}/capabilityHosts/agents-host"
    assert ids(data) == ids(expected) - {missing}
    assert len(data["errors"]) == 1


def test_a_failed_sql_role_assignment_list_is_an_error_and_the_rest_is_collected():
    fixtures = load_fixture_set("foundry-basic").replaced(
        failing(
            f"{COSMOS}/sqlRoleAssignments",
            COSMOS_API,
            403,
            "AuthorizationFailed",
            "The client does not have authorization to perform action "
            "'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/read'.",
        )
    )
    collection, replay = collect_replayed(fixtures, hub=FOUNDRY_BASIC)
    assert replay.unmatched == []
    data = collection.snapshot.data
    error = by_scope(data["errors"])[
        (COSMOS, "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/read")
    ]
    assert error["status"] == 403 and error["code"] == "AuthorizationFailed"
    expected = expected_snapshot()
    assignments = {i for i in ids(expected) if "/sqlRoleAssignments/" in i}
    assert len(assignments) == 2 and ids(data) == ids(expected) - assignments
    assert any("/sqlRoleDefinitions/" in i for i in ids(data))


def test_a_failed_project_connection_list_is_an_error_and_the_rest_is_collected():
    fixtures = load_fixture_set("foundry-basic").replaced(
        failing(
            f"{PROJ_EVAL}/connections",
            {**COGNITIVE, "includeAll": "false"},
            500,
            "InternalServerError",
            "An internal server error occurred.",
        )
    )
    collection, replay = collect_replayed(fixtures, hub=FOUNDRY_BASIC, all_fired=False)
    assert replay.unmatched == []
    data = collection.snapshot.data
    error = by_scope(data["errors"])[
        (PROJ_EVAL, "Microsoft.CognitiveServices/accounts/projects/connections/read")
    ]
    assert error["status"] == 500
    expected = expected_snapshot()
    # lost: its connection and what only that connection leads to (found by name)
    gone = {f"{PROJ_EVAL}/connections/aoai-grader"} | {
        i for i in ids(expected) if i.endswith("/accounts/aoai-fdy")
    }
    assert ids(data) == ids(expected) - gone
    assert not any(
        "ResourceGraph" in c.request.url and "aoai-fdy" in str(c.request.body or "")
        for c in replay.calls
    )


def test_a_200_list_without_value_is_an_error_not_an_empty_list():
    fixtures = load_fixture_set("foundry-basic").replaced(
        exchange("GET", f"{FOUNDRY_BASIC}/deployments", COGNITIVE, body={"items": []})
    )
    collection, _ = collect_replayed(fixtures, hub=FOUNDRY_BASIC)
    error = by_scope(collection.snapshot.data["errors"])[
        (FOUNDRY_BASIC, "Microsoft.CognitiveServices/accounts/deployments/read")
    ]
    assert error["code"] == "InvalidList" and "unknown" in error["message"]


def test_sdk_paging_is_followed_to_the_end():
    fixtures = load_fixture_set("foundry-basic")
    projects = next(e for e in fixtures.exchanges if e.path == f"{FOUNDRY_BASIC}/projects")
    first, second = projects.body["value"]
    link = (
        f"https://management.azure.com{FOUNDRY_BASIC}/projects?api-version=2025-09-01&$skiptoken=p2"
    )
    fixtures = fixtures.replaced(
        exchange("GET", projects.path, COGNITIVE, body={"value": [first], "nextLink": link}),
        exchange("GET", projects.path, {**COGNITIVE, "$skiptoken": "p2"}, body={"value": [second]}),
    )
    collection, replay = collect_replayed(fixtures, hub=FOUNDRY_BASIC)
    assert replay.unmatched == []
    assert comparable(collection.snapshot.data) == expected_snapshot()


def test_project_narrows_a_foundry_resource():
    fixtures = load_fixture_set("foundry-basic")
    collection, replay = collect_replayed(
        fixtures, hub=FOUNDRY_BASIC, project="PROJ-EVAL", all_fired=False
    )
    assert replay.unmatched == []
    data = collection.snapshot.data
    assert data["target"] == {"hub": FOUNDRY_BASIC, "project": "PROJ-EVAL"}
    projects = {r["name"] for r in data["resources"] if r["type"].endswith("/projects")}
    assert projects == {"proj-eval"}
    assert not any("proj-agents" in c.request.url for c in replay.calls)
    assert not any("cosmos-fdy" in i for i in ids(data))  # only proj-agents' connections lead there


def test_an_unknown_project_of_a_foundry_resource_is_bad_input_listing_its_projects():
    with pytest.raises(BadInput) as raised:
        collect_replayed(
            load_fixture_set("foundry-basic"), hub=FOUNDRY_BASIC, project="proj-z", all_fired=False
        )
    assert "Foundry resource 'fdy-ai' has no project named 'proj-z'" in str(raised.value)
    assert raised.value.fix == "its projects: proj-agents, proj-eval"


def test_a_foundry_project_id_is_that_project_and_its_account():
    fixtures = load_fixture_set("foundry-lookup")
    collection, replay = collect_replayed(fixtures, hub=PROJ_AGENTS, all_fired=False)
    assert replay.unmatched == []
    data = collection.snapshot.data
    assert data["target"] == {"hub": PROJ_AGENTS, "project": "proj-agents"}
    projects = {r["id"] for r in data["resources"] if r["type"].endswith("/projects")}
    assert projects == {PROJ_AGENTS}
    assert not any(c.request.url.split("?")[0].endswith("/projects") for c in replay.calls)
    assert not any("proj-eval" in c.request.url for c in replay.calls)
    assert {FOUNDRY_BASIC, COSMOS, f"{FOUNDRY_BASIC}/capabilityHosts/fdy-ai-host"} <= ids(data)
    with pytest.raises(BadInput, match="names Foundry project 'proj-agents'"):
        collect_replayed(fixtures, hub=PROJ_AGENTS, project="proj-eval", all_fired=False)


def test_a_foundry_resource_name_is_found_with_resource_graph():
    collection, replay = collect_replayed(
        load_fixture_set("foundry-lookup"), hub="fdy-ai", all_fired=False
    )
    assert replay.unmatched == []
    assert comparable(collection.snapshot.data) == expected_snapshot()
    assert collection.waves == 6  # the lookup is one more wave


def test_a_foundry_project_name_is_found_with_resource_graph():
    collection, replay = collect_replayed(
        load_fixture_set("foundry-lookup"), hub="proj-agents", all_fired=False
    )
    assert replay.unmatched == []
    assert collection.snapshot.data["target"] == {"hub": PROJ_AGENTS, "project": "proj-agents"}


def test_an_ambiguous_foundry_name_lists_the_matches():
    with pytest.raises(BadInput) as raised:
        collect_replayed(load_fixture_set("foundry-lookup"), hub="fdy-twin", all_fired=False)
    message = str(raised.value)
    assert "2 Foundry resources are named 'fdy-twin'" in message
    assert "/resourceGroups/rg-twin/" in message and "/resourceGroups/rg-foundry/" in message


def test_an_azure_openai_resource_is_bad_input_that_says_it_has_no_projects():
    aoai = FOUNDRY_BASIC.replace("fdy-ai", "aoai-fdy")
    with pytest.raises(BadInput) as raised:
        collect_replayed(load_fixture_set("foundry-basic"), hub=aoai, all_fired=False)
    assert "Azure OpenAI resource of kind 'OpenAI'" in str(raised.value)
    assert "no projects" in str(raised.value)


def test_a_missing_foundry_resource_is_bad_input():
    fixtures = load_fixture_set("foundry-basic").replaced(
        failing(FOUNDRY_BASIC, COGNITIVE, 404, "ResourceNotFound", "not found")
    )
    with pytest.raises(BadInput, match="no such Foundry resource"):
        collect_replayed(fixtures, hub=FOUNDRY_BASIC, all_fired=False)


def test_a_name_with_subscription_and_group_falls_back_from_hub_to_foundry_resource():
    hub_id = FOUNDRY_BASIC.replace(
        "Microsoft.CognitiveServices/accounts", "Microsoft.MachineLearningServices/workspaces"
    )
    fixtures = load_fixture_set("foundry-basic").replaced(
        failing(hub_id, {"api-version": "2024-10-01"}, 404, "ResourceNotFound", "not found")
    )
    collection, replay = collect_replayed(
        fixtures, hub="fdy-ai", subscription=SUB_A, resource_group="rg-foundry"
    )
    assert replay.unmatched == []
    assert comparable(collection.snapshot.data) == expected_snapshot()


def test_steps_the_deadline_abandons_are_errors_where_they_would_have_failed():
    from diagnose.collect.clients import ApiError
    from diagnose.collect.directory import DirectoryReader
    from diagnose.collect.foundry import FoundryCollector
    from diagnose.collect.scheduler import Scheduler

    collector = FoundryCollector(object(), DirectoryReader(None), Scheduler(1))  # type: ignore[arg-type]
    timeout = ApiError(None, "Timeout", "the collection ran out of time")
    for step, parent in (
        (collector.list_capability_hosts, PROJ_AGENTS),
        (collector.list_foundry_connections, FOUNDRY_BASIC),
        (collector.list_sql_role_assignments, COSMOS),
        (collector.list_foundry_projects, FOUNDRY_BASIC),
    ):
        collector.timed_out(step, (parent,), timeout)
    assert [(e["scope"], e["operation"]) for e in collector.state.errors] == [
        (PROJ_AGENTS, "Microsoft.CognitiveServices/accounts/projects/capabilityHosts/read"),
        (FOUNDRY_BASIC, "Microsoft.CognitiveServices/accounts/connections/read"),
        (COSMOS, "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments/read"),
        (FOUNDRY_BASIC, "Microsoft.CognitiveServices/accounts/projects/read"),
    ]


def test_the_snapshot_schema_says_target_hub_may_name_a_foundry_resource_or_project(capsys):
    import argparse

    from diagnose.cli.schema import run_schema
    from diagnose.snapshot import parse_snapshot

    run_schema(argparse.Namespace(name="snapshot"))
    printed = json.loads(capsys.readouterr().out)
    target = printed["properties"]["target"]["properties"]
    assert "Foundry resource" in target["hub"]["description"]
    assert "Foundry project" in target["hub"]["description"]
    parse_snapshot(expected_snapshot() | {"collectedAt": "2026-01-01T00:00:00Z"}, "test")
    with pytest.raises(BadInput):  # still a string or null, as in version 1
        parse_snapshot(expected_snapshot() | {"target": {"hub": 5, "project": None}}, "test")


def test_items_the_sdk_models_cannot_hold_are_dropped_and_reported_not_a_crash():
    """An odd item in a list the SDK deserialises (msrest models) must not end the
    collection: the raw page was kept, the odd items are dropped and said so."""
    fixtures = load_fixture_set("foundry-basic")
    projects = next(e for e in fixtures.exchanges if e.path == f"{FOUNDRY_BASIC}/projects")
    odd = ["not an object", {"id": 5}, {"id": f"{FOUNDRY_BASIC}/projects/x", "properties": []}]
    fixtures = fixtures.replaced(
        exchange("GET", projects.path, COGNITIVE, body={"value": [*projects.body["value"], *odd]})
    )
    collection, replay = collect_replayed(fixtures, hub=FOUNDRY_BASIC)
    assert replay.unmatched == []
    data = collection.snapshot.data
    error = by_scope(data["errors"])[
        (FOUNDRY_BASIC, "Microsoft.CognitiveServices/accounts/projects/read")
    ]
    assert error["code"] == "UnexpectedShape" and error["message"].startswith("3 project(s)")
    assert ids(data) == ids(expected_snapshot())


def test_every_client_of_a_collection_signs_with_one_token_from_the_credential():
    """The ARM client and each SDK client have their own authentication policy; the
    credential (the Azure CLI, say) is still asked once per scope and tenant."""
    import time as clock

    from azure.core.credentials import AccessToken

    from diagnose.collect.sdk import SharedToken

    asked: list[tuple] = []

    class Counting:
        def get_token(self, *scopes, **kwargs):
            asked.append((scopes, kwargs.get("tenant_id")))
            return AccessToken(f"token-{len(asked)}", int(clock.time()) + 3600)

    shared = SharedToken(Counting())
    first = shared.get_token("https://management.azure.com/.default")
    assert shared.get_token("https://management.azure.com/.default") is first
    assert shared.get_token("https://management.azure.com/.default", tenant_id="t2") is not first
    assert shared.get_token("https://management.azure.com/.default", claims="x").token != (
        first.token
    )
    assert len(asked) == 3
