"""Building large, acyclic structures fast."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_allocation(*, lasting: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of acyclic objects are made (decoding
    a 100 MB snapshot, indexing 100,000 assignments): its passes over the growing heap would
    cost more than the work itself. Reference counting still frees memory as usual.

    lasting=True: what was made is kept for the rest of the run (the decoded snapshot, the
    model, a run's answers), so it is moved out of the collector's generations when done
    (gc.freeze). Otherwise the first collections after the pause would scan all of it, and
    again at each older generation: 2.3 s of a 20 s diagnosis of a 200-project hub. Frozen
    objects are still freed by reference counting when dropped; only a reference cycle among
    them would outlive its use, and these structures have none."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if lasting:
            gc.freeze()
        if enabled:
            gc.enable()
