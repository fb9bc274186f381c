"""Golden files: the demo hub's JSON and Markdown reports, byte for byte.

After an intended change, regenerate them with
    DIAGNOSE_UPDATE_GOLDEN=1 python -m pytest tests/test_report_golden.py
and review the diff like code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from diagnose.cli import main

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(("fmt", "name"), [("json", "demo-report.json"),
                                           ("markdown", "demo-report.md")])
def test_demo_report_matches_golden_file(capsys, fmt, name):
    main(["--demo", "--format", fmt])
    out = capsys.readouterr().out
    golden = GOLDEN / name
    if os.environ.get("DIAGNOSE_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with DIAGNOSE_UPDATE_GOLDEN=1"
    assert out == golden.read_text(encoding="utf-8")
