"""`diagnose access` end to end, on the hand-written snapshots in fixtures/access/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from diagnose.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "access"
HUB_FILE = FIXTURES / "hub-group-pim-deny.json"
PARTIAL_FILE = FIXTURES / "partial-reads.json"

SUB = "/subscriptions/00000000-1111-2222-3333-444444444444"
RG = f"{SUB}/resourceGroups/rg-ai"
RG_PROD = f"{SUB}/resourceGroups/rg-ai-prod"
HUB = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub-contoso"
SA = f"{RG}/providers/Microsoft.Storage/storageAccounts/sthubcontoso"
SHARE = f"{SA}/fileServices/default/fileshares/code-391ff5ac"
AOAI = f"{RG}/providers/Microsoft.CognitiveServices/accounts/aoai-contoso"
SEARCH_INDEX = f"{RG}/providers/Microsoft.Search/searchServices/srch-contoso/indexes/docs"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-contoso"

ADA = "0d7e5c1a-3b9f-4a61-9c2e-7f1b2a3c4d01"
BOB = "0d7e5c1a-3b9f-4a61-9c2e-7f1b2a3c4d02"
TEAM = "6f2a9e4b-1c3d-4e5f-8a7b-9c0d1e2f3a01"
BUILDERS = "6f2a9e4b-1c3d-4e5f-8a7b-9c0d1e2f3a02"
HUB_MI = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c01"
DAN = "1e2d3c4b-5a69-4788-9a0b-c1d2e3f40001"
ERIN = "1e2d3c4b-5a69-4788-9a0b-c1d2e3f40002"
FRANK = "1e2d3c4b-5a69-4788-9a0b-c1d2e3f40003"
CAROL = "1e2d3c4b-5a69-4788-9a0b-c1d2e3f40004"

CHAT = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
HUB_JOIN = "Microsoft.MachineLearningServices/workspaces/hubs/join/action"
READ_BACKUP = "Microsoft.Storage/storageAccounts/fileServices/readFileBackupSemantics/action"
SA_DELETE = "Microsoft.Storage/storageAccounts/delete"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
DOCS_READ = "Microsoft.Search/searchServices/indexes/documents/read"


def access(
    capsys: pytest.CaptureFixture[str],
    principal: str,
    scope: str,
    *,
    action: str | None = None,
    data_action: str | None = None,
    snapshot: Path = HUB_FILE,
    as_json: bool = False,
) -> tuple[int, str, str]:
    argv = ["access", "--snapshot", str(snapshot), "--principal", principal, "--scope", scope]
    argv += ["--data-action", data_action] if data_action else ["--action", action or ""]
    if as_json:
        argv.append("--json")
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def as_json(
    capsys: pytest.CaptureFixture[str], principal: str, scope: str, **kw: Any
) -> tuple[int, dict[str, Any]]:
    code, out, _ = access(capsys, principal, scope, as_json=True, **kw)
    return code, json.loads(out)


def test_allowed_through_nested_groups_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = access(capsys, ADA, AOAI, data_action=CHAT)
    assert code == 0
    paragraph = out.split("\n\n")[0]
    assert paragraph.startswith("ALLOWED: Ada Lovelace")
    assert "Cognitive Services OpenAI User" in paragraph
    assert "AI team -> AI builders" in paragraph
    assert "Grants:" in out
    assert err == ""


def test_allowed_json_has_the_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = as_json(capsys, ADA, HUB, action=HUB_JOIN)
    assert code == 0
    assert data["decision"] == "allowed"
    assert data["principal"] == ADA and data["scope"] == HUB
    assert data["operation"] == HUB_JOIN and data["dataAction"] is False
    (grant,) = data["grants"]
    assert grant["roleName"] == "Azure AI Developer"
    assert grant["roleDefinitionId"].endswith("64702f94-c441-49e6-a78b-ef80e0188fee")
    assert grant["roleAssignmentId"].startswith(HUB + "/providers/Microsoft.Authorization/")
    assert grant["scope"] == HUB and grant["levelsAbove"] == 0
    assert grant["via"] == [TEAM, BUILDERS]
    assert grant["matchedPattern"] == "Microsoft.MachineLearningServices/workspaces/*/action"
    assert grant["roleSource"] == "snapshot"
    for key in ("denies", "conditions", "eligible", "nearMisses"):
        assert data[key] == [], key


def test_pim_eligible_only_is_denied_with_activation_evidence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = access(capsys, ADA, SHARE, data_action=READ_BACKUP)
    assert code == 1
    assert out.startswith("DENIED:")
    assert "eligible for Storage File Data Privileged Contributor" in out
    assert "Eligible through PIM (activate to use):" in out
    code, data = as_json(capsys, ADA, SHARE, data_action=READ_BACKUP)
    assert code == 1 and data["decision"] == "denied"
    assert data["grants"] == []
    assert [e["roleName"] for e in data["eligible"]] == ["Storage File Data Privileged Contributor"]
    assert data["eligible"][0]["endDateTime"] == "2026-12-31T00:00:00Z"


def test_a_deny_assignment_beats_owner(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = as_json(capsys, BOB, SA, action=SA_DELETE)
    assert code == 1
    assert data["decision"] == "denied"
    assert [g["roleName"] for g in data["grants"]] == ["Owner"]
    (deny,) = data["denies"]
    assert deny["name"] == "hub-storage-protection"
    assert deny["appliesTo"] == "All Principals"
    assert deny["matchedPattern"] == SA_DELETE
    code, out, _ = access(capsys, BOB, SA, action=SA_DELETE)
    assert "deny assignment hub-storage-protection" in out.split("\n")[0]


def test_an_excluded_principal_is_not_denied(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = as_json(capsys, HUB_MI, SA, action=SA_DELETE)
    assert code == 1
    assert data["denies"] == []  # excluded; it simply has no role that deletes


def test_owner_has_no_data_actions(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = as_json(capsys, BOB, AOAI, data_action=CHAT)
    assert code == 1
    assert data["nearMisses"][0]["kind"] == "otherPlane"
    assert data["nearMisses"][0]["roleName"] == "Owner"


def test_a_sibling_resource_group_is_a_near_miss(capsys: pytest.CaptureFixture[str]) -> None:
    container = (
        f"{RG}/providers/Microsoft.Storage/storageAccounts/stdata/blobServices/default/"
        "containers/data"
    )
    code, data = as_json(capsys, ADA, container, data_action=BLOB_READ)
    assert code == 1 and data["decision"] == "denied"
    miss = data["nearMisses"][0]
    assert miss["kind"] == "otherScope" and miss["scope"] == RG_PROD


def test_a_condition_naming_the_operation_is_conditional(
    capsys: pytest.CaptureFixture[str],
) -> None:
    container = f"{SA}/blobServices/default/containers/prompts"
    code, data = as_json(capsys, ADA, container, data_action=BLOB_READ)
    assert (code, data["decision"]) == (1, "conditional")
    assert data["grants"] == []
    (conditional,) = data["conditions"]
    assert conditional["roleName"] == "Storage Blob Data Reader"
    assert "StringEquals 'prompts'" in conditional["condition"]
    code, out, _ = access(capsys, ADA, container, data_action=BLOB_READ)
    assert code == 1 and out.startswith("CONDITIONAL:")
    assert "StringEquals 'prompts'" in out
    # the same assignment grants the control-plane container read without condition
    code, data = as_json(
        capsys,
        ADA,
        container,
        action="Microsoft.Storage/storageAccounts/blobServices/containers/read",
    )
    assert code == 0
    assert any(g["roleName"] == "Storage Blob Data Reader" for g in data["grants"])


@pytest.mark.parametrize("name", ["Ada Lovelace", "ada lovelace", "ada@contoso.com", ADA.upper()])
def test_the_principal_by_display_name_or_upn(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, data = as_json(capsys, name, AOAI, data_action=CHAT)
    assert code == 0
    assert data["principal"] == ADA


def test_an_ambiguous_name_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = access(capsys, "Sam", AOAI, data_action=CHAT)
    assert code == 2 and out == ""
    assert "matches several principals" in err
    assert len(err.strip().splitlines()) == 1


def test_an_unknown_name_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = access(capsys, "Nobody Here", AOAI, data_action=CHAT)
    assert code == 2
    assert "'Nobody Here'" in err and "object id" in err


def test_the_other_plane_is_refused_with_the_right_flag(capsys: pytest.CaptureFixture[str]) -> None:
    # Asked as an action, Reader's */read would match documents/read, but Azure checks
    # documents as a data action: refused, naming --data-action (issue 16).
    code, out, err = access(capsys, ADA, SEARCH_INDEX, action=DOCS_READ)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("diagnose: error: --action ") and "data action" in line
    assert f"--data-action {DOCS_READ}" in line and "--force-plane" in line
    code, _, err = access(capsys, ADA, SEARCH_INDEX, data_action=DOCS_READ)
    assert code == 1 and err == ""
    code, _, err = access(capsys, ADA, AOAI, data_action=CHAT)
    assert err == ""


def test_force_plane_answers_as_asked_and_says_what_the_catalog_plane_answers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["access", "--snapshot", str(HUB_FILE), "--principal", ADA, "--scope", SEARCH_INDEX]
    code = main([*argv, "--action", DOCS_READ, "--force-plane", "--json"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert code == 0 and data["decision"] == "allowed" and data["dataAction"] is False
    assert "--force-plane" in data["warnings"][0] and "as a data action" in data["warnings"][0]
    assert "the answer is DENIED" in data["warnings"][0]
    assert err.startswith("diagnose: warning: ")


def test_owner_asked_about_a_data_action_as_an_action_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 16: Owner's '*' used to make this ALLOWED with only a warning."""
    code, out, err = access(capsys, BOB, AOAI, action=CHAT)
    assert code == 2 and out == ""
    assert "--data-action" in err and "Owner's '*' does not" in err
    code, data = as_json(capsys, BOB, AOAI, data_action=CHAT)
    assert code == 1 and data["decision"] == "denied"


