"""Fuzzing: random and mutated snapshots and support bundles, through the real command line.

Whatever the input, every run must end as a run may end: exit 0-3, never exit 4 (a bug), never
a traceback, and exit 2 with one `diagnose: error:` line. (conftest.py sets DIAGNOSE_DEBUG, so
a bug raises here and Hypothesis shrinks it to the smallest input that shows it.)

CI runs FUZZ_EXAMPLES examples per property (60 by default). For a deeper run:

    DIAGNOSE_FUZZ_EXAMPLES=2000 python -m pytest -q tests/test_fuzz.py
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz_support import (
    BROKEN_MANIFESTS,
    COMPRESSIONS,
    DEMO,
    HOSTILE_STRINGS,
    commands,
    damaged_bytes,
    demo_bundle,
    encode,
    hostile_values,
    mutated_documents,
    reseal,
    run_cli,
    write_zip,
)

FUZZ_EXAMPLES = int(os.environ.get("DIAGNOSE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=FUZZ_EXAMPLES <= 60,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
"""derandomize: the CI run tries the same cases every time (a failure there is a regression,
not luck); a deeper local run explores."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def bundle(folder: Path) -> Bundle:
    return Bundle(demo_bundle(folder))


class Bundle:
    """The demo bundle's members, behind a short repr: Hypothesis prints a failing example's
    arguments, and half a megabyte of report helps no one."""

    def __init__(self, members: dict[str, bytes]) -> None:
        self.members = members

    def __repr__(self) -> str:
        return "<the demo's support bundle>"


@FUZZ
@given(data=st.data(), ascii_only=st.booleans())
def test_mutated_snapshots(folder: Path, data: st.DataObject, ascii_only: bool) -> None:
    path = folder / "snapshot.json"
    path.write_bytes(encode(data.draw(mutated_documents()), ascii_only))
    run_cli(data.draw(commands(str(path))))


@FUZZ
@given(data=st.data())
def test_damaged_snapshot_bytes(folder: Path, data: st.DataObject) -> None:
    document = data.draw(mutated_documents()) if data.draw(st.booleans()) else None
    raw = encode(DEMO if document is None else document, True)
    path = folder / "damaged.json"
    path.write_bytes(data.draw(damaged_bytes(raw)))
    run_cli(data.draw(commands(str(path))))


@FUZZ
@given(data=st.data())
def test_mutated_bundles(folder: Path, bundle: Bundle, data: st.DataObject) -> None:
    members = dict(bundle.members)
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate_bundle(members, data)
    entries = list(members.items())
    for _ in range(data.draw(st.integers(0, 2))):  # extra members, duplicates included
        name = data.draw(
            st.sampled_from(
                [
                    "extra.txt",
                    "snapshot.json",
                    "manifest.json",
                    "sub/snapshot.json",
                    "../evil",
                    "dir/",
                ]
            )
        )
        entries.append((name, data.draw(st.sampled_from([b"", b"{}", b"x" * 100]))))
    path = folder / "bundle.zip"
    write_zip(path, entries, data.draw(st.sampled_from(COMPRESSIONS)))
    if data.draw(st.integers(0, 5)) == 0:  # damage the zip itself
        path.write_bytes(data.draw(damaged_bytes(path.read_bytes())))
    argv = data.draw(commands(str(path)))
    if data.draw(st.booleans()):
        argv.append("--ignore-bundle-hashes")
    run_cli(argv)


def _mutate_bundle(members: dict[str, bytes], data: st.DataObject) -> None:
    action = data.draw(
        st.sampled_from(
            ["snapshot", "snapshot", "snapshot-bytes", "member-bytes", "manifest", "remove"]
        )
    )
    if action == "snapshot":  # a changed snapshot, sealed again or not
        document = data.draw(mutated_documents(_decoded(members.get("snapshot.json"))))
        members["snapshot.json"] = encode(document, data.draw(st.booleans()))
        if data.draw(st.booleans()):
            reseal(members)
    elif action == "snapshot-bytes" and "snapshot.json" in members:
        members["snapshot.json"] = data.draw(damaged_bytes(members["snapshot.json"]))
    elif action == "member-bytes":
        name = data.draw(st.sampled_from(sorted(members)))
        members[name] = data.draw(damaged_bytes(members[name] or b"x"))
    elif action == "manifest":
        members["manifest.json"] = data.draw(st.sampled_from(BROKEN_MANIFESTS))
    elif action == "remove" and members:
        del members[data.draw(st.sampled_from(sorted(members)))]


def _decoded(raw: bytes | None) -> dict | None:
    """The bundle's snapshot as a starting point, unless an earlier mutation broke it."""
    try:
        value = json.loads(raw or b"")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@FUZZ
@given(value=hostile_values, text=st.sampled_from(HOSTILE_STRINGS))
def test_hostile_principal_and_scope_arguments(folder: Path, value: object, text: str) -> None:
    """Hostile text in the command's own arguments, against the demo."""
    run_cli(
        [
            "access",
            "--demo",
            "--principal",
            text or "x",
            "--scope",
            text or "/",
            "--action",
            "Microsoft.Storage/storageAccounts/read",
        ]
    )
    run_cli(["explain", f"AuthorizationFailed {text} {value!r}"[:5000], "--demo"])


def test_the_fuzzer_reaches_the_checks(folder: Path) -> None:
    """A guard on the fuzzer itself: an unchanged demo through its writer gives the demo's
    report (exit 1: it has findings), so mutations start from something the checks read."""
    path = folder / "plain.json"
    path.write_bytes(encode(DEMO, True))
    code, out, _ = run_cli(["--snapshot", str(path), "--format", "json"])
    assert code == 1 and json.loads(out)["summary"]["findings"] > 10


def test_the_bundle_fuzzer_starts_from_a_bundle_that_replays(folder: Path, bundle: Bundle) -> None:
    path = folder / "plain.zip"
    write_zip(path, list(bundle.members.items()), zipfile.ZIP_DEFLATED)
    code, out, err = run_cli(["--snapshot", str(path), "--format", "json"])
    assert code == 1 and not json.loads(out)["collectionErrors"], err


@settings(FUZZ, max_examples=max(FUZZ_EXAMPLES // 3, 10))
@given(data=st.data(), redact=st.booleans())
def test_a_bundle_of_a_hostile_snapshot_replays(
    folder: Path, data: st.DataObject, redact: bool
) -> None:
    """Whatever snapshot the tool accepts, the bundle it writes of it reads back: same exit
    code, same number of findings (redacted or not)."""
    path, bundle = folder / "accepted.json", folder / "out.zip"
    path.write_bytes(encode(data.draw(mutated_documents()), True))
    bundle.unlink(missing_ok=True)
    code, out, _ = run_cli(
        [
            "--snapshot",
            str(path),
            "--format",
            "json",
            "--bundle",
            str(bundle),
            *(["--redact"] if redact else []),
        ]
    )
    if code == 2:
        assert not bundle.exists()  # refused input: nothing written
        return
    replay_code, replay, _ = run_cli(["--snapshot", str(bundle), "--format", "json"])
    assert replay_code == code
    assert json.loads(replay)["summary"]["findings"] == json.loads(out)["summary"]["findings"]
