"""The cyclic garbage collector paused for the length of a live collection.

A collection allocates hundreds of thousands of objects that live until it ends (a
subscription's role-assignment listing alone is 20,000 decoded assignments waiting in
`pending`), and each allocation-driven pass of the cyclic collector scanned them again:
the full passes alone were 100-400 ms of a one-second Foundry collection, with the
interpreter lock held, while every reader thread waited. Reference counting still frees
what the collection drops; the reference cycles it leaves (a few dozen objects per request,
and the collector's own state once it is done) wait for the first pass after it.

Unlike diagnose.bulk.bulk_allocation, the pause is counted: collections running at once
(each in its own thread) share it, and the collector is enabled again when the last one
ends, if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
