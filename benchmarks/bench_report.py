"""Benchmark: a full `diagnose --snapshot FILE --json` run on a large synthetic hub.

    python benchmarks/bench_report.py [--projects 200] [--connections 2000]
        [--assignments 100000] [--principals 5000]

The hub (defaults): 200 projects, 2,000 connections, 100,000 role assignments, 5,000
principals. Target (issue 3): the full run under 5 seconds and under 5x the time json.load
takes on the same file, on one core. Prints the figures, the phase breakdown and the finding
counts. The command's report goes to a file in the benchmark's temporary folder, written as
for any user (atomically, fsync included); nothing is written outside that folder.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import write  # noqa: E402


def timed(action):
    gc.collect()
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> int:
    from diagnose.cli import main as diagnose

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--assignments", type=int, default=100_000)
    parser.add_argument("--principals", type=int, default=5000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = write(
            Path(folder) / "hub.json",
            projects=args.projects,
            connections=args.connections,
            assignments=args.assignments,
            principals=args.principals,
        )
        size = path.stat().st_size / 1e6
        json_time = min(timed(lambda: json.loads(path.read_bytes()))[0] for _ in range(3))

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

        runs = []
        for _ in range(3):
            runs.append(timed(full_run))
            kept.clear()
        run_time, output = min(runs, key=lambda r: r[0])
        report = json.loads(output)

        env = {**os.environ, "PYTHONHASHSEED": "0"}
        command = [
            str(Path(sys.executable).with_name("diagnose")),
            "--snapshot",
            str(path),
            "--json",
            "-o",
            str(Path(folder) / "report.json"),
        ]
        process_time = min(timed(lambda: _run_command(command, env))[0] for _ in range(2))
        phases = _phases(path)

    summary = report["summary"]
    print(
        f"snapshot: {size:.1f} MB; {summary['checks']} checks, {summary['requirements']:,} "
        f"requirements, {summary['findings']:,} findings, {summary['fixes']:,} planned fixes "
        f"({summary['verifiedFixes']:,} verified)"
    )
    print(f"json.load:                    {json_time * 1000:8.0f} ms")
    print(
        f"diagnose --json (in process): {run_time * 1000:8.0f} ms  "
        f"({run_time / json_time:.2f}x json.load; target < 5 s and < 5x)"
    )
    print(
        f"diagnose --json (the command): {process_time * 1000:7.0f} ms  "
        f"({process_time / json_time:.2f}x; interpreter start-up and imports included)"
    )
    print("phases: " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in phases))
    return 0


def _run_command(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr}")


def _phases(path: Path, ignore: tuple[str, ...] = ()) -> list[tuple[str, float]]:
    """The run's phases, one by one, skipping the checks whose ids start with `ignore`."""
    from diagnose.engine.registry import load_checks
    from diagnose.engine.runner import Engine
    from diagnose.model.model import Model
    from diagnose.remediation.plan import FixPlan
    from diagnose.remediation.whole_plan import converge
    from diagnose.report.json_format import render_json
    from diagnose.report.model import build_report
    from diagnose.snapshot import load_snapshot

    phases = []
    seconds, snapshot = timed(lambda: load_snapshot(path))
    phases.append(("load+validate", seconds))
    seconds, model = timed(lambda: Model(snapshot))
    phases.append(("index", seconds))
    checks, _ = load_checks()
    checks = [c for c in checks if not c.id.startswith(tuple(i.upper() for i in ignore))]
    engine = Engine(model, fixes=FixPlan)
    seconds, result = timed(lambda: engine.run(checks))
    phases.append(("checks+proofs", seconds))
    seconds, whole = timed(
        lambda: converge(model, result, FixPlan, checks=checks, evaluator=engine.evaluator)
    )
    phases.append(("whole-plan check", seconds))
    seconds, report = timed(lambda: build_report(result, model, engine.evaluator, None, whole))
    phases.append(("fix plan", seconds))
    seconds, _ = timed(lambda: render_json(report))
    phases.append(("render", seconds))
    return phases


if __name__ == "__main__":
    sys.exit(main())
