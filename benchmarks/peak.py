"""One measurement in a fresh process: its time and its peak memory (maximum resident set).

    python benchmarks/peak.py json FILE
    python benchmarks/peak.py diagnose FILE [diagnose arguments...]

`json` times json.loads of FILE's bytes (the baseline the targets are ratios of); `diagnose`
times `diagnose --snapshot FILE [arguments]` through the program's entry point, its modules
imported first (as json is). Both print one line, `PEAK <kilobytes> SECONDS <seconds>`, so
that both are measured the same way: a process of their own, getrusage's maximum resident
set size, a monotonic clock around the work alone.
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    what, path, *rest = argv
    if what == "json":
        start = time.perf_counter()
        loaded = json.loads(Path(path).read_bytes())
        seconds = time.perf_counter() - start
        del loaded
    elif what == "diagnose":
        import diagnose.app  # noqa: F401  (imported before the clock starts, as json is)
        from diagnose.program import main as program

        kept: list[object] = []  # as the console script: nothing is freed before exit
        err = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stderr(err):
            code = program(["--snapshot", path, *rest], keep_alive=kept)
        seconds = time.perf_counter() - start
        if code not in (0, 1):
            print(f"diagnose exited {code}: {err.getvalue()}", file=sys.stderr)
            return 2
    else:
        print(f"unknown measurement {what!r}: json or diagnose", file=sys.stderr)
        return 2
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(f"PEAK {peak} SECONDS {seconds:.6f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
