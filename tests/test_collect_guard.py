"""Read-only, enforced in one place: the policy at the end of every pipeline the collector
builds refuses anything but a read before it is sent."""

from __future__ import annotations

import json

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st

from diagnose.collect.clients import (
    ApiError,
    RetrySettings,
    SubRequest,
    arm_client,
    graph_client,
)
from diagnose.collect.credentials import StaticTokenCredential
from diagnose.collect.guard import ARM_POSTS, GRAPH_POSTS, ReadOnlyPolicy, refusal
from diagnose.collect.requestlog import RequestLog

ARM = "https://management.azure.com"
GRAPH = "https://graph.microsoft.com"
HOST = "management.azure.com"
WORKSPACE = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/hub"
)
SEARCH = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/"
    "Microsoft.Search/searchServices/srch"
)

pytestmark = pytest.mark.usefixtures("requests_transport")  # `responses` patches requests
MEMBER = "11111111-2222-3333-4444-555555555555"


@pytest.mark.parametrize(
    ("method", "path", "host", "posts"),
    [
        ("GET", WORKSPACE, HOST, ARM_POSTS),
        ("GET", WORKSPACE + "/connections", HOST, ARM_POSTS),
        ("POST", "/providers/Microsoft.ResourceGraph/resources", HOST, ARM_POSTS),
        (
            "GET",
            "/v1.0/servicePrincipals(appId='0736f41a-0425-4b46-bdb5-1563eff02385')",
            "graph.microsoft.com",
            GRAPH_POSTS,
        ),
        ("POST", "/v1.0/directoryObjects/getByIds", "graph.microsoft.com", GRAPH_POSTS),
        (
            "POST",
            f"/v1.0/directoryObjects/{MEMBER}/getMemberGroups",
            "graph.microsoft.com",
            GRAPH_POSTS,
        ),
        # a resource that happens to be named like an action is still a resource
        ("GET", WORKSPACE.replace("/hub", "/listkeys"), HOST, ARM_POSTS),
        ("GET", WORKSPACE + "/connections/secrets", HOST, ARM_POSTS),
        (
            "GET",
            f"{WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/token",
            HOST,
            ARM_POSTS,
        ),
    ],
)
def test_reads_pass(method, path, host, posts):
    assert refusal(method, f"https://{host}{path}?api-version=1", host, posts) is None


@pytest.mark.parametrize(
    ("method", "path", "why"),
    [
        ("PUT", WORKSPACE, "PUT is not a read"),
        ("PATCH", WORKSPACE, "PATCH is not a read"),
        ("DELETE", WORKSPACE, "DELETE is not a read"),
        ("POST", WORKSPACE + "/connections/c/listsecrets", "returns credentials"),
        ("POST", WORKSPACE + "/listKeys", "returns credentials"),
        ("POST", WORKSPACE + "/listStorageAccountKeys", "returns credentials"),
        ("GET", SEARCH + "/listQueryKeys", "returns credentials"),
        ("GET", WORKSPACE + "/listNotebookAccessToken", "returns credentials"),
        ("POST", SEARCH + "/regenerateAdminKey/primary", "POST is not a read"),
        (
            "POST",
            "/subscriptions/00000000-1111-2222-3333-444444444444/providers/"
            "Microsoft.MachineLearningServices/register",
            "POST is not a read",
        ),
        ("POST", f"/v1.0/directoryObjects/{MEMBER}/getMemberGroups", "POST is not a read"),
        ("POST", "/v1.0/$batch", "POST is not a read"),
        # an action on a path that is no ARM id, though it ends like one (diagnose.arm.ids)
        (
            "GET",
            "/subscriptions/00000000-1111-2222-3333-444444444444/whatever/providers/"
            "Microsoft.Web/sites/listkeys",
            "returns credentials",
        ),
        ("GET", WORKSPACE + "//listkeys", "returns credentials"),
    ],
)
def test_everything_else_is_refused(method, path, why):
    reason = refusal(method, f"{ARM}{path}?api-version=1", HOST, ARM_POSTS)
    assert reason is not None and why in reason


def test_other_hosts_and_plain_http_are_refused():
    assert "not the endpoint" in refusal("GET", f"https://evil.example{WORKSPACE}", HOST, ARM_POSTS)
    assert "https" in refusal("GET", f"http://{HOST}{WORKSPACE}", HOST, ARM_POSTS)
    assert refusal("GET", f"https://{HOST}:443{WORKSPACE}", HOST, ARM_POSTS) is None


