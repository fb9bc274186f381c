"""No credential ever reaches a support bundle, redacted or not.

Keys, SAS tokens, connection strings, bearer tokens and `credentials` blocks are planted in a
copy of the demo snapshot, in a request log and on the command line; every byte of the zip
(raw, and every member decompressed) and of the redaction map is then searched for them.
"""

from __future__ import annotations

import base64
import copy
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from diagnose.app import Diagnosis, diagnose_snapshot
from diagnose.bundle import write_bundle
from diagnose.bundle.redact import KEY_VARIABLE
from diagnose.demo import load_demo
from diagnose.report.formats import render_report
from diagnose.secrets import (
    REMOVED,
    is_secret_field,
    scrub_argv,
    scrub_json,
    scrub_text,
)
from diagnose.snapshot import load_snapshot, parse_snapshot

# Realistic shapes: a Cognitive Services key (32 hex), a storage account key (88 base64),
# a Search admin key (52 alphanumerics), a JWT, SAS signatures, passwords.
OPENAI_KEY = "7d3c9f1e2b4a48c6a0e5f9d8c7b6a5e4"
STORAGE_KEY = (
    "Qm9vbTJ4VGhpc0lzQVBsYW50ZWRTdG9yYWdlS2V5Rm9yVGVzdHM5ODc2NTQzMjEwQUJDREVGR0hJSktMTU5PUA=="
)
SEARCH_KEY = "Zx81PlantedSearchAdminKeyQ7w3Lk5Vb2Nm4Hj6Gf8Ds0Ap9Az"
JWT = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ."
    "eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyIsIm9pZCI6InBsYW50ZWQifQ."
    "UGxhbnRlZFNpZ25hdHVyZUJ5dGVzMTIzNDU2Nzg5MA"
)
SAS_SIG = "PlAnTeDsIgNaTuRe0123456789abcdefABCDEF%2Bxyz%3D"
SAS_SIG_2 = "S3condPlantedSig9876%2F543210%3D"
SAS_URL = (
    "https://stcontosodata.blob.core.windows.net/articles?sv=2022-11-02&ss=b&srt=co"
    f"&sp=rl&se=2030-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig={SAS_SIG}"
)
CONNECTION_STRING = (
    "DefaultEndpointsProtocol=https;AccountName=stcontosodata;"
    f"AccountKey={STORAGE_KEY};EndpointSuffix=core.windows.net"
)
SERVICE_BUS = (
    "Endpoint=sb://contoso-bus.servicebus.windows.net/;SharedAccessKeyName="
    "RootManageSharedAccessKey;SharedAccessKey=PlantedSharedAccessKey0042xyz="
)
SQL_PASSWORD = "Pl@ntedSqlPassw0rd!"
CLIENT_SECRET = "Q~planted.client_secret-8K2mN9pL4xR7tV1wY3zB6cD0fG5hJ"
FUNCTION_CODE = "PlantedFunctionCode-aBcD1234eFgH5678iJkL=="
INSTRUMENTATION_KEY = "1b2c3d4e-aaaa-4bbb-8ccc-0123456789ab"
ARM_TOKEN = "planted-arm-token-value-0001"
REDACTION_KEY = "c4" * 32
# The kinds issue 9 adds, in free text the collector does not see as fields: Graph names,
# assignment descriptions, tags, error messages.
PRIMARY_KEY = base64.b64encode(bytes(range(7, 39))).decode()
APIM_KEY = "5b1f0c9e8d7a46b3a2c1e0f9d8c7b6a5"
ENTRA_SECRET = "xyz8Q~PlantedEntraClientSecret.AbC-12_zz"
SIGNING_KEY = "9f" * 32
TAG_PASSWORD = "PlantedTagPassw0rd"

SECRETS = {
    "openai key": OPENAI_KEY,
    "storage key": STORAGE_KEY,
    "search key": SEARCH_KEY,
    "jwt": JWT,
    "jwt payload": JWT.split(".")[1],
    "jwt signature": JWT.split(".")[2],
    "sas signature": SAS_SIG,
    "sas signature decoded": "PlAnTeDsIgNaTuRe0123456789abcdef",
    "second sas signature": SAS_SIG_2,
    "second sas decoded": "S3condPlantedSig9876",
    "service bus key": "PlantedSharedAccessKey0042xyz",
    "sql password": SQL_PASSWORD,
    "client secret": CLIENT_SECRET,
    "function code": FUNCTION_CODE,
    "instrumentation key": INSTRUMENTATION_KEY,
    "arm token": ARM_TOKEN,
    "redaction key": REDACTION_KEY,
    "primary key": PRIMARY_KEY,
    "apim key": APIM_KEY,
    "entra client secret": ENTRA_SECRET,
    "signing key": SIGNING_KEY,
    "tag password": TAG_PASSWORD,
}


