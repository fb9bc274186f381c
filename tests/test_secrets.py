"""diagnose.secrets, the one definition of a credential, in its two modes: REMOVED markers
(support bundles; their end-to-end tests are in test_bundle_secrets.py) and drop=True (the
collector: nothing of a credential reaches a snapshot, not even its field)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diagnose.secrets import REMOVED, is_secret_field, scrub_json
from diagnose.secrets.patterns import long_digit_run, maybe_secret

STORAGE_KEY = (
    "Qm9vbTJ4VGhpc0lzQVBsYW50ZWRTdG9yYWdlS2V5Rm9yVGVzdHM5ODc2NTQzMjEwQUJDREVGR0hJSktMTU5PUA=="
)
JWT = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQifQ."
    "UGxhbnRlZFNpZ25hdHVyZUJ5dGVzMTIzNDU2Nzg5MA"
)


def test_connection_credentials_are_dropped_and_the_rest_kept() -> None:
    connection = {
        "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/"
        "workspaces/w/connections/c",
        "properties": {
            "category": "AzureBlob",
            "authType": "SAS",
            "target": "https://st.blob.core.windows.net/docs?sv=2022-11-02&sig=c2VjcmV0",
            "credentials": {"sas": "sv=2022-11-02&sig=c2VjcmV0"},
            "metadata": {
                "AccountName": "st",
                "ContainerName": "docs",
                "ConnectionString": "DefaultEndpointsProtocol=https;AccountKey=abc==",
            },
        },
    }
    assert scrub_json(connection, drop=True) == {
        "id": connection["id"],
        "properties": {
            "category": "AzureBlob",
            "authType": "SAS",
            "target": "https://st.blob.core.windows.net/docs",
            "metadata": {"AccountName": "st", "ContainerName": "docs"},
        },
    }


def test_application_insights_keys_are_dropped() -> None:
    component = {
        "properties": {
            "AppId": "a",
            "InstrumentationKey": "guid",
            "ConnectionString": "InstrumentationKey=guid;IngestionEndpoint=x",
        }
    }
    assert scrub_json(component, drop=True) == {"properties": {"AppId": "a"}}


def test_credentials_in_free_text_are_dropped_whole() -> None:
    """A string that would keep a REMOVED marker is left out, in a dict or in a list."""
    value = {
        "note": f"Authorization: Bearer {JWT}",
        "sql": "Server=x;Password=hunter2;",
        "tags": ["ok", STORAGE_KEY, "https://x.example/a?code=abc"],
        "name": "kept",
    }
    assert scrub_json(value, drop=True) == {"tags": ["ok", "https://x.example/a"], "name": "kept"}
    assert scrub_json(f"token={JWT}", drop=True) is None


ACCESS_POLICY_VAULT = {
    "properties": {
        "enableRbacAuthorization": False,
        "accessPolicies": [
            {
                "objectId": "2f4e6a8c-1b3d-4e5f-8a7b-9c0d1e2f3a4b",
                "tenantId": "x",
                "permissions": {
                    "keys": ["get", "wrapKey", "unwrapKey"],
                    "secrets": ["all"],
                    "certificates": [],
                },
            }
        ],
    },
    "authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http403"}},
}
SETTINGS = [
    ACCESS_POLICY_VAULT,
    {
        "properties": {
            "authOptions": {"aadOrApiKey": {"aadAuthFailureMode": "http403"}},
            "disableLocalAuth": False,
        },
        "identity": {"type": "SystemAssigned", "principalId": "p"},
    },
    {
        "properties": {
            "allowSharedKeyAccess": False,
            "keyPolicy": None,
            "encryption": {
                "keySource": "Microsoft.Storage",
                "keyVaultProperties": {"keyName": "k"},
            },
        }
    },
    {
        "properties": {
            "keyVault": "/subscriptions/s/x",
            "encryption": {
                "keyVaultProperties": {"keyIdentifier": "https://kv.vault.azure.net/keys/k/1"}
            },
        }
    },
]


@pytest.mark.parametrize("drop", [False, True], ids=["markers", "drop"])
def test_settings_that_look_like_secrets_survive(drop: bool) -> None:
    """Auth-mode settings, key references and Key Vault access policies' permission lists
    (which CMK001 and CMK003 read) are not credentials, in either mode."""
    for item in SETTINGS:
        assert scrub_json(item, drop=drop) == item
    stolen = {"permissions": {"keys": [STORAGE_KEY]}}
    assert scrub_json(stolen, drop=drop) == {"permissions": {} if drop else {"keys": REMOVED}}


def test_flags_named_like_secrets_are_kept_as_markers_and_dropped() -> None:
    """null and booleans carry no secret: marker mode keeps them; drop mode keeps no field
    named like a credential at all."""
    flags = {"hasPassword": True, "password": None}
    assert scrub_json(flags) == flags
    assert scrub_json(flags, drop=True) == {}


SECRET_NAMES = [
    "key",
    "primaryKey",
    "credentials",
    "ConnectionString",
    "sasToken",
    "password",
    "clientSecret",
]
JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=20),
        st.sampled_from(
            [
                STORAGE_KEY,
                JWT,
                f"AccountKey={STORAGE_KEY};",
                "https://st.blob.core.windows.net/c?sv=2022-11-02&sig=abc%3D",
            ]
        ),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from([*SECRET_NAMES, "name", "target", "properties", "value", "keyVault"]),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)


def _fields(item: Any) -> Any:
    if isinstance(item, dict):
        for key, child in item.items():
            yield key
            yield from _fields(child)
    elif isinstance(item, list):
        for child in item:
            yield from _fields(child)


@given(JSON)
def test_no_secret_field_survives_at_any_depth(value: Any) -> None:
    cleaned = scrub_json(value, drop=True)
    assert not any(is_secret_field(k) for k in _fields(cleaned))
    text = json.dumps(cleaned)
    assert "AccountKey=" not in text
    assert REMOVED not in text and STORAGE_KEY not in text and JWT not in text
    assert "abc%3D" not in text  # the SAS signature
    # what the collector keeps is already clean by the bundle's rules, and stays so
    assert scrub_json(cleaned) == cleaned
    assert scrub_json(cleaned, drop=True) == cleaned


# -- a ManagedIdentity connection's identity ids are not credentials ----------------------------
UAMI = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ai/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/id-rag"
)
CLIENT_ID = "2f4e6a8c-1b3d-4e5f-8a7b-9c0d1e2f3a4b"
ENTRA_SECRET = "xyz8Q~PlantedEntraClientSecret.AbC-12_zz"


@pytest.mark.parametrize(
    ("resource_id", "client_id"),
    [("resourceId", "clientId"), ("ResourceId", "ClientId"), ("resourceid", "clientid")],
)
def test_a_managed_identity_connection_keeps_the_ids_it_names_and_no_secret(
    resource_id: str, client_id: str
) -> None:
    """credentials.resourceId and credentials.clientId (as ARM spells them) name the identity
    the connection calls as (diagnose/checks/_common.py connection_identity): they stay, in
    both modes; every other entry of `credentials` is a secret and goes."""
    credentials = {
        resource_id: UAMI,
        client_id: CLIENT_ID,
        "key": STORAGE_KEY,
        "clientSecret": ENTRA_SECRET,
        "sas": "sv=2022-11-02&sig=c2VjcmV0",
        "keys": {"primaryKey": STORAGE_KEY},
    }
    connection = {"properties": {"authType": "ManagedIdentity", "credentials": credentials}}
    ids = {resource_id: UAMI, client_id: CLIENT_ID}
    assert scrub_json(connection, drop=True) == {
        "properties": {"authType": "ManagedIdentity", "credentials": ids}
    }
    marked = scrub_json(connection)
    assert marked["properties"]["credentials"] == {
        **ids,
        "key": REMOVED,
        "clientSecret": REMOVED,
        "sas": REMOVED,
        "keys": REMOVED,
    }
    for cleaned in (scrub_json(connection, drop=True), marked):
        text = json.dumps(cleaned)
        assert STORAGE_KEY not in text and ENTRA_SECRET not in text and "c2VjcmV0" not in text
        assert scrub_json(cleaned) == cleaned  # idempotent: a bundle of a snapshot
    assert scrub_json(scrub_json(connection, drop=True), drop=True) == scrub_json(
        connection, drop=True
    )


def test_only_the_two_ids_of_a_credentials_object_are_kept() -> None:
    """Not an id elsewhere, not a secret under an id's name, not another id-like entry."""
    kept = {
        "credentials": {
            "resourceId": f"{UAMI}?sig=c2VjcmV0",  # a URL carrying a SAS is no id
            "clientId": STORAGE_KEY,  # a key under an id's name is still a key
            "tenantId": "t",
            "objectId": "o",
            "principalId": "p",
            "username": "u",
        }
    }
    assert scrub_json(kept, drop=True) == {}
    assert scrub_json({"credentials": {"resourceId": {"nested": UAMI}}}, drop=True) == {}
    assert scrub_json({"credentials": {"resourceId": "  "}}, drop=True) == {}
    assert scrub_json({"credentials": UAMI}, drop=True) == {}
    # an id kept elsewhere than in `credentials` is no exception to the other secret names
    assert scrub_json({"secret": {"resourceId": UAMI}}, drop=True) == {}
    assert scrub_json({"clientSecret": {"clientId": CLIENT_ID}}, drop=True) == {}


