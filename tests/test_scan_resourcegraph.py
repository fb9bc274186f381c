"""diagnose.collect.resourcegraph: the scan's Resource Graph queries through
azure-mgmt-resourcegraph keep each page's JSON as Resource Graph sent it, without the SDK
first building its models of every row (unused), and a refused query is still its error."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from diagnose.collect.clients import ApiError, RetrySettings
from diagnose.collect.credentials import StaticTokenCredential
from diagnose.collect.pipeline import shared_connection
from diagnose.collect.requestlog import RequestLog
from diagnose.collect.resourcegraph import ResourceGraph
from diagnose.collect.scan import ScanScope, TenantIndex, read_tenant, resources_query
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import FixtureSet
from diagnose.testing.tenant import SyntheticTenant, subscription_id

RESOURCE_GRAPH = "/providers/Microsoft.ResourceGraph/resources"


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[ResourceGraph]:
    tenant = SyntheticTenant(hubs=300, subscriptions=2, refused=frozenset({subscription_id(1)}))
    with ArmServer(FixtureSet("generated", []), Faults(), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        with _resource_graph(server) as client:
            yield client


@contextlib.contextmanager
def _resource_graph(server: ArmServer) -> Iterator[ResourceGraph]:
    """A ResourceGraph client of the loopback server, closed and its deadline expired after."""
    shared = shared_connection(60)
    client = ResourceGraph(
        server.url,
        StaticTokenCredential("t"),
        "https://management.azure.com/.default",
        RequestLog(),
        concurrency=4,
        retry=RetrySettings(total=0),
        shared=shared,
    )
    try:
        yield client
    finally:
        client.close()
        shared.deadline.expire()


def test_pages_are_kept_as_sent_and_never_turned_into_models(
    graph: ResourceGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.mgmt.resourcegraph._utils.serialization import Deserializer

    built: list[object] = []
    original = Deserializer.deserialize_data
    monkeypatch.setattr(
        Deserializer,
        "deserialize_data",
        lambda self, data, data_type: built.append(data_type) or original(self, data, data_type),
    )
    rows = graph.query(resources_query(), subscriptions=[subscription_id(0)])
    assert len(rows) == 600 and graph.pages == 1  # 150 hubs, 4 resources each
    assert (
        rows[0]
        == SyntheticTenant(hubs=300, subscriptions=2)
        .warm()
        ._rows["resources"][subscription_id(0)][0]
    )
    assert built == []  # no model of the answer was built


def test_a_refused_query_is_still_its_error(graph: ResourceGraph) -> None:
    with pytest.raises(ApiError) as raised:
        graph.query(resources_query(), subscriptions=[subscription_id(1)])
    assert raised.value.status == 403
    assert raised.value.code == "AuthorizationFailed"


# -- step 2's queries asked beside step 1's (scan.read_tenant) ------------------------------
def _index(server: ArmServer, scope: ScanScope, parallel: int) -> tuple[TenantIndex, int]:
    with _resource_graph(server) as client:
        return read_tenant(client, scope, parallel), client.pages


def _same(one: TenantIndex, other: TenantIndex) -> None:
    assert list(one.resources.items()) == list(other.resources.items())
    assert one.assignments == other.assignments
    assert list(one.role_definitions.items()) == list(other.role_definitions.items())
    assert one.subscriptions == other.subscriptions
    assert one.unknown == other.unknown


@pytest.mark.parametrize("asked", [(), (subscription_id(0), subscription_id(1))])
def test_queries_asked_beside_the_subscriptions_give_the_index_asked_after_them(
    monkeypatch: pytest.MonkeyPatch, asked: tuple[str, ...]
) -> None:
    tenant = SyntheticTenant(hubs=300, subscriptions=2)  # two pages a query
    with ArmServer(FixtureSet("generated", []), Faults(), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        after, after_pages = _index(server, ScanScope(subscriptions=asked), parallel=2)
        server.reset()
        beside, beside_pages = _index(server, ScanScope(subscriptions=asked), parallel=4)
        sent = [r for r in server.requests() if r.path == RESOURCE_GRAPH]
    _same(beside, after)
    assert len(beside.resources) == 1200
    assert beside_pages == after_pages == len(sent) == 6  # nothing asked twice


def test_queries_asked_beside_the_subscriptions_are_asked_again_when_one_is_unreadable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Asked over a subscription step 1 does not answer for, they stop at their first page
    and are asked again over those it does answer, as they would have been."""
    hidden = subscription_id(2)
    tenant = SyntheticTenant(hubs=600, subscriptions=3, hidden=frozenset({hidden}))
    scope = ScanScope(subscriptions=(subscription_id(0), subscription_id(1), hidden))
    with ArmServer(FixtureSet("generated", []), Faults(), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        after, after_pages = _index(server, scope, parallel=2)
        server.reset()
        beside, beside_pages = _index(server, scope, parallel=4)
        sent = [r for r in server.requests() if r.path == RESOURCE_GRAPH]
    _same(beside, after)
    assert hidden in beside.unknown
    # 6 as before, and the first page of each query asked ahead (resources, role
    # assignments), neither followed to its second
    assert after_pages == 6 and beside_pages == len(sent) == 8


def test_step_two_is_asked_before_step_one_answers_and_kept_for_its_subscriptions() -> None:
    """The subscriptions query waits for the resources and role assignments queries to be
    asked: asked beside it, they are before it answers. What Resource Graph answers them
    for the whole tenant that is not of a subscription it listed is left out."""
    asked: list[str] = []
    lock = threading.Lock()
    both_asked = threading.Event()
    answered_after: list[bool] = []
    readable = [subscription_id(0), subscription_id(1)]
    other = f"/subscriptions/{subscription_id(9)}"
    above = "/providers/Microsoft.Management/managementGroups/mg"

    def assignment(scope: str, name: str) -> dict[str, Any]:
        return {"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"}

    class Graph:
        pages = 0

        def __init__(self, wait: float) -> None:
            self.wait = wait

        def query(
            self,
            query: str,
            *,
            subscriptions: list[str] | None = None,
            management_group: str | None = None,
            proceed: Callable[[], bool] | None = None,
        ) -> list[dict[str, Any]]:
            kind = query.split("|")[0 if query.startswith("resource") else 1].strip()
            with lock:
                asked.append(kind if "roleassignments" not in query else "roleassignments")
                if {"resources", "roleassignments"} <= set(asked):
                    both_asked.set()
            if kind == "resourcecontainers":
                answered_after.append(both_asked.wait(self.wait))
                return [{"subscriptionId": s, "id": f"/subscriptions/{s}"} for s in readable]
            if "roleassignments" in query:
                return [
                    assignment(above, "a"),
                    assignment(other, "b"),
                    assignment(f"/subscriptions/{readable[0]}", "c"),
                ]
            return []

    index = read_tenant(Graph(10.0), ScanScope(), parallel=4)  # type: ignore[arg-type]
    assert answered_after == [True]
    assert len(asked) == 4  # the role definitions after it; none asked again: kept
    assert [r["id"] for rows in index.assignments.values() for r in rows] == [
        assignment(f"/subscriptions/{readable[0]}", "c")["id"]
    ]
    asked.clear()
    both_asked.clear()
    # Fewer at once allowed: after it, as before (it cannot be otherwise: the scan waits
    # for the subscriptions query meanwhile, so the short wait is all it gets)
    read_tenant(Graph(0.5), ScanScope(), parallel=2)  # type: ignore[arg-type]
    assert answered_after == [True, False]
    assert len(asked) == 4
