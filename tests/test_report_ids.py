"""Finding ids: unique within a report, stable across wording changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from diagnose.demo import load_demo
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.report.model import finding_id
from diagnose.snapshot import load_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"


def findings_of(snapshot):
    creator = snapshot.target.get("creator")
    return Engine(Model(snapshot), creator=creator, fixes=FixPlan).run(load_checks()[0]).findings


def test_ids_are_unique_in_the_demo_and_in_every_check_fixture():
    for snapshot in [load_demo(), *(load_snapshot(p) for p in sorted(FIXTURES.glob("*/*.json")))]:
        ids = [finding_id(f) for f in findings_of(snapshot)]
        assert len(ids) == len(set(ids)), snapshot.source


def test_an_id_does_not_change_when_the_wording_does():
    finding = findings_of(load_demo())[0]
    reworded = dataclasses.replace(
        finding, message="Said differently.", details={**finding.details, "because": "other words"}
    )
    assert finding_id(reworded) == finding_id(finding)
    moved = dataclasses.replace(finding, resource=finding.resource + "-other")
    assert finding_id(moved) != finding_id(finding)