IDS = st.sampled_from(["resourceId", "ClientId", "clientid"])


@given(st.recursive(JSON, lambda c: st.dictionaries(IDS | st.sampled_from(SECRET_NAMES), c)))
def test_what_survives_of_a_secret_field_is_a_credentials_object_of_ids(value: Any) -> None:
    cleaned = scrub_json(value, drop=True)

    def check(item: Any) -> None:
        if isinstance(item, dict):
            for key, child in item.items():
                if is_secret_field(key):
                    assert key == "credentials" and isinstance(child, dict), (key, child)
                    assert child and all(
                        k.lower() in ("resourceid", "clientid") and isinstance(v, str)
                        for k, v in child.items()
                    ), child
                else:
                    check(child)
        elif isinstance(item, list):
            for child in item:
                check(child)

    check(cleaned)
    text = json.dumps(cleaned)
    assert REMOVED not in text and STORAGE_KEY not in text and JWT not in text
    assert scrub_json(cleaned) == cleaned
    assert scrub_json(cleaned, drop=True) == cleaned


# -- the pre-test's long runs (patterns.long_digit_run) -------------------------------------
def _digit_runs_as_before(text: str) -> bool:
    """The former definition: a run of key characters holding a digit, found whole with
    a backtracking pattern, is 32 characters or longer."""
    return any(len(run) >= 32 for run in re.findall(r"[A-Za-z0-9+/]*[0-9][A-Za-z0-9+/]*", text))


