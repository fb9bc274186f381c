"""The application layer's use cases return typed, frozen values, and they are what the
command line prints: the CLI is a thin layer over them."""

from __future__ import annotations

import dataclasses
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from functools import cache
from typing import Any

import pytest

from diagnose.app import (
    AccessAnswer,
    AccessQuestion,
    DemoSource,
    DiagnoseOptions,
    Diagnosis,
    InputLimits,
    LiveOptions,
    LiveSource,
    SnapshotSource,
    access,
    access_question,
    check_named,
    collect,
    diagnose,
    diagnose_snapshot,
    explain,
    list_checks,
    load,
    plan,
    rediagnose,
)
from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.errors import BadInput
from diagnose.report.formats import REPORT_FORMATS, render_report
from diagnose.report.model import PlannedFix, Report

BEN = "Ben Carter"
HUB = (
    "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a/resourceGroups/rg-contoso-ai/"
    "providers/Microsoft.MachineLearningServices/workspaces/hub-contoso"
)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@cache
def demo() -> Diagnosis:
    return diagnose(DemoSource())


def test_diagnose_on_the_demo_is_a_diagnosis_whose_findings_are_the_cli_json_reports() -> None:
    diagnosis = demo()
    assert isinstance(diagnosis, Diagnosis) and isinstance(diagnosis.report, Report)
    code, out, _ = cli("--demo", "--json")
    printed = json.loads(out)
    assert code == 1 and printed["findings"]
    assert [diagnosis.report.id_of(f) for f in diagnosis.findings] == [
        f["id"] for f in printed["findings"]
    ]
    assert [(f.check_id, f.status.value, f.resource) for f in diagnosis.findings] == [
        (f["checkId"], f["status"], f["resource"]) for f in printed["findings"]
    ]
    assert json.loads(render_report(diagnosis.report, "json"))["findings"] == printed["findings"]
    assert diagnosis.summary == printed["summary"]
    assert diagnosis.collection_errors == () and diagnosis.requests == ()
    assert diagnosis.options == DiagnoseOptions() and diagnosis.creator is None


@pytest.mark.parametrize("fmt", list(REPORT_FORMATS))
def test_every_registered_format_renders_what_the_cli_prints(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command line wraps text to COLUMNS and honours NO_COLOR; render_report's defaults
    # are 100 columns and colour.
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    code, out, _ = cli("--demo", "--format", fmt)
    assert code == 1
    assert render_report(demo().report, fmt) == out


def test_the_parser_offers_exactly_the_registered_formats() -> None:
    from diagnose.cli.parser import FORMATS

    assert tuple(REPORT_FORMATS) == FORMATS
    assert FORMATS == ("text", "json", "jsonc", "table", "markdown", "sarif", "yaml")
    assert {f.extension for f in REPORT_FORMATS.values()} == {
        ".txt",
        ".json",
        ".md",
        ".sarif",
        ".yaml",
    }


def test_the_values_are_frozen() -> None:
    values: list[Any] = [
        DemoSource(),
        SnapshotSource("x.json"),
        LiveSource(LiveOptions("hub")),
        InputLimits(),
        DiagnoseOptions(),
        demo(),
        AccessQuestion("p", "/subscriptions/x", "a/b", data_action=False),
    ]
    for value in values:
        field = dataclasses.fields(value)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, None)


def test_options_select_the_checks_and_resolve_the_creator() -> None:
    options = DiagnoseOptions(select=("HUB",), creator=BEN)
    diagnosis = diagnose(DemoSource(), options)
    assert diagnosis.options is options
    ran = diagnosis.report.target["checks"]
    assert ran and all(check.startswith("HUB") for check in ran)
    ben = next(p for p in load_demo().data["principals"] if p.get("displayName") == BEN)
    assert diagnosis.creator == ben["id"].lower()
    hub004 = [f for f in diagnosis.findings if f.check_id == "HUB004"]
    assert hub004 and all(
        f.principal is not None and f.principal.id == diagnosis.creator for f in hub004
    )
    code, out, _ = cli("--demo", "--json", "--select", "HUB", "--creator", BEN)
    assert (
        code == 1
        and json.loads(out)["findings"]
        == json.loads(render_report(diagnosis.report, "json"))["findings"]
    )


def test_an_unknown_creator_or_check_is_bad_input() -> None:
    with pytest.raises(BadInput, match="neither an object id nor a name"):
        diagnose(DemoSource(), DiagnoseOptions(creator="Nobody Here"))
    with pytest.raises(BadInput, match="matches no check"):
        diagnose(DemoSource(), DiagnoseOptions(select=("ZZZ999",)))


def test_plan_is_the_reports_fix_plan_verified_first() -> None:
    fixes = plan(demo())
    assert fixes and fixes == demo().report.fix_plan
    assert all(isinstance(fix, PlannedFix) for fix in fixes)
    verified = [fix.remediation.verified for fix in fixes]
    assert verified == sorted(verified, reverse=True)


def test_rediagnose_runs_the_same_checks_again() -> None:
    first = diagnose(DemoSource(), DiagnoseOptions(select=("CON", "HUB004"), creator=BEN))
    again = rediagnose(first)
    assert again is not first and again.snapshot is first.snapshot
    assert again.options == first.options and again.creator == first.creator
    assert [again.report.id_of(f) for f in again.findings] == [
        first.report.id_of(f) for f in first.findings
    ]


