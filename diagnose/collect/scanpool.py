"""Every hub of a scan collected on one pool of workers.

Each hub has its own collector (collector.py, foundry.py), as a single collection does, but
their steps share one Scheduler: at most `concurrency` steps of the whole scan at once, one set
of threads for all of it. A hub's collection no longer waits for a place among a few hubs
collected at once (each with threads of its own, made and ended per hub: with 16 hubs of 8
threads, the threads alone cost more CPU than the hubs' reads), and the reads of every hub
(their connections, which only a hub has) are in flight together as soon as their hubs are
started.

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


class HubSteps:
    """A hub's view of the scan's Scheduler (the `scheduler` its collector submits to)."""

    def __init__(self, pool: Scheduler, finished: Callable[[HubSteps], None]) -> None:
        self._pool = pool
        self._finished = finished
        self._lock = threading.Lock()
        self._pending = 0
        self._claimed = False
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
        finished already, or someone else took it."""
        with self._lock:
            first, self._claimed = not self._claimed, True
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


__all__ = ["START", "HubSteps", "unwrap"]
