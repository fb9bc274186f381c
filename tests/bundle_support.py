"""Helpers shared by the support-bundle tests."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diagnose.cli import main


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def replay_json(path: Path, *options: str) -> dict[str, Any]:
    """`diagnose --snapshot BUNDLE --json [OPTIONS]`, parsed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["--snapshot", str(path), "--json", *options])
    assert code in (0, 1), code
    return json.loads(out.getvalue())


def without_source(report: dict[str, Any]) -> dict[str, Any]:
    """A report without target.snapshot, the one field naming where the snapshot was read."""
    copy = json.loads(json.dumps(report))
    copy["target"].pop("snapshot")
    return copy


def findings_by_identity(
    report: dict[str, Any], restore: Callable[[str], str] | None = None
) -> Counter[tuple[Any, ...]]:
    """What identifies each finding (check, status, cause, resource, principal, message),
    with aliases turned back into the originals when `restore` is given."""

    def back(text: str | None) -> str | None:
        return restore(text) if restore and text else text

    return Counter(
        (
            f["checkId"],
            f["status"],
            f["cause"],
            back(f["resource"]),
            back((f.get("principal") or {}).get("id")),
            back(f["message"]),
        )
        for f in report["findings"]
    )
