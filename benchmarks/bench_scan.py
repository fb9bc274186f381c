"""Benchmark `diagnose scan` against the loopback server (not a timed test).

    .venv/bin/python benchmarks/bench_scan.py [--hubs 500] [--subscriptions 20]
        [--latency 0.05] [--concurrency 64] [--check-sample 20]
        [--in-process-server]

Serves a generated tenant (diagnose.testing.tenant: 500 hubs across 20 subscriptions, each
with a project, a storage account, a key vault and their role assignments) with 50 ms of
latency on every request, and scans every subscription: Resource Graph (subscriptions, then
resources, role assignments and role definitions, in pages of 1,000 rows), then each hub's
collection on what Resource Graph read (its connections, the deny assignments, eligibility
and inherited assignments of each subscription once, Microsoft Graph per principal).

The target: the scan's collection within 3 x (Resource Graph pages + Microsoft Graph look-up
rounds + the per-hub waves Resource Graph cannot serve) x latency: round trips only, not the
scan's own CPU, which it prints beside the wall time (its own process's and its worker
processes', scanworker.py: on more than one core the scan shares its hubs with them).
--concurrency is the CLI's (64 by default): the steps, and so the requests, of the whole scan
at once. Then the checks on a
sample of the hubs (--check-sample), as time per hub, for information.

The server runs in a process of its own, as Azure does (its CPU is not the scan's: in the
scan's process it took about half of the CPU the scan had and held its interpreter lock);
--in-process-server shares the scan's interpreter with it, as older runs of this benchmark
did. The tenant's rows are built before the clock starts, and one subscription is scanned
first to warm up (imports, the role catalog), as bench_collect.py warms up. The server writes
only to a temporary directory (its certificate), removed when it stops.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from diagnose.collect.clients import RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential, quiet_sdk_logging
from diagnose.collect.scan import ScanCollection, ScanScope
from diagnose.collect.scanrun import scan
from diagnose.collect.scanworker import READER_THREAD
from diagnose.collect.settings import settings_from_args
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import FixtureSet
from diagnose.testing.harness import token_like_entra
from diagnose.testing.tenant import SyntheticTenant

TARGET_RATIO = 3.0

Seen = tuple[str, bool, bool]
"""What the benchmark keeps of a request the server received: (path, in a JSON batch, is a
read)."""


# -- the server, in this process or its own ------------------------------------------------
def _tenant_server(hubs: int, subscriptions: int, latency: float) -> ArmServer:
    tenant = SyntheticTenant(hubs=hubs, subscriptions=subscriptions)
    tenant.warm()  # Azure has its rows ready before anyone asks
    return ArmServer(FixtureSet("generated", []), Faults(latency=latency), tenant=tenant).start()


def _seen(server: ArmServer) -> tuple[list[Seen], list[str]]:
    received = [(r.path, r.in_batch, r.is_read) for r in server.requests()]
    return received, list(server.unmatched[:3])


class LocalServer:
    """The loopback server in this process."""

    def __init__(self, hubs: int, subscriptions: int, latency: float) -> None:
        self._server = _tenant_server(hubs, subscriptions, latency)
        self.url, self.ca_bundle = self._server.url, str(self._server.ca_bundle)

    def reset(self) -> None:
        self._server.reset()

    def seen(self) -> tuple[list[Seen], list[str]]:
        return _seen(self._server)

    def cpu(self) -> float | None:
        return None  # in the scan's own figures

    def stop(self) -> None:
        self._server.stop()


def _serve(hubs: int, subscriptions: int, latency: float, pipe: Any) -> None:
    """The server process: serve the tenant, answer the parent's commands until "stop" (or
    until the parent goes away)."""
    server = _tenant_server(hubs, subscriptions, latency)
    try:
        pipe.send((server.url, str(server.ca_bundle)))
        while True:
            try:
                command = pipe.recv()
            except EOFError:
                return
            if command == "reset":
                server.reset()
                pipe.send(None)
            elif command == "seen":
                pipe.send(_seen(server))
            elif command == "cpu":
                pipe.send(time.process_time())
            else:
                return
    finally:
        server.stop()


class ProcessServer:
    """The loopback server in a process of its own (spawned: nothing of this process's
    threads or locks is inherited)."""

    def __init__(self, hubs: int, subscriptions: int, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(hubs, subscriptions, latency, child), daemon=True
        )
        self._process.start()
        child.close()
        self.url, self.ca_bundle = self._pipe.recv()

    def reset(self) -> None:
        self._pipe.send("reset")
        self._pipe.recv()

    def seen(self) -> tuple[list[Seen], list[str]]:
        self._pipe.send("seen")
        received, unmatched = self._pipe.recv()
        return received, unmatched

    def cpu(self) -> float | None:
        """CPU seconds the server's process has used so far."""
        self._pipe.send("cpu")
        seconds: float = self._pipe.recv()
        return seconds

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # it is gone already
            self._pipe.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._pipe.close()

    @property
    def exitcode(self) -> int | None:
        return self._process.exitcode