def test_a_misspelt_operation_is_refused_with_suggestions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    misspelt = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completion/action"
    code, out, err = access(capsys, ADA, AOAI, data_action=misspelt)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "not in the Microsoft.CognitiveServices operation catalog" in line
    assert f"did you mean --data-action {CHAT}" in line
    # the same with --force-plane: evaluated as given, with a note
    code = main(
        [
            "access",
            "--snapshot",
            str(HUB_FILE),
            "--principal",
            ADA,
            "--scope",
            AOAI,
            "--data-action",
            misspelt,
            "--force-plane",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1  # no role of Ada names it: denied, answered rather than refused
    assert "not in the Microsoft.CognitiveServices operation catalog" in err


def test_an_operation_of_an_uncatalogued_provider_is_evaluated_with_a_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, data = as_json(capsys, BOB, SA, action="Microsoft.Insights/diagnosticSettings/write")
    assert code == 0 and data["decision"] == "allowed"  # Owner's '*'
    assert "Microsoft.Insights is not in the tool's operation catalogs" in data["warnings"][0]


def test_a_read_error_above_the_target_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    locked = f"{SUB}/resourceGroups/rg-locked/providers/Microsoft.Storage/storageAccounts/s"
    code, data = as_json(
        capsys,
        FRANK,
        locked,
        action="Microsoft.Storage/storageAccounts/read",
        snapshot=PARTIAL_FILE,
    )
    assert code == 3
    assert data["decision"] == "unknown"
    assert "roleAssignments/read" in data["unknowns"][0]
    code, out, _ = access(
        capsys,
        FRANK,
        locked,
        action="Microsoft.Storage/storageAccounts/read",
        snapshot=PARTIAL_FILE,
    )
    assert out.startswith("UNKNOWN:") and "rg-locked" in out
    # the same principal elsewhere: a known answer
    code, _ = as_json(
        capsys, FRANK, VAULT, action="Microsoft.KeyVault/vaults/write", snapshot=PARTIAL_FILE
    )
    assert code == 1


def test_unknown_memberships_and_unknown_roles(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
    for principal in (DAN, CAROL):
        code, data = as_json(capsys, principal, VAULT, data_action=secret, snapshot=PARTIAL_FILE)
        assert (code, data["decision"]) == (3, "unknown"), principal
    code, data = as_json(capsys, ERIN, VAULT, data_action=secret, snapshot=PARTIAL_FILE)
    assert (code, data["decision"]) == (3, "unknown")
    assert "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba" in data["unknowns"][0]
    assert data["nearMisses"][0]["kind"] == "unknownRole"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--scope", "subscriptions/x", "--action", SA_DELETE], "--scope"),
        (
            ["--scope", f"{RG}/Microsoft.Storage/storageAccounts/s", "--action", SA_DELETE],
            "expected 'providers'",
        ),
        (["--scope", SA, "--action", "Microsoft.Storage/*"], "--action"),
        (["--scope", SA, "--data-action", "read"], "--data-action"),
    ],
)
def test_bad_scope_or_operation_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    code = main(["access", "--snapshot", str(HUB_FILE), "--principal", ADA, *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("diagnose: error: ")
    assert says in lines[0] and "how to fix" in lines[0]
    assert "Traceback" not in err


def test_a_missing_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    code = main(
        [
            "access",
            "--snapshot",
            str(missing),
            "--principal",
            ADA,
            "--scope",
            SA,
            "--action",
            SA_DELETE,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()]
    assert str(missing) in err and "no such file" in err


def test_the_bundled_demo_answers_like_the_evaluator(capsys: pytest.CaptureFixture[str]) -> None:
    from diagnose.demo import load_demo
    from diagnose.model.model import Model
    from diagnose.rbac import Evaluator

    snapshot = load_demo()
    authz = Model.from_snapshot(snapshot).authorization
    exit_codes = {"allowed": 0, "denied": 1, "conditional": 1, "unknown": 3}
    assignments = snapshot.data["roleAssignments"][:5]
    assert assignments
    for assignment in assignments:
        principal = assignment["properties"]["principalId"]
        scope = assignment["properties"]["scope"]
        operation = "Microsoft.Authorization/roleAssignments/read"
        code = main(
            [
                "access",
                "--demo",
                "--principal",
                principal,
                "--scope",
                scope,
                "--action",
                operation,
                "--json",
            ]
        )
        data = json.loads(capsys.readouterr().out)
        expected = Evaluator(authz).check(principal, scope, operation, data_action=False)
        assert data["decision"] == expected.decision.value
        assert code == exit_codes[data["decision"]]


def test_missing_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "--snapshot", str(HUB_FILE), "--principal", ADA, "--scope", SA]) == 2
    assert "--action" in capsys.readouterr().err


IMPORT_PROBE = """
import sys
{body}
heavy = sorted(m for m in sys.modules if m == "textual" or m.startswith(("azure", "textual.")))
print("HEAVY=" + ",".join(heavy))
"""


@pytest.mark.parametrize(
    "body",
    [
        "import diagnose.cli.parser",
        "from diagnose.cli import main\nmain(['--help'])",
        "from diagnose.cli import main\nmain(['access', '--help'])",
    ],
)
def test_help_imports_neither_azure_nor_textual(body: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE.format(body=body)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.stdout.rstrip().splitlines()[-1] == "HEAVY=", result.stdout[-300:]


CORE_PROBE = """
import sys
from diagnose.program import main
try:
    main([{argv}])
except SystemExit:
    pass
core = sorted(m for m in sys.modules if m.startswith(("diagnose.app", "diagnose.engine",
                                                      "diagnose.rbac", "diagnose.checks")))
print("CORE=" + ",".join(core))
"""


@pytest.mark.parametrize("argv", ["'--help'", "'--version'", "'access', '--help'"])
def test_the_command_starts_without_loading_the_core_for_help(argv: str) -> None:
    """`diagnose --help` stays instant: the program imports the app (and the engine, the
    evaluator and the checks under it) only for a command that runs them."""
    result = subprocess.run(
        [sys.executable, "-c", CORE_PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.stdout.rstrip().splitlines()[-1] == "CORE=", result.stdout[-300:]


ANSWER_PROBE = """
import sys
from diagnose.program import main
try:
    main({argv!r})
except SystemExit:
    pass
light = ("diagnose.report", "diagnose.report.formats")  # the -o registry: names, no renderer
heavy = sorted(
    m
    for m in sys.modules
    if m.split(".")[0] in ("textual", "azure", "msgraph", "orjson")
    or m.startswith(
        (
            "diagnose.tui", "diagnose.collect", "diagnose.engine", "diagnose.checks",
            "diagnose.remediation", "diagnose.render", "diagnose.secrets", "diagnose.safe",
            "diagnose.outfile", "diagnose.app.sources", "diagnose.snapshot.",
            "diagnose.model.cosmos", "diagnose.report.",
        )
    )
    and m not in light
)
print("HEAVY=" + ",".join(heavy))
"""


def test_a_json_answer_from_the_cached_index_imports_only_what_it_uses(tmp_path: Path) -> None:
    """The second question on a snapshot, in a new process, is mostly imports: it reads the
    cached index, not the snapshot (no decoder, no bundle reader, no collector), and writes
    one JSON object (no report renderer, no text renderer, no terminal UI, no Azure SDK, and
    no credential scrubber: there is no text from Azure to print)."""
    snapshot = tmp_path / "hub.json"
    snapshot.write_bytes(HUB_FILE.read_bytes())
    argv = ["access", "--snapshot", str(snapshot), "--principal", BOB, "--scope", SA]
    argv += ["--action", "Microsoft.Storage/storageAccounts/read", "--json"]
    env = {
        **{k: v for k, v in os.environ.items() if k != "DIAGNOSE_CACHE_DIR"},
        "DIAGNOSE_CACHE_DIR": str(tmp_path / "cache"),
    }
    root = Path(__file__).resolve().parent.parent
    for _ in range(2):  # the first writes the index, the second answers from it
        result = subprocess.run(
            [sys.executable, "-c", ANSWER_PROBE.format(argv=argv)],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env=env,
        )
    assert json.loads(result.stdout[: result.stdout.rindex("}") + 1])["decision"] == "allowed"
    assert list((tmp_path / "cache").glob("*.idx")), "the index was not written"
    assert result.stdout.rstrip().splitlines()[-1] == "HEAVY=", result.stdout[-400:]


@pytest.mark.parametrize(
    "argv",
    [
        ["access", "--snapshot", "s.json", "--principal", BOB, "--scope", SA, "--action", "x/y"],
        ["access", "--demo", "--batch", "--json", "-o", "yaml", "--output-file", "out.yaml"],
        ["access", "--snapshot", "s.json", "--principal"],  # a flag without its value
        ["access", "--bogus", "1"],  # unknown to every parser
        ["access", "--hub", "hub-x"],  # a top-level option after the command
        ["access", "--help"],
    ],
)
def test_access_parses_alone_as_among_every_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`diagnose access` builds only its own parser (cli.main): the same arguments, the same
    usage errors and help, as the parser of every command gives."""
    from diagnose.cli.parser import build_parser

    def parse(command: str | None) -> tuple[object, str, str]:
        try:
            found: object = vars(build_parser(command).parse_args(argv))
        except SystemExit as exc:
            found = exc.code
        out, err = capsys.readouterr()
        return found, out, err

    assert parse("access") == parse(None)
