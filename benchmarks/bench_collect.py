"""Benchmark live collection against the loopback ARM server (not a timed test).

    .venv/bin/python benchmarks/bench_collect.py [--projects 20] [--connections-per-project 2]
        [--latency 0.05] [--concurrency 8]

Serves a hub with 20 projects and 40 connections (diagnose.testing.scenarios.big_hub) with
50 ms of latency on every request, collects it, and prints the number of requests and waves
and the wall time against the target of 3 x (waves x latency); then the same figures for the
naive sequential order (one request at a time, --concurrency 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from diagnose.collect.clients import RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential
from diagnose.collect.run import collect
from diagnose.collect.settings import settings_from_args
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.scenarios import HUB, big_hub


def run_once(server: ArmServer, concurrency: int) -> tuple[float, int, int, int]:
    args = SimpleNamespace(
        hub=HUB,
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
    return elapsed, len(collection.requests), collection.waves, len(server.non_read_requests())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--connections-per-project", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    fixtures = big_hub(args.projects, args.connections_per_project)
    with ArmServer(fixtures, Faults(latency=args.latency)) as server:
        os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_bundle)
        run_once(server, args.concurrency)  # warm-up: imports, TLS, the role catalog
        elapsed, requests, waves, writes = run_once(server, args.concurrency)
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
            f"{'PASS' if elapsed <= budget else 'FAIL'}; non-read requests: {writes}"
        )
        if not args.skip_naive:
            elapsed1, requests1, _, _ = run_once(server, 1)
            print(
                f"naive sequential order (one request at a time): {requests1} requests in "
                f"{requests1} sequential steps, {elapsed1 * 1000:.0f} ms "
                f"({elapsed1 / elapsed:.1f}x slower)"
            )
    return 0 if elapsed <= budget else 1


if __name__ == "__main__":
    raise SystemExit(main())
