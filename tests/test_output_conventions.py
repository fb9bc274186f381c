"""The output conventions of the Azure CLI on every command: -o/--output FORMAT (with --format
and --json as aliases), --output-file FILE, and flags that would do nothing refused (exit 2)
with the reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from diagnose.cli import main
from diagnose.cli.flags import needs_creator
from diagnose.engine.registry import load_checks
from diagnose.exitcodes import ExitCode

ANSI = re.compile(r"\x1b\[[0-9;]*m")
ACCESS = [
    "access",
    "--demo",
    "--principal",
    "Ana Lopez",
    "--scope",
    "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a/resourceGroups/rg-contoso-ai",
    "--action",
    "Microsoft.Resources/deployments/write",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_dash_o_json_prints_json_and_writes_no_file_named_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "--demo", "-o", "json")
    assert code == ExitCode.FINDINGS
    assert json.loads(out)["schemaVersion"] == 1
    assert list(tmp_path.iterdir()) == []
    assert run(capsys, "--demo", "--output", "json")[1] == out
    assert run(capsys, "--demo", "--json")[1] == out
    assert run(capsys, "--demo", "--format", "json")[1] == out


def test_jsonc_is_the_json_coloured_and_yaml_the_same_document(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = json.loads(run(capsys, "--demo", "-o", "json")[1])
    coloured = run(capsys, "--demo", "-o", "jsonc")[1]
    assert "\x1b[34m" in coloured and json.loads(ANSI.sub("", coloured)) == plain
    assert yaml.safe_load(run(capsys, "--demo", "-o", "yaml")[1]) == plain
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(capsys, "--demo", "-o", "jsonc")[1]


def test_table_is_one_line_per_finding(capsys: pytest.CaptureFixture[str]) -> None:
    findings = json.loads(run(capsys, "--demo", "-o", "json")[1])["findings"]
    table = run(capsys, "--demo", "-o", "table")[1].splitlines()
    assert table[0].split() == ["STATUS", "SEVERITY", "CHECK", "PRINCIPAL", "RESOURCE"]
    rows = table[2 : 2 + len(findings)]
    assert [row.split()[:3] for row in rows] == [
        [f["status"], f["severity"], f["checkId"]] for f in findings
    ]
    assert all(len(line) <= 100 for line in table)


def test_old_dash_o_path_still_writes_the_file_with_a_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Safe and unambiguous: no format has a dot or a slash in its name."""
    target = tmp_path / "report.json"
    code, out, err = run(capsys, "--demo", "--json", "-o", str(target))
    assert code == ExitCode.FINDINGS and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["schemaVersion"] == 1
    assert f"--output-file {target}" in err


@pytest.mark.parametrize("value", ["report", "jsn", "Markdown"])
def test_dash_o_with_a_word_that_is_no_format_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "--demo", "-o", value)
    assert code == ExitCode.BAD_INPUT and out == ""
    assert f"-o {value} is not a format" in err and f"--output-file {value}" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--json", "-o", "sarif"],
        ["--format", "markdown", "-o", "json"],
        ["-o", "a.json", "--output-file", "b.json"],
    ],
)
def test_two_formats_or_two_files_are_refused(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, "--demo", *argv)
    assert code == ExitCode.BAD_INPUT and ("two formats" in err or "two files" in err)


