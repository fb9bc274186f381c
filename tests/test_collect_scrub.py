"""No credential a response carries reaches a snapshot."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from diagnose.collect.scrub import is_secret_field, scrub


def test_connection_credentials_are_dropped_and_the_rest_kept():
    connection = {
        "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/"
              "workspaces/w/connections/c",
        "properties": {
            "category": "AzureBlob", "authType": "SAS",
            "target": "https://st.blob.core.windows.net/docs?sv=2022-11-02&sig=c2VjcmV0",
            "credentials": {"sas": "sv=2022-11-02&sig=c2VjcmV0"},
            "metadata": {"AccountName": "st", "ContainerName": "docs",
                         "ConnectionString": "DefaultEndpointsProtocol=https;AccountKey=abc=="},
        },
    }
    assert scrub(connection) == {
        "id": connection["id"],
        "properties": {"category": "AzureBlob", "authType": "SAS",
                       "target": "https://st.blob.core.windows.net/docs",
                       "metadata": {"AccountName": "st", "ContainerName": "docs"}},
    }


def test_settings_that_only_name_an_auth_mode_are_kept():
    search = {"properties": {"authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http403"}},
                             "disableLocalAuth": False},
              "identity": {"type": "SystemAssigned", "principalId": "p"}}
    storage = {"properties": {"allowSharedKeyAccess": False, "keyPolicy": None,
                              "encryption": {"keySource": "Microsoft.Storage",
                                             "keyVaultProperties": {"keyName": "k"}}}}
    hub = {"properties": {"keyVault": "/subscriptions/s/x", "encryption": {
        "keyVaultProperties": {"keyIdentifier": "https://kv.vault.azure.net/keys/k/1"}}}}
    for item in (search, storage, hub):
        assert scrub(item) == item


def test_application_insights_keys_are_dropped():
    component = {"properties": {"AppId": "a", "InstrumentationKey": "guid",
                                "ConnectionString": "InstrumentationKey=guid;IngestionEndpoint=x"}}
    assert scrub(component) == {"properties": {"AppId": "a"}}


@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["key", "primaryKey", "credentials", "ConnectionString",
                                         "sasToken", "password", "clientSecret", "name",
                                         "target", "properties", "value", "keyVault"]),
                        children, max_size=5)),
    max_leaves=20))
def test_no_secret_field_survives_at_any_depth(value):
    def fields(item):
        if isinstance(item, dict):
            for key, child in item.items():
                yield key
                yield from fields(child)
        elif isinstance(item, list):
            for child in item:
                yield from fields(child)

    cleaned = scrub(value)
    assert not any(is_secret_field(k) for k in fields(cleaned))
    assert "AccountKey=" not in json.dumps(cleaned)
