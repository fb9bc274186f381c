"""Benchmark: a full `diagnose --snapshot FILE --json` run on a large synthetic hub.

    python benchmarks/bench_report.py [--projects 200] [--runs 3] [--phases] [--profile]
    python benchmarks/bench_report.py --stripped [--members 20000] [--runs 2] [--profile]

The hub (benchmarks/synthetic.py, seeded) grows with --projects: per project 10 connections,
10 other resources, 500 role assignments and 25 principals (200 projects: 2,000 connections,
100,000 assignments, 5,000 principals, ~96 MB). Targets (issue 15), each a ratio measured in
this run:

- healthy hub: the full diagnosis (in process, best of --runs) < 5x json.load of its
  snapshot, at 200 projects and at 800 (linear scaling);
- --stripped: the same hub where a shared data group of --members people lost its data roles
  (the many-failures case): the run < 8x json.load, its peak memory < 4x json.load's, the
  JSON report < 50 MB. Time and peak memory of both come from fresh processes measured the
  same way (benchmarks/peak.py: getrusage's maximum resident set size).

Each figure ends in a line `RESULT <name> <value> <unit> target <op> <value> PASS|FAIL` that
benchmarks/run_all.py collects (exit 1 when one fails). --phases times each phase of a run on
its own; --profile prints where one run's time goes, per layer of diagnose and per function
(cProfile). Everything is written to a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gc
import io
import json
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.results import result_line  # noqa: E402
from benchmarks.synthetic import write, write_stripped  # noqa: E402

HEALTHY_TARGET = 5.0
"""The healthy hub's run, in times json.load of its snapshot."""
STRIPPED_TARGET = 8.0
"""The stripped hub's run, in times json.load."""
MEMORY_TARGET = 4.0
"""The stripped hub's peak memory, in times json.load's."""
REPORT_TARGET_MB = 50.0
"""The stripped hub's JSON report."""


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    seconds, _, result = cpu_timed(action)
    return seconds, result


def cpu_timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result): on a machine shared with other
    work the wall time also counts the time the process waited for a core, the CPU time
    does not (it still counts the page faults the kernel served for it)."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - start, time.process_time() - cpu, result


