"""benchmarks/: the RESULT line convention run_all.py reads, its table, and the stripped hub
(the many-failures case) being reproducible."""

from __future__ import annotations

import json

import pytest

from benchmarks.results import parse, result_line
from benchmarks.run_all import BENCHMARKS, Outcome, table
from benchmarks.synthetic import SHARED_GROUP, build, with_shared_group_without_roles


def test_a_result_line_reads_back_with_its_verdict() -> None:
    lines = [
        result_line("report.stripped.time", 7.5, "x", "<", 8),
        result_line("access.queries", 19_999.0, "q/s", ">=", 20_000),
        result_line("tui.open", 2000.0, "ms", "<", 2000),
        result_line("collect.requests", 700, "requests", "<=", 700),
    ]
    assert lines[0] == "RESULT report.stripped.time 7.50 x target < 8 PASS"
    text = "figures first\n" + "\n".join(lines) + "\nRESULT malformed line\n"
    found = parse(text)
    assert [(r.name, r.value, r.unit, r.op, r.target, r.passed) for r in found] == [
        ("report.stripped.time", 7.5, "x", "<", 8.0, True),
        ("access.queries", 19999.0, "q/s", ">=", 20000.0, False),
        ("tui.open", 2000.0, "ms", "<", 2000.0, False),
        ("collect.requests", 700.0, "requests", "<=", 700.0, True),
    ]
    with pytest.raises(ValueError):
        result_line("x", 1, "x", "=<", 2)


def test_the_table_lists_every_figure_and_a_benchmark_without_one() -> None:
    report, collect = BENCHMARKS[1], BENCHMARKS[5]
    rows = table(
        [
            Outcome(report, 1, 3.0, tuple(parse(result_line("report.a", 9, "x", "<", 5)))),
            Outcome(collect, 0, 1.0, ()),
        ]
    ).splitlines()
    assert any("report.a" in r and "9.00 x" in r and "< 5 x" in r and "FAIL" in r for r in rows)
    assert any(r.startswith("collect") and "MISSING" in r for r in rows)
    assert rows[-1].startswith("0 of 2 pass")


def test_the_stripped_hub_is_reproducible_and_strips_one_group() -> None:
    sizes = {"projects": 3, "connections": 30, "resources": 10}
    sizes |= {"principals": 300, "assignments": 1000}
    first = with_shared_group_without_roles(build(**sizes), members=50)
    again = with_shared_group_without_roles(build(**sizes), members=50)
    assert json.dumps(first) == json.dumps(again)
    held = [a for a in first["roleAssignments"] if a["properties"]["principalId"] == SHARED_GROUP]
    assert len(held) == 3 + 2  # AI Developer on each project, Reader on the hub, deployment
    members = [p for p in first["principals"] if SHARED_GROUP in p["memberOf"]]
    assert len(members) == 50
