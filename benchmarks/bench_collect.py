"""Benchmark live collection against the loopback ARM server (not a timed test).

    python benchmarks/bench_collect.py [--latency 0.05] [--hubs 20,50,200]
        [--connections-per-project 2] [--people-per-project 5] [--foundry-projects 100]
        [--people 2000] [--unrelated 20000] [--concurrency 64] [--runs 3]
        [--in-process-server] [--skip-hubs] [--skip-foundry] [--naive]

Scenarios, every request answered 50 ms late:

- hubs with 20, 50 and 200 projects, each project with 2 Entra ID connections and 5 people
  holding Azure AI Developer on it, plus its own managed identity
  (diagnose.testing.scenarios.big_hub);
- a Foundry resource with 100 projects (each with three connections and a capability host),
  2,000 people with Foundry User on a project and 20,000 unrelated assignments of theirs
  (diagnose.testing.scenarios.big_foundry; issue 13).

For each: requests, waves (the dependency depth of the collection), the collector's CPU time
(with the server in its own process, the CPU of this one is the client's), wall time, its ratio to
waves x latency (the floor: every wave waits at least one round trip) with the target ratio
< 3, and requests against the target of at most 3 per project + 100. Each scenario is
collected once to warm up (imports, the role catalog) and then --runs times; the figures are
those of the fastest run (the machine is shared: the slowest runs measure the neighbours).
Besides the human lines, one machine-readable line per figure:

    RESULT collect_hub_200_ratio 2.41 x target < 3 PASS
    RESULT collect_hub_200_requests 612 requests target <= 700 PASS

The server runs in a process of its own, as Azure does (its CPU is not the collector's);
--in-process-server shares the collector's interpreter (and its lock) with it, as older runs
of this benchmark did. It writes only to a temporary directory. Exit 1 when a target fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from diagnose.collect.clients import RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential, quiet_sdk_logging
from diagnose.collect.run import collect
from diagnose.collect.settings import settings_from_args
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import FixtureSet
from diagnose.testing.harness import token_like_entra
from diagnose.testing.scenarios import FOUNDRY, HUB, big_foundry, big_hub

RATIO_TARGET = 3.0
"""Wall time at most this many times (waves x latency)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    target: str
    projects: int
    build: tuple[str, tuple[int, ...]]
    """(builder name, arguments): built in the server's process."""

    def fixtures(self) -> FixtureSet:
        builder, arguments = self.build
        if builder == "hub":
            projects, connections, people = arguments
            return big_hub(projects, connections, people_per_project=people)
        return big_foundry(*arguments)


@dataclass(frozen=True)
class Run:
    seconds: float
    requests: int
    waves: int
    batches: int
    batched: int
    cpu: float
    """Seconds of this process's CPU (the collector's: the server runs in its own)."""


# -- the server, in this process or its own ------------------------------------------------
class LocalServer:
    """The loopback server in this process."""

    def __init__(self, scenario: Scenario, latency: float) -> None:
        self._server = ArmServer(scenario.fixtures(), Faults(latency=latency)).start()
        self.url, self.ca_bundle = self._server.url, str(self._server.ca_bundle)

    def reset(self) -> None:
        self._server.reset()

    def problems(self) -> tuple[list[str], int]:
        return self._server.unmatched[:3], len(self._server.non_read_requests())

    def stop(self) -> None:
        self._server.stop()


def _serve(scenario: Scenario, latency: float, pipe: Any) -> None:
    """The server process: serve the scenario, answer the parent's commands."""
    server = ArmServer(scenario.fixtures(), Faults(latency=latency)).start()
    pipe.send((server.url, str(server.ca_bundle)))
    try:
        while True:
            command = pipe.recv()
            if command == "reset":
                server.reset()
                pipe.send(None)
            elif command == "problems":
                pipe.send((server.unmatched[:3], len(server.non_read_requests())))
            else:
                return
    finally:
        server.stop()


class ProcessServer:
    """The loopback server in a process of its own."""

    def __init__(self, scenario: Scenario, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(scenario, latency, child), daemon=True)
        self._process.start()
        self.url, self.ca_bundle = self._pipe.recv()

    def reset(self) -> None:
        self._pipe.send("reset")
        self._pipe.recv()

    def problems(self) -> tuple[list[str], int]:
        self._pipe.send("problems")
        unmatched, writes = self._pipe.recv()
        return unmatched, writes

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(10)