def sizes(projects: int) -> dict[str, int]:
    """The synthetic hub's sizes for a number of projects (linear in it)."""
    return {
        "projects": projects,
        "connections": 10 * projects,
        "resources": 10 * projects,
        "assignments": 500 * projects,
        "principals": 25 * projects,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--stripped", action="store_true", help="the many-failures hub")
    parser.add_argument("--members", type=int, default=20_000, help="with --stripped")
    parser.add_argument("--runs", type=int, default=None, help="best of (3; 2 --stripped)")
    parser.add_argument("--phases", action="store_true", help="time each phase too")
    parser.add_argument("--profile", action="store_true", help="profile one run (cProfile)")
    args = parser.parse_args(argv)
    runs = args.runs or (2 if args.stripped else 3)

    with tempfile.TemporaryDirectory() as folder:
        snapshot = Path(folder) / "hub.json"
        if args.stripped:
            write_stripped(snapshot, members=args.members, **sizes(args.projects))
            lines = _stripped(snapshot, Path(folder), runs)
        else:
            write(snapshot, **sizes(args.projects))
            lines = _healthy(snapshot, args.projects, runs)
        if args.phases:
            phases = _phases(snapshot)
            lines.append(
                "phases: " + ", ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in phases)
            )
        if args.profile:
            lines.append(_profile(snapshot, Path(folder)))
    print("\n".join(lines))
    return 1 if any(line.endswith(" FAIL") for line in lines) else 0


def _healthy(path: Path, projects: int, runs: int) -> list[str]:
    from diagnose.cli import main as diagnose

    baseline = [cpu_timed(lambda: json.loads(path.read_bytes()))[:2] for _ in range(3)]
    json_time, json_cpu = min(baseline)
    kept: list[object] = []

    def full_run() -> str:
        # As the console script does: what the run built is kept, not freed (see
        # diagnose.program.run).
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = diagnose(["--snapshot", str(path), "--json"], keep_alive=kept)
        if code not in (0, 1):  # a failed run has no figures worth printing
            raise SystemExit(f"diagnose exited {code}: {err.getvalue()}")
        return out.getvalue()

    best: tuple[float, float, str] | None = None
    for _ in range(runs):
        seconds, cpu, output = cpu_timed(full_run)
        kept.clear()
        if best is None or seconds < best[0]:
            best = (seconds, cpu, output)
    assert best is not None
    run_time, run_cpu, output = best
    summary = json.loads(output)["summary"]
    ratio = run_time / json_time
    return [
        f"healthy hub, {projects} projects: snapshot {path.stat().st_size / 1e6:.1f} MB; "
        f"{summary['checks']} checks, {summary['requirements']:,} requirements, "
        f"{summary['findings']:,} findings, {summary['fixes']:,} planned fixes",
        f"json.load:                    {json_time * 1000:8.0f} ms",
        f"diagnose --json (in process): {run_time * 1000:8.0f} ms  ({ratio:.2f}x json.load, "
        f"best of {runs})",
        f"CPU time (user+sys, same runs): json.load {json_cpu * 1000:.0f} ms, diagnose "
        f"{run_cpu * 1000:.0f} ms ({run_cpu / json_cpu:.2f}x; near the wall ratio on an idle "
        "machine)",
        result_line(f"report.healthy{projects}.time", ratio, "x", "<", HEALTHY_TARGET),
    ]


def _stripped(path: Path, folder: Path, runs: int) -> list[str]:
    report = folder / "report.json"
    baseline = [_measure(["json", str(path)]) for _ in range(3)]
    measured = [_measure(["diagnose", str(path), "--json", "-o", str(report)]) for _ in range(runs)]
    json_time = min(seconds for seconds, _ in baseline)
    json_peak = max(peak for _, peak in baseline)
    run_time = min(seconds for seconds, _ in measured)
    run_peak = max(peak for _, peak in measured)
    size = report.stat().st_size
    summary = json.loads(report.read_bytes())["summary"]
    findings = summary["findings"]
    return [
        f"stripped hub (a shared data group lost its data roles): snapshot "
        f"{path.stat().st_size / 1e6:.1f} MB; {summary['requirements']:,} requirements, "
        f"{findings:,} findings, {summary['fixes']:,} planned fixes",
        f"json.load (own process):      {json_time * 1000:8.0f} ms, peak {json_peak / 1024:.0f} MB",
        f"diagnose --json -o (own process, best of {runs}): {run_time * 1000:.0f} ms "
        f"({run_time / json_time:.2f}x), peak {run_peak / 1024:.0f} MB "
        f"({run_peak / json_peak:.2f}x)",
        f"JSON report: {size / 1e6:.1f} MB, {size / max(findings, 1) / 1024:.1f} KB per finding",
        result_line("report.stripped.time", run_time / json_time, "x", "<", STRIPPED_TARGET),
        result_line("report.stripped.memory", run_peak / json_peak, "x", "<", MEMORY_TARGET),
        result_line("report.stripped.size", size / 1e6, "MB", "<", REPORT_TARGET_MB),
    ]


def _measure(argv: list[str]) -> tuple[float, int]:
    """(seconds, peak kilobytes) of one measurement in a fresh process (benchmarks/peak.py)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "peak.py"), *argv],
        check=False,
        capture_output=True,
        text=True,
    )
    fields = done.stdout.split()
    if done.returncode != 0 or fields[:1] != ["PEAK"]:
        raise SystemExit(f"peak.py {' '.join(argv)} failed: {done.stderr}")
    return float(fields[3]), int(fields[1])


def _phases(path: Path, ignore: tuple[str, ...] = ()) -> list[tuple[str, float]]:
    """The run's phases, one by one, skipping the checks whose ids start with `ignore`."""
    from diagnose.engine.registry import load_checks
    from diagnose.engine.runner import Engine
    from diagnose.model.model import Model
    from diagnose.remediation.affected import Outputs
    from diagnose.remediation.plan import FixPlan
    from diagnose.remediation.whole_plan import converge
    from diagnose.report.json_format import write_json
    from diagnose.report.model import build_report
    from diagnose.snapshot import load_snapshot

    phases = []
    seconds, snapshot = timed(lambda: load_snapshot(path))
    phases.append(("load+validate", seconds))
    seconds, model = timed(lambda: Model(snapshot))
    phases.append(("index", seconds))
    checks, _ = load_checks()
    checks = [c for c in checks if not c.id.startswith(tuple(i.upper() for i in ignore))]
    plan = functools.partial(FixPlan, prove_defaults=False)  # as diagnose_snapshot plans
    engine = Engine(model, fixes=plan)
    outputs = Outputs()  # as diagnose_snapshot runs them: recorded for the whole-plan check
    seconds, result = timed(lambda: engine.run(outputs.wrap(checks, engine.context)))
    phases.append(("checks+proofs", seconds))
    seconds, whole = timed(
        lambda: converge(
            model,
            result,
            plan,
            checks=checks,
            evaluator=engine.evaluator,
            met=engine.met,
            outputs=outputs,
            needs=engine.needs,
        )
    )
    phases.append(("whole-plan check", seconds))
    seconds, report = timed(lambda: build_report(result, model, engine.evaluator, None, whole))
    phases.append(("fix plan", seconds))
    seconds, _ = timed(lambda: write_json(report, io.BytesIO()))
    phases.append(("render", seconds))
    return phases


def _profile(path: Path, folder: Path) -> str:
    """Where one in-process run's time goes: per layer of diagnose (own time of its functions)
    and the slowest functions."""
    from diagnose.cli import main as diagnose

    profiler = cProfile.Profile()
    kept: list[object] = []
    argv = ["--snapshot", str(path), "--json", "-o", str(folder / "profiled.json")]
    with contextlib.redirect_stderr(io.StringIO()):
        profiler.runcall(diagnose, argv, keep_alive=kept)
    stats = pstats.Stats(profiler)
    layers: Counter[str] = Counter()
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        layers[_layer(filename)] += own
    total = sum(layers.values())
    out = io.StringIO()
    out.write(f"profile: {total:.1f} s of own time, by layer:\n")
    shown = [(layer, seconds) for layer, seconds in layers.most_common() if seconds >= 0.01 * total]
    shown.append(("the rest", total - sum(seconds for _, seconds in shown)))
    for layer, seconds in shown:
        out.write(f"  {layer:<28} {seconds:7.2f} s  {100 * seconds / total:5.1f}%\n")
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(30)
    return out.getvalue()


def _layer(filename: str) -> str:
    """diagnose/<package> for the tool's code, else what it is (json, orjson, gc, ...)."""
    parts = Path(filename).parts
    if "diagnose" in parts:
        index = len(parts) - 1 - parts[::-1].index("diagnose")
        rest = parts[index + 1 :]
        return "diagnose/" + (rest[0] if len(rest) > 1 else rest[0].removesuffix(".py"))
    return "builtins and C" if filename == "~" else Path(filename).stem


if __name__ == "__main__":
    sys.exit(main())