@given(
    method=st.sampled_from(["PUT", "PATCH", "DELETE", "MERGE", "OPTIONS", "HEAD", "POST"]),
    path=st.lists(
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12),
        min_size=1,
        max_size=8,
    ).map(lambda parts: "/" + "/".join(parts)),
)
def test_no_write_ever_passes(method, path):
    reason = refusal(method, f"{ARM}{path}", HOST, ARM_POSTS)
    allowed_post = (
        method == "POST" and path.lower() == "/providers/microsoft.resourcegraph/resources"
    )
    assert (reason is None) == allowed_post


@given(
    action=st.sampled_from(
        [
            "listKeys",
            "listSecrets",
            "listQueryKeys",
            "listAdminKeys",
            "listCredentials",
            "listConnectionStrings",
            "listAccountSas",
            "listServiceSas",
            "regenerateKey",
            "getAccessToken",
        ]
    ),
    method=st.sampled_from(["GET", "POST"]),
)
def test_credential_actions_never_pass(action, method):
    assert refusal(method, f"{ARM}{WORKSPACE}/{action}", HOST, ARM_POSTS) is not None


def _clients(log):
    retry = RetrySettings(total=0)
    arm = arm_client(
        ARM, StaticTokenCredential("t"), f"{ARM}/.default", log, concurrency=2, retry=retry
    )
    graph = graph_client(
        GRAPH, StaticTokenCredential("t"), f"{GRAPH}/.default", log, concurrency=2, retry=retry
    )
    return arm, graph


def test_the_guard_is_the_last_policy_of_every_pipeline():
    for client in _clients(RequestLog()):
        policies = client._client._pipeline._impl_policies
        assert isinstance(getattr(policies[-1], "_policy", None), ReadOnlyPolicy)
        names = [type(getattr(p, "_policy", p)).__name__ for p in policies]
        assert "ARMAutoResourceProviderRegistrationPolicy" not in names
        assert "RedirectPolicy" not in names


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
def test_a_write_through_the_real_pipeline_never_reaches_the_network(method):
    log = RequestLog()
    arm, graph = _clients(log)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(method, f"{ARM}{WORKSPACE}", json={})
        with pytest.raises(ApiError) as raised:
            arm._send(method, WORKSPACE, params={"api-version": "2024-10-01"}, body={})
        with pytest.raises(ApiError):
            graph._send(method, "/v1.0/users/x", body={})
        assert len(mock.calls) == 0
    assert raised.value.code == "RefusedByReadOnlyGuard"
    assert [e["status"] for e in log.entries()] == [None, None]
    assert all("RefusedRequest" in e["error"] for e in log.entries())


def test_resource_provider_registration_is_never_attempted():
    log = RequestLog()
    arm, _ = _clients(log)
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{WORKSPACE}",
            status=409,
            json={
                "error": {
                    "code": "MissingSubscriptionRegistration",
                    "message": "The subscription is not registered to use namespace "
                    "'Microsoft.MachineLearningServices'.",
                }
            },
        )
        with pytest.raises(ApiError) as raised:
            arm.get(WORKSPACE, {"api-version": "2024-10-01"})
        assert len(mock.calls) == 1
    assert (raised.value.status, raised.value.code) == (409, "MissingSubscriptionRegistration")


def test_a_next_link_to_another_host_is_not_followed():
    log = RequestLog()
    arm, _ = _clients(log)
    with responses.RequestsMock() as mock:
        mock.get(
            f"{ARM}{WORKSPACE}/connections",
            json={"value": [{"id": "a"}], "nextLink": f"https://collector.example{WORKSPACE}/x"},
        )
        with pytest.raises(ApiError) as raised:
            arm.get_pages(WORKSPACE + "/connections", {"api-version": "2024-10-01"})
        assert len(mock.calls) == 1
    assert raised.value.code == "ForeignNextLink"


# -- Microsoft Graph JSON batches -----------------------------------------------------------
def _batch(*items: tuple[str, str, object]) -> dict:
    requests = []
    for number, (method, url, body) in enumerate(items, 1):
        item: dict = {"id": str(number), "method": method, "url": url}
        if body is not None:
            item.update(body=body, headers={"Content-Type": "application/json"})
        requests.append(item)
    return {"requests": requests}


READ_BATCH = _batch(
    ("POST", f"/directoryObjects/{MEMBER}/getMemberGroups", {"securityEnabledOnly": False}),
    ("GET", f"/directoryObjects/{MEMBER}", None),
    ("POST", "/directoryObjects/getByIds", {"ids": [MEMBER]}),
    ("GET", "/servicePrincipals(appId='0736f41a-0425-4b46-bdb5-1563eff02385')?$select=id", None),
)


