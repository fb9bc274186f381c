"""--redact: consistent pseudonyms that keep the bundle replayable and the findings aligned."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from diagnose.app import DiagnoseOptions, Diagnosis, diagnose_snapshot, narrow_to_project
from diagnose.bundle import write_bundle
from diagnose.bundle.redact import (
    KEEP_SEGMENTS,
    KEY_VARIABLE,
    STOPWORDS,
    Redactor,
    key_fingerprint,
    load_key,
    restore_json,
    restore_text,
)
from diagnose.bundle.redact.identifiers import COSMOS_BUILTIN_SQL_ROLES
from diagnose.catalog import builtin_role_definitions
from diagnose.demo import load_demo
from diagnose.errors import BadInput
from diagnose.model.cosmos import BUILTIN_DEFINITIONS as COSMOS_BUILTIN_DEFINITIONS
from diagnose.report.formats import render_report
from diagnose.snapshot import Snapshot, load_snapshot
from tests.bundle_support import findings_by_identity, members, replay_json, without_source

KEY = "5f" * 32
OTHER_KEY = "a3" * 32
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ALL_PRINCIPALS = "00000000-0000-0000-0000-000000000000"
AZURE_ML_APP = "0736f41a-0425-4b46-bdb5-1563eff02385"
SUBSCRIPTION = "6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
HUB_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-contoso-ai/providers/"
    "Microsoft.MachineLearningServices/workspaces/hub-contoso"
)
ANA = "f0d9487d-24b5-54ee-bd12-10f6e9c7c9fb"


def demo_run(snapshot: Any = None, **options: Any) -> Diagnosis:
    return diagnose_snapshot(snapshot or load_demo(), DiagnoseOptions(**options))


def finding_keys(report: dict[str, Any]) -> Counter:
    return Counter(
        (f["checkId"], f["status"], f["cause"], f["severity"]) for f in report["findings"]
    )


REQUEST_LOG = [
    {
        "service": "arm",
        "method": "GET",
        "path": f"{HUB_ID}/providers/Microsoft.Authorization/roleAssignments",
        "query": {"api-version": "2022-04-01", "$filter": f"assignedTo('{ANA}')"},
        "status": 200,
        "durationMs": 88.1,
        "requestId": "5b0e2a4c-9f1d-4e7a-8c3b-2d6f1a0e9b71",
        "correlationId": "c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "wave": 1,
    },
    {
        "service": "graph",
        "method": "POST",
        "path": f"/v1.0/directoryObjects/{ANA}/getMemberGroups",
        "query": {},
        "status": 403,
        "durationMs": 12.0,
        "requestId": None,
        "correlationId": None,
        "wave": 2,
        "error": "ana.lopez@contoso.com lacks Directory.Read.All",
    },
]
ARGV = [
    "--hub",
    HUB_ID,
    "--subscription",
    SUBSCRIPTION,
    "--creator",
    "ana.lopez@contoso.com",
    "--bundle",
    "/home/ana.lopez/tickets/contoso.zip",
    "--redact",
    "--redaction-map",
    "C:\\Users\\ana.lopez\\map.json",
]


@pytest.fixture(scope="module")
def original() -> Diagnosis:
    return demo_run()


@pytest.fixture(scope="module")
def redacted(original: Diagnosis, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("redacted")
    path, mapping = folder / "redacted.zip", folder / "map.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_VARIABLE, KEY)
        live = dataclasses.replace(original, requests=tuple(REQUEST_LOG))
        write_bundle(path, live, argv=ARGV[:4], redact=True, redaction_map=mapping)
    return path, mapping


def aliases(mapping: Path) -> dict[str, str]:
    return json.loads(mapping.read_text())["aliases"]


def alias_of(mapping: Path, original: str) -> str:
    found = [a for a, o in aliases(mapping).items() if o.casefold() == original.casefold()]
    assert len(found) == 1, (original, found)
    return found[0]


def demo_identifiers() -> set[str]:
    """Every value of the demo that identifies the customer: ids, names, display names, user
    principal names, e-mail addresses and the text they wrote."""
    demo = load_demo().data
    text = json.dumps(demo)
    builtin = {d["name"].lower() for d in builtin_role_definitions()}
    builtin |= {
        d["name"].lower()
        for d in demo["roleDefinitions"]
        if d["properties"].get("type") == "BuiltInRole"
    }
    builtin |= set(COSMOS_BUILTIN_DEFINITIONS)  # Cosmos DB's built-in SQL roles, everyone's
    found = {g.lower() for g in GUID.findall(text)} - builtin - {ALL_PRINCIPALS, AZURE_ML_APP}
    for item in demo["resources"]:
        if item["name"].lower() not in builtin:
            found.add(item["name"])
        for segment in re.findall(
            r"/(?:resourceGroups|workspaces|accounts|searchServices|"
            r"storageAccounts|vaults|registries|components|"
            r"connections)/([^/]+)",
            item["id"],
        ):
            found.add(segment)
        properties = item.get("properties") or {}
        for key in ("friendlyName", "description"):
            if properties.get(key):
                found.add(properties[key])
        for group in properties.get("managementGroupAncestorsChain") or ():
            found.add(group["name"])
    for entry in demo["principals"]:
        if entry.get("appId") != AZURE_ML_APP:
            found.add(entry["displayName"])
        if entry.get("userPrincipalName"):
            found.add(entry["userPrincipalName"])
            found.add(entry["userPrincipalName"].split("@")[0])
    for definition in demo["roleDefinitions"]:
        if definition["properties"].get("type") != "BuiltInRole":
            found.add(definition["properties"]["roleName"])
    for deny in demo["denyAssignments"]:
        found.add(deny["properties"]["denyAssignmentName"])
        found.add(deny["properties"]["description"])
    found |= {"contoso", "articles", "sales", "contoso-archive-guard", "Contoso AI hub"}
    return {f for f in found if f}


def test_the_demo_identifiers_are_really_in_the_plain_demo() -> None:
    text = json.dumps(load_demo().data).lower()
    identifiers = demo_identifiers()
    assert len(identifiers) > 60
    assert all(i.lower() in text for i in identifiers)


def test_no_original_identifier_survives_in_any_byte(redacted: tuple[Path, Path]) -> None:
    path, _ = redacted
    raw = path.read_bytes().lower()
    files = {name: data.decode().lower() for name, data in members(path).items()}
    leaks = [
        (name, i) for i in demo_identifiers() for name, text in files.items() if i.lower() in text
    ]
    assert leaks == []
    assert [i for i in demo_identifiers() if i.lower().encode() in raw] == []


def test_the_redacted_bundle_says_so_and_keeps_well_known_ids(redacted: tuple[Path, Path]) -> None:
    files = members(redacted[0])
    manifest = json.loads(files["manifest.json"])
    assert manifest["redacted"] is True
    assert manifest["redactionKeyFingerprint"] == key_fingerprint(bytes.fromhex(KEY))
    assert json.loads(files["command.json"])["redacted"] is True
    snapshot = files["snapshot.json"].decode()
    assert ALL_PRINCIPALS in snapshot and AZURE_ML_APP in snapshot
    assert "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" in snapshot  # Owner
    assert '"roleName": "Owner"' in snapshot
    assert '"displayName": "Azure Machine Learning"' in snapshot
    assert "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write" in snapshot
    assert "Microsoft.MachineLearningServices/workspaces" in snapshot
    # the Azure request ids support looks up are kept
    assert "5b0e2a4c-9f1d-4e7a-8c3b-2d6f1a0e9b71" in files["requests.jsonl"].decode()


def test_the_redacted_bundle_replays_to_the_same_findings(
    redacted: tuple[Path, Path], original: Diagnosis
) -> None:
    path, _ = redacted
    bundled = json.loads(members(path)["report.json"])
    replayed = replay_json(path)
    assert without_source(replayed) == without_source(bundled)
    assert replayed["target"]["snapshot"] == f"{path}!snapshot.json"
    assert bundled["target"]["snapshot"] == "snapshot.json"
    plain = json.loads(render_report(original.report, "json"))
    assert len(bundled["findings"]) == len(plain["findings"]) > 20
    assert finding_keys(bundled) == finding_keys(plain)
    assert bundled["summary"] == plain["summary"]
    assert bundled["target"]["checks"] == plain["target"]["checks"]


def test_the_findings_line_up_through_the_map(
    redacted: tuple[Path, Path], original: Diagnosis
) -> None:
    path, mapping = redacted
    table = aliases(mapping)
    bundled = json.loads(members(path)["report.json"])
    plain = json.loads(render_report(original.report, "json"))

    assert findings_by_identity(
        bundled, lambda text: restore_text(text, table)
    ) == findings_by_identity(plain)


def test_the_map_turns_the_redacted_snapshot_back_into_the_original(
    redacted: tuple[Path, Path],
) -> None:
    path, mapping = redacted
    snapshot = json.loads(members(path)["snapshot.json"])
    assert restore_json(snapshot, aliases(mapping)) == load_demo().data


def test_one_id_gets_one_alias_in_every_file(redacted: tuple[Path, Path]) -> None:
    path, mapping = redacted
    files = {name: data.decode() for name, data in members(path).items()}
    for original, where in [
        (
            SUBSCRIPTION,
            ("snapshot.json", "report.json", "report.md", "requests.jsonl", "command.json"),
        ),
        (
            "hub-contoso",
            ("snapshot.json", "report.json", "report.md", "requests.jsonl", "command.json"),
        ),
        (
            "rg-contoso-ai",
            ("snapshot.json", "report.json", "report.md", "requests.jsonl", "command.json"),
        ),
        (ANA, ("snapshot.json", "report.json", "requests.jsonl")),
        ("ana.lopez@contoso.com", ("snapshot.json", "requests.jsonl")),
        (TENANT, ("snapshot.json",)),
    ]:
        alias = alias_of(mapping, original)
        for name in where:
            assert alias in files[name], (original, name)
    hub_alias = alias_of(mapping, "hub-contoso")
    assert hub_alias.startswith("hub-")
    storage = alias_of(mapping, "stcontosodata")
    assert re.fullmatch(r"st[0-9a-f]{10}", storage)
    assert f"https://{storage}.blob.core.windows.net/" in files["snapshot.json"]
    assert f'"AccountName": "{storage}"' in files["snapshot.json"]
    subdomain = alias_of(mapping, "aoai-contoso")
    assert f'"customSubDomainName": "{subdomain}"' in files["snapshot.json"]
    assert f"https://{subdomain}.openai.azure.com/" in files["snapshot.json"]
    # the hub's managed identity is named after the hub: it gets the hub's alias
    principals = json.loads(files["snapshot.json"])["principals"]
    assert {
        "displayName": hub_alias,
        "id": alias_of(mapping, "618ff4b8-7f66-5b48-a118-86066e1df4f7"),
        "memberOf": [],
        "type": "ServicePrincipal",
    } in principals


def test_aliases_keep_ids_well_formed(redacted: tuple[Path, Path]) -> None:
    path, mapping = redacted
    for alias, original in aliases(mapping).items():
        if GUID.fullmatch(original):
            assert uuid.UUID(alias).version == 4
        elif "@" in original:
            assert re.fullmatch(r"user-[0-9a-f]{10}@example\.invalid", alias)
        else:
            assert re.fullmatch(r"[a-z]+(-embed)?-?[0-9a-f]{10}", alias), alias
    data = json.loads(members(path)["snapshot.json"])
    for item in data["roleAssignments"]:
        assert item["id"].startswith(
            item["properties"]["scope"] + "/providers/Microsoft.Authorization/roleAssignments/"
        )
        assert item["id"].endswith("/" + item["name"])


def test_the_command_line_is_redacted_and_paths_hidden(
    redacted: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    path = tmp_path / "argv.zip"
    write_bundle(
        path, demo_run(creator="ana.lopez@contoso.com"), argv=ARGV, redact=True, redaction_map=None
    )
    argv = json.loads(members(path)["command.json"])["argv"]
    mapping = redacted[1]
    assert argv == [
        "--hub",
        HUB_ID.replace(SUBSCRIPTION, alias_of(mapping, SUBSCRIPTION))
        .replace("rg-contoso-ai", alias_of(mapping, "rg-contoso-ai"))
        .replace("hub-contoso", alias_of(mapping, "hub-contoso")),
        "--subscription",
        alias_of(mapping, SUBSCRIPTION),
        "--creator",
        alias_of(mapping, "ana.lopez@contoso.com"),
        "--bundle",
        "<path>.zip",
        "--redact",
        "--redaction-map",
        "<path>.json",
    ]


def test_a_creator_run_lines_up_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    run = demo_run(creator="Ben Carter")
    path = tmp_path / "creator.zip"
    write_bundle(
        path, run, argv=["--demo", "--creator", "Ben Carter"], redact=True, redaction_map=None
    )
    files = members(path)
    bundled = json.loads(files["report.json"])
    plain = json.loads(render_report(run.report, "json"))
    assert {"HUB004", "INS001"} <= {f["checkId"] for f in plain["findings"]}
    assert finding_keys(bundled) == finding_keys(plain)
    assert bundled["summary"] == plain["summary"]
    argv = json.loads(files["command.json"])["argv"]
    assert argv[:2] == ["--demo", "--creator"] and re.fullmatch(r"user-[0-9a-f]{10}", argv[2])
    creator_findings = [f for f in bundled["findings"] if f["checkId"] == "HUB004"]
    assert argv[2] in creator_findings[0]["message"]


def test_renaming_changes_no_choice_the_findings_make() -> None:
    """Where a finding picks one principal or workspace over another (the representative of
    people missing the same grant, the names it lists, the project a check asks about first),
    the choice follows the snapshot's order, not names or ids: renamed as redaction renames
    them, the same principals and projects are picked and listed in the same order."""
    renames = {
        "proj-chat": "zz-proj-chat",  # sorts after proj-docs
        "grp-ai-developers": "zz-ai-developers",  # sorts after the other groups
        "Ana Lopez": "Zoe Ana Lopez",
        "ebf5d665": "00a0b0c0",  # grp-ml-leads' id sorts first
    }
    text = json.dumps(load_demo().data)
    for old, new in renames.items():
        text = text.replace(old, new)
    renamed = demo_run(Snapshot(json.loads(text), "renamed.json"))

    def back(value: str) -> str:
        for old, new in renames.items():
            value = value.replace(new, old)
        return value

    plain = json.loads(render_report(demo_run().report, "json"))
    other = json.loads(render_report(renamed.report, "json"))
    assert findings_by_identity(other, back) == findings_by_identity(plain)
    assert sorted(
        [back(a["id"]) for a in f["affectedPrincipals"]] for f in other["findings"]
    ) == sorted([a["id"] for a in f["affectedPrincipals"]] for f in plain["findings"])


def test_a_focused_run_lines_up_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--principal: the bundle's report is the focused report, the principal aliased, and a
    replay focused on the alias gives it again."""
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    run = demo_run(principals=("Ben Carter",))
    path, mapping = tmp_path / "focus.zip", tmp_path / "map.json"
    write_bundle(
        path, run, argv=["--demo", "--principal", "Ben Carter"], redact=True, redaction_map=mapping
    )
    bundled = json.loads(members(path)["report.json"])
    plain = json.loads(render_report(run.report, "json"))
    ben = next(p for p in load_demo().data["principals"] if p["displayName"] == "Ben Carter")
    assert bundled["target"]["focus"] == [
        {
            "id": alias_of(mapping, ben["id"]),
            "type": "User",
            "displayName": alias_of(mapping, "Ben Carter"),
        }
    ]
    assert finding_keys(bundled) == finding_keys(plain)
    assert bundled["summary"] == plain["summary"]
    table = aliases(mapping)
    assert findings_by_identity(
        bundled, lambda text: restore_text(text, table)
    ) == findings_by_identity(plain)
    replayed = replay_json(path, "--principal", alias_of(mapping, ben["id"]))
    assert without_source(replayed) == without_source(bundled)


