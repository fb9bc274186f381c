"""One tenant-wide scan, start to end (see scan.py for what is read where): sign in, read
Resource Graph, then collect every hub found into its own snapshot, every hub's steps on one
pool of workers (scanpool.py), all against one deadline (--timeout): a hub the deadline cuts
short says so in its errors, as a single collection does."""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from diagnose.collect.assemble import build_snapshot
from diagnose.collect.clients import ApiError, RetrySettings, arm_client, graph_client
from diagnose.collect.credentials import Credentials
from diagnose.collect.deadline import Deadline
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.foundry import FoundryCollector
from diagnose.collect.limit import first_in_line
from diagnose.collect.listings import ASSIGNMENTS
from diagnose.collect.pipeline import Connection, shared_connection, transport
from diagnose.collect.requestlog import RequestLog
from diagnose.collect.resourcegraph import ResourceGraph
from diagnose.collect.result import Collection
from diagnose.collect.scan import (
    HubCollection,
    ScanCollection,
    ScanScope,
    TenantIndex,
    principals_of,
    read_tenant,
)
from diagnose.collect.scanpool import START, Gate, HubSteps, unwrap
from diagnose.collect.scanworker import GRACE, Share, Worker, processes_for, split
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.sdk import SdkClients, SharedToken
from diagnose.collect.served import ServedArm, ServedSdk, SharedGraph
from diagnose.collect.settings import Settings
from diagnose.collect.target import Target
from diagnose.snapshot import parse_snapshot
from diagnose.snapshot.codes import TIMEOUT_CODE
from diagnose.snapshot.compiled import export as export_validators

SPARE_THREADS = 0.5
"""Threads of a process's pool beyond its share of --concurrency, as a fraction of it. Most
of a hub's steps are answered from what the scan read already; with one thread per request
in flight, a thread busy with one kept a request from being sent. The window of requests in
flight (limit.py) still bounds the requests: those beyond it wait for a slot."""
YOUNG_FACTOR = 10
"""How many times the usual number of new objects a scan's process makes before the
collector's youngest generation is looked at (_fewer_collections)."""


def scan(
    settings: Settings,
    credentials: Credentials,
    scope: ScanScope,
    *,
    retry: RetrySettings | None = None,
    stage: Callable[[str], None] | None = None,
    done: Callable[[HubCollection], None] | None = None,
    now: datetime | None = None,
    processes: int | None = None,
) -> ScanCollection:
    """Scan: ApiError when Resource Graph cannot list the subscriptions at all (nothing is
    known then); every later failure is part of the result. At most settings.concurrency
    requests of the whole scan at once, as a single collection. The hubs are
    collected in `processes` processes (this one and worker processes, scanworker.py; by
    default as many as the cores and the number of hubs make worth it).

    The cyclic garbage collector stays on in this process (worker processes run without
    it): paused, its first pass after the scan went over every hub's snapshot at once, alone
    on one core once the workers had ended (0.27 s of a 4 s scan); its passes during the
    scan overlap the workers' collection, and there are fewer of them (_fewer_collections)."""
    with _fewer_collections():
        return _scan(settings, credentials, scope, retry, stage, done, now, processes)


