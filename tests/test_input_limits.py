"""Input limits: a snapshot or bundle that is too large, a zip bomb, nesting that would exhaust
the stack, numbers and text JSON cannot hold, ids of the wrong type, encrypted members and
devices that never end. Each is refused through the real command line with exit 2 and one line
saying which limit was hit and what to do, never exit 4 or a traceback."""

from __future__ import annotations

import copy
import io
import json
import os
import struct
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.cli.inputs import limits_from
from diagnose.cli.parser import build_parser
from diagnose.inputlimits import (
    DEFAULT_MAX_INPUT_BYTES,
    MAX_JSON_DEPTH,
    MAX_ZIP_MEMBERS,
    human_size,
    parse_size,
)
from diagnose.snapshot import load_snapshot
from diagnose.snapshot.decode import nesting_deeper_than
from diagnose.snapshot.reading import HEAD_BYTES, could_be_snapshot_or_zip
from tests.fuzz_support import DEMO, HUB

PRINCIPAL = DEMO["principals"][0]["id"]
READ = "Microsoft.MachineLearningServices/workspaces/read"


def report(path: Path | str, *extra: str) -> list[str]:
    return ["--snapshot", str(path), "--format", "json", *extra]


def access(path: Path | str, *extra: str) -> list[str]:
    return [
        "access",
        "--snapshot",
        str(path),
        "--principal",
        PRINCIPAL,
        "--scope",
        HUB,
        "--action",
        READ,
        *extra,
    ]


def explain(path: Path | str, *extra: str) -> list[str]:
    return [
        "explain",
        f"AuthorizationFailed: '{PRINCIPAL}' cannot '{READ}' over '{HUB}'",
        "--snapshot",
        str(path),
        *extra,
    ]


COMMANDS = [report, access, explain]


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run argv; assert exit 2 with one `diagnose: error:` line and nothing on stdout."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (code, out[-500:], err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("diagnose: error: ")
    return lines[0]


def write_json(tmp_path: Path, text: str | bytes, name: str = "snap.json") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def demo_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEMO)
    data.update(changes)
    return data


# -- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_a_file_over_max_input_bytes_is_refused_by_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: Any
) -> None:
    path = write_json(tmp_path, json.dumps(DEMO))
    line = refused(capsys, command(path, "--max-input-bytes", "10K"))
    assert str(path) in line
    assert "larger than the input limit of 10K (--max-input-bytes)" in line
    assert "raise the limit, e.g. --max-input-bytes 20K" in line


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_a_file_within_max_input_bytes_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: Any
) -> None:
    path = write_json(tmp_path, json.dumps(DEMO))
    assert main(command(path, "--max-input-bytes", "1M")) in (0, 1)
    assert "error" not in capsys.readouterr().err


def test_the_default_limit_is_2g_and_a_larger_file_is_refused_without_being_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert DEFAULT_MAX_INPUT_BYTES == 2 * 1024**3
    args = build_parser().parse_args(["--snapshot", "x.json"])
    assert limits_from(args).max_bytes == DEFAULT_MAX_INPUT_BYTES
    path = tmp_path / "huge.json"
    with open(path, "wb") as sparse:  # 3 GiB that take no disk space: reading would be slow
        sparse.truncate(3 * 1024**3)
    started = time.perf_counter()
    line = refused(capsys, report(path))
    assert time.perf_counter() - started < 5
    assert "larger than the input limit of 2G" in line and "--max-input-bytes 6G" in line


@pytest.mark.parametrize("limit", [10_000, 200])
def test_a_file_larger_than_its_stated_size_is_read_whole_within_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """read_bounded asks for the size fstat gives and one byte more: a file that grew since
    (or states no size, as /proc does) is read on to its end, or refused past the limit."""
    from diagnose.errors import BadInput
    from diagnose.snapshot import reading

    path = tmp_path / "grown.json"
    path.write_bytes(b"x" * 1000)
    real = os.fstat

    def understated(fd: int) -> os.stat_result:
        found = list(real(fd))
        found[6] = 10  # st_size
        return os.stat_result(found)

    monkeypatch.setattr(reading.os, "fstat", understated)
    if limit >= 1000:
        assert reading.read_bounded(path, limit) == b"x" * 1000
    else:
        with pytest.raises(BadInput, match="larger than the input limit"):
            reading.read_bounded(path, limit)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", 1024**2),
        ("512K", 512 * 1024),
        ("500M", 500 * 1024**2),
        ("4G", 4 * 1024**3),
        ("4GiB", 4 * 1024**3),
        ("4gb", 4 * 1024**3),
    ],
)
def test_sizes_are_written_as_people_write_them(text: str, size: int) -> None:
    assert parse_size(text) == size
    assert parse_size(human_size(size)) == size


