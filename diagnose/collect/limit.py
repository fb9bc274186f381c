"""How many requests a collection keeps in flight to one service: a window that adapts.

A fixed number is either too timid (a 200-project hub waits on its own queue while Azure
idles) or too bold (Azure throttles it, and every throttled request costs a Retry-After).
So each service (ARM, Microsoft Graph) gets a window, as TCP does for packets:

- it starts at START requests (or the ceiling, if lower) and, while answers come back
  healthy, grows by one per answer (doubling each round trip) up to the ceiling
  (--concurrency); after a throttle it grows by one per window's worth of answers;
- it grows only while answers come back about as fast as the fastest did (a smoothed round
  trip within SLOWER times the shortest): when they slow down, more at once would only
  queue, at the service or in this process (whose threads share one interpreter lock: on a
  busy machine a wider window costs CPU and gains nothing), so the window holds;
- a throttled answer (429, or 503 with Retry-After) halves it, once per round of requests
  (answers to requests sent before the last halving are the same episode, not a new one);
  the throttled request itself backs off for its Retry-After in the retry policy. Other
  requests are not held up beyond the smaller window: a throttle often covers one resource
  provider or one call (a day-long Retry-After on one listing must not stop the rest);
- a wait for a free slot never outlasts the collection's deadline;
- requests made on a thread marked first_in_line() (a scan's reads that every hub waits
  for: the principals looked up ahead, what is inherited) take a free slot before the
  requests already waiting: behind hundreds of hubs' listings, those few rounds took a
  second, and every hub's last steps waited for them.

ConcurrencyPolicy applies it to every attempt (it sits after the retry policy, so a
request sleeping before its retry holds no slot); GraphClient.batch reports the sub-requests
Graph throttled inside a batch that itself answered 200.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy

from diagnose.collect.deadline import Deadline, DeadlineExceeded, retry_after

START = 16
"""The first window (requests in flight at once) before any answer came back."""
SLOWER = 2.0
"""The window stops growing while the smoothed round trip exceeds this many times the
shortest seen."""
SMOOTHING = 0.125
"""Weight of the newest round trip in the smoothed one (as TCP's SRTT)."""
NOISE = 0.005
"""Round trips shorter than this (seconds) count as this long: below it, differences are
noise, not queueing."""


def _wait(deadline: Deadline | None) -> float | None:
    """How long a wait for a slot may last: until the deadline (None: no deadline)."""
    if deadline is None:
        return None
    left = deadline.remaining()
    if left <= 0:
        raise DeadlineExceeded(deadline.message)
    return left


def throttled(status: int | None, headers: Any) -> float | None:
    """The wait a throttled answer asks for (0.0 when it names none); None when the answer
    is no throttle: 429, and 503 only with a Retry-After (a 503 without one is a fault)."""
    if status == 429:
        return retry_after(headers) or 0.0
    if status == 503:
        return retry_after(headers)
    return None


_first = threading.local()


def first_in_line() -> None:
    """From now on, this thread's requests take a free slot before the others waiting
    (see the module's note). For the threads of a pool: its `initializer`."""
    _first.on = True


class AdaptiveLimit:
    def __init__(self, ceiling: int, start: int = START) -> None:
        self.ceiling = max(1, ceiling)
        self._window = float(min(self.ceiling, max(1, start)))
        self._threshold = float(self.ceiling)
        """Below it the window doubles each round trip; above it, grows by one."""
        self._in_flight = 0
        self._shortest = float("inf")
        self._smoothed = 0.0
        self._last_halving = float("-inf")
        lock = threading.Lock()
        self._cond = threading.Condition(lock)
        self._first_cond = threading.Condition(lock)
        """Where the requests of first_in_line threads wait."""
        self._first_waiting = 0
        self.halvings = 0
        self.largest = int(self._window)
        """The widest the window got."""

    @property
    def window(self) -> int:
        return int(self._window)

    def acquire(self, deadline: Deadline | None = None) -> float:
        """Wait for a slot; returns when the request was let go, which release() and
        throttle() take back."""
        first = getattr(_first, "on", False)
        with self._cond:
            if first:
                self._first_waiting += 1
                try:
                    while self._in_flight >= int(self._window):
                        self._first_cond.wait(_wait(deadline))
                finally:
                    self._first_waiting -= 1
                    self._wake()  # a slot it leaves (past its deadline) goes to the others
            else:
                while self._in_flight >= int(self._window) or self._first_waiting:
                    self._cond.wait(_wait(deadline))
            self._in_flight += 1
            return time.monotonic()

    def release(self, sent_at: float, status: int | None, headers: Any = None) -> None:
        """A request let go at `sent_at` got its answer (status None: none came)."""
        with self._cond:
            self._in_flight -= 1
            if throttled(status, headers or {}) is not None:
                self._throttle(sent_at)
            elif status is not None and status < 500:
                self._healthy(time.monotonic() - sent_at)
            self._wake()

    def throttle(self, sent_at: float) -> None:
        """A throttle seen inside an answer (a Graph batch's sub-response)."""
        with self._cond:
            self._throttle(sent_at)

    def _wake(self) -> None:
        """Wake as many waiting requests as there are free slots, not all of them: dozens of
        threads woken for one slot each took the interpreter lock in turn for nothing. The
        first_in_line ones first."""
        free = int(self._window) - self._in_flight
        if free > 0 and self._first_waiting:
            self._first_cond.notify(free)
            free -= self._first_waiting
        if free > 0:
            self._cond.notify(free)

    def _throttle(self, sent_at: float) -> None:
        now = time.monotonic()
        if sent_at < self._last_halving:
            return  # sent before the last halving: the same episode
        self._last_halving = now
        self.halvings += 1
        self._window = max(1.0, self._window / 2)
        self._threshold = self._window

    def _healthy(self, round_trip: float) -> None:
        self._shortest = min(self._shortest, round_trip)
        if self._smoothed:
            self._smoothed += SMOOTHING * (round_trip - self._smoothed)
        else:
            self._smoothed = round_trip
        if self._smoothed > SLOWER * max(self._shortest, NOISE):
            return  # answers slowed down: a wider window would only queue
        if self._window < self._threshold:
            self._window += 1.0
        else:
            self._window += 1.0 / self._window
        self._window = min(self._window, float(self.ceiling))
        self.largest = max(self.largest, int(self._window))


class ConcurrencyPolicy(HTTPPolicy):
    """Each attempt waits for a slot of the service's AdaptiveLimit and reports its answer."""

    def __init__(self, limit: AdaptiveLimit, deadline: Deadline | None = None) -> None:
        super().__init__()
        self._limit = limit
        self._deadline = deadline

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        sent_at = self._limit.acquire(self._deadline)
        status: int | None = None
        headers: Any = None
        try:
            response = self.next.send(request)
            status = response.http_response.status_code
            headers = response.http_response.headers
            return response
        finally:
            self._limit.release(sent_at, status, headers)
