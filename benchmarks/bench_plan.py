"""Benchmark: how long the plan step (choosing, ranking, proving and rendering fixes) takes.

    python benchmarks/bench_plan.py [--projects 200] [--members 20000]

Two hubs, both from benchmarks/synthetic.py:
- the 200-project synthetic hub as it is (a few percent of the grants missing);
- the same hub where a shared data group, member of every project with tens of thousands of
  people in it, lost its data roles on every service the projects' connections reach.

For each it prints json.load of the snapshot (the baseline, measured in the same run), the
whole engine run, and the time spent inside the plan step (`FixPlan.requirement_fixes` and
`draft_fixes`), with the plan step's ratio to the baseline and its share of the run. Planning
must not dominate the run in either. Not a timed test: the figures are printed, nothing is
asserted. The snapshots are written to a temporary folder only.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import build, with_shared_group_without_roles  # noqa: E402
from diagnose.engine.registry import load_checks  # noqa: E402
from diagnose.engine.runner import Engine  # noqa: E402
from diagnose.model.model import Model  # noqa: E402
from diagnose.remediation.plan import FixPlan  # noqa: E402
from diagnose.snapshot import parse_snapshot  # noqa: E402


class TimedPlan(FixPlan):
    """The plan step, with the time spent in it added up."""

    spent = 0.0
    calls = 0

    def requirement_fixes(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(super().requirement_fixes, *args, **kwargs)

    def draft_fixes(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(super().draft_fixes, *args, **kwargs)

    def _timed(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return action(*args, **kwargs)
        finally:
            TimedPlan.spent += time.perf_counter() - start
            TimedPlan.calls += 1


def best_of(runs: int, action: Callable[[], Any]) -> tuple[float, Any]:
    results = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        value = action()
        results.append((time.perf_counter() - start, value))
    return min(results, key=lambda r: r[0])


def measure(label: str, path: Path, runs: int) -> None:
    baseline, _ = best_of(3, lambda: json.loads(path.read_bytes()))
    checks = load_checks()[0]
    data = json.loads(path.read_bytes())
    best: tuple[float, float, int, int, int] | None = None
    for _ in range(runs):
        snapshot = parse_snapshot(json.loads(json.dumps(data)), str(path))
        TimedPlan.spent, TimedPlan.calls = 0.0, 0
        gc.collect()
        start = time.perf_counter()
        model = Model(snapshot)
        result = Engine(model, fixes=TimedPlan).run(checks)
        total = time.perf_counter() - start
        fixes = sum(len(f.remediations) for f in result.findings)
        figures = (total, TimedPlan.spent, TimedPlan.calls, len(result.findings), fixes)
        if best is None or figures[0] < best[0]:
            best = figures
    assert best is not None
    total, planning, calls, findings, fixes = best
    print(f"{label}")
    print(f"  snapshot        {path.stat().st_size / 1e6:8.1f} MB")
    print(f"  json.load       {baseline:8.3f} s  (baseline)")
    print(f"  engine run      {total:8.3f} s  ({total / baseline:.1f}x json.load)")
    print(
        f"  plan step       {planning:8.3f} s  ({planning / baseline:.2f}x json.load, "
        f"{100 * planning / total:.0f}% of the run; {calls} calls)"
    )
    print(f"  findings        {findings:8d}   fixes {fixes}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "hub.json"
        data = build(projects=args.projects)
        plain.write_text(json.dumps(data), encoding="utf-8")
        measure(f"synthetic hub, {args.projects} projects", plain, args.runs)
        lost = Path(folder) / "hub-shared-group-lost-roles.json"
        lost.write_text(
            json.dumps(with_shared_group_without_roles(data, args.members)), encoding="utf-8"
        )
        measure(
            f"the same hub, a shared group of {args.members} people without its data roles",
            lost,
            args.runs,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
