"""Benchmark `diagnose scan` against the loopback server (not a timed test).

    .venv/bin/python benchmarks/bench_scan.py [--hubs 500] [--subscriptions 20]
        [--latency 0.05] [--concurrency 8] [--parallel 16] [--check-sample 20]

Serves a generated tenant (diagnose.testing.tenant: 500 hubs across 20 subscriptions, each
with a project, a storage account, a key vault and their role assignments) with 50 ms of
latency on every request, and scans every subscription: Resource Graph (subscriptions, then
resources, role assignments and role definitions, in pages of 1,000 rows), then each hub's
collection on what Resource Graph read (its connections, the deny assignments, eligibility
and inherited assignments of each subscription once, Microsoft Graph per principal).

The target: the scan's collection within 3 x (Resource Graph pages x latency + the per-hub
waves Resource Graph cannot serve x latency). Then the checks on a sample of the hubs
(--check-sample), as time per hub, for information. The server runs in this process and
writes only to a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from diagnose.collect.clients import RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential, quiet_sdk_logging
from diagnose.collect.scan import ScanScope
from diagnose.collect.scanrun import scan
from diagnose.collect.settings import settings_from_args
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import FixtureSet
from diagnose.testing.tenant import SyntheticTenant

TARGET_RATIO = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hubs", type=int, default=500)
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=16, help="hubs collected at once")
    parser.add_argument("--check-sample", type=int, default=20)
    options = parser.parse_args()
    quiet_sdk_logging()
    tenant = SyntheticTenant(hubs=options.hubs, subscriptions=options.subscriptions)
    with ArmServer(
        FixtureSet("generated", []), Faults(latency=options.latency), tenant=tenant
    ) as server:
        os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_bundle)
        settings = settings_from_args(
            SimpleNamespace(
                hub="scan",
                arm_endpoint=server.url,
                graph_endpoint=server.url,
                concurrency=options.concurrency,
                quiet=True,
            )
        )
        credentials = Credentials(StaticTokenCredential("bench"), StaticTokenCredential("bench"))
        marks: dict[str, float] = {}
        start = time.perf_counter()
        result = scan(
            settings,
            credentials,
            ScanScope(),
            retry=RetrySettings(total=0),
            stage=lambda text: _mark(marks, text),
            parallel=options.parallel,
        )
        elapsed = time.perf_counter() - start
        received = server.requests()
    graph_phase = marks.get("collecting", start) - start
    failed = [h for h in result.hubs if h.collection is None]
    partial = [h for h in result.hubs if h.collection and h.collection.snapshot.data["errors"]]
    ideal = (result.pages + result.directory_waves + result.waves) * options.latency
    ratio = elapsed / ideal if ideal else float("inf")
    kinds = Counter(_kind(r.path) for r in received if not r.in_batch)
    print(
        f"tenant: {options.hubs} hubs across {options.subscriptions} subscriptions, "
        f"{options.latency * 1000:.0f} ms per request"
    )
    print(
        f"scan collection: {elapsed:.2f} s ({graph_phase:.2f} s Resource Graph, "
        f"{elapsed - graph_phase:.2f} s per-hub collection); {len(result.hubs)} hubs, "
        f"{len(failed)} failed, {len(partial)} partial; {result.pages} Resource Graph pages, "
        f"{result.waves} per-hub waves, {len(received)} requests"
    )
    print("requests by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    print(
        f"target: 3 x ({result.pages} pages + {result.directory_waves} Graph rounds + "
        f"{result.waves} waves) x "
        f"{options.latency * 1000:.0f} ms = {TARGET_RATIO * ideal:.2f} s; ratio {ratio:.1f}"
    )
    verdict = "PASS" if ratio <= TARGET_RATIO and not failed and not partial else "FAIL"
    print(f"RESULT scan.collect.ratio {ratio:.2f} x target <= {TARGET_RATIO:g} {verdict}")
    if options.check_sample:
        from diagnose.app import diagnose_snapshot

        sample = [h.collection for h in result.hubs if h.collection][: options.check_sample]
        begun = time.perf_counter()
        for collection in sample:
            diagnose_snapshot(collection.snapshot)
        per_hub = (time.perf_counter() - begun) / max(1, len(sample))
        print(
            f"checks: {per_hub * 1000:.0f} ms per hub on {len(sample)} hubs (about "
            f"{per_hub * len(result.hubs):.0f} s for all {len(result.hubs)}; not part of the "
            "target)"
        )
    return 0 if verdict == "PASS" else 1


def _mark(marks: dict[str, float], text: str) -> None:
    marks.setdefault(text.split(" ", 1)[0], time.perf_counter())


def _kind(path: str) -> str:
    lowered = path.lower()
    if lowered.startswith("/v1.0/"):
        return "graph " + lowered.rsplit("/", 1)[-1].split("(")[0]
    if "resourcegraph" in lowered:
        return "resource graph"
    return (
        "arm " + lowered.rsplit("/", 1)[-1]
        if "/providers/microsoft.authorization/" in lowered or lowered.endswith("/connections")
        else "arm other"
    )


if __name__ == "__main__":
    raise SystemExit(main())