@pytest.mark.parametrize("text", ["0", "-1", "1x", "", "G", "1.5G"])
def test_a_bad_size_is_a_usage_error(capsys: pytest.CaptureFixture[str], text: str) -> None:
    assert main(["--demo", "--max-input-bytes", text]) == 2
    err = capsys.readouterr().err
    assert "--max-input-bytes" in err and "e.g. 500M, 4G" in err and "Traceback" not in err


# -- devices and pipes -----------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_an_endless_device_is_refused_at_once(
    capsys: pytest.CaptureFixture[str], command: Any
) -> None:
    """/dev/zero under the default limit: 2G it must not read (its first bytes say enough)."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    started = time.perf_counter()
    line = refused(capsys, command("/dev/zero"))
    assert time.perf_counter() - started < 5
    assert line.startswith(
        "diagnose: error: /dev/zero: does not start like a snapshot (a JSON "
        "object) or a support bundle (a zip), so reading stopped"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_random_bytes_from_a_device_are_refused(
    capsys: pytest.CaptureFixture[str], command: Any
) -> None:
    """/dev/urandom: refused by its first bytes, or (about once in 65,536 runs, when they
    happen to read as UTF-16 text starting with "{") by the limit."""
    if not os.path.exists("/dev/urandom"):
        pytest.skip("no /dev/urandom")
    line = refused(capsys, command("/dev/urandom", "--max-input-bytes", "16M"))
    assert "does not start like a snapshot" in line or "limit of 16M" in line


def _feed_forever(path: Path, first: bytes, repeated: bytes) -> threading.Thread:
    def writer() -> None:
        try:
            with open(path, "wb") as pipe:
                pipe.write(first)
                while True:
                    pipe.write(repeated)
        except OSError:  # the reader stopped: BrokenPipeError
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("first", [b'{"schemaVersion": 1, "tool": "', b"   "])
def test_a_fifo_that_never_ends_stops_at_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first: bytes
) -> None:
    path = tmp_path / "endless.json"
    os.mkfifo(path)
    writer = _feed_forever(path, first, b" " * 65536 if first.isspace() else b"x" * 65536)
    line = refused(capsys, report(path, "--max-input-bytes", "3M"))
    writer.join(timeout=10)
    assert not writer.is_alive()
    assert "larger than the input limit of 3M (--max-input-bytes)" in line


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"],
)
def test_the_first_bytes_of_a_snapshot_in_any_encoding_look_like_one(encoding: str) -> None:
    text = '  \n{"schemaVersion": 1, "tool": {"name": "d\u00e9j\u00e0 vu"}, "resources": []}'
    assert could_be_snapshot_or_zip(text.encode(encoding)[:HEAD_BYTES])


@pytest.mark.parametrize(
    "head",
    [
        b"\0" * HEAD_BYTES,
        b"[1, 2]" + b" " * 60,
        b"{" + bytes(range(128, 191)),
        b"PK\x01\x02" + b"x" * 60,
    ],
)
def test_the_first_bytes_of_other_things_do_not(head: bytes) -> None:
    assert not could_be_snapshot_or_zip(head)


def test_a_snapshot_through_a_fifo_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "snapshot-pipe.json"
    os.mkfifo(path)

    def writer() -> None:
        with open(path, "wb") as pipe:
            pipe.write(json.dumps(DEMO).encode())

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    assert main(report(path)) == 1
    thread.join(timeout=10)
    assert json.loads(capsys.readouterr().out)["summary"]["findings"] > 10


# -- JSON the tool will not hold -------------------------------------------------------------


def nested(levels: int) -> Any:
    """`levels` lists, one inside the other."""
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_nesting_at_the_limit_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the snapshot is level 1, "tool" level 2, its lists the levels 3 to MAX_JSON_DEPTH
    path = write_json(tmp_path, json.dumps(demo_with(tool={"x": nested(MAX_JSON_DEPTH - 2)})))
    assert main(access(path)) == 0
    assert "ALLOWED" in capsys.readouterr().out
    path.write_text(json.dumps(demo_with(tool={"x": nested(MAX_JSON_DEPTH - 1)})))
    assert f"deeper than {MAX_JSON_DEPTH} levels" in refused(capsys, access(path))


@pytest.mark.parametrize("where", ["item", "properties"])
def test_nesting_inside_a_role_assignment_is_checked_like_any_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """The role assignments (and eligibilities) are left out of the decoder's walk and checked
    item by item as they are validated: an assignment is level 3, so a list inside it (or inside
    its properties, level 4) may nest to MAX_JSON_DEPTH and not one level more, and the refusal
    comes before anything else is said about the file (here, its schema version)."""
    levels = MAX_JSON_DEPTH - (3 if where == "item" else 4)

    def with_extra(depth: int, **changes: Any) -> str:
        data = demo_with(**changes)
        for key in ("roleAssignments", "roleEligibilities"):
            if not data[key]:
                continue
            item = data[key][-1]
            (item if where == "item" else item["properties"])["extra"] = nested(depth)
        return json.dumps(data)

    path = write_json(tmp_path, with_extra(levels))
    assert main(access(path)) == 0
    assert "ALLOWED" in capsys.readouterr().out
    path.write_text(with_extra(levels + 1))
    assert f"deeper than {MAX_JSON_DEPTH} levels" in refused(capsys, access(path))
    path.write_text(with_extra(levels + 1, schemaVersion=2))
    assert f"deeper than {MAX_JSON_DEPTH} levels" in refused(capsys, access(path))


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 1100, 100_000])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_deeper_nesting_is_refused_without_recursion_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], depth: int, command: Any
) -> None:
    text = json.dumps(demo_with(tool="X")).replace('"X"', "[" * depth + "]" * depth)
    line = refused(capsys, command(write_json(tmp_path, text)))
    assert f"nests deeper than {MAX_JSON_DEPTH} levels" in line


def test_the_depth_walk_counts_levels_exactly() -> None:
    assert not nesting_deeper_than(nested(5), 5)
    assert nesting_deeper_than(nested(6), 5)
    assert nesting_deeper_than(nested(100_000), MAX_JSON_DEPTH)
    assert nesting_deeper_than({"a": [{"b": []}]}, 3) and not nesting_deeper_than(
        {"a": [{"b": []}]}, 4
    )
    assert not nesting_deeper_than("text", 0)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("1e400", "outside the range of a double"),
        ("-1e400", "outside the range of a double"),
        ("1" + "0" * 400, "outside the range of a double"),
        ("NaN", "NaN and Infinity"),
        ("Infinity", "NaN and Infinity"),
        ("-Infinity", "NaN and Infinity"),
        ('"\\ud800"', "surrogate"),
        ('"x\\udfffy"', "surrogate"),
    ],
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.__name__)
def test_values_json_cannot_hold_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], literal: str, expected: str, command: Any
) -> None:
    text = json.dumps(demo_with(collectedAt="X")).replace('"X"', literal)
    line = refused(capsys, command(write_json(tmp_path, text)))
    assert expected in line and "line 1 column" in line


def test_surrogates_encoded_as_bytes_are_not_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(demo_with(collectedAt="X")).encode().replace(b'"X"', b'"\xed\xa0\x80"')
    line = refused(capsys, report(write_json(tmp_path, text)))
    assert "is not UTF-8 text" in line


def test_utf16_with_a_byte_order_mark_is_still_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The standard library read UTF-16 and UTF-32 JSON and a UTF-8 BOM: so does the loader."""
    for encoding in ("utf-16", "utf-8-sig", "utf-32-le"):
        path = write_json(tmp_path, json.dumps(DEMO).encode(encoding))
        assert main(access(path)) == 0, encoding
    assert "ALLOWED" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("resources", 0, "id"), "$.resources[0].id"),
        (("principals", 0, "id"), "$.principals[0].id"),
        (("roleDefinitions", 0, "id"), "$.roleDefinitions[0].id"),
        (("roleDefinitions", 0, "name"), "$.roleDefinitions[0].name"),
        (
            ("roleAssignments", 0, "properties", "principalId"),
            "$.roleAssignments[0].properties.principalId",
        ),
        (
            ("roleAssignments", 0, "properties", "roleDefinitionId"),
            "$.roleAssignments[0].properties.roleDefinitionId",
        ),
        (
            ("roleEligibilities", 0, "properties", "principalId"),
            "$.roleEligibilities[0].properties.principalId",
        ),
        (
            ("denyAssignments", 0, "properties", "principals", 0, "id"),
            "$.denyAssignments[0].properties.principals[0].id",
        ),
        (("target", "hub"), "$.target.hub"),
        (("target", "project"), "$.target.project"),
    ],
)
@pytest.mark.parametrize("value", [5, True, ["x"], {"id": "x"}])
def test_ids_that_are_not_strings_are_refused_with_their_path(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    path: tuple[Any, ...],
    where: str,
    value: Any,
) -> None:
    data = copy.deepcopy(DEMO)
    parent: Any = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    line = refused(capsys, report(write_json(tmp_path, json.dumps(data))))
    assert where in line and "is not of type 'string'" in line