@given(
    st.lists(
        st.tuples(st.text("abcXYZ019+/", max_size=40), st.text(" -_.:~@=", min_size=1, max_size=2)),
        max_size=4,
    )
)
def test_the_long_run_test_says_what_the_digit_run_one_said(pieces):
    text = "".join(run + gap for run, gap in pieces)
    assert long_digit_run(text) == _digit_runs_as_before(text)


def test_a_long_key_after_a_digit_free_stretch_is_still_suspect():
    key = "Zm9vYmFyYmF6cXV4" * 2 + "7"  # 33 key characters, a digit among them
    assert maybe_secret("/subscriptions/abc/providers/x " + key)
    assert not long_digit_run("a" * 30 + "1 " + "b" * 40)  # the 31-long run has the digit
    assert long_digit_run("b" * 40 + "1")


def test_texts_seen_before_get_the_same_answer_and_clean_ones_come_back_themselves() -> None:
    """scrub_text keeps its answer for every text (a scan repeats the same ids and role
    descriptions hub after hub): a text seen again is scrubbed as the first time, a clean
    one comes back as the very object given (callers copy only what scrubbing changed), and
    the answer for one text is never another's."""
    from diagnose.secrets import scrub_text

    arm_id = "/subscriptions/0a0a0a0a-1111-2222-3333-444444444444/resourceGroups/rg-hub1"
    with_key = f"AccountName=st;AccountKey={STORAGE_KEY}"
    bearer = f"Authorization: Bearer {JWT}"
    for _ in range(2):
        for text in (arm_id, "".join(["Reader of ", "the hub"])):  # new objects each time
            copy = "".join(list(text))
            assert copy is not text
            assert scrub_text(copy) is copy
        assert STORAGE_KEY not in scrub_text("".join(list(with_key)))
        assert REMOVED in scrub_text(with_key)
        assert scrub_text(bearer).endswith(REMOVED) and JWT not in scrub_text(bearer)
        # the same length and the same start as a clean text, one secret more
        assert scrub_text(arm_id + f"?sig={STORAGE_KEY[:8]}") != arm_id + f"?sig={STORAGE_KEY[:8]}"
