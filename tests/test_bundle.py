"""The support bundle (--bundle): its files, the manifest, replay, determinism, bad paths."""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import os
import socket
import stat
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from diagnose.app import DiagnoseOptions, Diagnosis, diagnose_snapshot
from diagnose.bundle import MEMBERS, check_output_paths, write_bundle
from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.errors import BadInput
from diagnose.report.formats import render_report
from diagnose.snapshot import load_snapshot
from tests.bundle_support import members, replay_json, without_source

REQUEST_ID = "5b0e2a4c-9f1d-4e7a-8c3b-2d6f1a0e9b71"
CORRELATION_ID = "c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def demo_run(**options: Any) -> Diagnosis:
    return diagnose_snapshot(load_demo(), DiagnoseOptions(**options))


@pytest.fixture(scope="module")
def run() -> Diagnosis:
    return demo_run()


@pytest.fixture(scope="module")
def bundle(run: Diagnosis, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "support.zip"
    write_bundle(
        path, run, argv=["--demo", "--bundle", str(path)], redact=False, redaction_map=None
    )
    return path


def test_the_zip_holds_every_file_in_a_fixed_order(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        assert archive.namelist() == list(MEMBERS)
        assert archive.testzip() is None
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_the_bundle_is_readable_by_its_owner_only(bundle: Path) -> None:
    assert bundle.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name]  # no temporary left


def test_the_manifest_lists_every_other_file_with_its_sha256_and_size(bundle: Path) -> None:
    files = members(bundle)
    manifest = json.loads(files["manifest.json"])
    assert manifest["bundleFormat"] == 1
    assert manifest["redacted"] is False
    assert manifest["redactionKeyFingerprint"] is None
    assert manifest["tool"]["name"] == "ai-hub-diagnose"
    assert set(manifest["files"]) == set(MEMBERS) - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert entry == {
            "sha256": hashlib.sha256(files[name]).hexdigest(),
            "size": len(files[name]),
        }, name


def test_the_bundle_holds_the_run_snapshot_and_reports(bundle: Path, run: Diagnosis) -> None:
    files = members(bundle)
    assert json.loads(files["snapshot.json"]) == run.snapshot.data
    assert files["report.json"].decode() == render_report(run.report, "json")
    assert files["report.md"].decode() == render_report(run.report, "markdown")
    assert load_snapshot(bundle).data == run.snapshot.data


def test_replaying_the_bundle_prints_the_bundled_report(bundle: Path) -> None:
    bundled = json.loads(members(bundle)["report.json"])
    replayed = replay_json(bundle)
    assert replayed["target"]["snapshot"] == f"{bundle}!snapshot.json"
    assert without_source(replayed) == without_source(bundled)
    assert len(replayed["findings"]) == len(bundled["findings"]) > 0


def test_the_same_run_gives_the_same_bytes(
    run: Diagnosis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_bundle(first, run, argv=["--demo"], redact=False, redaction_map=None)
    write_bundle(second, run, argv=["--demo"], redact=False, redaction_map=None)
    assert first.read_bytes() == second.read_bytes()
    environment = json.loads(members(first)["environment.json"])
    assert environment["createdAt"] == "2026-01-01T00:00:00Z"


def test_environment_names_versions_and_platform_but_not_the_machine(bundle: Path) -> None:
    raw = members(bundle)["environment.json"]
    environment = json.loads(raw)
    assert environment["tool"] == {
        "name": "ai-hub-diagnose",
        "version": environment["tool"]["version"],
    }
    assert environment["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert environment["platform"]["system"]
    assert environment["packages"]["azure-core"]
    assert all(isinstance(v, str) for v in environment["environmentVariablesSet"])
    host = socket.gethostname()
    if len(host) >= 4:
        assert host.encode() not in raw
    user = getpass.getuser()
    if len(user) >= 5:
        assert user.encode() not in raw
    assert str(Path.home()).encode() not in raw


def test_command_json_records_the_command_line(bundle: Path) -> None:
    command = json.loads(members(bundle)["command.json"])
    assert command["redacted"] is False
    assert command["argv"][:2] == ["--demo", "--bundle"]


def test_requests_jsonl_has_one_line_per_request(run: Diagnosis, tmp_path: Path) -> None:
    log = [
        {
            "service": "arm",
            "method": "GET",
            "path": "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a/resourceGroups/"
            "rg-contoso-ai/providers/Microsoft.Authorization/roleAssignments",
            "query": {"api-version": "2022-04-01", "$filter": "atScope()"},
            "status": 200,
            "durationMs": 123.4,
            "requestId": REQUEST_ID,
            "correlationId": CORRELATION_ID,
            "wave": 1,
        },
        {
            "service": "graph",
            "method": "POST",
            "path": "/v1.0/directoryObjects/f0d9487d-24b5-54ee-bd12-10f6e9c7c9fb/getMemberGroups",
            "query": {},
            "status": 403,
            "durationMs": 20.0,
            "requestId": None,
            "correlationId": None,
            "wave": 2,
        },
    ]
    path = tmp_path / "live.zip"
    write_bundle(
        path,
        dataclasses.replace(run, requests=tuple(log)),
        argv=[],
        redact=False,
        redaction_map=None,
    )
    lines = members(path)["requests.jsonl"].decode().splitlines()
    assert [json.loads(line) for line in lines] == log


def test_snapshot_runs_have_an_empty_request_log(bundle: Path) -> None:
    assert members(bundle)["requests.jsonl"] == b""


def test_the_cli_writes_a_bundle_that_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.zip"
    argv = ["--demo", "--json", "--bundle", str(path)]
    monkeypatch.setattr(sys, "argv", ["diagnose", *argv])
    assert main(argv) == 1
    printed = json.loads(capsys.readouterr().out)
    files = members(path)
    assert json.loads(files["command.json"])["argv"] == argv
    assert without_source(json.loads(files["report.json"])) == without_source(printed)
    assert without_source(replay_json(path)) == without_source(printed)


def test_a_bundle_in_a_missing_folder_is_exit_2_with_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "no-such-folder" / "b.zip"
    argv = ["--demo", "--json", "--bundle", str(path)]
    monkeypatch.setattr(sys, "argv", ["diagnose", *argv])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("diagnose: error:") == 1
    assert "--bundle" in err and "does not exist" in err
    assert "Traceback" not in err
    assert not path.parent.exists()


@pytest.mark.parametrize("case", ["directory", "missing-folder", "same-file", "map-no-redact"])
def test_unwritable_paths_are_bad_input(case: str, run: Diagnosis, tmp_path: Path) -> None:
    target, mapping, redact = tmp_path / "b.zip", None, True
    if case == "directory":
        target = tmp_path
    elif case == "missing-folder":
        mapping = tmp_path / "nowhere" / "map.json"
    elif case == "same-file":
        mapping = target
    else:
        mapping, redact = tmp_path / "map.json", False
    with pytest.raises(BadInput):
        check_output_paths(target, mapping, redact=redact)
    with pytest.raises(BadInput):
        write_bundle(target, run, argv=[], redact=redact, redaction_map=mapping)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="POSIX permissions, which root ignores"
)
def test_a_read_only_folder_is_bad_input_and_leaves_nothing(run: Diagnosis, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(BadInput, match=r"permission denied|cannot write"):
            write_bundle(folder / "b.zip", run, argv=[], redact=False, redaction_map=None)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_selected_run_is_bundled_with_the_same_checks(tmp_path: Path) -> None:
    selected = demo_run(select=("CON,HUB",))
    path = tmp_path / "selected.zip"
    write_bundle(
        path, selected, argv=["--demo", "--select", "CON,HUB"], redact=True, redaction_map=None
    )
    report = json.loads(members(path)["report.json"])
    original = json.loads(render_report(selected.report, "json"))
    assert report["target"]["checks"] == original["target"]["checks"]
    assert report["summary"] == original["summary"]
