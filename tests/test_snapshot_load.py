"""Loading snapshots: bad files give one clear message (file and JSON path) and exit code 2."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.errors import BadInput
from diagnose.model.model import Model
from diagnose.rbac import Evaluator, Outcome
from diagnose.snapshot import dump_snapshot, load_snapshot, parse_snapshot
from tests import arm

USER = "a1a1a1a1-0000-4000-8000-000000000001"
SA = f"{arm.RG}/providers/Microsoft.Storage/storageAccounts/sthub"
READ = "Microsoft.Storage/storageAccounts/read"


def good() -> dict[str, Any]:
    return arm.build(
        resources=[arm.subscription()],
        roleAssignments=[arm.role_assignment(arm.RG, USER, arm.READER)],
        principals=[arm.principal(USER, name="Ada")],
    )


def write(tmp_path: Path, content: str | bytes, name: str = "snap.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def access(path: Path | str, *extra: str) -> list[str]:
    return [
        "access",
        "--snapshot",
        str(path),
        "--principal",
        USER,
        "--scope",
        SA,
        "--action",
        READ,
        *extra,
    ]


def run_bad(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("diagnose: error: ")
    return lines[0]


def test_a_good_file_loads_and_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, dump_snapshot(good()))
    assert main(access(path)) == 0
    assert "ALLOWED" in capsys.readouterr().out


def test_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '{"schemaVersion": 1,\n  "resources": [,]}')
    line = run_bad(capsys, access(path))
    assert str(path) in line
    assert "not valid JSON" in line and "line 2" in line


def test_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, b'{"schemaVersion": "caf\xe9"}')
    line = run_bad(capsys, access(path))
    assert str(path) in line and "UTF-8" in line


def test_not_an_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "[1, 2]")
    line = run_bad(capsys, access(path))
    assert str(path) in line and "list" in line


def test_wrong_schema_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = good()
    data["schemaVersion"] = 2
    path = write(tmp_path, json.dumps(data))
    line = run_bad(capsys, access(path))
    assert str(path) in line and "$.schemaVersion" in line and "2" in line


def test_missing_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = good()
    del data["principals"]
    path = write(tmp_path, json.dumps(data))
    line = run_bad(capsys, access(path))
    assert str(path) in line and "'principals' is a required property" in line
    assert ": $: " in line


def test_missing_key_deep_inside(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = good()
    del data["roleAssignments"][0]["properties"]["principalId"]
    path = write(tmp_path, json.dumps(data))
    line = run_bad(capsys, access(path))
    assert "$.roleAssignments[0].properties" in line and "principalId" in line


def test_wrong_type_deep_inside(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = good()
    data["resources"][0]["properties"]["managementGroupAncestorsChain"][0]["name"] = 7
    path = write(tmp_path, json.dumps(data))
    line = run_bad(capsys, access(path))
    assert str(path) in line
    assert "$.resources[0].properties.managementGroupAncestorsChain[0].name" in line
    assert "not of type 'string'" in line


def test_wrong_type_of_member_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = good()
    data["principals"][0]["memberOf"] = "group-id"
    path = write(tmp_path, json.dumps(data))
    line = run_bad(capsys, access(path))
    assert "$.principals[0].memberOf" in line


def test_a_huge_wrong_value_is_cut_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = good()
    data["roleAssignments"][0]["properties"] = "x" * 5000
    path = write(tmp_path, json.dumps(data))
    line = run_bad(capsys, access(path))
    assert "$.roleAssignments[0].properties" in line
    assert len(line) < 600


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.json"
    line = run_bad(capsys, access(path))
    assert str(path) in line and "no such file" in line


def test_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = run_bad(capsys, access(tmp_path))
    assert str(tmp_path) in line and "directory" in line


def test_the_error_message_says_how_to_fix() -> None:
    data = good()
    data["schemaVersion"] = "1"
    with pytest.raises(BadInput) as caught:
        parse_snapshot(data, "x.json")
    assert caught.value.where == "x.json"
    assert caught.value.fix


def test_unknown_extra_keys_are_kept() -> None:
    data = good()
    data["collectorNotes"] = {"anything": [1, 2]}
    data["roleAssignments"][0]["properties"]["futureField"] = "kept"
    data["principals"][0]["onPremisesSid"] = "S-1-5"
    snapshot = parse_snapshot(data, "<t>")
    assert snapshot.data["collectorNotes"] == {"anything": [1, 2]}
    assert snapshot.data["roleAssignments"][0]["properties"]["futureField"] == "kept"
    model = Model.from_snapshot(snapshot)
    assignment = model.authorization.assignments[0]
    assert assignment.raw["properties"]["futureField"] == "kept"
    assert model.authorization.directory.get(USER).raw["onPremisesSid"] == "S-1-5"
    decision = Evaluator(model.authorization).check(USER, SA, READ, data_action=False)
    assert decision.decision is Outcome.ALLOWED


def test_a_zip_bundle_with_snapshot_json_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("report.txt", "not the snapshot")
        archive.writestr("snapshot.json", dump_snapshot(good()))
    snapshot = load_snapshot(bundle)
    assert snapshot.source == f"{bundle}!snapshot.json"
    assert snapshot.data["principals"][0]["displayName"] == "Ada"
    assert main(access(bundle, "--json")) == 0
    assert json.loads(capsys.readouterr().out)["decision"] == "allowed"


def test_a_zipped_folder_with_snapshot_json_loads(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("case-123/snapshot.json", dump_snapshot(good()))
    assert load_snapshot(bundle).source.endswith("!case-123/snapshot.json")


def test_a_bad_snapshot_inside_a_bundle_names_the_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = good()
    data["roleAssignments"][0]["properties"]["scope"] = 5
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("snapshot.json", json.dumps(data))
    line = run_bad(capsys, access(bundle))
    assert f"{bundle}!snapshot.json" in line
    assert "$.roleAssignments[0].properties.scope" in line


def test_a_zip_without_snapshot_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("report.txt", "x")
    line = run_bad(capsys, access(bundle))
    assert str(bundle) in line and "snapshot.json" in line


def test_dump_then_load_round_trips(tmp_path: Path) -> None:
    data = good()
    path = write(tmp_path, dump_snapshot(data))
    assert load_snapshot(path).data == data


def test_what_a_diagnosis_keeps_is_kept_out_of_the_garbage_collectors_passes(
    tmp_path: Path,
) -> None:
    """The decoded snapshot and its model live for the whole run: they are frozen out of the
    collector's generations (gc.freeze) as they are made, so later collections do not scan a
    hundred megabytes of acyclic objects again and again; dropping them still frees them."""
    import gc
    import weakref

    users = [arm.guid(f"gc:{i}") for i in range(500)]
    data = arm.build(
        resources=[arm.subscription()],
        roleAssignments=[arm.role_assignment(arm.RG, u, arm.READER) for u in users],
        principals=[arm.principal(u) for u in users],
    )
    path = write(tmp_path, json.dumps(data))
    frozen = gc.get_freeze_count()
    snapshot = load_snapshot(path)
    assert gc.get_freeze_count() - frozen >= 2 * len(users)  # each assignment and principal
    frozen = gc.get_freeze_count()
    model = Model(snapshot)
    assert gc.get_freeze_count() - frozen >= len(users)  # the model's assignments
    assert Evaluator(model.authorization).check(users[7], SA, READ, data_action=False).allowed
    gone = weakref.ref(model.authorization)
    del model
    assert gone() is None  # reference counting frees the frozen model
