"""Every benchmark, one after the other, and one table of their figures against the targets.

    python benchmarks/run_all.py [--only NAME,...] [--quiet] [--timeout SECONDS]
    python -m benchmarks [the same options]

Runs each benchmark as its own process (the figures of one never include another's memory or
warm caches), in this order: access (load, index, queries/s), report (healthy hub of 200
projects, of 800, and the 200-project hub with a shared data group stripped of its roles),
foundry, collect (live, against the loopback server), tui, scan (500 hubs, live). Each
prints its own figures (shown unless --quiet) and one line per figure for this table
(benchmarks/results.py):

    RESULT <name> <value> <unit> target <op> <target> PASS|FAIL

The table lists every RESULT line; a benchmark that printed none, or failed, is listed as
MISSING with its exit code. Exit 0 when every figure passes, else 1. The machine should be
otherwise idle: the figures are ratios measured within one run, but a loaded machine still
moves them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.results import Result, parse  # noqa: E402


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    args: tuple[str, ...] = ()
    what: str = ""


BENCHMARKS = (
    Benchmark("access", "bench_access.py", (), "load + index vs json.load; queries/s"),
    Benchmark("report-200", "bench_report.py", (), "healthy hub, 200 projects"),
    Benchmark(
        "report-800", "bench_report.py", ("--projects", "800", "--runs", "1"), "800 projects"
    ),
    Benchmark("report-stripped", "bench_report.py", ("--stripped",), "many failures"),
    Benchmark("foundry", "bench_foundry.py", ("--no-phases",), "Foundry resource, offline"),
    Benchmark("collect", "bench_collect.py", (), "live collection, 50 ms per request"),
    Benchmark("tui", "bench_tui.py", (), "terminal UI, 5,000 findings"),
    Benchmark("scan", "bench_scan.py", (), "tenant scan, 500 hubs, 50 ms per request"),
)


@dataclass(frozen=True)
class Outcome:
    benchmark: Benchmark
    code: int
    seconds: float
    results: tuple[Result, ...]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run_all.py", description=__doc__.splitlines()[0]
    )
    names = [b.name for b in BENCHMARKS]
    parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(names)}")
    parser.add_argument("--quiet", action="store_true", help="print the table only")
    parser.add_argument("--timeout", type=float, default=3600, help="per benchmark (seconds)")
    args = parser.parse_args(argv)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}: choose from {', '.join(names)}")
    outcomes = [_run(b, args.quiet, args.timeout) for b in BENCHMARKS if b.name in chosen]
    print(table(outcomes))
    return 0 if all(_passed(o) for o in outcomes) else 1


def _run(benchmark: Benchmark, quiet: bool, timeout: float) -> Outcome:
    command = [sys.executable, str(ROOT / "benchmarks" / benchmark.script), *benchmark.args]
    print(f"== {benchmark.name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
        code, output, errors = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        code, output, errors = -1, _text(expired.stdout), f"timed out after {timeout:g} s"
    seconds = time.perf_counter() - start
    if not quiet:
        print(output.rstrip(), flush=True)
    if code not in (0, 1) and errors:  # 1 is a failed figure; anything else says why
        print(errors.rstrip()[-2000:], file=sys.stderr, flush=True)
    return Outcome(benchmark, code, seconds, tuple(parse(output)))


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value or ""


def _passed(outcome: Outcome) -> bool:
    return bool(outcome.results) and all(r.passed for r in outcome.results)


def table(outcomes: list[Outcome]) -> str:
    """One row per figure: benchmark, figure, value, target, PASS or FAIL."""
    rows = [("benchmark", "figure", "value", "target", "")]
    for outcome in outcomes:
        if not outcome.results:
            rows.append(
                (outcome.benchmark.name, "(no RESULT line)", f"exit {outcome.code}", "", "MISSING")
            )
        for r in outcome.results:
            rows.append(
                (
                    outcome.benchmark.name,
                    r.name,
                    f"{r.value:,.2f} {r.unit}",
                    f"{r.op} {r.target:g} {r.unit}",
                    "PASS" if r.passed else "FAIL",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    total = sum(o.seconds for o in outcomes)
    failed = sum(1 for row in rows[1:] if row[4] != "PASS")
    lines.append(f"{len(rows) - 1 - failed} of {len(rows) - 1} pass; {total:.0f} s in all")
    return "\n".join(line.rstrip() for line in lines)


if __name__ == "__main__":
    sys.exit(main())