COMMANDS = {
    "report": (["--demo", "-o", "json"], ExitCode.FINDINGS),
    "access": ([*ACCESS, "-o", "json"], None),
    "explain": (
        ["explain", "AuthorizationFailed: does not have authorization", "--demo", "-o", "json"],
        None,
    ),
    "explain-check": (["explain-check", "CON001", "-o", "json"], ExitCode.OK),
    "checks": (["checks", "-o", "json"], ExitCode.OK),
    "schema": (["schema", "report"], ExitCode.OK),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_writes_its_output_to_output_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    argv, expected = COMMANDS[command]
    code, printed, _ = run(capsys, *argv)
    target = tmp_path / "out.json"
    code_to_file, out, _ = run(capsys, *argv, "--output-file", str(target))
    assert out == "" and code_to_file == code
    assert expected is None or code == expected
    assert target.read_text(encoding="utf-8") == printed
    json.loads(printed)


@pytest.mark.parametrize("command", ["access", "explain-check", "checks", "schema"])
def test_document_commands_take_yaml_and_jsonc(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv = [a for a in COMMANDS[command][0] if a not in ("-o", "json")]
    document = json.loads(run(capsys, *argv, "-o", "json")[1])
    assert yaml.safe_load(run(capsys, *argv, "-o", "yaml")[1]) == document
    assert json.loads(ANSI.sub("", run(capsys, *argv, "-o", "jsonc")[1])) == document


def test_fix_plan_writes_to_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "plan.sh"
    assert run(capsys, "fix-plan", "--demo", "--as", "az", "--output-file", str(target))[0] == 0
    assert target.read_text(encoding="utf-8").startswith("#")


@pytest.mark.parametrize("fmt", ["json", "jsonc", "sarif"])
def test_collect_refuses_a_format_name_as_its_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "collect", "--hub", "hub-contoso", "-o", fmt)
    assert code == ExitCode.BAD_INPUT and "--output-file" in err
    assert list(tmp_path.iterdir()) == []


IDLE = {
    "save-snapshot with demo": (["--demo", "--save-snapshot", "s.json"], "--save-snapshot"),
    "save-snapshot with snapshot": (
        ["--snapshot", "fixtures/checks/HUB004/fail.json", "--save-snapshot", "s.json"],
        "--save-snapshot",
    ),
    "select a creator check alone": (["--demo", "--select", "HUB004"], "--creator"),
    "select creator checks alone": (["--demo", "--select", "HUB004,CMK003"], "--creator"),
    "creator with no creator check": (
        ["--demo", "--select", "CON001", "--creator", "Ana Lopez"],
        "--creator",
    ),
    "redaction map without redact": (
        ["--demo", "--bundle", "b.zip", "--redaction-map", "m.json"],
        "--redact",
    ),
    "redact without bundle": (["--demo", "--redact"], "--bundle"),
    "markdown limit without markdown": (["--demo", "-o", "json", "--markdown-limit", "20K"], "-o"),
    "auth with demo": (["--demo", "--auth", "cli"], "--auth"),
    "timeout with demo": (["--demo", "--timeout", "5"], "--timeout"),
    "concurrency with demo": (["--demo", "--concurrency", "2"], "--concurrency"),
    "subscription with demo": (["--demo", "--subscription", "x"], "--subscription"),
    "cloud with demo": (["--demo", "--cloud", "AzureChinaCloud"], "--cloud"),
    "arm endpoint with demo": (["--demo", "--arm-endpoint", "http://x"], "--arm-endpoint"),
    "bundle hashes with demo": (["--demo", "--ignore-bundle-hashes"], "--ignore-bundle-hashes"),
    "input limit with demo": (["--demo", "--max-input-bytes", "1M"], "--max-input-bytes"),
    "fix-plan save-snapshot": (
        ["fix-plan", "--demo", "--as", "az", "--save-snapshot", "s.json"],
        "--save-snapshot",
    ),
    "fix-plan creator check alone": (
        ["fix-plan", "--demo", "--as", "az", "--select", "HUB004"],
        "--creator",
    ),
    "access bundle hashes with demo": ([*ACCESS, "--ignore-bundle-hashes"], "--ignore"),
    "bundle hashes with a plain snapshot": (
        ["--snapshot", "fixtures/checks/HUB004/fail.json", "--ignore-bundle-hashes"],
        "--ignore-bundle-hashes",
    ),
    "ignore every check": (
        ["--demo", "--ignore", ",".join(sorted({c.id[0] for c in load_checks()[0]}))],
        "no check to run",
    ),
    "explain input limit with demo": (
        ["explain", "AuthorizationFailed", "--demo", "--max-input-bytes", "1M"],
        "--max-input-bytes",
    ),
}


@pytest.mark.parametrize("case", list(IDLE))
def test_a_flag_that_would_do_nothing_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    argv, named = IDLE[case]
    root = Path(__file__).resolve().parent.parent
    argv = [str(root / a) if a.startswith("fixtures/") else a for a in argv]
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == ExitCode.BAD_INPUT, err
    assert out == "" and named in err
    assert "does nothing" in err or "no check" in err
    assert list(tmp_path.iterdir()) == []  # nothing saved, no bundle


@pytest.mark.parametrize(
    "argv",
    [
        ["--demo", "--no-tui", "-o", "json"],
        ["--demo", "--quiet", "-o", "json"],
        ["--demo", "--select", "HUB004,CON001", "-o", "json"],  # CON001 runs: a note only
        ["--demo", "--select", "HUB", "-o", "json"],
        ["--demo", "--creator", "Ana Lopez", "-o", "json"],
        ["--demo", "-o", "markdown", "--markdown-limit", "20K"],
    ],
)
def test_flags_that_restate_what_happens_stay_accepted(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code in (ExitCode.OK, ExitCode.FINDINGS), err
    assert out


def test_the_checks_that_need_a_creator_are_the_ones_the_help_names() -> None:
    from diagnose.cli.parser import build_parser

    checks, _ = load_checks()
    needing = sorted(c.id for c in checks if needs_creator(c))
    assert needing == ["CMK003", "FDY003", "HUB004", "INS001"]
    creator = next(a for a in build_parser()._actions if "--creator" in a.option_strings)
    assert all(check_id in (creator.help or "") for check_id in needing)


def test_the_readme_output_examples_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.index("diagnose --demo -o sarif --output-file diagnose.sarif")
    block = readme[readme.rindex("```bash\n", 0, example) + len("```bash\n") :]
    block = block[: block.index("```")]
    monkeypatch.chdir(tmp_path)
    commands = [line.split("#")[0].split()[1:] for line in block.splitlines() if line.strip()]
    assert len(commands) == 3
    for argv in commands:
        code, _, err = run(capsys, *argv)
        assert code == ExitCode.FINDINGS, err
    sarif = json.loads((tmp_path / "diagnose.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"


def test_mcp_gets_the_live_defaults_the_parser_leaves_unset() -> None:
    """The parser leaves --auth, --cloud and --concurrency None until given (so that the report
    can refuse them without --hub); the MCP server still gets their defaults."""
    from diagnose.app.serving import ServerOptions

    started: list[ServerOptions] = []
    assert main(["mcp"], mcp_server=lambda o: started.append(o) or 0) == 0
    assert started == [ServerOptions()]


def test_evidence_levels_reach_the_yaml_and_jsonc_documents(
    capsys: pytest.CaptureFixture[str],
) -> None:
    full = json.loads(run(capsys, "--demo", "-o", "json", "--evidence", "full")[1])
    assert yaml.safe_load(run(capsys, "--demo", "-o", "yaml", "--evidence", "full")[1]) == full
    coloured = run(capsys, "--demo", "-o", "jsonc", "--evidence", "full")[1]
    assert json.loads(ANSI.sub("", coloured)) == full
    assert full != json.loads(run(capsys, "--demo", "-o", "json")[1])  # summary by default


def test_the_live_defaults_are_the_ones_help_states() -> None:
    """--concurrency 64 when not given, as --help says and as the collector's adaptive window
    defaults to (it starts lower and grows while Azure answers well)."""
    from diagnose.cli.inputs import live_options_from
    from diagnose.cli.parser import build_parser

    live = live_options_from(build_parser().parse_args(["--hub", "hub-x"]))
    assert (live.auth, live.cloud, live.concurrency, live.timeout) == (
        "default",
        "AzureCloud",
        64,
        None,
    )
    from diagnose.collect.settings import LiveOptions

    assert LiveOptions.__dataclass_fields__["concurrency"].default == live.concurrency
    assert f"default: {live.concurrency};" in " ".join(build_parser().format_help().split())


@pytest.mark.parametrize("fmt", ["jsonc", "yaml"])
def test_access_batch_refuses_a_format_that_would_wait_for_the_last_answer(
    capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    code, out, err = run(capsys, "access", "--demo", "--batch", "-o", fmt)
    assert code == ExitCode.BAD_INPUT and out == "" and "--batch" in err