def forms(secret: str) -> set[bytes]:
    """A secret as it could appear in bytes: as is, URL-encoded, JSON-escaped, base64."""
    return {
        secret.encode(),
        quote(secret, safe="").encode(),
        json.dumps(secret)[1:-1].encode(),
        base64.b64encode(secret.encode()).rstrip(b"="),
    }


def planted_snapshot() -> dict[str, Any]:
    data = copy.deepcopy(load_demo().data)
    by_name = {r["name"]: r for r in data["resources"]}
    by_name["aoai-embeddings"]["properties"]["credentials"] = {"key": OPENAI_KEY}
    by_name["search-shared"]["properties"]["credentials"] = {
        "keys": {"primaryKey": SEARCH_KEY, "secondaryKey": OPENAI_KEY}
    }
    articles = by_name["blob-support-articles"]["properties"]
    articles["credentials"] = {"sas": SAS_URL, "accountKey": STORAGE_KEY}
    articles["metadata"]["SasUrl"] = SAS_URL
    articles["metadata"]["Notes"] = f"fallback: {CONNECTION_STRING}"
    by_name["onelake-sales"]["properties"]["target"] = SAS_URL.replace(SAS_SIG, SAS_SIG_2)
    insights = by_name["appi-contoso"]["properties"]
    insights["ConnectionString"] = (
        f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint="
        "https://eastus-8.in.applicationinsights.azure.com/"
    )
    insights["InstrumentationKey"] = INSTRUMENTATION_KEY
    by_name["stcontosoai"]["properties"]["extra"] = {
        "value": STORAGE_KEY,
        "deployment": {"adminPassword": SQL_PASSWORD},
        "servicePrincipal": {
            "clientId": "2f4e6a8c-1b3d-4e5f-8a7b-9c0d1e2f3a4b",
            "clientSecret": CLIENT_SECRET,
        },
        "bus": SERVICE_BUS,
        "sql": f"Server=tcp:x.database.windows.net;Password={SQL_PASSWORD};",
        "webhook": f"https://contoso-fn.azurewebsites.net/api/hook?code={FUNCTION_CODE}",
        "legacyKey": OPENAI_KEY,
        "opaque": OPENAI_KEY,
    }
    by_name["srch-contoso"]["properties"]["note"] = f"Authorization: Bearer {JWT}"
    data["errors"] = [
        {
            "scope": by_name["stcontosodata"]["id"],
            "operation": "Microsoft.Storage/storageAccounts/read",
            "status": 403,
            "code": "AuthorizationFailed",
            "message": f"request with token {JWT} to {SAS_URL} was refused",
        }
    ]
    data["denyAssignments"][0]["properties"]["description"] += f" See {SAS_URL}"
    data["roleAssignments"][0]["properties"]["description"] = (
        f"break-glass; PrimaryKey={PRIMARY_KEY}; Ocp-Apim-Subscription-Key: {APIM_KEY}"
    )
    data["principals"][0]["displayName"] += f" (secret {ENTRA_SECRET})"
    by_name["srch-contoso"]["tags"] = {"db_password_prod": TAG_PASSWORD, "owner": "search-team"}
    data["errors"].append(
        {
            "scope": by_name["srch-contoso"]["id"],
            "operation": "Microsoft.Search/searchServices/read",
            "status": 500,
            "code": "InternalError",
            "message": f"upstream said: signing key: {SIGNING_KEY}",
        }
    )
    return data


