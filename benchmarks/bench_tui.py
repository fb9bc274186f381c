"""Benchmark: the terminal UI with 5,000 findings.

    python benchmarks/bench_tui.py [--findings 5000] [--runs 3]

Builds a report of N findings by replicating the demo hub's findings over distinct resources
(the engine on benchmarks/synthetic.py's hub yields hundreds of thousands of findings and
takes minutes, which measures the engine, not the UI), then drives the app headlessly and
measures, best of --runs:

- open: from starting the app until the findings table is populated and first drawn, for an
  app given the Diagnosis (what tests do) and for one that loads it in its worker (what the
  CLI does);
- filter: applying a status filter, a text search and clearing them, each until the table is
  rebuilt and redrawn; and the synchronous part alone (select + rebuild rows).

Prints the figures and, against the targets below, RESULT lines (benchmarks/results.py): the
slower of the two opens, and the slowest of the three filter steps, best of --runs each. Exit
1 when one fails. The targets are what a user waits for without losing the thread: the list
of 5,000 findings within 2 s, a filter within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.results import result_line  # noqa: E402
from diagnose.app import DemoSource, Diagnosis, diagnose  # noqa: E402
from diagnose.report.model import finding_id  # noqa: E402
from diagnose.tui.app import DiagnoseApp  # noqa: E402
from diagnose.tui.widgets.filters import FilterBar  # noqa: E402
from diagnose.tui.widgets.findings import FindingsTable  # noqa: E402

SIZE = (160, 48)
OPEN_TARGET_MS = 2000.0
FILTER_TARGET_MS = 1000.0
FILTERS = ("filter status", "search text", "clear filters")


def big_run(count: int) -> Diagnosis:
    """The demo run with its findings replicated to `count`, each on its own resource."""
    run = diagnose(DemoSource())
    base = run.report.findings
    findings = []
    for number in range(count):
        finding = base[number % len(base)]
        copy = number // len(base)
        resource = finding.resource if copy == 0 else f"{finding.resource}-{copy:04d}"
        findings.append(dataclasses.replace(finding, resource=resource))
    findings.sort(key=lambda f: f.sort_key)
    report = dataclasses.replace(
        run.report,
        findings=tuple(findings),
        finding_ids={id(f): finding_id(f) for f in findings},
        summary={**run.report.summary, "findings": len(findings)},
    )
    return dataclasses.replace(run, report=report)


async def open_with_run(run: Diagnosis) -> dict[str, float]:
    start = time.perf_counter()
    app = DiagnoseApp(run)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        opened = time.perf_counter() - start
        table = app.query_one(FindingsTable)
        assert table.row_count == len(run.report.findings)
        figures = {"open": opened}
        figures.update(await filters(app, pilot, len(run.report.findings)))
    return figures


async def open_with_loader(run: Diagnosis) -> float:
    start = time.perf_counter()
    app = DiagnoseApp(loader=lambda progress: run)
    async with app.run_test(size=SIZE) as pilot:
        while app.index is None:
            await pilot.pause(0.005)
        await pilot.pause()
        elapsed = time.perf_counter() - start
        assert app.query_one(FindingsTable).row_count == len(run.report.findings)
    return elapsed


async def filters(app: DiagnoseApp, pilot: Any, total: int) -> dict[str, float]:
    bar = app.query_one(FilterBar)
    table = app.query_one(FindingsTable)
    figures = {}

    start = time.perf_counter()
    bar.set_value("status", "warn")
    await pilot.pause()
    figures["filter status"] = time.perf_counter() - start
    assert 0 < table.row_count < total

    start = time.perf_counter()
    bar.set_value("status", None)
    bar.text = "ana lopez"
    await pilot.pause()
    figures["search text"] = time.perf_counter() - start
    assert 0 < table.row_count < total

    start = time.perf_counter()
    await pilot.press("x")
    await pilot.pause()
    figures["clear filters"] = time.perf_counter() - start
    assert table.row_count == total

    renders = app.detail_renders
    start = time.perf_counter()
    app._apply_filter(force=True)
    figures["rebuild rows (sync)"] = time.perf_counter() - start
    assert app.detail_renders == renders, "filtering must not re-render the detail pane"
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    run = big_run(args.findings)
    print(
        f"report with {len(run.report.findings):,} findings built in "
        f"{time.perf_counter() - start:.2f} s"
    )
    results: dict[str, list[float]] = {}
    for _ in range(args.runs):
        gc.collect()
        for name, value in asyncio.run(open_with_run(run)).items():
            results.setdefault(name, []).append(value)
        gc.collect()
        results.setdefault("open (worker load)", []).append(asyncio.run(open_with_loader(run)))
    print(f"terminal {SIZE[0]}x{SIZE[1]}, best of {args.runs} (median in brackets):")
    for name, values in results.items():
        best, median = min(values) * 1000, statistics.median(values) * 1000
        print(f"  {name:<22} {best:8.0f} ms  ({median:.0f})")
    opened = max(min(results["open"]), min(results["open (worker load)"])) * 1000
    filtered = max(min(results[name]) for name in FILTERS) * 1000
    lines = [
        result_line("tui.open", opened, "ms", "<", OPEN_TARGET_MS),
        result_line("tui.filter", filtered, "ms", "<", FILTER_TARGET_MS),
    ]
    print("\n".join(lines))
    return 1 if any(line.endswith(" FAIL") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