def test_a_run_with_a_personas_file_lines_up_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--personas: the bundle's report keeps the declared personas (ids aliased) and hides the
    file's name as the command line hides every path."""
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    declared = tmp_path / "contoso-personas.yaml"
    declared.write_text("grp-ai-developers: reader\nana.lopez@contoso.com: builder\n")
    run = demo_run(personas=str(declared))
    path, mapping = tmp_path / "personas.zip", tmp_path / "map.json"
    write_bundle(
        path,
        run,
        argv=["--demo", "--personas", str(declared)],
        redact=True,
        redaction_map=mapping,
    )
    files = members(path)
    bundled = json.loads(files["report.json"])
    plain = json.loads(render_report(run.report, "json"))
    assert plain["target"]["personas"] == "--personas contoso-personas.yaml"
    assert bundled["target"]["personas"] == "--personas <path>.yaml"
    assert json.loads(files["command.json"])["argv"] == ["--demo", "--personas", "<path>.yaml"]
    assert b"contoso-personas" not in b"".join(files.values())
    assert finding_keys(bundled) == finding_keys(plain)
    assert finding_keys(plain) != finding_keys(json.loads(render_report(demo_run().report, "json")))
    assert bundled["summary"] == plain["summary"]
    table = aliases(mapping)

    def restore(text: str) -> str:
        return restore_text(text, table).replace("<path>.yaml", "contoso-personas.yaml")

    assert findings_by_identity(bundled, restore) == findings_by_identity(plain)


