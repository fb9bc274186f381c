"""Benchmark: `diagnose --snapshot FILE --json` on a large synthetic Foundry resource.

    python benchmarks/bench_foundry.py [--projects 100] [--principals 2000]
        [--assignments 20000] [--ignore IDS] [--per-check] [--profile] [--no-phases]

The Foundry resource (defaults, issue 13): 100 projects, each with its managed identity, Entra
ID connections to Cosmos DB, Search and storage and a capability host naming them (the agent
standard setup, with the Cosmos SQL role assignments); 2,000 people in groups; 20,000 role
assignments unrelated to it. Target: offline diagnosis through the real command-line entry
within 5x the time json.load takes on the same file, both measured in this run (wall time;
the CPU time of the same runs is printed beside it, for comparisons on a busy machine). Prints
the figures, the phase breakdown (unless --no-phases: it runs everything once more), the
findings per check, PASS or FAIL (exit 1 on FAIL) and its RESULT line (benchmarks/results.py).
With --ignore, the run skips those checks (diagnose --ignore); with --per-check, the time, the
requirements and the findings of each check that takes over 0.1 s (first run, proofs
included); with --profile, the slowest functions of one run (cProfile). Everything is written
to a temporary folder.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import functools
import io
import json
import pstats
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_report import _phases, cpu_timed, timed  # noqa: E402
from benchmarks.results import result_line  # noqa: E402
from benchmarks.synthetic import write_foundry  # noqa: E402

TARGET = 5.0
"""The run must take less than this many times json.load of its snapshot."""


def main(argv: list[str] | None = None) -> int:
    from diagnose.cli import main as diagnose

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--principals", type=int, default=2000)
    parser.add_argument("--assignments", type=int, default=20_000)
    parser.add_argument("--ignore", default="", help="checks to skip (diagnose --ignore)")
    parser.add_argument("--per-check", action="store_true", help="time each check")
    parser.add_argument("--profile", action="store_true", help="profile one run (cProfile)")
    parser.add_argument("--no-phases", action="store_true", help="skip the phase breakdown")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        path = write_foundry(
            Path(folder) / "foundry.json",
            projects=args.projects,
            principals=args.principals,
            assignments=args.assignments,
        )
        size = path.stat().st_size / 1e6
        baseline = [cpu_timed(lambda: json.loads(path.read_bytes()))[:2] for _ in range(5)]
        json_time, json_cpu = min(baseline)
        kept: list[object] = []
        argv_run = ["--snapshot", str(path), "--json", "-o", str(Path(folder) / "report.json")]
        if args.ignore:
            argv_run += ["--ignore", args.ignore]

        def full_run() -> None:
            # As the console script does: what the run built is kept, not freed (see
            # diagnose.program.run).
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = diagnose(argv_run, keep_alive=kept)
            if code not in (0, 1):  # a failed run has no figures worth printing
                raise SystemExit(f"diagnose exited {code}: {err.getvalue()}")

        runs = []
        for _ in range(3):
            runs.append(cpu_timed(full_run)[:2])
            kept.clear()
        run_time, run_cpu = min(runs)
        report = json.loads((Path(folder) / "report.json").read_text(encoding="utf-8"))
        skipped = tuple(i.strip() for i in args.ignore.split(",") if i.strip())
        phases = [] if args.no_phases else _phases(path, skipped)
        per_check = _per_check(path, skipped) if args.per_check else []
        profile = _profile(full_run) if args.profile else ""
        kept.clear()

    summary = report["summary"]
    by_check = collections.Counter(f["checkId"] for f in report["findings"])
    ratio = run_time / json_time
    print(
        f"snapshot: {size:.1f} MB ({args.projects} Foundry projects, {args.principals:,} "
        f"people, {args.assignments:,} unrelated assignments); {summary['checks']} checks, "
        f"{summary['requirements']:,} requirements, {summary['findings']:,} findings, "
        f"{summary['fixes']:,} planned fixes ({summary['verifiedFixes']:,} verified)"
    )
    print("findings: " + ", ".join(f"{c} {n}" for c, n in sorted(by_check.items())))
    print(f"json.load:                    {json_time * 1000:8.0f} ms")
    print(
        f"diagnose --json (in process): {run_time * 1000:8.0f} ms  "
        f"({ratio:.2f}x json.load; target < {TARGET:g}x)"
    )
    print(
        f"CPU time (user+sys, same runs): json.load {json_cpu * 1000:.0f} ms, diagnose "
        f"{run_cpu * 1000:.0f} ms ({run_cpu / json_cpu:.2f}x; near the wall ratio on an idle "
        "machine)"
    )
    if phases:
        print("phases: " + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in phases))
    for check_id, seconds, requirements, findings in per_check:
        print(
            f"  {check_id}: {seconds * 1000:6.0f} ms, {requirements:,} requirements, "
            f"{findings} findings"
        )
    if profile:
        print(profile)
    verdict = "PASS" if ratio < TARGET else "FAIL"
    print(f"{verdict}: {ratio:.2f}x json.load (target < {TARGET:g}x)")
    print(result_line("foundry.time", ratio, "x", "<", TARGET))
    return 0 if verdict == "PASS" else 1


def _per_check(path: Path, skipped: tuple[str, ...]) -> list[tuple[str, float, int, int]]:
    """Each check's first run (requirements, proofs of its fixes), as the engine runs it."""
    from diagnose.engine.registry import load_checks
    from diagnose.engine.runner import Engine
    from diagnose.model.model import Model
    from diagnose.remediation.plan import FixPlan
    from diagnose.snapshot import load_snapshot

    engine = Engine(Model(load_snapshot(path)), fixes=FixPlan)
    found = []
    for check in load_checks()[0]:
        if check.id.startswith(tuple(i.upper() for i in skipped)):
            continue
        seconds, (findings, requirements, _) = timed(functools.partial(engine._one_check, check))
        if seconds > 0.1:
            found.append((check.id, seconds, requirements, len(findings)))
    return sorted(found, key=lambda row: -row[1])


def _profile(action) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(action)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