def test_diagnose_reports_its_stages_to_a_progress() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.stages: list[str] = []

        def stage(self, text: str) -> None:
            self.stages.append(text)

        def request_done(self, entry: dict[str, Any]) -> None:
            raise AssertionError("no request is made for the demo")

    recorder = Recorder()
    diagnose(DemoSource(), progress=recorder)
    resources = len(load_demo().data["resources"])
    assert recorder.stages == [
        "reading the bundled demo hub",
        f"running the checks on {resources} resources",
    ]


def test_a_snapshot_source_narrowed_to_a_project(tmp_path: Any) -> None:
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(load_demo().data), encoding="utf-8")
    loaded = load(SnapshotSource(str(path), project="proj-chat"))
    assert loaded.snapshot.target["project"] == "proj-chat" and loaded.requests == ()
    with pytest.raises(BadInput, match="not a project of the hub"):
        load(SnapshotSource(str(path), project="proj-nope"))
    with pytest.raises(BadInput, match="larger than"):
        load(SnapshotSource(str(path), InputLimits(max_bytes=100)))


def test_live_options_are_checked_when_collecting_before_any_request() -> None:
    with pytest.raises(BadInput) as caught:
        collect(LiveOptions(hub="not a hub name!"))
    assert caught.value.where == "--hub"
    with pytest.raises(BadInput) as caught:
        diagnose(LiveSource(LiveOptions(hub="hub-contoso", concurrency=0)))
    assert caught.value.where == "--concurrency"


def test_the_command_line_builds_the_typed_values_from_its_arguments() -> None:
    from diagnose.cli.inputs import diagnose_options_from, source_from
    from diagnose.cli.parser import build_parser

    args = build_parser().parse_args(
        [
            "--hub",
            "hub-contoso",
            "--subscription",
            "6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a",
            "--project",
            "proj-chat",
            "--concurrency",
            "4",
            "--timeout",
            "30",
            "--quiet",
            "--save-snapshot",
            "s.json",
            "--select",
            "CON,HUB",
            "--ignore",
            "HUB004",
            "--creator",
            BEN,
        ]
    )
    assert source_from(args) == LiveSource(
        LiveOptions(
            hub="hub-contoso",
            subscription="6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a",
            project="proj-chat",
            concurrency=4,
            timeout=30.0,
            quiet=True,
        ),
        save_snapshot="s.json",
    )
    assert diagnose_options_from(args) == DiagnoseOptions(
        select=("CON,HUB",), ignore=("HUB004",), creator=BEN
    )
    args = build_parser().parse_args(
        [
            "--snapshot",
            "b.zip",
            "--max-input-bytes",
            "1M",
            "--ignore-bundle-hashes",
            "--project",
            "p1",
        ]
    )
    assert source_from(args) == SnapshotSource(
        "b.zip", InputLimits(max_bytes=1024**2, verify_hashes=False), project="p1"
    )
    assert source_from(build_parser().parse_args(["--demo"])) == DemoSource()


def test_access_answers_as_the_cli_prints() -> None:
    question = access_question(
        BEN, HUB, "Microsoft.MachineLearningServices/workspaces/read", data_action=False
    )
    answer = access(load(DemoSource()).snapshot, question)
    assert isinstance(answer, AccessAnswer) and answer.question is question
    code, out, _ = cli(
        "access",
        "--demo",
        "--principal",
        BEN,
        "--scope",
        HUB,
        "--action",
        "Microsoft.MachineLearningServices/workspaces/read",
        "--json",
    )
    assert json.loads(out) == answer.decision.to_json()
    assert (
        code
        == {"allowed": 0, "denied": 1, "conditional": 1, "unknown": 3}[
            answer.decision.decision.value
        ]
    )
    assert answer.name_of(answer.decision.principal) == BEN


def test_a_malformed_access_question_is_bad_input_before_any_snapshot_is_read() -> None:
    with pytest.raises(BadInput, match=r"--action 'Microsoft.Storage/\*' is not an operation"):
        access_question(BEN, HUB, "Microsoft.Storage/*", data_action=False)
    with pytest.raises(BadInput, match="--scope 'hub-contoso' is not an ARM scope"):
        access_question(
            BEN, "hub-contoso", "Microsoft.Storage/storageAccounts/read", data_action=False
        )


def test_explain_recognises_an_error_and_answers_from_the_snapshot() -> None:
    text = (
        "(AuthorizationFailed) The client 'x' with object id "
        "'00000000-0000-0000-0000-0000000000aa' does not have authorization to perform "
        f"action 'Microsoft.MachineLearningServices/workspaces/read' over scope '{HUB}'"
    )
    explanation = explain(text, load(DemoSource()).snapshot)
    assert explanation.recognised and explanation.pattern is not None
    assert explanation.pattern.name == "AuthorizationFailed"
    assert explanation.decision is not None and not explanation.decision.allowed
    assert not explain("something else entirely").recognised


def test_the_checks_are_listed_and_found_by_id() -> None:
    listing = list_checks()
    ids = [check.id for check in listing.checks]
    assert ids == sorted(ids) and "HUB004" in ids and listing.errors == ()
    assert check_named("hub004").id == "HUB004"
    with pytest.raises(BadInput):
        check_named("ZZZ999")


def test_a_diagnosis_of_a_snapshot_already_read_keeps_its_request_log() -> None:
    log = [{"method": "GET", "path": "/x", "status": 200}]
    diagnosis = diagnose_snapshot(load_demo(), requests=log)
    assert diagnosis.requests == tuple(log)
    assert diagnosis.report.target["checks"] == [c.id for c in diagnosis.checks]