def test_a_batch_of_reads_passes_the_graph_guard():
    url = f"{GRAPH}/v1.0/$batch"
    body = json.dumps(READ_BATCH)
    assert refusal("POST", url, "graph.microsoft.com", GRAPH_POSTS, body, batch=True) is None
    # ARM has no JSON batching here: the same POST is refused there, and on a pipeline
    # built without batching
    assert refusal("POST", url, "graph.microsoft.com", GRAPH_POSTS, body) == "POST is not a read"


@pytest.mark.parametrize(
    ("items", "why"),
    [
        ([("PATCH", f"/users/{MEMBER}", {"accountEnabled": False})], "PATCH is not a read"),
        ([("DELETE", f"/groups/{MEMBER}/members/{MEMBER}/$ref", None)], "DELETE is not a read"),
        ([("PUT", f"/users/{MEMBER}/manager/$ref", {"@odata.id": "x"})], "PUT is not a read"),
        ([("POST", "/groups", {"displayName": "x"})], "POST is not a read"),
        ([("POST", f"/users/{MEMBER}/revokeSignInSessions", {})], "POST is not a read"),
        ([("POST", f"/applications/{MEMBER}/addPassword", {})], "returns credentials"),
        ([("POST", "/$batch", READ_BATCH)], "POST is not a read"),  # no batch in a batch
        ([("GET", "https://evil.example/v1.0/users", None)], "not a path relative"),
        ([("GET", "//evil.example/v1.0/users", None)], "not a path relative"),
        ([("GET", f"/directoryObjects/{MEMBER}", None)] * 21, "a $batch of 21 requests"),
        ([], "a $batch of 0 requests"),
    ],
)
def test_a_batch_holding_anything_but_reads_is_refused_whole(items, why):
    reads = [
        ("POST", f"/directoryObjects/{MEMBER}/getMemberGroups", {"securityEnabledOnly": False}),
        ("GET", f"/directoryObjects/{MEMBER}", None),
    ]
    body = json.dumps(_batch(*(reads if len(items) == 1 else []), *items))
    url = f"{GRAPH}/v1.0/$batch"
    reason = refusal("POST", url, "graph.microsoft.com", GRAPH_POSTS, body, batch=True)
    assert reason is not None and why in reason, reason


@pytest.mark.parametrize("body", ["not json", "[]", '{"requests": {}}', '{"requests": [1]}', ""])
def test_a_batch_that_is_not_a_batch_is_refused(body):
    url = f"{GRAPH}/v1.0/$batch"
    assert refusal("POST", url, "graph.microsoft.com", GRAPH_POSTS, body, batch=True) is not None


@pytest.mark.parametrize("write", ["PATCH", "DELETE", "POST"])
def test_a_batch_with_a_write_through_the_real_pipeline_is_never_sent(write):
    log = RequestLog()
    _, graph = _clients(log)
    inside = [
        SubRequest("POST", f"/directoryObjects/{MEMBER}/getMemberGroups", {"x": 1}),
        SubRequest(write, f"/users/{MEMBER}" if write != "POST" else "/groups", {"a": 1}),
    ]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(f"{GRAPH}/v1.0/$batch", json={"responses": []})
        answers = graph.batch(inside)
        assert len(mock.calls) == 0
    assert all(isinstance(a, ApiError) and a.code == "RefusedByReadOnlyGuard" for a in answers)
    assert f"{write} " in answers[0].message
    (entry,) = log.entries()
    assert entry["status"] is None and "RefusedRequest" in entry["error"]
    assert (entry["path"], entry["subRequests"]) == ("/v1.0/$batch", 2)


def test_a_batch_of_reads_through_the_real_pipeline_is_sent_and_logged():
    log = RequestLog()
    _, graph = _clients(log)
    with responses.RequestsMock() as mock:
        mock.post(
            f"{GRAPH}/v1.0/$batch",
            json={"responses": [{"id": "0", "status": 200, "body": {"value": ["g"]}}]},
        )
        answers = graph.batch([SubRequest("GET", f"/directoryObjects/{MEMBER}/memberOf")])
        sent = json.loads(mock.calls[0].request.body)
    assert answers == [{"value": ["g"]}]
    assert sent == {
        "requests": [{"id": "0", "method": "GET", "url": f"/directoryObjects/{MEMBER}/memberOf"}]
    }
    (entry,) = log.entries()
    assert (entry["method"], entry["path"], entry["status"], entry["subRequests"]) == (
        "POST",
        "/v1.0/$batch",
        200,
        1,
    )
