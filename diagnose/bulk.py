"""Building large, acyclic structures fast."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic objects are made (decoding
    a 100 MB snapshot, indexing 100,000 assignments): its passes over the growing heap would
    cost more than the work itself. Reference counting still frees memory as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
