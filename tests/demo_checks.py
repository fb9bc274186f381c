"""The checks the demo's golden files and UI snapshots cover: those the golden JSON report ran
(its target.checks).

Those tests run the demo with exactly these checks, so a new check changes none of their files
(not even the "29 checks" count) unless it fires on the demo: test_report_golden fails then,
and regenerating the golden files (DIAGNOSE_UPDATE_GOLDEN=1, which runs every check) and the UI
snapshots (--snapshot-update) takes the new check in.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_JSON = GOLDEN / "demo-report.json"


@cache
def demo_check_ids() -> tuple[str, ...]:
    report = json.loads(GOLDEN_JSON.read_text(encoding="utf-8"))
    return tuple(report["target"]["checks"])


def demo_selection() -> list[str]:
    """Command-line flags that run the demo with the checks the golden files cover."""
    return ["--select", ",".join(demo_check_ids())]
