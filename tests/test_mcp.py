"""`diagnose mcp`: the MCP server's tools, driven by the mcp SDK's own client (in memory here;
over stdio, live against the loopback server, in tests/e2e/test_mcp_stdio.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from diagnose.app import DemoSource, diagnose, export_plan
from diagnose.app.serving import ServerOptions
from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.mcpserver import build_server
from diagnose.snapshot import dump_snapshot

TOOLS = {"diagnose", "access", "explain", "explain_check", "fix_plan", "list_checks", "diff"}
SEARCH = (
    "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a/resourceGroups/rg-contoso-ai/"
    "providers/Microsoft.Search/searchServices/srch-contoso"
)


def with_client(work: Callable[[Client], Awaitable[Any]], options: ServerOptions | None = None):
    async def run() -> Any:
        async with Client(build_server(options or ServerOptions())) as client:
            return await work(client)

    return anyio.run(run)


def call(name: str, arguments: dict[str, Any], options: ServerOptions | None = None):
    return with_client(lambda c: c.call_tool(name, arguments), options)


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content)


def test_the_tools_have_typed_input_schemas_and_say_they_are_read_only():
    tools = {t.name: t for t in with_client(lambda c: c.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.annotations.read_only_hint is True
        assert tool.annotations.destructive_hint is False
        assert tool.description
    access = tools["access"].input_schema
    assert set(access["required"]) == {"principal", "scope", "operation"}
    assert access["properties"]["data_action"]["type"] == "boolean"
    diagnose_schema = tools["diagnose"].input_schema["properties"]
    assert diagnose_schema["principals"]["type"] == "array"
    assert diagnose_schema["detail"]["enum"] == ["summary", "full"]
    assert {"hub", "snapshot", "demo", "project"} <= set(diagnose_schema)
    language = tools["fix_plan"].input_schema["properties"]["language"]
    assert language["enum"] == ["az", "powershell", "bicep", "terraform", "json"]


def test_diagnose_answers_what_the_app_answers_with_a_text_summary():
    result = call("diagnose", {"demo": True})
    assert not result.is_error
    expected = diagnose(DemoSource()).report
    data = result.structured_content
    assert data["summary"] == json.loads(json.dumps(expected.summary))
    assert [f["id"] for f in data["findings"]] == [expected.id_of(f) for f in expected.findings]
    assert data["findings"][0]["fix"]["azureCli"].startswith("# ")
    assert len(data["fixPlan"]) == len(expected.fix_plan)
    text = text_of(result)
    assert text.startswith("40 checks,") and "FAIL CFG001" in text


def test_diagnose_in_full_is_the_json_report():
    from diagnose.report.json_format import report_json

    data = call("diagnose", {"demo": True, "detail": "full", "select": ["CFG"]}).structured_content
    expected = report_json(diagnose(DemoSource(), _options(select=("CFG",))).report)
    assert data["findings"] == json.loads(json.dumps(expected["findings"]))
    assert {f["checkId"][:3] for f in data["findings"]} == {"CFG"}


def _options(**values):
    from diagnose.app import DiagnoseOptions

    return DiagnoseOptions(**values)


def test_diagnose_focuses_on_a_principal():
    data = call("diagnose", {"demo": True, "principals": ["Chen Wei"]}).structured_content
    assert [p["displayName"] for p in data["target"]["focus"]] == ["Chen Wei"]


def test_a_snapshot_path_works_offline(tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text(dump_snapshot(load_demo().data), encoding="utf-8")
    data = call("diagnose", {"snapshot": str(path)}).structured_content
    assert data["target"]["snapshot"] == str(path)
    assert data["summary"]["findings"] == 40


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "say what to diagnose with exactly one of hub, snapshot or demo"),
        ({"demo": True, "snapshot": "x.json"}, "(got snapshot and demo)"),
        ({"snapshot": "/no/such/snapshot.json"}, "/no/such/snapshot.json: no such file"),
        ({"demo": True, "subscription": "abc"}, "subscription and resource_group choose"),
        ({"demo": True, "select": ["NOPE9"]}, "NOPE9"),
        ({"demo": True, "project": "nope"}, "'nope' is not a project"),
        ({"demo": True, "detail": "everything"}, "detail"),
    ],
)
def test_bad_input_is_a_tool_error_with_one_message(arguments, message):
    result = call("diagnose", arguments)
    assert result.is_error
    text = text_of(result)
    assert message in text
    assert "Traceback" not in text and result.structured_content is None


def test_access_answers_with_the_evidence():
    result = call(
        "access",
        {
            "demo": True,
            "principal": "Ana Lopez",
            "scope": SEARCH,
            "operation": "Microsoft.Search/searchServices/indexes/documents/read",
            "data_action": True,
        },
    )
    assert not result.is_error
    assert result.structured_content["decision"] == "denied"
    assert text_of(result).startswith("DENIED: Ana Lopez")
    assert "Owner" in text_of(result)  # the near miss: Owner grants no data actions


def test_access_refuses_a_scope_that_is_not_one():
    result = call(
        "access",
        {"demo": True, "principal": "Ana Lopez", "scope": "srch-contoso", "operation": "a/b"},
    )
    assert result.is_error and "is not an ARM scope" in text_of(result)


def test_explain_recognises_an_error_with_and_without_a_source():
    error = (
        "(AuthorizationFailed) The client 'ana.lopez@contoso.com' with object id "
        "'f0d9487d-24b5-54ee-bd12-10f6e9c7c9fb' does not have authorization to perform action "
        f"'Microsoft.Search/searchServices/write' over scope '{SEARCH}'"
    )
    alone = call("explain", {"error_text": error})
    assert not alone.is_error and alone.structured_content["recognised"] is True
    assert alone.structured_content["decision"] is None
    checked = call("explain", {"error_text": error, "demo": True})
    assert checked.structured_content["decision"]["decision"] == "allowed"  # Ana is Owner
    assert text_of(checked).startswith("Recognised: AuthorizationFailed")
    assert "ALLOWED: Ana Lopez (User, f0d9487d-24b5-54ee-bd12-10f6e9c7c9fb)" in text_of(checked)
    assert call("explain", {"error_text": "  "}).is_error


def test_the_checks_and_one_check():
    listing = call("list_checks", {}).structured_content
    assert len(listing["checks"]) == 40 and listing["notLoaded"] == []
    one = call("explain_check", {"check_id": "con001"})
    assert one.structured_content["id"] == "CON001"
    assert "How to fix" in one.structured_content["sections"]
    vault = call("explain_check", {"check_id": "cmk001"}).structured_content
    assert [text["name"] for text in vault["explains"]] == [
        "Key Vault ForbiddenByRbac",
        "Key Vault ForbiddenByPolicy (access policies)",
    ]
    unknown = call("explain_check", {"check_id": "XYZ999"})
    assert unknown.is_error and "no check has the id 'XYZ999'" in text_of(unknown)


def test_fix_plan_is_what_fix_plan_writes():
    result = call("fix_plan", {"demo": True, "language": "terraform"})
    expected = export_plan(diagnose(DemoSource()), "terraform")
    assert result.structured_content["text"] == expected.text
    assert result.structured_content["steps"] == expected.steps
    assert "nothing was run" in text_of(result)


def test_no_credential_comes_back(tmp_path):
    """A name in the snapshot that carries a password (as people type them into
    descriptions and display names) is removed from the text and the structured content."""
    data = load_demo().data
    ana = next(p for p in data["principals"] if p["displayName"] == "Ana Lopez")
    ana["displayName"] = "Ana password=Hunter2secret"
    path = tmp_path / "snapshot.json"
    path.write_text(dump_snapshot(data), encoding="utf-8")
    for detail in ("summary", "full"):
        result = call("diagnose", {"snapshot": str(path), "detail": detail})
        assert not result.is_error
        assert "Hunter2secret" not in json.dumps(result.structured_content)
        assert "Hunter2secret" not in text_of(result)
    answer = call(
        "access",
        {
            "snapshot": str(path),
            "principal": ana["id"],
            "scope": SEARCH,
            "operation": "Microsoft.Search/searchServices/read",
        },
    )
    assert "Hunter2secret" not in json.dumps(answer.structured_content) + text_of(answer)


def test_a_bug_is_one_line_not_a_traceback(monkeypatch):
    import diagnose.app as app

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "list_checks", broken)
    result = call("list_checks", {})
    assert result.is_error
    assert text_of(result).startswith("internal error: RuntimeError: boom")
    assert "Traceback" not in text_of(result)


def test_the_command_refuses_what_a_server_cannot_use(capsys):
    assert main(["mcp", "--auth", "device-code"]) == 2
    assert "an MCP client does not show" in capsys.readouterr().err
    assert main(["mcp", "--timeout", "0"]) == 2
    assert "--timeout" in capsys.readouterr().err
    assert main(["mcp"]) == 2  # the command line alone has no server to start
    assert "the MCP server is not available here" in capsys.readouterr().err


def test_the_command_hands_the_server_its_options():
    started = []

    def server(options: ServerOptions) -> int:
        started.append(options)
        return 0

    argv = ["mcp", "--cloud", "AzureUSGovernment", "--concurrency", "3", "--timeout", "30"]
    assert main([*argv, "--max-input-bytes", "5M"], mcp_server=server) == 0
    [options] = started
    assert (options.cloud, options.concurrency, options.timeout) == ("AzureUSGovernment", 3, 30)
    assert options.limits.max_bytes == 5 * 1024**2
    live = options.live("hub-x", project="p")
    assert (live.cloud, live.quiet, live.project) == ("AzureUSGovernment", True, "p")


def test_the_readme_registration_snippet_starts_this_server():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index('```json\n{\n  "mcpServers"')
    snippet = json.loads(readme[start + len("```json\n") : readme.index("```", start + 3)])
    entry = snippet["mcpServers"]["ai-hub-diagnose"]
    assert entry["command"] == "diagnose" and entry["args"][0] == "mcp"
    started = []
    assert main(entry["args"], mcp_server=lambda o: started.append(o) or 0) == 0
    assert started


def test_the_readme_vs_code_snippet_starts_this_server():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index('```json\n{\n  "servers"')
    snippet = json.loads(readme[start + len("```json\n") : readme.index("```", start + 3)])
    entry = snippet["servers"]["ai-hub-diagnose"]
    assert (entry["type"], entry["command"], entry["args"]) == ("stdio", "diagnose", ["mcp"])


def test_diff_is_what_diagnose_diff_says(tmp_path, capsys):
    """The demo against itself with Search switched to accept Entra ID tokens: CFG001 fixed,
    one setting changed; the tool's structured content is the command's JSON."""
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    data = load_demo().data
    before.write_text(dump_snapshot(data), encoding="utf-8")
    search = next(r for r in data["resources"] if r["id"] == SEARCH)
    search["properties"]["authOptions"] = {
        "aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}
    }
    after.write_text(dump_snapshot(data), encoding="utf-8")
    result = call("diff", {"before": str(before), "after": str(after)})
    assert not result.is_error
    found = result.structured_content
    assert [f["checkId"] for f in found["findings"]["fixed"]] == ["CFG001"]
    assert found["summary"]["state"]["settings"] == {"added": 0, "removed": 0, "changed": 1}
    assert found.pop("warnings") == []
    main(["diff", str(before), str(after), "--json"])
    assert found == json.loads(capsys.readouterr().out)
    assert "1 fixed" in text_of(result)
    narrowed = call("diff", {"before": str(before), "after": str(after), "ignore": ["CFG001"]})
    assert narrowed.structured_content["findings"]["fixed"] == []
    main(["diff", str(before), str(after), "--json", "--ignore", "CFG001"])
    expected = json.loads(capsys.readouterr().out)
    assert {**narrowed.structured_content, "warnings": None} == {**expected, "warnings": None}


def test_diff_of_a_file_that_is_not_there_is_a_tool_error(tmp_path):
    result = call("diff", {"before": str(tmp_path / "nope.json"), "after": str(tmp_path)})
    assert result.is_error and "nope.json" in text_of(result)
    assert "Traceback" not in text_of(result)
