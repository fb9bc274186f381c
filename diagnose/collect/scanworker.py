"""A share of a scan's hubs collected in a process of its own.

A scan's per-hub collection is CPU-bound in one process: its requests wait on the network
together, but decoding, following and assembling hundreds of hubs holds one interpreter lock
(about 10 ms of CPU a hub, the server's latency hidden behind it). With more than one core,
the scan (scanrun.py) hands the hubs of some subscriptions to worker processes: each gets what
Resource Graph read and what the scan read once for every hub (the inherited assignments, the
principals looked up in Microsoft Graph), collects its hubs on its own clients and pipelines
exactly as the scan's own process does, and sends each hub's snapshot back as it finishes.

Split by subscription, so a subscription's own reads (its deny assignments, its eligibility)
are still made once; at the end, a process whose hubs have all begun takes a subscription the
other has not begun (the worker asks the scan: "more"; the scan asks the worker: "give";
scanrun.Hubs). The worker's requests in flight count against the scan's --concurrency
(each process gets its share of it) and its deadline is the scan's. It signs with the scan's
credentials through the pipe (TokenRelay): no token is asked of the credential in the worker,
and none outlives the scan in it. A fresh interpreter, not a fork: nothing of the scan's threads
or locks is inherited.
"""

from __future__ import annotations

import contextlib
import gc
import os
import queue
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from diagnose.collect.clients import ApiError, RetrySettings
from diagnose.collect.scan import HubCollection, TenantIndex
from diagnose.collect.served import GraphAnswers
from diagnose.collect.settings import Settings
from diagnose.collect.target import Target

MIN_HUBS = 48
"""Hubs a worker process takes at least: below it, starting one (an interpreter and its
imports, about 0.25 s of CPU) costs more than its share saves."""
MAX_PROCESSES = 4
OWN_SHARE = 0.8
"""The scan's own process's share of the hubs, as a fraction of a worker's: besides its
hubs it reads what is read once for every hub (the principals' look-ups, what is inherited)
while the workers' hubs are already under way; with even shares its last hub came 0.3 to
0.8 s after the worker's (500 hubs, 2 processes, bench_scan.py). What is still uneven at the
end, one process takes from the other (scanrun.Hubs)."""
GRACE = 5.0
"""Seconds past the scan's deadline that a worker has to send what it has."""
WORKER_FAILED = "ScanWorkerFailed"
READER_THREAD = "scan-worker-pipe"
"""The name of the scan's thread that reads a worker's answers (and hands its hubs to the
scan's `done`)."""


@dataclass(frozen=True)
class Share:
    """What a worker process needs to collect its hubs."""

    settings: Settings
    retry: RetrySettings
    index: TenantIndex
    targets: tuple[dict[str, Any], ...]
    """The resources of its hubs (Target.resource), in the scan's order."""
    width: int
    """Its share of the scan's --concurrency."""
    remaining: float
    """Seconds left of the scan's deadline when it was sent."""
    graph: bool
    """Whether the scan reads Microsoft Graph."""
    graph_unavailable: str
    now: datetime | None
    validators: Any = None
    """The schema's validators as the scan's process compiled them (snapshot/compiled.py:
    export), run here instead of generated again."""


def cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - every POSIX system here has the above