REQUESTS = [
    {
        "service": "arm",
        "method": "GET",
        "url": "https://management.azure.com/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a"
        f"?api-version=2022-12-01&sig={SAS_SIG}",
        "path": "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a",
        "query": {"api-version": "2022-12-01", "code": FUNCTION_CODE, "sig": SAS_SIG},
        "headers": {"Authorization": f"Bearer {JWT}", "x-ms-request-id": "r-1"},
        "status": 200,
        "durationMs": 5.5,
        "requestId": "1c3e5a7b-0000-4000-8000-00000000aa01",
        "correlationId": "1c3e5a7b-0000-4000-8000-00000000aa02",
        "wave": 0,
    },
    {
        "service": "graph",
        "method": "POST",
        "path": "/v1.0/directoryObjects/getByIds",
        "query": {},
        "status": None,
        "durationMs": 1.0,
        "requestId": None,
        "correlationId": None,
        "wave": 1,
        "error": f"ConnectionError: {CONNECTION_STRING} / token={ARM_TOKEN}",
    },
]
ARGV = [
    "--hub",
    "hub-contoso",
    "--arm-token",
    ARM_TOKEN,
    f"--client-secret={CLIENT_SECRET}",
    "--storage-key",
    STORAGE_KEY,
    SAS_URL,
    f"Bearer {JWT}",
    CONNECTION_STRING,
    "--bundle",
    "support.zip",
]


@pytest.fixture(scope="module")
def planted_run() -> Diagnosis:
    snapshot = parse_snapshot(planted_snapshot(), "<planted>")
    return diagnose_snapshot(snapshot, requests=REQUESTS)


def test_the_planted_values_are_really_in_the_inputs(planted_run: Diagnosis) -> None:
    text = json.dumps([planted_run.snapshot.data, REQUESTS, ARGV])
    for name, secret in SECRETS.items():
        if name not in (
            "redaction key",
            "jwt payload",
            "jwt signature",
            "sas signature decoded",
            "second sas decoded",
        ):
            assert secret in text, name


@pytest.mark.parametrize("redact", [False, True], ids=["plain", "redacted"])
def test_no_planted_secret_reaches_any_byte_of_the_bundle(
    redact: bool, planted_run: Diagnosis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, REDACTION_KEY)
    path, mapping = tmp_path / "bundle.zip", tmp_path / "map.json"
    write_bundle(
        path, planted_run, argv=ARGV, redact=redact, redaction_map=mapping if redact else None
    )
    with zipfile.ZipFile(path) as bundle:
        blobs = {name: bundle.read(name) for name in bundle.namelist()}
    blobs["<raw zip>"] = path.read_bytes()
    if redact:
        blobs["<redaction map, secrets only>"] = json.dumps(
            json.loads(mapping.read_text())["aliases"]
        ).encode()
    found = [
        (name, secret_name)
        for secret_name, secret in SECRETS.items()
        for name, data in blobs.items()
        for form in forms(secret)
        if form.lower() in data.lower()
    ]
    assert found == []
    # the scrubbed bundle still replays, and its report is what the replay prints
    snapshot = load_snapshot(path)
    replayed = diagnose_snapshot(snapshot)
    bundled = json.loads(blobs["report.json"])
    assert json.loads(render_report(replayed.report, "json"))["findings"] == bundled["findings"]
    assert REMOVED.encode() in blobs["snapshot.json"]
    assert REMOVED.encode() in blobs["command.json"]
    assert REMOVED.encode() in blobs["requests.jsonl"]


