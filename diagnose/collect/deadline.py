"""The collection's overall deadline (--timeout), and what enforces it.

A read timeout bounds each wait for the next byte, not a whole response: a server that
trickles a byte a second keeps a read alive for ever, and a `Retry-After: 86400` asks for a
day's sleep. So the deadline is enforced in three places:

- before every attempt (DeadlinePolicy, in clients.py): no request starts once it has passed,
  and no attempt's connect or read timeout is longer than the time left;
- between attempts (the retry policy): each wait, Retry-After or backoff, is capped, and a
  wait that would end past the deadline is not begun;
- at the deadline itself, a watchdog timer wakes every wait and shuts down every socket the
  collection opened, so a read in progress fails at once instead of trickling on.

A request refused or cut short this way ends as DeadlineExceeded, which the clients turn into
an errors entry with code "Timeout": what was collected is kept, the rest is unknown.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import socket
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime

DEFAULT_TIMEOUT = 600.0
"""Seconds for a whole collection (--timeout)."""
MAX_TIMEOUT = 86400.0
_DELAY_SECONDS = re.compile(r"^\s*([0-9]{1,12})(\.[0-9]{1,6})?\s*$")
_MILLISECONDS = re.compile(r"^\s*([0-9]{1,15})\s*$")


class DeadlineExceeded(Exception):
    """The deadline passed before (or while) a request could be made. Deliberately not an
    AzureError: azure-core's retry policy must let it through, not retry it."""


class Deadline:
    """Monotonic end time of one collection, with a watchdog that fires at it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._expired = threading.Event()
        self._lock = threading.Lock()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def start(self) -> Deadline:
        self._timer.start()
        return self

    def remaining(self) -> float:
        if self._expired.is_set():
            return 0.0
        return max(0.0, self._end - time.monotonic())

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0.0

    @property
    def message(self) -> str:
        return (
            f"timed out: the collection reached its --timeout of {self.seconds:g} s "
            "before this read finished"
        )

    def check(self) -> None:
        """Raise DeadlineExceeded once the deadline has passed."""
        if self.passed:
            raise DeadlineExceeded(self.message)

    def sleep(self, seconds: float) -> None:
        """Wait before a retry, unless the wait would pass the deadline (then raise at once:
        sleeping into a timeout helps no one). The watchdog ends the wait early."""
        if seconds <= 0:
            self.check()
            return
        if seconds >= self.remaining():
            raise DeadlineExceeded(
                f"timed out: Azure asked to wait {seconds:g} s before retrying, past the "
                f"collection's --timeout of {self.seconds:g} s"
            )
        if self._expired.wait(seconds):
            raise DeadlineExceeded(self.message)

    def watch(self, sock: socket.socket) -> None:
        """A socket the collection opened: shut it down when the deadline passes."""
        with self._lock:
            if not self._expired.is_set():
                self._sockets.add(sock)
                return
        _shut_down(sock)

    def expire(self) -> None:
        """The watchdog: end every wait and every socket now (also called when the
        collection is over, so that a step left behind cannot linger)."""
        with self._lock:
            self._expired.set()
            sockets = list(self._sockets)
            self._sockets.clear()
        self._timer.cancel()
        for sock in sockets:
            _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    """Shut the connection down under whatever thread is reading it: the read returns at
    once. The plain socket method is called on purpose: ssl.SSLSocket.shutdown also drops its
    TLS object, which a thread inside recv() may be about to use."""
    with contextlib.suppress(OSError, ValueError):  # already closed, or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def parse_retry_after(value: str, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP date (RFC 9110).
    Anything else (garbage, a negative or non-finite number) is None: use the backoff."""
    match = _DELAY_SECONDS.match(value)
    if match:
        return float(match.group(0))
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": a date in UTC by convention
        when = when.replace(tzinfo=UTC)
    try:
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    except OverflowError:
        return None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for, in seconds: Retry-After, else retry-after-ms or
    x-ms-retry-after-ms (whole milliseconds); None when no header gives a usable value."""
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after" in lowered:
        seconds = parse_retry_after(lowered["retry-after"])
        if seconds is not None:
            return seconds
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        match = _MILLISECONDS.match(lowered.get(name, ""))
        if match:
            return int(match.group(1)) / 1000.0
    return None
