"""A support bundle is checked against its SHA-256 manifest when it is read: a file that changed
after `diagnose --bundle` wrote it is exit 2 naming the file, unless --ignore-bundle-hashes is
given, and then every report says so. The hashes catch accidents and naive edits: a bundle
whose manifest was rewritten to match is read without complaint (they are no signature)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from diagnose.bundle import MEMBERS
from diagnose.bundle.manifest import MANIFEST_NAME
from diagnose.cli import main
from diagnose.snapshot import load_snapshot
from diagnose.snapshot.archive import MANIFEST_NAME as READ_MANIFEST_NAME
from diagnose.snapshot.archive import SNAPSHOT_NAME
from diagnose.snapshot.codes import HASH_MISMATCH_CODE
from tests.bundle_support import members as read_members
from tests.fuzz_support import DEMO, HUB, demo_bundle

PRINCIPAL = DEMO["principals"][0]["id"]
READ = "Microsoft.MachineLearningServices/workspaces/read"
CHECKED = [name for name in MEMBERS if name != MANIFEST_NAME]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return demo_bundle(tmp_path_factory.mktemp("hashes"))


def write(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return path


def changed(original: dict[str, bytes], name: str) -> dict[str, bytes]:
    """The bundle with one file edited after it was written (the manifest left as it was)."""
    members = dict(original)
    if name == SNAPSHOT_NAME:  # still a valid snapshot: only the hash can tell
        data = json.loads(members[name])
        data["collectedAt"] = "2020-01-01T00:00:00Z"
        members[name] = json.dumps(data).encode()
    else:
        members[name] = members[name] + b"\n"
    return members


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def commands(path: Path) -> dict[str, list[str]]:
    return {
        "report": ["--snapshot", str(path), "--format", "json"],
        "access": [
            "access",
            "--snapshot",
            str(path),
            "--principal",
            PRINCIPAL,
            "--scope",
            HUB,
            "--action",
            READ,
        ],
        "explain": [
            "explain",
            f"AuthorizationFailed: '{PRINCIPAL}' cannot '{READ}' over '{HUB}'",
            "--snapshot",
            str(path),
        ],
    }


def test_the_reader_and_the_writer_agree_on_the_names() -> None:
    assert READ_MANIFEST_NAME == MANIFEST_NAME
    assert SNAPSHOT_NAME in MEMBERS


def test_a_bundle_as_written_is_read_without_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes]
) -> None:
    path = write(tmp_path / "bundle.zip", original)
    code, out, err = run(capsys, commands(path)["report"])
    assert code == 1 and json.loads(out)["collectionErrors"] == []
    assert "warning" not in err
    assert load_snapshot(path).warnings == ()


@pytest.mark.parametrize("name", CHECKED)
@pytest.mark.parametrize("command", ["report", "access", "explain"])
def test_a_changed_file_is_exit_2_naming_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    original: dict[str, bytes],
    name: str,
    command: str,
) -> None:
    path = write(tmp_path / "bundle.zip", changed(original, name))
    code, out, err = run(capsys, commands(path)[command])
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"diagnose: error: {path}: '{name}' does not match its SHA-256 in manifest.json"
    )
    assert "--ignore-bundle-hashes" in lines[0]


@pytest.mark.parametrize("name", CHECKED)
def test_ignore_bundle_hashes_reads_it_and_the_report_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes], name: str
) -> None:
    path = write(tmp_path / "bundle.zip", changed(original, name))
    code, out, err = run(capsys, [*commands(path)["report"], "--ignore-bundle-hashes"])
    assert code == 1
    report = json.loads(out)
    [error] = report["collectionErrors"]
    assert error["code"] == HASH_MISMATCH_CODE and error["scope"] == "support bundle"
    assert str(tmp_path) not in json.dumps(error)  # no local path in what a bundle may carry
    assert f"'{name}' does not match its SHA-256" in error["message"]
    assert "--ignore-bundle-hashes" in error["message"]
    assert report["summary"]["partial"] is True
    assert f"diagnose: warning: {path}: '{name}' does not match" in err


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_the_warning_is_in_the_text_and_markdown_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes], fmt: str
) -> None:
    path = write(tmp_path / "bundle.zip", changed(original, "report.md"))
    code, out, _ = run(capsys, ["--snapshot", str(path), "--format", fmt, "--ignore-bundle-hashes"])
    assert code == 1
    flat = " ".join(out.split())
    assert "Could not be read (the report is partial)" in flat
    assert "'report.md' does not match its SHA-256 in manifest.json" in flat


@pytest.mark.parametrize("command", ["access", "explain"])
def test_access_and_explain_warn_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes], command: str
) -> None:
    path = write(tmp_path / "bundle.zip", changed(original, SNAPSHOT_NAME))
    code, _, err = run(capsys, [*commands(path)[command], "--ignore-bundle-hashes"])
    assert code in (0, 1)
    assert f"diagnose: warning: {path}: 'snapshot.json' does not match" in err


def manifest_of(members: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(members[MANIFEST_NAME])


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda m: m.pop("report.md"), "manifest.json lists 'report.md', which the bundle lacks"),
        (lambda m: m.__setitem__(MANIFEST_NAME, b"{not json"), "'manifest.json' is damaged"),
        (lambda m: m.__setitem__(MANIFEST_NAME, b"[]"), "'manifest.json' is damaged"),
        (
            lambda m: m.__setitem__(MANIFEST_NAME, b'{"files": {"snapshot.json": "abc"}}'),
            "'manifest.json' is damaged: the entry for 'snapshot.json' has no sha256 and size",
        ),
        (
            lambda m: m.__setitem__(
                MANIFEST_NAME,
                json.dumps(
                    {
                        "files": {
                            k: v for k, v in manifest_of(m)["files"].items() if k != SNAPSHOT_NAME
                        }
                    }
                ).encode(),
            ),
            "manifest.json does not list snapshot.json",
        ),
    ],
)
def test_a_broken_manifest_is_exit_2_and_can_be_ignored(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    original: dict[str, bytes],
    edit: Any,
    expected: str,
) -> None:
    members = dict(original)
    edit(members)
    path = write(tmp_path / "bundle.zip", members)
    code, _, err = run(capsys, commands(path)["report"])
    assert code == 2 and expected in err
    code, out, err = run(capsys, [*commands(path)["report"], "--ignore-bundle-hashes"])
    assert code == 1 and expected in json.loads(out)["collectionErrors"][0]["message"]


def test_a_damaged_member_other_than_the_snapshot_can_be_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes]
) -> None:
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as bundle:
        for name, data in original.items():
            bundle.writestr(name, data)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"report.md") + 200  # inside report.md's bytes (stored): its CRC now lies
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))
    code, _, err = run(capsys, commands(path)["report"])
    assert code == 2 and "'report.md' cannot be read (BadZipFile" in err
    code, _, err = run(capsys, [*commands(path)["report"], "--ignore-bundle-hashes"])
    assert code == 1 and "'report.md' cannot be read" in err


def test_a_resealed_forgery_is_read_the_hashes_are_no_signature(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes]
) -> None:
    members = changed(original, SNAPSHOT_NAME)
    manifest = manifest_of(members)
    manifest["files"][SNAPSHOT_NAME] = {
        "sha256": hashlib.sha256(members[SNAPSHOT_NAME]).hexdigest(),
        "size": len(members[SNAPSHOT_NAME]),
    }
    members[MANIFEST_NAME] = json.dumps(manifest).encode()
    code, out, _ = run(capsys, commands(write(tmp_path / "b.zip", members))["report"])
    assert code == 1 and json.loads(out)["target"]["collectedAt"] == "2020-01-01T00:00:00Z"


def test_members_the_manifest_does_not_list_are_not_read_nor_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes]
) -> None:
    members = {**original, "notes-from-support.txt": b"seen by the engineer"}
    code, out, _ = run(capsys, commands(write(tmp_path / "b.zip", members))["report"])
    assert code == 1 and json.loads(out)["collectionErrors"] == []


def test_a_bundle_zipped_in_a_folder_is_checked_against_its_own_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes]
) -> None:
    members = {f"case-123/{name}": data for name, data in changed(original, "report.json").items()}
    code, _, err = run(capsys, commands(write(tmp_path / "folder.zip", members))["report"])
    assert code == 2 and "'case-123/report.json' does not match its SHA-256" in err
    good = {f"case-123/{name}": data for name, data in original.items()}
    code, _, _ = run(capsys, commands(write(tmp_path / "good.zip", good))["report"])
    assert code == 1


def test_a_new_bundle_of_an_ignored_mismatch_keeps_the_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes]
) -> None:
    """The mismatch travels with the snapshot: a bundle made from it says where it came from."""
    path = write(tmp_path / "bundle.zip", changed(original, "report.md"))
    again = tmp_path / "again.zip"
    code, _, _ = run(
        capsys,
        [
            "--snapshot",
            str(path),
            "--format",
            "json",
            "--ignore-bundle-hashes",
            "--bundle",
            str(again),
        ],
    )
    assert code == 1
    assert HASH_MISMATCH_CODE in read_members(again)[SNAPSHOT_NAME].decode()
    code, out, err = run(capsys, commands(again)["report"])  # its own hashes match
    assert code == 1 and "error" not in err
    assert [e["code"] for e in json.loads(out)["collectionErrors"]] == [HASH_MISMATCH_CODE]


@pytest.mark.parametrize("command", ["access", "explain", "report"])
def test_a_hostile_member_name_in_the_warning_is_printed_as_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], original: dict[str, bytes], command: str
) -> None:
    """The manifest is the bundle's own text: a member name it lists reaches stderr escaped."""
    members = dict(original)
    manifest = manifest_of(members)
    manifest["files"]["\x1b]52;c;ZXZpbA==\x07evil\u202e.json"] = {"sha256": "0" * 64, "size": 1}
    members[MANIFEST_NAME] = json.dumps(manifest).encode()
    path = write(tmp_path / "bundle.zip", members)
    _, _, err = run(capsys, [*commands(path)[command], "--ignore-bundle-hashes"])
    assert "evil" in err
    assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err
    assert "\\x1b]52" in err