def test_a_project_run_lines_up_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    run = demo_run(narrow_to_project(load_demo(), "proj-chat"))
    path = tmp_path / "project.zip"
    write_bundle(
        path, run, argv=["--demo", "--project", "proj-chat"], redact=True, redaction_map=None
    )
    bundled = json.loads(members(path)["report.json"])
    assert bundled["target"]["project"].startswith("proj-")
    assert bundled["target"]["project"] != "proj-chat"
    assert finding_keys(bundled) == finding_keys(json.loads(render_report(run.report, "json")))
    assert without_source(replay_json(path)) == without_source(bundled)


def well_known_in(text: str) -> set[str]:
    builtin = {d["name"].lower() for d in builtin_role_definitions()}
    builtin |= {
        d["name"].lower()
        for d in load_demo().data["roleDefinitions"]
        if d["properties"].get("type") == "BuiltInRole"
    }
    builtin |= set(COSMOS_BUILTIN_DEFINITIONS)
    return {g.lower() for g in GUID.findall(text)} & (builtin | {ALL_PRINCIPALS, AZURE_ML_APP})


NAME_ALIAS = re.compile(
    r"(?<![\w-])(?:rg|mg|hub|proj|ws|ai|srch|st|kv|cr|appi|id|conn|res|ctr|"
    r"user|group|sp|role|deny|text|value|tag)(?:-embed-|embed|-)?"
    r"[0-9a-f]{10}(?![\w-])"
)