def start_server(options: argparse.Namespace) -> LocalServer | ProcessServer:
    kind = LocalServer if options.in_process_server else ProcessServer
    return kind(options.hubs, options.subscriptions, options.latency)


# -- scanning ------------------------------------------------------------------------------
def run_scan(
    server: LocalServer | ProcessServer,
    options: argparse.Namespace,
    scope: ScanScope,
    marks: dict[str, float],
    finished: dict[str, tuple[float, bool]] | None = None,
) -> tuple[ScanCollection, float]:
    """The scan, timed from just before it starts; `finished` gets the time each hub's
    snapshot came in, by hub id, and whether a worker process collected it."""
    settings = settings_from_args(
        SimpleNamespace(
            hub="scan",
            arm_endpoint=server.url,
            graph_endpoint=server.url,
            concurrency=options.concurrency,
            quiet=True,
        )
    )
    credentials = Credentials(
        StaticTokenCredential(token_like_entra("arm")),
        StaticTokenCredential(token_like_entra("graph")),
    )
    start = time.perf_counter()
    result = scan(
        settings,
        credentials,
        scope,
        retry=RetrySettings(total=0),
        stage=lambda text: _mark(marks, text),
        done=None if finished is None else lambda hub: _finish(finished, hub.target),
    )
    return result, start


def _finish(finished: dict[str, tuple[float, bool]], target: str) -> None:
    # A worker process's hubs come in on the scan's thread that reads its answers.
    finished[target] = (time.perf_counter(), threading.current_thread().name == READER_THREAD)


