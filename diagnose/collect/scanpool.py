"""Every hub of a scan collected on one pool of workers.

Each hub has its own collector (collector.py, foundry.py), as a single collection does, but
their steps share one Scheduler: one set of threads for all of it (a few more than the
requests it may have in flight, scanrun.SPARE_THREADS). A hub's collection no longer waits
for a place among a few hubs collected at once (each with threads of its own, made and
ended per hub: with 16 hubs of 8 threads, the threads alone cost more CPU than the hubs'
reads), and the reads of every hub (their connections, which only a hub has) are in flight
together as soon as their hubs are started.

A hub starts as a step of its own, after every step already waiting (its priority is below a
leaf's): the pool finishes the hubs it started before it starts more, so a hub's snapshot is
assembled (on the worker that ran its last step) soon after it started and the hubs in memory
stay few. HubSteps is what a hub's collector submits to; it counts the hub's steps and, when
the last one ends, hands the hub to `finished`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from diagnose.collect.scheduler import LEAF, Scheduler

START = LEAF + 1
"""Priority of starting a hub: after every step of the hubs already started."""


Entry = tuple[int, Callable[..., Any], tuple[Any, ...], int]
"""A step as submitted: (wave, step, args, priority)."""


class Gate:
    """Where the steps that read what the scan reads once for every hub, ahead of them (the
    Graph look-ups, what is inherited from above the subscriptions), wait until it is
    answered: parked, not run, so that none holds one of the pool's workers meanwhile (with
    hundreds of hubs, those steps alone took every worker, and the hubs' other reads waited
    behind them). `waits(step, args)` says which steps those are."""

    def __init__(self, waits: Callable[[Callable[..., Any], tuple[Any, ...]], bool]) -> None:
        self._waits = waits
        self._lock = threading.Lock()
        self._open = False
        self._hubs: list[HubSteps] = []

    def parks(self, hub: HubSteps, entry: Entry) -> bool:
        """Park this step of the hub's (its lock held) if it must wait."""
        with self._lock:
            if self._open or not self._waits(entry[1], entry[2]):
                return False
            if not hub.parked:
                self._hubs.append(hub)
            hub.parked.append(entry)
            return True

    def open(self) -> None:
        """What the parked steps wait for is answered: run them. Again is nothing."""
        with self._lock:
            self._open = True
            hubs, self._hubs = self._hubs, []
        for hub in hubs:
            hub.unpark()


class HubSteps:
    """A hub's view of the scan's Scheduler (the `scheduler` its collector submits to)."""

    def __init__(
        self, pool: Scheduler, finished: Callable[[HubSteps], None], gate: Gate | None = None
    ) -> None:
        self._pool = pool
        self._finished = finished
        self._gate = gate
        self._lock = threading.Lock()
        self._pending = 0
        self._claimed = False
        self.parked: list[Entry] = []
        """Steps waiting at the gate (never run if the hub is claimed first)."""
        self.deepest = 0
        """The deepest wave a step of this hub was submitted at."""
        self.left_behind: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        """Steps submitted once the hub was claimed at the deadline: never run, written as
        timed out."""

    def submit(self, wave: int, step: Callable[..., Any], *args: Any, priority: int = 0) -> None:
        with self._lock:
            if self._claimed:
                self.left_behind.append((step, args))
                return
            self._pending += 1
            self.deepest = max(self.deepest, wave)
            if self._gate is not None and self._gate.parks(self, (wave, step, args, priority)):
                return
        self._pool.submit(wave, self.run, step, *args, priority=priority)

    def unpark(self) -> None:
        """Submit the steps parked at the gate, unless the hub was claimed meanwhile."""
        with self._lock:
            if self._claimed:
                return
            parked, self.parked = self.parked, []
        for wave, step, args, priority in parked:
            self._pool.submit(wave, self.run, step, *args, priority=priority)

    def run(self, wave: int, step: Callable[..., Any], *args: Any) -> None:
        """Run one of the hub's steps; after its last, the hub is finished. A step that
        raises is a bug: the pool stops the scan and re-raises it, the hub never finishes."""
        step(wave, *args)
        with self._lock:
            self._pending -= 1
            last = self._pending == 0 and not self._claimed
            self._claimed = self._claimed or last
        if last:
            self._finished(self)

    def claim(self) -> bool:
        """Take the hub to assemble it now (the scan's deadline passed): False when it
        finished already, or someone else took it. Its steps still parked are left behind."""
        with self._lock:
            first, self._claimed = not self._claimed, True
            if first:
                self.left_behind += [(step, args) for _, step, args, _ in self.parked]
                self.parked = []
            return first


def unwrap(
    step: Callable[..., Any], args: tuple[Any, ...]
) -> tuple[Any, Callable[..., Any], tuple[Any, ...]]:
    """(hub, step, args) of an entry of the pool's Scheduler.unfinished: the HubSteps that
    submitted it (None for a step of no hub) and the collector's own step and arguments."""
    owner = getattr(step, "__self__", None)
    if isinstance(owner, HubSteps) and getattr(step, "__name__", "") == "run" and args:
        return owner, args[0], tuple(args[1:])
    return None, step, args


__all__ = ["START", "Gate", "HubSteps", "unwrap"]