def processes_for(hubs: int, width: int, asked: int | None = None) -> int:
    """How many processes collect `hubs` hubs: `asked` if given, else one per MIN_HUBS hubs
    up to the cores there are (MAX_PROCESSES at most); never more than `width` (each needs a
    request in flight); one where a worker cannot be started as Worker starts it (not a
    POSIX system, no interpreter to run, a frozen build)."""
    if os.name != "posix" or not sys.executable or getattr(sys, "frozen", False):
        return 1
    wanted = asked if asked is not None else min(cores(), MAX_PROCESSES, hubs // MIN_HUBS)
    return max(1, min(wanted, width, hubs))


def split(targets: Sequence[Target], parts: int, own: float = OWN_SHARE) -> list[list[Target]]:
    """The hubs in `parts` shares of whole subscriptions, as even as that allows with the
    first share (the scan's own process's) `own` times a worker's: largest subscription
    first, each to the share least loaded for its size. Each share in the scan's order."""
    by_subscription: dict[str, list[Target]] = {}
    for target in targets:
        by_subscription.setdefault(target.id.split("/")[2].lower(), []).append(target)
    shares: list[list[Target]] = [[] for _ in range(parts)]
    sizes = [own, *[1.0] * (parts - 1)]
    for _, hubs in sorted(by_subscription.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        least = min(range(parts), key=lambda i: (len(shares[i]) / sizes[i], i))
        shares[least].extend(hubs)
    order = {id(t): i for i, t in enumerate(targets)}
    return [sorted(share, key=lambda t: order[id(t)]) for share in shares if share]


# -- the scan's side -----------------------------------------------------------------------
class Worker:
    """A worker process, from the scan's side: started at once (its interpreter starts while
    the scan reads on), then given its share; each hub it sends is handed to `done`.

    A fresh interpreter that imports this package and nothing else (not multiprocessing's
    spawn, which imports the scan's __main__ module again in the child: the command line's
    whole front end, or pytest and its plugins), talking over a socket pair it inherits."""

    def __init__(self) -> None:
        import socket
        import subprocess
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
        environment = dict(os.environ)
        # This package, the one the scan runs, whatever the child's working directory.
        environment["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, environment.get("PYTHONPATH", "")) if p
        )
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", ENTRY, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=environment,
            )
        finally:
            theirs.close()
        self._pipe = Connection(ours.detach())
        self._send_lock = threading.Lock()
        self.hubs: dict[str, HubCollection] = {}
        self.requests: list[dict[str, Any]] = []
        self._give: Callable[[], list[dict[str, Any]]] | None = None
        self._take_lock = threading.Lock()
        self._share_sent = threading.Event()
        """Set once the share was sent, or sending it failed (then _over is set too)."""
        self._over = threading.Event()
        """Set once the worker's answers have stopped (it ended, failed or never started):
        it gives no more hubs."""
        self._taken: queue.SimpleQueue[list[dict[str, Any]]] = queue.SimpleQueue()
        self.failure: str | None = None
        self._reader: threading.Thread | None = None
        self._stopped = False
        self._ended = False

    def collect(
        self,
        share: Share,
        credentials: dict[str, Any],
        done: Callable[[HubCollection], None] | None,
        give: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        """Send the share and read the worker's answers, on a thread of this process (the
        worker takes the share once its interpreter is up, and the scan goes on meanwhile):
        `credentials` ("arm", "graph") sign the worker's requests through the pipe. Its
        hubs start at once; what they share with every hub comes with ahead(). When its hubs
        have all begun it asks for more: `give` says which (the resources of their targets;
        none, and it asks no more)."""
        self._give = give
        self._reader = threading.Thread(
            target=self._read,
            args=(share, credentials, done),
            name=READER_THREAD,
            daemon=True,
        )
        self._reader.start()

    def ahead(self, arm: dict[Any, tuple[bool, Any]], graph: GraphAnswers | None) -> None:
        """What the scan read once for every hub (the inherited assignments, the Graph
        look-ups): the worker's hubs' reads of it wait for it. Sent from a thread of its
        own: the scan's hubs start meanwhile, not once the worker has read it all (a
        worker still starting reads nothing, and the pipe holds only so much)."""

        def send() -> None:
            with contextlib.suppress(OSError, ValueError), self._send_lock:
                self._pipe.send(("ahead", arm, graph))

        threading.Thread(target=send, name="scan-worker-ahead", daemon=True).start()

    def _read(
        self,
        share: Share,
        credentials: dict[str, Any],
        done: Callable[[HubCollection], None] | None,
    ) -> None:
        try:
            self._answers(share, credentials, done)
        finally:
            # However the answers stopped, a take() waiting now, or asking later, gets
            # nothing at once (with two workers or more the scan asks each again and again).
            self._over.set()
            self._share_sent.set()
            self._taken.put([])

    def _answers(
        self,
        share: Share,
        credentials: dict[str, Any],
        done: Callable[[HubCollection], None] | None,
    ) -> None:
        try:
            with self._send_lock:
                self._pipe.send(share)
        except (OSError, ValueError) as exc:  # it did not start, or died
            self.failure = f"the worker process could not be started ({exc})"
            return
        self._share_sent.set()
        while True:
            try:
                message = self._pipe.recv()
            except (EOFError, OSError):
                self.failure = self.failure or "the worker process ended before it finished"
                return
            kind = message[0]
            if kind == "token":
                self._sign(credentials.get(message[1]), message[2], message[3])
            elif kind == "more":  # answered on a thread of its own: giving may wait
                threading.Thread(target=self._hand, name="scan-worker-more", daemon=True).start()
            elif kind == "given":
                self._taken.put(message[1])
            elif kind == "hub":
                hub: HubCollection = message[1]
                self.hubs[hub.target] = hub
                if done is not None:
                    done(hub)
            elif kind == "end":
                self.requests = message[1]
                self._ended = True
                return
            else:  # "crash": a bug in the worker, as a bug in this process would be
                self.failure = str(message[1])
                return

    def take(self, seconds: float) -> list[dict[str, Any]]:
        """Hubs of the worker's that have not begun there, to collect in the scan's own
        process instead: the resources of their targets (none once `seconds` pass)."""
        if not self._share_sent.wait(max(0.0, seconds)):  # the worker reads its share first
            return []
        with self._take_lock:
            if self._over.is_set():  # it answers no more (_read)
                return []
            with contextlib.suppress(OSError, ValueError), self._send_lock:
                self._pipe.send(("give",))
            try:
                return self._taken.get(timeout=max(0.0, seconds))
            except queue.Empty:
                return []

    def _hand(self) -> None:
        given = self._give() if self._give is not None else []
        with contextlib.suppress(OSError, ValueError), self._send_lock:
            self._pipe.send(("more", given))  # failing when it is gone: _read finds out

    def _sign(self, credential: Any, scopes: tuple[str, ...], options: dict[str, Any]) -> None:
        try:
            if credential is None:
                raise ValueError("no credential for this service")
            answer: tuple[Any, str | None] = (credential.get_token(*scopes, **options), None)
        except Exception as exc:  # the worker's pipeline reports it as a failed sign-in
            answer = (None, f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(OSError, ValueError), self._send_lock:
            self._pipe.send(("token", *answer))  # failing when it is gone: _read finds out

    def wait(self, seconds: float) -> None:
        """Until the worker has sent everything, or `seconds` pass (then it is stopped)."""
        if self._reader is not None:
            self._reader.join(max(0.0, seconds))
            if self._reader.is_alive():
                self.failure = self.failure or "the worker process did not finish in time"
        self.stop()

    def stop(self) -> None:
        """End the process: one that sent everything (or was never given a share, and is
        told so) ends by itself; one still at work (past its time, or the scan was
        interrupted) is terminated at once. Again is nothing."""
        if self._stopped:
            return
        self._stopped = True
        if self._reader is None:
            with contextlib.suppress(OSError, ValueError), self._send_lock:
                self._pipe.send(None)
        import subprocess

        try:
            self._process.wait(2.0 if self._ended or self._reader is None else 0.0)
        except subprocess.TimeoutExpired:
            self._process.terminate()
            try:
                self._process.wait(5.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._pipe.close()

    def discard(self) -> None:
        """End a worker that was never given a share, at once (it may still be importing:
        told to end, it would finish that first)."""
        if self._stopped or self._reader is not None:
            return
        self._stopped = True
        self._process.terminate()
        self._process.wait()
        self._pipe.close()

    def result(self, target: Target) -> HubCollection:
        hub = self.hubs.get(target.id)
        if hub is not None:
            return hub
        why = self.failure or "the worker process sent no snapshot for it"
        return HubCollection(target.id, None, ApiError(None, WORKER_FAILED, why))


# -- the worker's side ---------------------------------------------------------------------
class _Pipe:
    """The worker's end: sends from any thread, one token asked at a time; a thread reads
    what the scan sends (the answers to those, and what was read ahead for every hub)."""

    def __init__(
        self,
        pipe: Any,
        ahead: Callable[[Any, Any], None],
        give: Callable[[], list[dict[str, Any]]] = list,
    ) -> None:
        self._pipe = pipe
        self._give = give
        self._send_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._tokens: queue.SimpleQueue[tuple[Any, str | None]] = queue.SimpleQueue()
        self._more_lock = threading.Lock()
        self._more: queue.SimpleQueue[list[dict[str, Any]]] = queue.SimpleQueue()
        self._ahead = ahead
        threading.Thread(target=self._read, name="scan-pipe", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                message = self._pipe.recv()
            except (EOFError, OSError):  # the scan is gone: nothing more will come
                self._tokens.put((None, "the scan ended"))
                self._more.put([])
                return
            if message[0] == "token":
                self._tokens.put((message[1], message[2]))
            elif message[0] == "more":
                self._more.put(message[1])
            elif message[0] == "give":
                threading.Thread(target=self._hand, name="scan-pipe-give", daemon=True).start()
            elif message[0] == "ahead":
                self._ahead(message[1], message[2])

    def send(self, message: Any) -> None:
        with self._send_lock:
            self._pipe.send(message)

    def _hand(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.send(("given", self._give()))

    def more(self, seconds: float) -> list[dict[str, Any]]:
        """Ask the scan for more hubs: the resources of their targets (none once `seconds`
        pass, or the scan is gone)."""
        with self._more_lock:
            self.send(("more",))
            try:
                return self._more.get(timeout=max(0.0, seconds))
            except queue.Empty:
                return []

    def token(self, service: str, scopes: tuple[str, ...], options: dict[str, Any]) -> Any:
        with self._token_lock:
            self.send(("token", service, scopes, options))
            token, failure = self._tokens.get()
        if failure is not None:
            from azure.core.exceptions import ClientAuthenticationError

            raise ClientAuthenticationError(failure)
        return token


class TokenRelay:
    """A TokenCredential of the worker: asks the scan's own credential, through the pipe."""

    def __init__(self, pipe: _Pipe, service: str) -> None:
        self._pipe = pipe
        self._service = service

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        options = {k: v for k, v in kwargs.items() if isinstance(v, str | bool | int | None)}
        return self._pipe.token(self._service, tuple(scopes), options)

    def __repr__(self) -> str:
        return f"TokenRelay({self._service})"


ENTRY = "import sys; from diagnose.collect.scanworker import main; main(int(sys.argv[1]))"
"""What the worker's interpreter runs (`python -c ENTRY FD`)."""


def main(descriptor: int) -> None:
    """The worker process's entry: serve the scan on the socket it was given."""
    from multiprocessing.connection import Connection

    serve(Connection(descriptor))


def serve(connection: Any) -> None:
    """The worker process: take a share, collect it, send every hub and the request log,
    then end at once (nothing of it is left to tidy: its clients are closed, its answers
    sent; the scan waits for it to end)."""
    _warm()
    try:
        share = connection.recv()
    except (EOFError, OSError):
        return
    if share is None:
        return
    # The cyclic garbage collector stays off, as in the scan's own process (scanrun.scan),
    # and is not enabled again: the process ends without it (os._exit), and its first pass
    # would scan every hub collected here once more while the scan waits for it to end.
    gc.disable()
    try:
        from diagnose.collect.credentials import quiet_sdk_logging

        quiet_sdk_logging()
        _profiled(lambda: _Collection(share, connection).run())
    except BaseException:  # a bug: the scan says so for every hub this worker had
        with contextlib.suppress(OSError, ValueError):
            connection.send(("crash", traceback.format_exc(limit=8)))
    connection.close()
    os._exit(0)


def _warm() -> None:
    """What collecting a share needs, imported while the scan still reads Resource Graph (a
    worker is started before it: scanrun._early_workers), not once the share has come. The
    validators come with the share, compiled (Share.validators)."""
    from diagnose.collect import foundry, sdk, served  # noqa: F401
    from diagnose.collect.clients import RetrySettings, arm_client, graph_client
    from diagnose.collect.httppool import warm_trust
    from diagnose.collect.requestlog import RequestLog
    from diagnose.collect.scanrun import compile_validators  # noqa: F401

    warm_trust()
    # What the clients import on their first construction (the HTTP transport,
    # azure-mgmt-core, and what those pull in: about 0.05 s of CPU) was imported once the
    # share had come, delaying every hub of the worker: one of each is built (no request,
    # no thread) and closed here instead.
    for build in (arm_client, graph_client):
        client = build(
            "https://localhost", None, "", RequestLog(), concurrency=1, retry=RetrySettings()
        )
        client.close()


PROFILE_VARIABLE = "DIAGNOSE_SCAN_WORKER_PROFILE"
"""A directory: each worker process writes its cProfile statistics there (worker-PID.prof),
for benchmarks/bench_scan.py --profile; the worker's CPU is otherwise invisible to it."""


def _profiled(run: Callable[[], None]) -> None:
    directory = os.environ.get(PROFILE_VARIABLE)
    if not directory:
        run()
        return
    profiles = profile_threads(run)
    import pstats

    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    stats.dump_stats(os.path.join(directory, f"worker-{os.getpid()}.prof"))


def profile_threads(run: Callable[[], None]) -> list[Any]:
    """cProfile of `run` and of every thread started meanwhile (cProfile sees one thread;
    each timed in its own CPU time, not the wall clock that counts its waits for the lock)
    the scan's work is on its pool's): one profile each, for pstats to add up."""
    import cProfile
    import time

    profiles: list[Any] = []
    lock = threading.Lock()
    original = threading.Thread.run

    def profiled_run(thread: threading.Thread) -> None:
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        profile.runcall(original, thread)

    threading.Thread.run = profiled_run  # type: ignore[method-assign,assignment]
    main = cProfile.Profile(time.thread_time)
    profiles.append(main)
    try:
        main.runcall(run)
    finally:
        threading.Thread.run = original  # type: ignore[method-assign]
    return [p for p in profiles if p.getstats()] or [main]


class _Collection:
    """The worker's share of the scan, on clients of its own."""

    def __init__(self, share: Share, connection: Any) -> None:
        from diagnose.collect.clients import arm_client, graph_client
        from diagnose.collect.pipeline import shared_connection, transport
        from diagnose.collect.requestlog import RequestLog
        from diagnose.collect.scanpool import Gate
        from diagnose.collect.scanrun import one_window, reads_ahead
        from diagnose.collect.sdk import SdkClients, SharedToken
        from diagnose.collect.served import ServedArm, ServedSdk, SharedGraph

        self.share = share
        settings, width, retry = share.settings, share.width, share.retry
        self.shared = shared = shared_connection(share.remaining)
        shared.deadline.seconds = settings.timeout  # its message names the scan's --timeout
        one_window(shared, width)
        self.log = log = RequestLog()
        self.arm: ServedArm | None = None
        self.graph: SharedGraph | None = None
        self._learned = threading.Event()
        self.hubs: Any = None
        """The worker's Hubs, once its collection runs."""
        self.pipe = pipe = _Pipe(connection, self._learn, self._give)
        signer = SharedToken(TokenRelay(pipe, "arm"))
        arm_at = (settings.arm_endpoint, signer, settings.arm_scope, log)
        # One pool of connections for its ARM clients, as the scan's own process has.
        connections = transport(width, shared.deadline)
        self.base = arm_client(
            *arm_at, concurrency=width, retry=retry, shared=shared, connections=connections
        )
        self.sdk = SdkClients(
            *arm_at, concurrency=width, retry=retry, shared=shared, connections=connections
        )
        self.graph_base = None
        if share.graph:
            self.graph_base = graph_client(
                settings.graph_endpoint,
                SharedToken(TokenRelay(pipe, "graph")),
                settings.graph_scope,
                log,
                concurrency=width,
                retry=retry,
                shared=shared,
            )
        arm = ServedArm(self.base, share.index)
        arm.hold()
        self.served_sdk = ServedSdk(self.sdk, arm)
        if self.graph_base is not None:
            self.graph = SharedGraph(self.graph_base)
            self.graph.hold()
        self.arm = arm
        self.gate = Gate(reads_ahead)
        self.ahead = threading.Event()
        """Set once what the scan read ahead for every hub is learned."""
        self._learned.set()

    def _learn(self, arm: dict[Any, tuple[bool, Any]], graph: GraphAnswers | None) -> None:
        """What the scan read ahead for every hub: learned, then the hubs' reads of it go on."""
        self._learned.wait()  # the clients are built
        assert self.arm is not None
        self.arm.learn(arm)
        self.arm.release()
        if self.graph is not None:
            if graph is not None:
                self.graph.learn(graph)
            self.graph.release()
        self.gate.open()
        self.ahead.set()

    def _give(self) -> list[dict[str, Any]]:
        """Hubs not begun here, for the scan's own process to collect instead (its hubs have
        all begun)."""
        hubs = self.hubs
        if hubs is None or self.shared.deadline.remaining() <= GRACE:
            return []
        return [target.resource for target in hubs.give()]

    def _add(self, hubs: Any, resources: Sequence[dict[str, Any]]) -> int:
        """Collect these hubs too (the share's, or those the scan gave when asked)."""
        assert self.arm is not None
        for resource in resources:
            target = Target(resource)
            hubs.add(target, self.arm.for_hub(target.id), self.graph, self.served_sdk)
        return len(resources)

    def run(self) -> None:
        from diagnose.collect.scanrun import Hubs, compile_validators
        from diagnose.snapshot.compiled import adopt

        assert self.arm is not None
        try:
            adopt(self.share.validators)
            compile_validators()
            hubs = Hubs(
                self.share.width,
                self.share.graph_unavailable,
                self.shared,
                self.share.now,
                lambda hub: self.pipe.send(("hub", hub)),
                self.gate,
                lambda: self._add(hubs, self.pipe.more(self.shared.deadline.remaining())),
            )
            self._add(hubs, self.share.targets)
            self.hubs = hubs
            # Not before the gate is open (or the deadline passed: the steps still parked
            # are then written as timed out): the pool could run dry meanwhile.
            self.ahead.wait(self.shared.deadline.remaining())
            hubs.run()
            self.pipe.send(("end", self.shared.tokens.clean_json(self.log.entries())))
        finally:
            self.shared.deadline.expire()
            self.shared.tokens.forget()
            self.base.close()
            self.sdk.close()
            if self.graph_base is not None:
                self.graph_base.close()


__all__ = ["GRACE", "Share", "TokenRelay", "Worker", "processes_for", "serve", "split"]