def last_hubs(finished: dict[str, tuple[float, bool]], start: float) -> list[float]:
    """When the last hub the scan's own process collected came in, and the last a worker
    process collected (seconds from the start; only the first when no worker had one). Far
    apart, one waited for the other at the end."""
    own = [at for at, in_worker in finished.values() if not in_worker]
    theirs = [at for at, in_worker in finished.values() if in_worker]
    return [max(times) - start for times in (own, theirs) if times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hubs", type=int, default=500)
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument(
        "--concurrency", type=int, default=64, help="steps of the scan at once (the CLI's default)"
    )
    parser.add_argument("--check-sample", type=int, default=20)
    parser.add_argument(
        "--in-process-server",
        action="store_true",
        help="serve from this process (its CPU and interpreter lock shared with the scan)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the scan: its process's threads and each worker process's, apart",
    )
    options = parser.parse_args()
    profiles = tempfile.mkdtemp(prefix="bench-scan-profile-") if options.profile else ""
    quiet_sdk_logging()
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    server = start_server(options)
    os.environ["REQUESTS_CA_BUNDLE"] = server.ca_bundle
    try:
        first = SyntheticTenant(subscriptions=options.subscriptions).subscription_ids[0]
        run_scan(server, options, ScanScope(subscriptions=(first,)), {})  # warm-up
        server.reset()
        marks: dict[str, float] = {}
        server_cpu = server.cpu()
        cpu, workers_cpu = time.process_time(), _children_cpu()
        finished: dict[str, tuple[float, bool]] = {}
        if options.profile:
            result, start = _profiled_scan(server, options, marks, profiles)
        else:
            result, start = run_scan(server, options, ScanScope(), marks, finished)
        elapsed = time.perf_counter() - start
        cpu, workers_cpu = time.process_time() - cpu, _children_cpu() - workers_cpu
        if server_cpu is not None:
            server_cpu = (server.cpu() or 0.0) - server_cpu
        received, unmatched = server.seen()
    finally:
        server.stop()
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    graph_phase = marks.get("collecting", start) - start
    failed = [h for h in result.hubs if h.collection is None]
    partial = [h for h in result.hubs if h.collection and h.collection.snapshot.data["errors"]]
    writes = [path for path, _, is_read in received if not is_read]
    ideal = (result.pages + result.directory_waves + result.waves) * options.latency
    ratio = elapsed / ideal if ideal else float("inf")
    kinds = Counter(_kind(path) for path, in_batch, _ in received if not in_batch)
    where = "this process" if options.in_process_server else "its own process"
    print(
        f"tenant: {options.hubs} hubs across {options.subscriptions} subscriptions, "
        f"{options.latency * 1000:.0f} ms per request, the server in {where}"
    )
    print(
        f"scan collection: {elapsed:.2f} s ({graph_phase:.2f} s Resource Graph, "
        f"{elapsed - graph_phase:.2f} s per-hub collection); {len(result.hubs)} hubs, "
        f"{len(failed)} failed, {len(partial)} partial; {result.pages} Resource Graph pages, "
        f"{result.waves} per-hub waves, {len(received)} requests"
    )
    per_hub = (cpu + workers_cpu) / max(1, len(result.hubs)) * 1000
    print(
        f"the scan's CPU: {cpu:.2f} s in its process (all its threads) + {workers_cpu:.2f} s "
        f"in its worker processes, in {elapsed:.2f} s; {per_hub:.1f} ms a hub (near the wall "
        "time times the processes, the scan waits for its CPU, not for the server)"
    )
    if server_cpu is not None:
        print(f"the server's CPU (its own process): {server_cpu:.2f} s")
    if finished:
        ends = last_hubs(finished, start)
        print(
            "last hub in: "
            + ", ".join(
                f"{'its own process' if n == 0 else 'its workers'} {end:.2f} s"
                for n, end in enumerate(ends)
            )
        )
    print("requests by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    print(
        f"target: 3 x ({result.pages} pages + {result.directory_waves} Graph rounds + "
        f"{result.waves} waves) x "
        f"{options.latency * 1000:.0f} ms = {TARGET_RATIO * ideal:.2f} s; ratio {ratio:.1f}"
    )
    if unmatched or writes:
        print(f"the tenant is incomplete or the scan not read-only: {unmatched} {writes[:3]}")
    complete = not failed and not partial and not unmatched and not writes
    verdict = "PASS" if ratio <= TARGET_RATIO and complete else "FAIL"
    print(f"RESULT scan.collect.ratio {ratio:.2f} x target <= {TARGET_RATIO:g} {verdict}")
    if options.profile:
        _print_profiles(profiles)
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


def _profiled_scan(
    server: LocalServer | ProcessServer,
    options: argparse.Namespace,
    marks: dict[str, float],
    directory: str,
) -> tuple[ScanCollection, float]:
    """The scan under cProfile, in every thread of this process (the workers write theirs
    to `directory`, scanworker.PROFILE_VARIABLE)."""
    import pstats

    from diagnose.collect.scanworker import PROFILE_VARIABLE, profile_threads

    answer: list[tuple[ScanCollection, float]] = []
    os.environ[PROFILE_VARIABLE] = directory
    try:
        found = profile_threads(
            lambda: answer.append(run_scan(server, options, ScanScope(), marks))
        )
    finally:
        os.environ.pop(PROFILE_VARIABLE, None)
    stats = pstats.Stats(found[0])
    for profile in found[1:]:
        stats.add(profile)
    stats.dump_stats(os.path.join(directory, "scan.prof"))
    return answer[0]


def _print_profiles(directory: str) -> None:
    import pstats

    for name in sorted(os.listdir(directory)):
        print(f"--- profile {name} (all its threads; {directory})")
        stats = pstats.Stats(os.path.join(directory, name))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)


def _children_cpu() -> float:
    """CPU seconds of this process's children that ended (the scan's worker processes; the
    server's process ends after the figures are taken)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