# -- collecting ----------------------------------------------------------------------------
def run_once(server: Any, concurrency: int, hub: str) -> Run:
    args = SimpleNamespace(
        hub=hub,
        subscription=None,
        resource_group=None,
        project=None,
        auth="default",
        cloud="AzureCloud",
        arm_endpoint=server.url,
        graph_endpoint=server.url,
        concurrency=concurrency,
        quiet=True,
    )
    settings = settings_from_args(args)
    credentials = Credentials(
        StaticTokenCredential(token_like_entra("arm")),
        StaticTokenCredential(token_like_entra("graph")),
    )
    server.reset()
    start, cpu = time.perf_counter(), time.process_time()
    collection = collect(settings, credentials, retry=RetrySettings(total=0))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    errors = collection.snapshot.data["errors"]
    unmatched, writes = server.problems()
    if unmatched or errors or writes:
        raise SystemExit(
            f"the scenario is incomplete or not read-only: {unmatched} {errors[:3]} "
            f"({writes} non-read requests)"
        )
    batches = [e for e in collection.requests if e["path"].endswith("/$batch")]
    return Run(
        elapsed,
        len(collection.requests),
        collection.waves,
        len(batches),
        sum(e.get("subRequests") or 0 for e in batches),
        cpu,
    )


def measure(scenario: Scenario, args: argparse.Namespace) -> Run:
    server = (LocalServer if args.in_process_server else ProcessServer)(scenario, args.latency)
    os.environ["REQUESTS_CA_BUNDLE"] = server.ca_bundle
    try:
        run_once(server, args.concurrency, scenario.target)  # warm-up
        runs = [run_once(server, args.concurrency, scenario.target) for _ in range(args.runs)]
        best = min(runs, key=lambda r: r.seconds)
        if args.naive:
            naive = run_once(server, 1, scenario.target)
            print(
                f"  naive sequential order (--concurrency 1): {naive.requests} requests, "
                f"{naive.seconds * 1000:.0f} ms ({naive.seconds / best.seconds:.1f}x slower)"
            )
        return best
    finally:
        server.stop()
        os.environ.pop("REQUESTS_CA_BUNDLE", None)


def report(scenario: Scenario, run: Run, latency: float) -> bool:
    floor = run.waves * latency
    ratio = run.seconds / floor
    budget = 3 * scenario.projects + 100
    ratio_ok, requests_ok = ratio < RATIO_TARGET, run.requests <= budget
    print(scenario.title)
    print(
        f"  {run.requests} requests in {run.waves} waves, {run.seconds * 1000:.0f} ms = "
        f"{ratio:.2f} x ({run.waves} waves x {latency * 1000:.0f} ms); target < "
        f"{RATIO_TARGET:g} x: {'PASS' if ratio_ok else 'FAIL'}; requests target <= "
        f"{budget} (3 per project + 100): {'PASS' if requests_ok else 'FAIL'}; "
        f"Graph batches: {run.batches} carrying {run.batched} requests; "
        f"collector CPU {run.cpu * 1000:.0f} ms"
    )
    name = f"collect_{scenario.name}"
    print(
        f"RESULT {name}_ratio {ratio:.2f} x target < {RATIO_TARGET:g} "
        f"{'PASS' if ratio_ok else 'FAIL'}"
    )
    print(
        f"RESULT {name}_requests {run.requests} requests target <= {budget} "
        f"{'PASS' if requests_ok else 'FAIL'}"
    )
    print(
        f"RESULT {name}_ms {run.seconds * 1000:.0f} ms target < {floor * 3000:.0f} "
        f"{'PASS' if ratio_ok else 'FAIL'}"
    )
    return ratio_ok and requests_ok


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    found: list[Scenario] = []
    if not args.skip_hubs:
        for projects in (int(n) for n in args.hubs.split(",") if n.strip()):
            found.append(
                Scenario(
                    f"hub_{projects}",
                    f"hub with {projects} projects, {args.connections_per_project} connections "
                    f"and {args.people_per_project} people each",
                    HUB,
                    projects,
                    ("hub", (projects, args.connections_per_project, args.people_per_project)),
                )
            )
    if not args.skip_foundry:
        found.append(
            Scenario(
                "foundry",
                f"Foundry resource with {args.foundry_projects} projects, {args.people} people "
                f"and {args.unrelated} unrelated assignments",
                FOUNDRY,
                args.foundry_projects,
                ("foundry", (args.foundry_projects, args.people, args.unrelated)),
            )
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--hubs", default="20,50,200", help="project counts of the hubs")
    parser.add_argument("--connections-per-project", type=int, default=2)
    parser.add_argument("--people-per-project", type=int, default=5)
    parser.add_argument("--foundry-projects", type=int, default=100)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--unrelated", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64, help="the most in flight")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per scenario")
    parser.add_argument("--in-process-server", action="store_true")
    parser.add_argument("--skip-hubs", action="store_true")
    parser.add_argument("--skip-foundry", action="store_true")
    parser.add_argument("--naive", action="store_true", help="also one sequential run each")
    args = parser.parse_args()
    quiet_sdk_logging({})  # as the command does: no SDK log lines
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    where = "this process" if args.in_process_server else "its own process"
    print(
        f"loopback server in {where}, {args.latency * 1000:.0f} ms per request; "
        f"--concurrency {args.concurrency}; best of {args.runs} runs"
    )
    passed = True
    for scenario in scenarios(args):
        passed = report(scenario, measure(scenario, args), args.latency) and passed
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
