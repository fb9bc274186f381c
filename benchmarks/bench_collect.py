"""Benchmark live collection against the loopback ARM server (not a timed test).

    .venv/bin/python benchmarks/bench_collect.py [--projects 20] [--connections-per-project 2]
        [--latency 0.05] [--concurrency 8] [--foundry-projects 100] [--people 2000]
        [--unrelated 20000] [--foundry-concurrency 32] [--skip-naive] [--skip-foundry]

Serves a hub with 20 projects and 40 connections (diagnose.testing.scenarios.big_hub) with
50 ms of latency on every request, collects it, and prints the number of requests and waves
and the wall time against the target of 3 x (waves x latency); then the same figures for the
naive sequential order (one request at a time, --concurrency 1).

Then a Foundry resource with 100 projects (each with three connections and a capability
host), 2,000 people with Foundry User on a project and 20,000 unrelated assignments of theirs
(diagnose.testing.scenarios.big_foundry), at the same latency: requests, waves, wall time,
its ratio to waves x latency, and PASS when that ratio is at most 3. The per-principal
Microsoft Graph reads travel in JSON batches of up to 20 (POST /v1.0/$batch): the figures
say how many batches carried how many sub-requests. The server runs in this process (it
shares the interpreter, and its lock, with the collector) and writes only to a temporary
directory.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from diagnose.collect.clients import RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential, quiet_sdk_logging
from diagnose.collect.run import collect
from diagnose.collect.settings import settings_from_args
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.scenarios import FOUNDRY, HUB, big_foundry, big_hub


def run_once(
    server: ArmServer, concurrency: int, hub: str = HUB
) -> tuple[float, int, int, int, tuple[int, int]]:
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
    credentials = Credentials(StaticTokenCredential("bench"), StaticTokenCredential("bench"))
    server.reset()
    start = time.perf_counter()
    collection = collect(settings, credentials, retry=RetrySettings(total=0))
    elapsed = time.perf_counter() - start
    errors = len(collection.snapshot.data["errors"])
    if server.unmatched or errors:
        raise SystemExit(
            f"the scenario is incomplete: {server.unmatched[:3]} "
            f"{collection.snapshot.data['errors'][:3]}"
        )
    batches = [e for e in collection.requests if e["path"].endswith("/$batch")]
    batched = (len(batches), sum(e.get("subRequests") or 0 for e in batches))
    return (
        elapsed,
        len(collection.requests),
        collection.waves,
        len(server.non_read_requests()),
        batched,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--connections-per-project", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--foundry-projects", type=int, default=100)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--unrelated", type=int, default=20000)
    parser.add_argument("--foundry-concurrency", type=int, default=32)
    parser.add_argument("--skip-foundry", action="store_true")
    args = parser.parse_args()
    quiet_sdk_logging({})  # as the command does: no SDK log lines
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    fixtures = big_hub(args.projects, args.connections_per_project)
    with ArmServer(fixtures, Faults(latency=args.latency)) as server:
        os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_bundle)
        run_once(server, args.concurrency)  # warm-up: imports, TLS, the role catalog
        elapsed, requests, waves, writes, batched = run_once(server, args.concurrency)
        budget = 3 * waves * args.latency
        print(
            f"hub with {args.projects} projects and "
            f"{args.projects * args.connections_per_project} connections, "
            f"{args.latency * 1000:.0f} ms latency per request"
        )
        print(
            f"concurrent (--concurrency {args.concurrency}): {requests} requests in {waves} "
            f"waves, {elapsed * 1000:.0f} ms; target 3 x ({waves} waves x "
            f"{args.latency * 1000:.0f} ms) = {budget * 1000:.0f} ms: "
            f"{'PASS' if elapsed <= budget else 'FAIL'}; non-read requests: {writes}; "
            f"Graph batches: {batched[0]} carrying {batched[1]} requests"
        )
        if not args.skip_naive:
            elapsed1, requests1, _, _, _ = run_once(server, 1)
            print(
                f"naive sequential order (one request at a time): {requests1} requests in "
                f"{requests1} sequential steps, {elapsed1 * 1000:.0f} ms "
                f"({elapsed1 / elapsed:.1f}x slower)"
            )
    passed = elapsed <= budget
    if not args.skip_foundry:
        passed = foundry(args) and passed
    return 0 if passed else 1


def foundry(args: argparse.Namespace) -> bool:
    """The Foundry scenario: its figures, and whether it is within 3 x (waves x latency)."""
    fixtures = big_foundry(args.foundry_projects, args.people, args.unrelated)
    with ArmServer(fixtures, Faults(latency=args.latency)) as server:
        os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_bundle)
        run_once(server, args.foundry_concurrency, FOUNDRY)  # warm-up: the SDK clients' imports
        elapsed, requests, waves, writes, batched = run_once(
            server, args.foundry_concurrency, FOUNDRY
        )
    ideal = waves * args.latency
    ratio = elapsed / ideal
    print(
        f"Foundry resource with {args.foundry_projects} projects, {args.people} people and "
        f"{args.unrelated} unrelated assignments, {args.latency * 1000:.0f} ms latency per request"
    )
    print(
        f"concurrent (--concurrency {args.foundry_concurrency}): {requests} requests in {waves} "
        f"waves, {elapsed * 1000:.0f} ms = {ratio:.1f} x ({waves} waves x "
        f"{args.latency * 1000:.0f} ms); target 3 x = {3 * ideal * 1000:.0f} ms: "
        f"{'PASS' if ratio <= 3 else 'FAIL'}; non-read requests: {writes}; "
        f"Graph batches: {batched[0]} carrying {batched[1]} requests"
    )
    return ratio <= 3


if __name__ == "__main__":
    raise SystemExit(main())