_collections_lock = threading.Lock()
_collections_held: list[tuple[int, int, int]] = []
"""The collector's thresholds before the first scan running now began, once per scan running
(scans in threads of one process share the change, as gcpause.py shares its pause)."""


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector, during a scan, leaves alone what was there before it
    (the imported modules, the role catalog: gc.freeze) and looks at what the scan makes a
    tenth as often (most of it is freed by its reference counts meanwhile, never looked at):
    its passes took 0.13-0.15 s of this process's ~1.8 s of CPU in a 500-hub scan, one of
    them over the whole heap; now 0.06 s. Both are as they were once the last scan running
    returns: what was there before and became garbage meanwhile is collected then."""
    with _collections_lock:
        if not _collections_held:
            threshold = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(threshold[0] * YOUNG_FACTOR, *threshold[1:])
        else:
            threshold = _collections_held[0]
        _collections_held.append(threshold)
    try:
        yield
    finally:
        with _collections_lock:
            _collections_held.pop()
            if not _collections_held:
                gc.set_threshold(*threshold)
                gc.unfreeze()


def _scan(
    settings: Settings,
    credentials: Credentials,
    scope: ScanScope,
    retry: RetrySettings | None,
    stage: Callable[[str], None] | None,
    done: Callable[[HubCollection], None] | None,
    now: datetime | None,
    processes: int | None,
) -> ScanCollection:
    retry = retry or RetrySettings()
    stage = stage or (lambda text: None)
    shared = shared_connection(settings.timeout)
    log = RequestLog()
    arm_credential = SharedToken(credentials.arm)
    width = settings.concurrency
    arm_at = (settings.arm_endpoint, arm_credential, settings.arm_scope, log)
    # One pool of connections for every ARM client of this process, as a single collection
    # has (run.py): the hubs' reads go out on the connections Resource Graph's pages were
    # read on, and the SDK's listings on the hubs' (a pool each opened 7 more, a TLS
    # handshake each, in a 500-hub scan).
    arm_connections = transport(width, shared.deadline)
    resource_graph = ResourceGraph(
        *arm_at, concurrency=width, retry=retry, shared=shared, connections=arm_connections
    )
    closing: list[Any] = [resource_graph]
    workers: list[Worker] = []
    early: list[Worker] = []
    handing: _Handing | None = None
    try:
        # A worker's interpreter starts while Resource Graph is read (as long as its round
        # trips): started after them, its hubs began 0.3-0.4 s after this process's.
        early = _early_workers(width, processes)
        # The validators are compiled while Resource Graph is read (its round trips leave
        # this process idle), and go to the workers with their shares, compiled: each
        # worker generated and compiled them again as it started (35 ms of its CPU).
        compiling = threading.Thread(target=compile_validators, name="scan-validators", daemon=True)
        compiling.start()
        stage(f"reading Resource Graph ({scope.describe()})")
        index = read_tenant(resource_graph, scope, parallel=min(4, width))
        targets = index.targets()
        shares = split(targets, processes_for(len(targets), width, processes))
        widths = _widths(width, [len(share) for share in shares])
        # Started at once, each with its share: their hubs start as soon as they are up,
        # their Graph reads held until the look-ups below are answered and sent on.
        workers, shares, widths = _start_workers(shares, widths, early)
        handing = _Handing(shared.deadline)
        compiling.join()
        validators = export_validators() if workers else None
        for worker, share, share_width in zip(workers, shares[1:], widths[1:], strict=True):
            part = Share(
                settings,
                retry,
                index,
                tuple(t.resource for t in share),
                share_width,
                shared.deadline.remaining(),
                credentials.graph is not None,
                credentials.graph_unavailable,
                now,
                validators,
            )
            worker.collect(
                part,
                {"arm": arm_credential, "graph": credentials.graph},
                done,
                functools.partial(handing.give, worker),
            )
        stage(f"collecting {len(targets)} hub(s) and Foundry resource(s)")
        # This process's share of the requests in flight, for ARM and Graph together.
        one_window(shared, widths[0])
        base = arm_client(
            *arm_at,
            concurrency=widths[0],
            retry=retry,
            shared=shared,
            connections=arm_connections,
        )
        sdk = SdkClients(
            *arm_at,
            concurrency=widths[0],
            retry=retry,
            shared=shared,
            connections=arm_connections,
        )
        closing += [base, sdk]
        graph = None
        if credentials.graph is not None:
            graph_base = graph_client(
                settings.graph_endpoint,
                credentials.graph,
                settings.graph_scope,
                log,
                concurrency=widths[0],
                retry=retry,
                shared=shared,
            )
            closing.append(graph_base)
            graph = SharedGraph(graph_base)
        arm = ServedArm(base, index)
        served_sdk = ServedSdk(sdk, arm)
        compile_validators()
        if graph is not None:
            stage("looking up the principals in Microsoft Graph")

        def take() -> int:
            """Hubs a worker has not begun, collected here instead."""
            for worker in workers:
                taken = worker.take(shared.deadline.remaining())
                for resource in taken:
                    target = Target(resource)
                    hubs.add(target, arm.for_hub(target.id), graph, served_sdk)
                if taken:
                    return len(taken)
            return 0

        # This process's hubs start once the first round of what is read ahead for every
        # hub is answered (the rounds after it go first in the window: first_in_line), as a
        # worker's do: their reads of what is read ahead wait, parked at the gate, until it
        # is answered. Started after every round, they left the window nearly idle for
        # them (0.2-0.3 s of a 2 s scan).
        gate = Gate(reads_ahead)
        hubs = Hubs(
            widths[0],
            credentials.graph_unavailable,
            shared,
            now,
            done,
            gate,
            more=take if workers else None,
        )

        def start_hubs() -> None:
            for target in shares[0] if shares else []:
                hubs.add(target, arm.for_hub(target.id), graph, served_sdk)
            handing.offer(hubs)

        try:
            directory_waves = _ahead(index, arm, graph, workers, widths[0], start_hubs)
        finally:
            gate.open()  # before hubs.run(): with steps parked, the pool could run dry
        own = {h.target: h for h in hubs.run()}
        handing.close()
        requests = shared.tokens.clean_json(log.entries())
        for worker in workers:
            worker.wait(shared.deadline.remaining() + GRACE)
            requests += worker.requests
        of_worker = {t.id: w for w, share in zip(workers, shares[1:], strict=True) for t in share}
        of_worker.update(handing.given_to)
        collected = [own[t.id] if t.id in own else of_worker[t.id].result(t) for t in targets]
    finally:
        if handing is not None:
            handing.close()
        for worker in [*workers, *early]:  # stopping one again is nothing
            worker.stop()
        shared.deadline.expire()
        shared.tokens.forget()
        for client in closing:
            client.close()
    return ScanCollection(
        tuple(collected),
        tuple(index.unknown[s] for s in sorted(index.unknown)),
        len(index.subscriptions),
        resource_graph.pages,
        tuple(requests),
        max((h.collection.waves for h in collected if h.collection), default=0),
        directory_waves,
    )


def _ahead(
    index: TenantIndex,
    arm: ServedArm,
    graph: SharedGraph | None,
    workers: list[Worker],
    width: int,
    first_round_read: Callable[[], None],
) -> int:
    """What is read once for every hub: the inherited assignments, and with a Graph client
    the app and the principals; sent on to the workers, whose hubs' reads of it wait for
    it (even when it failed: their hubs then ask, and record what they are refused).
    `first_round_read` runs once the first round (the app, what is inherited) is answered,
    which has the window to itself. Returns how many rounds of Graph requests it took."""
    rounds = 0
    try:
        if graph is None:
            if workers:  # theirs are read here, with this process's
                arm.prefetch_inherited(width)
            first_round_read()
        else:
            # The app every hub's reader asks for first, while the inherited assignments
            # (whose principals are looked up with the rest) are read: one round, not two.
            with ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="graph-app", initializer=first_in_line
            ) as side:
                app = side.submit(graph.look_up_app)
                wanted = principals_of(index) | arm.prefetch_inherited(width)
                wanted |= app.result()
            first_round_read()
            rounds = 1 + graph.prefetch(wanted, width)
    finally:
        answered = arm.answered()
        looked_up = graph.answered() if graph is not None else None
        for worker in workers:
            worker.ahead(answered, looked_up)
    return rounds


def reads_ahead(step: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    """Whether a hub's step reads what is read once for every hub ahead of the hubs: its
    directory reader's (Microsoft Graph), and its listing of a subscription's role
    assignments (what is inherited from above it)."""
    if isinstance(getattr(step, "__self__", None), DirectoryReader):
        return True
    return getattr(step, "__name__", "") == "list_at_subscription" and bool(
        args and args[0] is ASSIGNMENTS
    )


def one_window(shared: Connection, width: int) -> None:
    """One window of requests in flight for ARM and Microsoft Graph together, `width` (this
    process's share of --concurrency): the reads made once for every hub, on threads of
    their own, run beside the workers' hubs, so the steps of a pool no longer bound the
    scan's requests at once; the windows do."""
    shared.limits["graph"] = shared.limit("arm", width)


class _Handing:
    """This process's hubs given to a worker process that asks for more (Hubs.give): once
    they are known, until they have all begun; who got which."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self._ready = threading.Event()
        self._hubs: Hubs | None = None
        self._lock = threading.Lock()
        self.given_to: dict[str, Worker] = {}

    def offer(self, hubs: Hubs) -> None:
        self._hubs = hubs
        self._ready.set()

    def close(self) -> None:
        """Nothing more to give (this process's hubs have ended, or the scan failed)."""
        self._hubs = None
        self._ready.set()

    def give(self, worker: Worker) -> list[dict[str, Any]]:
        """The resources of the hubs given to `worker` (asked before this process's hubs are
        known, once they are)."""
        self._ready.wait(max(0.0, self._deadline.remaining()))
        hubs = self._hubs
        if hubs is None or self._deadline.remaining() <= GRACE:
            return []
        with self._lock:
            targets = hubs.give()
            self.given_to.update((t.id, worker) for t in targets)
        return [t.resource for t in targets]


def _early_workers(width: int, processes: int | None) -> list[Worker]:
    """The worker a scan with enough hubs would have, started before it is known how many
    it has (one at most: a scan that needs none ends it, having spent an interpreter's start
    on a spare core); none where no worker would be."""
    if processes_for(1 << 30, width, processes) < 2:
        return []
    try:
        return [Worker()]
    except OSError:  # no process to be had: _start_workers tries again, and says so
        return []


def _start_workers(
    shares: list[list[Target]], widths: list[int], early: list[Worker] | None = None
) -> tuple[list[Worker], list[list[Target]], list[int]]:
    """A worker for each share but the first (those started early first, the others ended);
    the share of one that could not be started (no process to be had) goes back to this
    process, with its requests in flight."""
    waiting = list(early or [])
    workers: list[Worker] = []
    kept, kept_widths = shares[:1], widths[:1]
    for share, share_width in zip(shares[1:], widths[1:], strict=True):
        try:
            workers.append(waiting.pop(0) if waiting else Worker())
        except OSError:
            kept[0] = kept[0] + share
            kept_widths[0] += share_width
            continue
        kept.append(share)
        kept_widths.append(share_width)
    for worker in waiting:  # not needed after all
        worker.discard()
    return workers, kept, kept_widths


def _widths(width: int, hubs: list[int]) -> list[int]:
    """Each process's share of the scan's requests in flight, in proportion to its hubs,
    at least one each; together `width`."""
    if len(hubs) <= 1:
        return [width]
    shares = [max(1, width * n // sum(hubs)) for n in hubs[1:]]
    return [max(1, width - sum(shares)), *shares]


class Hubs:
    """Every hub's collector, their steps on one Scheduler; a hub's snapshot assembled when
    its last step ends, or at the deadline with what it had.

    The processes of a scan share the hubs out by subscription before they start, which
    leaves one waiting for the other at the end when they go at different speeds (the scan's
    own process also reads what every hub needs; a loaded machine starves one or the other).
    So a process whose hubs have all begun asks another for more (`more`: it adds them and
    says how many; asked once it runs), and that one gives it a subscription whose hubs have
    not begun there (give): whole subscriptions only, so that each subscription's own reads
    (its deny assignments, its eligibility) are still made once, in one process."""

    def __init__(
        self,
        width: int,
        graph_unavailable: str,
        shared: Connection,
        now: datetime | None,
        done: Callable[[HubCollection], None] | None,
        gate: Gate | None = None,
        more: Callable[[], int] | None = None,
    ) -> None:
        self._graph_unavailable = graph_unavailable
        self._shared = shared
        self._now = now
        self._done = done
        self._gate = gate
        self._more = more
        self._asking = False
        self._running = False
        self._pool = Scheduler(width + int(width * SPARE_THREADS))
        self._hubs: dict[HubSteps, tuple[Target, FoundryCollector, DirectoryReader]] = {}
        self._results: dict[str, HubCollection] = {}
        self._begun: set[str] = set()
        self._given: set[str] = set()
        self._lock = threading.Lock()

    def add(
        self, target: Target, arm: ServedArm, graph: SharedGraph | None, sdk: ServedSdk
    ) -> None:
        steps = HubSteps(self._pool, self._finished, self._gate)
        directory = DirectoryReader(graph, self._graph_unavailable)
        # Once per subscription: the hubs of a subscription share its listings (served.py).
        collector = FoundryCollector(
            arm,
            directory,
            steps,  # type: ignore[arg-type]
            sdk=sdk,
            per_group=False,
        )
        with self._lock:
            self._hubs[steps] = (target, collector, directory)
        steps.submit(0, _start, collector, target, self, priority=START)

    def begin(self, target: Target) -> bool:
        """Whether this hub is collected here (it was not given away); once every hub here
        has begun, ask for more (a step of its own, which keeps the pool from running dry
        until it is answered)."""
        with self._lock:
            if target.id in self._given:
                return False
            self._begun.add(target.id)
        self._ask_if_all_begun()
        return True

    def _ask_if_all_begun(self) -> None:
        with self._lock:
            ask = (
                self._running
                and self._more is not None
                and not self._asking
                and len(self._begun) + len(self._given) == len(self._hubs)
                and self._shared.deadline.remaining() > GRACE
            )
            self._asking = self._asking or ask
        if ask:
            self._pool.submit(0, self._ask, priority=START)

    def _ask(self, wave: int) -> None:
        assert self._more is not None
        added = self._more()
        with self._lock:
            self._asking = False
            if not added:
                self._more = None  # the scan has none left to give

    def give(self) -> list[Target]:
        """The hubs of a subscription none of whose hubs has begun here, the last such in
        the targets' order (none: []); they are not collected here."""
        with self._lock:
            by_subscription: dict[str, list[Target]] = {}
            for target, _, _ in self._hubs.values():
                if target.id not in self._given:
                    key = target.id.split("/")[2].lower()
                    by_subscription.setdefault(key, []).append(target)
            for hubs in reversed(by_subscription.values()):
                if not any(t.id in self._begun for t in hubs):
                    self._given.update(t.id for t in hubs)
                    return hubs
            return []

    def run(self) -> list[HubCollection]:
        """Every hub's collection (but those given away), in the targets' order, those
        taken when it asked for more after them."""
        with self._lock:
            self._running = True
        self._ask_if_all_begun()  # they may have begun while others were being added
        self._pool.wait(self._shared.deadline)
        left: dict[HubSteps, list[tuple[Callable[..., Any], tuple[Any, ...]]]] = {}
        for step, args in self._pool.unfinished:
            owner, inner, inner_args = unwrap(step, args)
            if owner is not None:
                left.setdefault(owner, []).append((inner, inner_args))
        with self._lock:
            hubs = [(s, t) for s, (t, _, _) in self._hubs.items() if t.id not in self._given]
        for steps, _ in hubs:
            if steps.claim():  # the deadline cut it short
                self._assemble(steps, left.get(steps, []))
        return [self._results[target.id] for _, target in hubs]

    def _finished(self, steps: HubSteps) -> None:
        if self._hubs[steps][0].id not in self._given:  # a hub given away ends at once
            self._assemble(steps, [])

    def _assemble(
        self, steps: HubSteps, abandoned: list[tuple[Callable[..., Any], tuple[Any, ...]]]
    ) -> None:
        target, collector, directory = self._hubs[steps]
        deadline = self._shared.deadline
        # A hub the deadline left unstarted starts now: every step it would take is recorded
        # (its HubSteps is claimed) and written as timed out, as for a hub left half-way.
        for step, args in [a for a in abandoned if a[0] is _start]:
            step(0, *args)
        abandoned = [a for a in abandoned if a[0] is not _start] + steps.left_behind
        with collector.locked():
            for step, args in abandoned:
                collector.timed_out(step, args, ApiError(None, TIMEOUT_CODE, deadline.message))
            data = build_snapshot(
                collector.state, directory, hub_id=target.id, project=None, now=self._now
            )
        data = self._shared.tokens.clean_json(data)
        snapshot = parse_snapshot(data, f"scan of {target.id}")
        result = HubCollection(target.id, Collection(snapshot, [], waves=steps.deepest + 1))
        with self._lock:
            self._results[target.id] = result
        if self._done is not None:
            self._done(result)


def compile_validators() -> None:
    """Compile the snapshot schema's validators now, one after the other. Each is compiled
    on its first use and then cached (functools.cache), but the cache does not hold back
    callers while it compiles: dozens of hubs reaching their first shape check, or finishing,
    at once each compiled their own (about 0.1 s of CPU apiece, 32 compilations in one
    scan) before one was kept."""
    from diagnose.collect.shapes import (
        DENY_ASSIGNMENT,
        RESOURCE,
        ROLE_ASSIGNMENT,
        ROLE_DEFINITION,
        fits,
    )
    from diagnose.snapshot import empty_snapshot

    for definition in (RESOURCE, ROLE_DEFINITION, ROLE_ASSIGNMENT, DENY_ASSIGNMENT):
        fits(definition, None)
    parse_snapshot(empty_snapshot())


def _start(wave: int, collector: FoundryCollector, target: Target, hubs: Hubs) -> None:
    """Begin a hub's collection from its resource as Resource Graph read it (wave 0), unless
    it was given to another process meanwhile."""
    if not hubs.begin(target):
        return
    if target.is_foundry:
        collector.start_foundry(wave, target.resource)
    else:
        collector.start(wave, target.resource)


__all__ = ["scan"]
