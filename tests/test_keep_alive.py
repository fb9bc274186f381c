"""keep_alive: what a run built is handed to the caller rather than freed on return.

The console script (diagnose.program.run) ends the process without freeing anything; a run that
freed its engine and the whole-plan check's copies on return would spend that time anyway, in
the middle of the run. These tests fail if the run's intermediates stop being handed over."""

from __future__ import annotations

from pathlib import Path

import pytest

from diagnose.app.diagnosis import Diagnosis, diagnose_snapshot
from diagnose.cli import main
from diagnose.demo import load_demo
from diagnose.engine.runner import Engine
from diagnose.remediation.whole_plan import WholePlan


def _kinds(kept: list[object]) -> set[type]:
    found: set[type] = set()
    for item in kept:
        found.add(type(item))
        if isinstance(item, tuple):
            found.update(type(part) for part in item)
    return found


def test_a_run_hands_over_its_engine_and_whole_plan_check() -> None:
    kept: list[object] = []
    diagnosis = diagnose_snapshot(load_demo(), keep_alive=kept)
    kinds = _kinds(kept)
    assert Engine in kinds and WholePlan in kinds
    assert diagnosis.report.findings  # the same run, whatever was kept


def test_the_report_command_keeps_the_diagnosis_and_what_it_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept: list[object] = []
    code = main(["--demo", "--json", "-o", str(tmp_path / "r.json")], keep_alive=kept)
    assert code in (0, 1)
    kinds = _kinds(kept)
    assert Diagnosis in kinds and Engine in kinds and WholePlan in kinds


def test_without_keep_alive_nothing_is_asked_of_the_caller() -> None:
    diagnosis = diagnose_snapshot(load_demo())
    assert diagnosis.report.findings