def test_the_same_key_gives_the_same_aliases_and_another_key_others(
    original: Diagnosis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def snapshot_with(key: str | None, name: str) -> str:
        if key is None:
            monkeypatch.delenv(KEY_VARIABLE, raising=False)
        else:
            monkeypatch.setenv(KEY_VARIABLE, key)
        path = tmp_path / name
        write_bundle(path, original, argv=[], redact=True, redaction_map=None)
        return members(path)["snapshot.json"].decode()

    first, again = snapshot_with(KEY, "a.zip"), snapshot_with(KEY, "b.zip")
    assert first == again
    guids = {g.lower() for g in GUID.findall(first)}
    names = set(NAME_ALIAS.findall(first))
    assert len(names) > 30
    well_known = well_known_in(json.dumps(load_demo().data))
    assert well_known and well_known <= guids
    others = [
        snapshot_with(OTHER_KEY, "c.zip"),
        snapshot_with(None, "d.zip"),
        snapshot_with(None, "e.zip"),
    ]
    for text in others:
        assert {g.lower() for g in GUID.findall(text)} & guids == well_known
        assert set(NAME_ALIAS.findall(text)).isdisjoint(names)
    assert set(NAME_ALIAS.findall(others[1])).isdisjoint(NAME_ALIAS.findall(others[2]))


def test_the_key_is_never_in_the_bundle_and_the_map_only_when_asked(
    original: Diagnosis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    path = tmp_path / "nomap.zip"
    write_bundle(path, original, argv=[], redact=True, redaction_map=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nomap.zip"]
    key = bytes.fromhex(KEY)
    raw = path.read_bytes()
    for data in [raw, *members(path).values()]:
        assert KEY.encode() not in data.lower() and key not in data


def test_the_map_file_is_private_and_holds_the_key(redacted: tuple[Path, Path]) -> None:
    _, mapping = redacted
    document = json.loads(mapping.read_text())
    assert document["key"] == KEY
    assert document["keyFingerprint"] == key_fingerprint(bytes.fromhex(KEY))
    assert document["bundle"] == "redacted.zip"
    if sys.platform != "win32":
        assert mapping.stat().st_mode & 0o777 == 0o600


def test_a_random_key_is_used_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    first, source = load_key()
    assert source == "random" and len(first) == 32
    assert load_key()[0] != first


@pytest.mark.parametrize("value", ["not-hex", "abcd", "00" * 15])
def test_an_unusable_key_is_bad_input(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VARIABLE, value)
    with pytest.raises(BadInput, match=KEY_VARIABLE):
        load_key()


# -- the Redactor on its own ----------------------------------------------------------------


def redactor(snapshot: dict[str, Any] | None = None) -> Redactor:
    result = Redactor(bytes.fromhex(KEY), {ALL_PRINCIPALS, AZURE_ML_APP})
    result.learn(snapshot or {})
    return result


def test_arm_ids_keep_their_types_and_case_does_not_split_aliases() -> None:
    r = redactor()
    lower = r.arm_path(
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-Contoso/providers/"
        "Microsoft.Storage/storageAccounts/stdata/blobServices/default/"
        "containers/docs"
    )
    upper = r.arm_path(
        f"/SUBSCRIPTIONS/{SUBSCRIPTION.upper()}/RESOURCEGROUPS/RG-CONTOSO/"
        "PROVIDERS/Microsoft.Storage/storageAccounts/STDATA"
    )
    parts = lower.split("/")
    assert parts[1] == "subscriptions" and GUID.fullmatch(parts[2])
    assert parts[5:9] == ["providers", "Microsoft.Storage", "storageAccounts", parts[8]]
    assert parts[9:11] == ["blobServices", "default"]
    assert parts[12] != "docs"
    assert upper.lower() == "/".join(parts[:9]).lower()


def test_free_text_ids_addresses_and_names_are_replaced() -> None:
    r = redactor(
        {
            "resources": [
                {
                    "id": HUB_ID,
                    "name": "hub-contoso",
                    "type": "Microsoft.MachineLearningServices/workspaces",
                    "kind": "Hub",
                }
            ],
            "principals": [
                {
                    "id": ANA,
                    "type": "User",
                    "displayName": "Ana Lopez",
                    "userPrincipalName": "ana.lopez@contoso.com",
                    "memberOf": [],
                }
            ],
        }
    )
    message = (
        f"The client 'ana.lopez@contoso.com' with object id '{ANA}' does not have "
        "authorization to perform action 'Microsoft.MachineLearningServices/"
        f"workspaces/read' over scope '{HUB_ID}'. Ana Lopez asked about hub-contoso "
        "from 203.0.113.7 and https://portal.contoso.com/x."
    )
    out = r.text(message)
    for secret in (
        "ana.lopez",
        ANA,
        "Ana Lopez",
        "hub-contoso",
        SUBSCRIPTION,
        "rg-contoso-ai",
        "203.0.113.7",
        "contoso",
    ):
        assert secret.lower() not in out.lower(), secret
    assert "'Microsoft.MachineLearningServices/workspaces/read'" in out
    assert "does not have authorization to perform action" in out
    assert r.text(
        "https://management.azure.com/providers/Microsoft.Authorization/"
        "operations?api-version=2022-04-01"
    ) == (
        "https://management.azure.com/providers/Microsoft.Authorization/operations"
        "?api-version=2022-04-01"
    )


def test_conditions_keep_operations_and_lose_values() -> None:
    r = redactor()
    condition = (
        "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/"
        "blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/"
        "containers:name] StringEquals 'contoso-secret-docs' AND "
        f"@Principal[Microsoft.Directory/groups] ForAnyOfAnyValues:GuidEquals {{{ANA}}}))"
    )
    out = r.condition(condition)
    assert (
        "ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'}"
        in out
    )
    assert "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]" in out
    assert "contoso-secret-docs" not in out and ANA not in out
    assert re.search(r"StringEquals 'value-[0-9a-f]{10}'", out)


def test_hosts_outside_microsoft_become_example_invalid() -> None:
    r = redactor()
    assert re.fullmatch(
        r"https://host-[0-9a-f]{10}\.example\.invalid/v1/chat",
        r.text("https://llm.contoso.com/v1/chat"),
    )
    assert (
        r.text("https://login.microsoftonline.com/common")
        == "https://login.microsoftonline.com/common"
    )
    assert r.target("mysearch.search.windows.net").endswith(".search.windows.net")
    assert not r.target("mysearch.search.windows.net").startswith("mysearch")


# -- every check's fixtures survive redaction ----------------------------------------------

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CHECK_FIXTURES = sorted(FIXTURES.glob("checks/*/*.json")) + sorted(FIXTURES.glob("access/*.json"))


def identifiers_of(data: dict[str, Any]) -> set[str]:
    """The GUIDs (well-known ones aside), resource names, display names and user principal
    names of any snapshot."""
    builtin = {d["name"].lower() for d in builtin_role_definitions()}
    builtin |= {
        str(d.get("name")).lower()
        for d in data["roleDefinitions"]
        if (d.get("properties") or {}).get("type") == "BuiltInRole"
    }
    found = {g.lower() for g in GUID.findall(json.dumps(data))}
    found -= builtin | {ALL_PRINCIPALS, AZURE_ML_APP}
    for item in data["resources"]:
        segments = item["id"].split("/")
        for index, segment in enumerate(segments[:-1]):
            if segment.lower() in ("subscriptions", "resourcegroups"):
                found.add(segments[index + 1])
            elif segment.lower() == "providers":  # namespace, then type/name pairs
                found.update(segments[index + 3 :: 2])
    for entry in data["principals"]:
        if entry.get("appId") != AZURE_ML_APP:
            found.add(entry.get("displayName") or "")
        found.add(entry.get("userPrincipalName") or "")
    kept = STOPWORDS | KEEP_SEGMENTS | COSMOS_BUILTIN_SQL_ROLES  # the last: names in resource ids
    return {f for f in found if len(f) >= 4 and f.lower() not in kept}


@pytest.mark.parametrize(
    "fixture", CHECK_FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in CHECK_FIXTURES]
)
def test_every_check_fixture_lines_up_after_redaction(
    fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    snapshot = load_snapshot(fixture)
    creator = snapshot.target.get("creator")
    run = diagnose_snapshot(snapshot, DiagnoseOptions(creator=creator))
    path, mapping = tmp_path / "b.zip", tmp_path / "map.json"
    argv = ["--snapshot", str(fixture), *(["--creator", creator] if creator else [])]
    write_bundle(path, run, argv=argv, redact=True, redaction_map=mapping)
    table = aliases(mapping)
    bundled = json.loads(members(path)["report.json"])
    plain = json.loads(render_report(run.report, "json"))

    assert findings_by_identity(
        bundled, lambda text: restore_text(text, table)
    ) == findings_by_identity(plain)
    assert bundled["summary"] == plain["summary"]
    restored = restore_json(json.loads(members(path)["snapshot.json"]), table)
    assert restored == snapshot.data
    text = "\n".join(data.decode() for data in members(path).values())
    leaks = [
        i
        for i in identifiers_of(snapshot.data)
        if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text, re.IGNORECASE)
    ]
    assert leaks == []


def test_request_paths_urls_and_queries_share_the_snapshot_aliases() -> None:
    r = redactor(
        {
            "resources": [
                {
                    "id": HUB_ID,
                    "name": "hub-contoso",
                    "kind": "Hub",
                    "type": "Microsoft.MachineLearningServices/workspaces",
                }
            ]
        }
    )
    hub = r.text(HUB_ID)
    [entry] = r.requests(
        [
            {
                "method": "GET",
                "status": 200,
                "durationMs": 3.0,
                "requestId": "5b0e2a4c-9f1d-4e7a-8c3b-2d6f1a0e9b71",
                "path": HUB_ID.upper() + "/connections",
                "url": f"https://management.azure.com{HUB_ID}/providers/Microsoft.Authorization/"
                f"roleAssignments?api-version=2022-04-01&%24filter=assignedTo%28%27{ANA}%27%29",
                "query": {"api-version": "2022-04-01", "$filter": f"principalId eq '{ANA}'"},
            }
        ]
    )
    assert entry["path"].lower() == (hub + "/connections").lower()
    assert entry["url"].startswith(
        f"https://management.azure.com{hub}/providers/"
        "Microsoft.Authorization/roleAssignments?api-version="
        "2022-04-01&"
    )
    alias = r.guid(ANA)
    assert alias in entry["url"] and ANA not in entry["url"] and " " not in entry["url"]
    assert entry["query"] == {"api-version": "2022-04-01", "$filter": f"principalId eq '{alias}'"}
    assert entry["requestId"] == "5b0e2a4c-9f1d-4e7a-8c3b-2d6f1a0e9b71"


def test_tags_addresses_and_hint_words() -> None:
    connection = f"{HUB_ID}/connections/aoai-embeddings"
    r = redactor(
        {
            "resources": [
                {
                    "id": connection,
                    "name": "aoai-embeddings",
                    "type": "Microsoft.MachineLearningServices/workspaces/connections",
                }
            ]
        }
    )
    item = r.walk(
        {
            "tags": {"owner": "ana.lopez@contoso.com", "costCenter": "contoso-1234"},
            "networkRuleSet": {"ipRules": [{"value": "203.0.113.0/24"}, {"value": "0.0.0.0"}]},
            "connection": "aoai-embeddings",
        }
    )
    tags = item["tags"]
    assert all(re.fullmatch(r"tag-[0-9a-f]{10}", k) for k in tags)
    values = sorted(tags.values())
    assert re.fullmatch(r"text-[0-9a-f]{10}", values[0])
    assert re.fullmatch(r"user-[0-9a-f]{10}@example\.invalid", values[1])
    first, second = item["networkRuleSet"]["ipRules"]
    assert re.fullmatch(r"240\.\d+\.\d+\.\d+/24", first["value"])
    assert second["value"] == "0.0.0.0"
    assert re.fullmatch(r"conn-embed-[0-9a-f]{10}", item["connection"])
