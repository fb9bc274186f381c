"""Every kind of credential the issue names, with realistic fake values built here, is removed
by the one scrubber (diagnose.secrets): from free text, from tags and connection metadata, from
a snapshot the collector assembles (replayed through the real pipelines), and from messages
the tool prints; GUIDs, ARM ids, role ids and SHA-256 hashes survive it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import random
import string
from typing import Any

import pytest

from diagnose.safe import safe_message
from diagnose.secrets import REMOVED, is_secret_label, scrub_json, scrub_text
from diagnose.testing.fixtures import FixtureSet, load_fixture_set
from diagnose.testing.harness import HUB_BASIC, collect_replayed

RANDOM = random.Random(9)


def b64(size: int) -> str:
    return base64.b64encode(RANDOM.randbytes(size)).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def fake_jwt() -> str:
    header = b64url(json.dumps({"typ": "JWT", "alg": "RS256", "kid": "fake"}).encode())
    payload = b64url(
        json.dumps(
            {
                "aud": "https://management.azure.com/",
                "oid": "2f4e6a8c-1b3d-4e5f-8a7b-9c0d1e2f3a4b",
                "exp": 1893456000,
            }
        ).encode()
    )
    return f"{header}.{payload}.{b64url(RANDOM.randbytes(256))}"


def fake_client_secret() -> str:
    """The Entra ID format: 3 characters, a digit, `Q~`, 34 more (40 in all)."""
    alphabet = string.ascii_letters + string.digits + "_~.-"
    return (
        "".join(RANDOM.choice(string.ascii_letters) for _ in range(3))
        + "8Q~"
        + "".join(RANDOM.choice(alphabet) for _ in range(34))
    )


def hex_key(size: int) -> str:
    return RANDOM.randbytes(size // 2).hex()


STORAGE_KEY = b64(64)  # 88 characters, as Azure Storage account keys are
SAS_SIG = b64(32)
PRIMARY_KEY, SECONDARY_KEY, ACCESS_KEY = b64(32), b64(32), b64(32)
BUS_KEY = b64(32)
API_KEY = hex_key(32)  # Azure OpenAI / AI services keys: 32 hex
APIM_KEY = hex_key(32)
HEX64_KEY = hex_key(64)
JWT = fake_jwt()
CLIENT_SECRET = fake_client_secret()
TAG_PASSWORD = "Summer2025!" + b64(6)
TAG_TOKEN = b64(24)

TEXTS = {
    "storage connection string": (
        f"DefaultEndpointsProtocol=https;AccountName=st;AccountKey={STORAGE_KEY};"
        "EndpointSuffix=core.windows.net",
        STORAGE_KEY,
    ),
    "service bus": (
        f"Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=Root;"
        f"SharedAccessKey={BUS_KEY}",
        BUS_KEY,
    ),
    "SharedAccessSignature=": (
        f"BlobEndpoint=https://st.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02"
        f"&sig={SAS_SIG}",
        SAS_SIG,
    ),
    "sig= in a URL": (
        f"https://st.blob.core.windows.net/c/b?sv=2022&sp=r&sig={SAS_SIG} failed",
        SAS_SIG,
    ),
    "PrimaryKey=": (f"Endpoint=https://x;PrimaryKey={PRIMARY_KEY};", PRIMARY_KEY),
    "SecondaryKey=": (f"SecondaryKey={SECONDARY_KEY}", SECONDARY_KEY),
    "AccessKey=": (f"Endpoint=https://x/;AccessKey={ACCESS_KEY}", ACCESS_KEY),
    "api-key header": (f"POST /openai/deployments/x/chat HTTP/1.1\napi-key: {API_KEY}", API_KEY),
    "api-key in a printed dict": (f"headers={{'api-key': '{API_KEY}', 'Accept': '*/*'}}", API_KEY),
    "Ocp-Apim-Subscription-Key header": (f"Ocp-Apim-Subscription-Key: {APIM_KEY}", APIM_KEY),
    "bearer token": (f"Authorization: Bearer {JWT}", JWT),
    "bare JWT": (f"the server echoed {JWT} back", JWT),
    "Entra ID client secret": (f"login with client secret {CLIENT_SECRET} failed", CLIENT_SECRET),
    "32-hex key after 'key'": (f"the key {API_KEY} was rejected", API_KEY),
    "64-hex key after 'signing key:'": (f"signing key: {HEX64_KEY}", HEX64_KEY),
    "password: value": (f"password: {TAG_PASSWORD}", TAG_PASSWORD),
}


@pytest.mark.parametrize("name", list(TEXTS))
def test_each_kind_is_removed_from_free_text(name: str) -> None:
    text, secret = TEXTS[name]
    cleaned = scrub_text(text)
    assert secret not in cleaned
    assert REMOVED in cleaned or "?" not in cleaned  # a URL loses its query instead
    assert scrub_text(cleaned) == cleaned  # idempotent
    assert secret not in safe_message(text)  # and from every message printed


GUID = "2f4e6a8c-1b3d-4e5f-8a7b-9c0d1e2f3a4b"
ROLE_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/providers/"
    "Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
)
ARM_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ai/providers/"
    "Microsoft.KeyVault/vaults/kvContosoAi2024EastUs01/keys/cmkKey01/versions/"
    "0123456789abcdef0123456789abcdef"
)
SHA256 = hashlib.sha256(b"snapshot.json").hexdigest()
KEY_IDENTIFIER = "https://kv-cmk.vault.azure.net/keys/hub-key/4f6d0c8e2b1a4c3d9e8f7a6b5c4d3e2f"
SURVIVORS = [
    GUID,
    ROLE_ID,
    ARM_ID,
    KEY_IDENTIFIER,
    f"secrets/db-secret/{hex_key(32)}",
    f"sha256: {SHA256}",
    f'"sha256": "{SHA256}"',
    f"request {GUID.replace('-', '')} took 3 s",
    "keyName=cmk;keyVault=kv-ai",
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "the token has expired",
    "--auth-options aadOrApiKey",
    "Keys: see the portal",
]


@pytest.mark.parametrize("text", SURVIVORS)
def test_ids_role_ids_and_hashes_survive(text: str) -> None:
    assert scrub_text(text) == text


def test_tags_and_metadata_named_like_credentials_are_removed_in_both_modes() -> None:
    resource = {
        "id": ARM_ID,
        "tags": {
            "dbPassword": TAG_PASSWORD,
            "storage_key": STORAGE_KEY,
            "apiToken": TAG_TOKEN,
            "db_password_prod": "x" + TAG_PASSWORD,
            "Key1": "k",
            "keyVault": "kv-ai",
            "KeyVaultName": "kv-ai",
            "secretName": "openai-key",
            "owner": "data-team",
            "cost-center": "4711",
        },
        "properties": {
            "metadata": {
                "AccountName": "st",
                "ApiKey": API_KEY,
                "client_secret_value": CLIENT_SECRET,
                "ResourceId": ROLE_ID,
                "ApiVersion": "2024-10-21",
            }
        },
    }
    kept_tags = {
        "keyVault": "kv-ai",
        "KeyVaultName": "kv-ai",
        "secretName": "openai-key",
        "owner": "data-team",
        "cost-center": "4711",
    }
    kept_metadata = {"AccountName": "st", "ResourceId": ROLE_ID, "ApiVersion": "2024-10-21"}
    dropped = scrub_json(resource, drop=True)
    assert dropped == {"id": ARM_ID, "tags": kept_tags, "properties": {"metadata": kept_metadata}}
    marked = scrub_json(resource)
    assert marked["tags"]["dbPassword"] == REMOVED and marked["tags"]["owner"] == "data-team"
    assert marked["properties"]["metadata"]["ApiKey"] == REMOVED
    text = json.dumps(marked)
    for secret in (TAG_PASSWORD, STORAGE_KEY, TAG_TOKEN, API_KEY, CLIENT_SECRET):
        assert secret not in text


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("dbPassword", True),
        ("db_password_prod", True),
        ("storage_key", True),
        ("Key1", True),
        ("apiToken", True),
        ("sasToken", True),
        ("keyVault", False),
        ("KeyVaultName", False),
        ("keyVaultProperties", False),
        ("secretName", False),
        ("tokenExpiry", False),
        ("SshPublicKey", False),
        ("partitionKey", False),
        ("owner", False),
        ("ResourceId", False),
    ],
)
def test_label_names(name: str, secret: bool) -> None:
    assert is_secret_label(name) is secret


# -- a collected snapshot ----------------------------------------------------------------------

SUB_A = "00000000-1111-2222-3333-444444444444"
PLANTED = {
    "assignment description": PRIMARY_KEY,
    "assignment description header": API_KEY,
    "deny description": ACCESS_KEY,
    "tag password": TAG_PASSWORD,
    "tag token": TAG_TOKEN,
    "tag storage key": STORAGE_KEY,
    "metadata note": APIM_KEY,
    "metadata secret": SAS_SIG,
    "graph display name": CLIENT_SECRET,
    "error bearer token": JWT,
    "error hex key": HEX64_KEY,
    "error sig": BUS_KEY,
}


def _with_body(fixtures: FixtureSet, match: Any, change: Any) -> FixtureSet:
    found = [e for e in fixtures.exchanges if match(e)]
    assert found, "the fixture to plant in is missing"
    return fixtures.replaced(
        *[dataclasses.replace(e, body=change(json.loads(json.dumps(e.body)))) for e in found]
    )


def planted_fixtures() -> FixtureSet:
    fixtures = load_fixture_set("hub-basic")

    def assignments(body: dict[str, Any]) -> dict[str, Any]:
        for item in body["value"]:
            item["properties"]["description"] = (
                f"Nightly job; PrimaryKey={PRIMARY_KEY}; call with api-key: {API_KEY}"
            )
        return body

    def denies(body: dict[str, Any]) -> dict[str, Any]:
        for item in body["value"]:
            item["properties"]["description"] = f"managed app; AccessKey={ACCESS_KEY}"
        return body

    def storage(body: dict[str, Any]) -> dict[str, Any]:
        body["tags"] = {
            "dbPassword": TAG_PASSWORD,
            "apiToken": TAG_TOKEN,
            "storage_key": STORAGE_KEY,
            "keyVault": "kv-ai",
            "owner": "data-team",
        }
        return body

    def connections(body: dict[str, Any]) -> dict[str, Any]:
        for item in body["value"]:
            item["properties"].setdefault("metadata", {}).update(
                {"Notes": f"Ocp-Apim-Subscription-Key: {APIM_KEY}", "db_secret": SAS_SIG}
            )
        return body

    def directory(body: dict[str, Any]) -> dict[str, Any]:
        for item in body["value"]:
            if item.get("displayName") == "Alice Smith":
                item["displayName"] = f"Alice Smith (app secret {CLIENT_SECRET})"
        return body

    fixtures = _with_body(
        fixtures, lambda e: e.path.endswith("/roleAssignments") and SUB_A in e.path, assignments
    )
    fixtures = _with_body(
        fixtures,
        lambda e: (
            e.path.endswith("/denyAssignments") and SUB_A in e.path and (e.body or {}).get("value")
        ),
        denies,
    )
    fixtures = _with_body(fixtures, lambda e: e.path.endswith("storageAccounts/stdocsai"), storage)
    fixtures = _with_body(
        fixtures, lambda e: e.path.endswith("/workspaces/hub-ai/connections"), connections
    )
    fixtures = _with_body(fixtures, lambda e: e.path.endswith("/getByIds"), directory)

    def echoed(body: dict[str, Any]) -> dict[str, Any]:
        body["error"]["message"] += (
            f" The request with 'Authorization: Bearer {JWT}' and signing key: {HEX64_KEY} "
            f"(Endpoint=sb://x/;SharedAccessKey={BUS_KEY}) was logged."
        )
        return body

    # Graph's 404s for the deleted principal: their messages are quoted in the errors
    return _with_body(fixtures, lambda e: e.service == "graph" and e.status == 404, echoed)


@pytest.fixture(scope="module")
def collected() -> tuple[dict[str, Any], dict[str, Any]]:
    planted, _ = collect_replayed(planted_fixtures())
    plain, _ = collect_replayed(load_fixture_set("hub-basic"))
    return planted.snapshot.data, plain.snapshot.data


def test_the_planted_values_reach_the_collector(collected: Any) -> None:
    text = json.dumps([e.body for e in planted_fixtures().exchanges])
    assert all(secret in text for secret in PLANTED.values())


def test_no_planted_value_is_in_the_collected_snapshot(collected: Any) -> None:
    planted, _ = collected
    text = json.dumps(planted)
    assert [name for name, secret in PLANTED.items() if secret in text] == []


def test_what_is_not_a_credential_survives_collection(collected: Any) -> None:
    planted, plain = collected

    def ids(data: dict[str, Any]) -> dict[str, set[str]]:
        return {
            section: {item["id"] for item in data[section]}
            for section in (
                "resources",
                "roleDefinitions",
                "roleAssignments",
                "denyAssignments",
                "roleEligibilities",
                "principals",
            )
        }

    assert ids(planted) == ids(plain)  # GUIDs, ARM ids and role ids all kept
    assert [a["properties"]["roleDefinitionId"] for a in planted["roleAssignments"]] == [
        a["properties"]["roleDefinitionId"] for a in plain["roleAssignments"]
    ]
    storage = next(r for r in planted["resources"] if r["id"].endswith("/stdocsai"))
    assert storage["tags"] == {"keyVault": "kv-ai", "owner": "data-team"}
    descriptions = {
        a["properties"]["description"]
        for a in planted["roleAssignments"]
        if a["id"].startswith(f"/subscriptions/{SUB_A}")
    }
    assert descriptions == {f"Nightly job; PrimaryKey={REMOVED}; call with api-key: {REMOVED}"}
    alice = next(p for p in planted["principals"] if "Alice" in (p["displayName"] or ""))
    assert alice["displayName"] == f"Alice Smith (app secret {REMOVED})"
    echoed = [e for e in planted["errors"] if e["code"] == "Request_ResourceNotFound"]
    assert echoed and all(f"Bearer {REMOVED}" in e["message"] for e in echoed)
    connection = next(
        r for r in planted["resources"] if r["id"].startswith(f"{HUB_BASIC}/connections/")
    )
    metadata = connection["properties"]["metadata"]
    # resources are scrubbed in drop mode: a string that held a credential goes whole
    assert "Notes" not in metadata and "db_secret" not in metadata
    assert metadata.get("ResourceId", "").startswith("/subscriptions/")


# -- messages the tool prints ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "sarif"])
def test_error_messages_quoted_in_reports_hold_no_credential(
    fmt: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A snapshot from elsewhere (not assembled by this version) may hold an error message
    that echoes a request: every report quotes it without the credential."""
    from diagnose.cli import main
    from diagnose.demo import load_demo

    data = load_demo().data
    data["errors"].append(
        {
            "scope": data["target"]["hub"],
            "operation": "Microsoft.Authorization/roleAssignments/read",
            "status": 401,
            "code": "InvalidAuthenticationToken",
            "message": f"token {JWT} rejected; headers {{'api-key': '{API_KEY}'}}; "
            f"secret {CLIENT_SECRET}; AccountKey={STORAGE_KEY}",
        }
    )
    path = tmp_path / "echo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    main(["--snapshot", str(path), "--format", fmt])
    out, err = capsys.readouterr()
    assert "InvalidAuthenticationToken" in out or "rejected" in out
    for secret in (JWT, API_KEY, CLIENT_SECRET, STORAGE_KEY):
        assert secret not in out + err
