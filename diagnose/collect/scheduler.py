"""Run collection steps concurrently, each as soon as what it depends on is known.

A step is one logical read (a GET, a paged list, a query). A step started by another step's
result is one wave deeper, so the number of waves is the dependency depth of the collection
(hub -> projects and connections -> targets and identities -> assignments and groups), not the
number of resources. At most `concurrency` steps run at once; when more are ready, steps whose
results lead to further reads (lists, resources) go before leaves (a principal's groups, a role
definition), so the dependency chain is never held up by leaves; and among those, the deeper
wave goes first. A wide wave (a hundred projects' connections) keeps the workers busy for many
round trips, and what its first answers lead to (their targets, a Cosmos DB account's SQL role
assignments) is the rest of the chain: taken in turn after the whole wide wave, it added its
own round trips after the wide wave's last answer; taken first, they pass while the wide wave
is still being read. Leaves go oldest wave first: a directory look-up waiting as a leaf takes
in the principals found meanwhile, and taking the newest first sent the older ones' batches
while more principals were still being found (one more round trip at the end, now and then).

With a deadline, wait() returns at most GRACE seconds after it even if some step is still
stuck (the deadline's watchdog normally ends every read at once, so steps finish with a
timeout error of their own); the steps left behind are abandoned, and counted.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from diagnose.collect.deadline import Deadline
from diagnose.collect.requestlog import set_wave

LEAF = 1
"""Priority of a step nothing else depends on."""
GRACE = 2.0
"""Seconds past the deadline that wait() still gives steps to record their timeout."""


class Scheduler:
    def __init__(self, concurrency: int, first_wave: int = 0) -> None:
        self._concurrency = concurrency
        self._queue: queue.PriorityQueue[tuple[Any, ...]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._pending = 0
        self._failure: BaseException | None = None
        self._abandoned = False
        self._running: dict[int, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
        self.unfinished: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        """After wait() gave up at the deadline: (step, args) of each step it abandoned,
        running or not yet started."""
        self._workers: list[threading.Thread] = []
        self.deepest = first_wave
        self.steps = 0

    def submit(self, wave: int, step: Callable[..., Any], *args: Any, priority: int = 0) -> None:
        """Run step(wave, *args) on a worker; it may submit further steps at wave + 1."""
        with self._cond:
            if self._failure is not None or self._abandoned:
                return
            self._pending += 1
            self.steps += 1
            self.deepest = max(self.deepest, wave)
            if len(self._workers) < self._concurrency:
                worker = threading.Thread(
                    target=self._work, daemon=True, name=f"collect-{len(self._workers)}"
                )
                self._workers.append(worker)
                worker.start()
        # Deeper first among the steps that lead somewhere; the oldest first among leaves,
        # whose batches (the directory's look-ups) gather more the longer they wait.
        depth = -wave if priority < LEAF else wave
        self._queue.put((priority, depth, next(self._order), wave, step, args))

    def _work(self) -> None:
        while True:
            _, _, _, wave, step, args = self._queue.get()
            if step is None:
                return
            set_wave(wave)
            try:
                with self._cond:
                    stopped = self._failure is not None or self._abandoned
                    if not stopped:
                        self._running[threading.get_ident()] = (step, args)
                if not stopped:
                    step(wave, *args)
            except BaseException as exc:  # a bug, not an Azure error: stop and re-raise it
                with self._cond:
                    if self._failure is None:
                        self._failure = exc
            finally:
                set_wave(None)
                with self._cond:
                    self._running.pop(threading.get_ident(), None)
                    self._pending -= 1
                    if self._pending == 0:
                        self._cond.notify_all()

    def wait(self, deadline: Deadline | None = None, grace: float = GRACE) -> int:
        """Block until every step (and every step they started) is done, or until `grace`
        seconds after the deadline. Returns how many steps were abandoned still running
        (0: all finished); those workers are daemons, left to end on their own."""
        abandoned = 0
        passed_at: float | None = None
        try:
            with self._cond:
                while self._pending:
                    if deadline is None:
                        self._cond.wait()
                        continue
                    left = deadline.remaining()
                    if left <= 0:
                        passed_at = passed_at or time.monotonic()
                        left = passed_at + grace - time.monotonic()
                        if left <= 0:
                            abandoned, self._abandoned = self._pending, True
                            self.unfinished = [*self._running.values(), *self._drain()]
                            break
                    self._cond.wait(left)
        except KeyboardInterrupt:
            with self._cond:
                self._failure = self._failure or KeyboardInterrupt()
            raise
        finally:
            for _ in self._workers:
                self._queue.put((float("inf"), 0, next(self._order), 0, None, ()))
        if not abandoned:
            for worker in self._workers:
                worker.join()
        if self._failure is not None:
            raise self._failure
        return abandoned

    def _drain(self) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
        """The steps still queued, taken off the queue (condition held)."""
        drained: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        while True:
            try:
                _, _, _, _, step, args = self._queue.get_nowait()
            except queue.Empty:
                return drained
            if step is not None:
                drained.append((step, args))