def test_the_request_log_keeps_what_support_needs(planted_run: Diagnosis, tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    write_bundle(path, planted_run, argv=[], redact=False, redaction_map=None)
    with zipfile.ZipFile(path) as bundle:
        entries = [json.loads(line) for line in bundle.read("requests.jsonl").decode().splitlines()]
    first = entries[0]
    assert first["url"] == (
        "https://management.azure.com/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a"
    )
    assert first["query"] == {"api-version": "2022-12-01", "code": REMOVED, "sig": REMOVED}
    assert first["headers"] == {"Authorization": REMOVED, "x-ms-request-id": "r-1"}
    assert (first["method"], first["status"], first["durationMs"]) == ("GET", 200, 5.5)
    assert first["requestId"] == "1c3e5a7b-0000-4000-8000-00000000aa01"
    assert first["correlationId"] == "1c3e5a7b-0000-4000-8000-00000000aa02"


def test_the_command_line_loses_secret_option_values() -> None:
    assert scrub_argv(ARGV) == [
        "--hub",
        "hub-contoso",
        "--arm-token",
        REMOVED,
        f"--client-secret={REMOVED}",
        "--storage-key",
        REMOVED,
        "https://stcontosodata.blob.core.windows.net/articles",
        f"Bearer {REMOVED}",
        CONNECTION_STRING.replace(STORAGE_KEY, REMOVED),
        "--bundle",
        "support.zip",
    ]
    assert scrub_argv(["--arm-token", "--json"]) == ["--arm-token", "--json"]
    assert scrub_argv(["--auth", "cli", "--select", "CON001", "--fail-on", "warn"]) == [
        "--auth",
        "cli",
        "--select",
        "CON001",
        "--fail-on",
        "warn",
    ]


@pytest.mark.parametrize(
    "name, secret",
    [
        ("key", True),
        ("Keys", True),
        ("primaryKey", True),
        ("secondary_key", True),
        ("accessKey", True),
        ("AccountKey", True),
        ("password", True),
        ("adminPassword", True),
        ("secret", True),
        ("clientSecret", True),
        ("connectionString", True),
        ("ConnectionStrings", True),
        ("sasToken", True),
        ("token", True),
        ("accessToken", True),
        ("credentials", True),
        ("Authorization", True),
        ("InstrumentationKey", True),
        ("aadOrApiKey", False),
        ("apiKeyOnly", False),
        ("keyVault", False),
        ("keyVaultProperties", False),
        ("keyIdentifier", False),
        ("keyName", False),
        ("disableLocalAuth", False),
        ("allowSharedKeyAccess", False),
        ("code", False),
        ("principalId", False),
        ("authType", False),
        ("tokenType", False),
        ("maxTokens", False),
        ("legacyKey", True),
        ("storageKeys", True),
        ("publicKey", False),
        ("sshPublicKey", False),
        ("partitionKey", False),
    ],
)
def test_secret_field_names(name: str, secret: bool) -> None:
    assert is_secret_field(name) is secret


def test_the_tools_own_reports_pass_the_scrub_unchanged() -> None:
    run = diagnose_snapshot(load_demo())
    for fmt in ("json", "markdown", "text", "sarif"):
        text = render_report(run.report, fmt)
        assert scrub_text(text) == text, fmt
    assert scrub_json(load_demo().data) == load_demo().data


def test_paths_with_digits_are_not_taken_for_keys() -> None:
    arm_id = (
        "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a/resourceGroups/rg/providers/"
        "Microsoft.MachineLearningServices/workspaces/Hub2024ProdEastUS01/connections/"
        "Conn2024AbCdEf"
    )
    assert scrub_text(arm_id) == arm_id
    padded = "abcDEFghiJKL/mnoPQR/stuVWX1234567890abcdefGHIJ=="
    assert scrub_text(padded) == REMOVED


@pytest.mark.parametrize(
    "text",
    [
        "https://x.blob.core.windows.net/c?sv=2022-11-02&sig=abc%3D",
        f"token {JWT}",
        f"Bearer {JWT}",
        "AccountKey=abc123;",
        "sig=Zm9v",
        OPENAI_KEY,
        STORAGE_KEY,
        "https://user:pa55@host.example.com/x",
    ],
)
def test_scrub_text_is_idempotent_and_removes(text: str) -> None:
    once = scrub_text(text)
    assert once != text
    assert scrub_text(once) == once


def test_ids_role_ids_and_manifest_hashes_survive_the_scrub(
    planted_run: Diagnosis, tmp_path: Path
) -> None:
    """What is not a credential is kept: every GUID and ARM id of the snapshot, the role ids,
    the tags that name no credential, and the manifest's SHA-256 of every member."""
    import hashlib

    path = tmp_path / "bundle.zip"
    write_bundle(path, planted_run, argv=ARGV, redact=False, redaction_map=None)
    with zipfile.ZipFile(path) as bundle:
        members = {name: bundle.read(name) for name in bundle.namelist()}
    files = json.loads(members["manifest.json"])["files"]
    assert files and all(
        entry["sha256"] == hashlib.sha256(members[name]).hexdigest()
        for name, entry in files.items()
    )
    bundled, planted = json.loads(members["snapshot.json"]), planted_run.snapshot.data
    for section in (
        "resources",
        "roleDefinitions",
        "roleAssignments",
        "denyAssignments",
        "principals",
    ):
        assert [item["id"] for item in bundled[section]] == [
            item["id"] for item in planted[section]
        ], section
    assert [a["properties"]["roleDefinitionId"] for a in bundled["roleAssignments"]] == [
        a["properties"]["roleDefinitionId"] for a in planted["roleAssignments"]
    ]
    search = next(r for r in bundled["resources"] if r["name"] == "srch-contoso")
    assert search["tags"] == {"db_password_prod": REMOVED, "owner": "search-team"}
    assert (
        bundled["roleAssignments"][0]["properties"]["description"]
        == f"break-glass; PrimaryKey={REMOVED}; Ocp-Apim-Subscription-Key: {REMOVED}"
    )