# -- zip files -------------------------------------------------------------------------------


def write_zip(
    path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    return path


def test_too_many_zip_members(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    members = {"snapshot.json": json.dumps(DEMO).encode()}
    members.update({f"x/{n}": b"" for n in range(MAX_ZIP_MEMBERS)})
    line = refused(capsys, report(write_zip(tmp_path / "many.zip", members, zipfile.ZIP_STORED)))
    assert f"{MAX_ZIP_MEMBERS + 1} members, more than the {MAX_ZIP_MEMBERS}" in line


def test_a_zip_bomb_member_is_refused_before_it_is_expanded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = {"snapshot.json": json.dumps(DEMO).encode(), "report.md": b"\0" * 20 * 1024**2}
    path = write_zip(tmp_path / "bomb.zip", members)
    assert path.stat().st_size < 100_000
    line = refused(capsys, report(path))
    assert "'report.md' expands" in line and "more than the 200" in line and "zip bomb" in line


def test_more_uncompressed_bytes_than_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = {
        "snapshot.json": json.dumps(DEMO).encode(),
        "notes.txt": b" " * 900_000,
    }  # under 1M: no compression ratio to blame
    path = write_zip(tmp_path / "big.zip", members)
    assert path.stat().st_size < 256 * 1024
    line = refused(capsys, report(path, "--max-input-bytes", "256K"))
    assert "uncompressed, is larger than the input limit of 256K (--max-input-bytes)" in line
    assert main(report(path, "--max-input-bytes", "2M")) == 1


def encrypted(raw: bytes) -> bytes:
    """The zip with every member flagged as encrypted (zipfile cannot write encrypted zips)."""
    data = bytearray(raw)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + flag_offset] |= 0x1
            at = data.find(signature, at + 4)
    return bytes(data)


def test_an_encrypted_member_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("snapshot.json", json.dumps(DEMO))
    path = tmp_path / "locked.zip"
    path.write_bytes(encrypted(buffer.getvalue()))
    line = refused(capsys, access(path))
    assert "'snapshot.json' is encrypted; bundles never are" in line


def test_two_members_with_one_name_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "twice.zip"
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("snapshot.json", json.dumps(DEMO))
        bundle.writestr("snapshot.json", json.dumps(demo_with(principals=[])))
    line = refused(capsys, report(path))
    assert "more than one member named 'snapshot.json'" in line


def test_a_damaged_member_names_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_zip(
        tmp_path / "crc.zip", {"snapshot.json": json.dumps(DEMO).encode()}, zipfile.ZIP_STORED
    )
    raw = bytearray(path.read_bytes())
    raw[raw.find(b'"schemaVersion"') + 1] ^= 0x20  # the bytes change, the CRC does not
    path.write_bytes(bytes(raw))
    line = refused(capsys, report(path))
    assert "damaged zip file" in line and "snapshot.json" in line


def test_a_zipped_snapshot_without_a_manifest_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_zip(tmp_path / "plain.zip", {"hub/snapshot.json": json.dumps(DEMO).encode()})
    snapshot = load_snapshot(path)
    assert snapshot.source.endswith("plain.zip!hub/snapshot.json") and not snapshot.warnings


def test_a_member_that_understates_its_size_is_read_no_further(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The limits trust the sizes the zip declares; a member larger than it says is read only
    to its declared size, then fails its CRC: memory stays bounded by what was checked."""
    path = write_zip(tmp_path / "liar.zip", {"snapshot.json": json.dumps(DEMO).encode()})
    raw = bytearray(path.read_bytes())
    local, central = raw.find(b"PK\x03\x04"), raw.find(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, 1000)  # uncompressed size, in both headers
    struct.pack_into("<I", raw, central + 24, 1000)
    path.write_bytes(bytes(raw))
    line = refused(capsys, report(path))
    assert "damaged zip file" in line and "CRC" in line and "snapshot.json" in line
