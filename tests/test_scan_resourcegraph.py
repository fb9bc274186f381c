"""diagnose.collect.resourcegraph: the scan's Resource Graph queries through
azure-mgmt-resourcegraph keep each page's JSON as Resource Graph sent it, without the SDK
first building its models of every row (unused), and a refused query is still its error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from diagnose.collect.clients import ApiError, RetrySettings
from diagnose.collect.credentials import StaticTokenCredential
from diagnose.collect.pipeline import shared_connection
from diagnose.collect.requestlog import RequestLog
from diagnose.collect.resourcegraph import ResourceGraph
from diagnose.collect.scan import resources_query
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import FixtureSet
from diagnose.testing.tenant import SyntheticTenant, subscription_id


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[ResourceGraph]:
    tenant = SyntheticTenant(hubs=300, subscriptions=2, refused=frozenset({subscription_id(1)}))
    with ArmServer(FixtureSet("generated", []), Faults(), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
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
