"""Golden files: the demo hub's JSON and Markdown reports, byte for byte.

They cover a fixed demo and a fixed set of checks (tests/demo_checks.py: those the golden JSON
ran), so adding a check changes them only when the check fires on the demo. After an intended
change, regenerate them (this runs every check) with
    DIAGNOSE_UPDATE_GOLDEN=1 python -m pytest tests/test_report_golden.py
and review the diff like code."""

from __future__ import annotations

import os

import pytest

from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from tests.demo_checks import GOLDEN, demo_check_ids, demo_selection

UPDATE = bool(os.environ.get("DIAGNOSE_UPDATE_GOLDEN"))


@pytest.mark.parametrize(
    ("fmt", "name"), [("json", "demo-report.json"), ("markdown", "demo-report.md")]
)
def test_demo_report_matches_golden_file(
    capsys: pytest.CaptureFixture[str], fmt: str, name: str
) -> None:
    main(["--demo", "--format", fmt, *([] if UPDATE else demo_selection())])
    out = capsys.readouterr().out
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: run with DIAGNOSE_UPDATE_GOLDEN=1"
    assert out == golden.read_text(encoding="utf-8")


def test_the_checks_the_golden_files_leave_out_are_silent_on_the_demo() -> None:
    """A check the golden files do not cover must find nothing on the demo, else the golden
    files and UI snapshots would not show what `diagnose --demo` shows."""
    checks, errors = load_checks()
    assert not errors, errors
    covered = set(demo_check_ids())
    assert covered <= {c.id for c in checks}, "a covered check is gone: regenerate the goldens"
    others = [c for c in checks if c.id not in covered]
    result = Engine(Model(load_demo()), fixes=FixPlan).run(others)
    fired = sorted(
        {f.check_id for f in result.findings} | {e.check_id for e in result.check_errors}
    )
    assert not fired, (
        f"{fired} report on the demo: regenerate the golden files "
        "(DIAGNOSE_UPDATE_GOLDEN=1 python -m pytest tests/test_report_golden.py) "
        "and the UI snapshots (python -m pytest tests/test_tui_snapshots.py "
        "--snapshot-update), and review them"
    )
