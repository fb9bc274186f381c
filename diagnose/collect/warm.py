"""Connections opened ahead, while a collection waits on its first answers.

A collection starts narrow (the hub or Foundry resource, then a dozen lists) and turns wide
a few round trips later (every project's connections at once), when its window of requests
in flight (limit.py) grows to the ceiling. Each request of the wide wave that found no idle
connection opened one first: a TLS handshake, a millisecond and more of this process's CPU
with the interpreter lock held, dozens of them at the moment the collection is busiest (on
a 200-project hub, a tenth of its CPU). The narrow waves before leave the CPU idle for a
round trip or two, so the handshakes are done then instead: as soon as the first connection
to the service is up (a real server answered, not a test double that replaces the adapter's
send), WARMERS threads open up to `count` more and put them in the pool, where the wide wave
finds them connected. Only connections are opened; nothing is sent on them before a request
of the collection itself is.

A connection that fails to open ends the warming quietly (the request that needs one opens
it as before and reports its own error); so does the pool closing or the deadline passing.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from diagnose.collect.deadline import Deadline

WARMERS = 4
"""Threads opening connections at once: handshakes overlap their round trips, while their
CPU is taken in turn."""


class Warmer:
    """Opens up to `count` connections of one urllib3 pool, once."""

    def __init__(self, count: int, deadline: Deadline, connect_timeout: float) -> None:
        self.count = count
        self._deadline = deadline
        self._connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._started = False
        self.opened = 0
        """Connections opened ahead (for tests and benchmarks)."""

    def start(self, pool: Any) -> list[threading.Thread]:
        """Begin warming `pool` (the first call only); returns the threads started."""
        with self._lock:
            if self._started or self.count <= 0:
                return []
            self._started = True
        slots = _take_slots(pool, self.count)
        threads = [
            threading.Thread(
                target=self._open, args=(pool, slots[i::WARMERS]), daemon=True, name="warm"
            )
            for i in range(min(WARMERS, len(slots)))
        ]
        for thread in threads:
            thread.start()
        return threads

    def _open(self, pool: Any, slots: list[Any]) -> None:
        failed = False
        for slot in slots:
            conn = slot
            left = self._deadline.remaining()
            if slot is None and not failed and left > 0:
                try:
                    conn = pool._new_conn()
                    conn.timeout = min(self._connect_timeout, left)  # a request resets it
                    conn.connect()
                    with self._lock:
                        self.opened += 1
                except Exception:  # the request that needs it opens its own, and reports
                    if conn is not None:
                        conn.close()
                    conn, failed = None, True
            pool._put_conn(conn)  # a closed pool closes it


def _take_slots(pool: Any, count: int) -> list[Any]:
    """Up to `count` places of the pool's queue, taken before any is filled: its queue is
    last in, first out, so a connection put back while slots were still being taken would be
    taken again (urllib3's own _get_conn would open a connection beyond the pool's size when
    the queue is empty, and the pool would then discard it with a warning)."""
    slots: list[Any] = []
    while len(slots) < count:
        try:
            slots.append(pool.pool.get(block=False))
        except (queue.Empty, AttributeError):  # empty, or closed (pool.pool is None)
            break
    return slots
