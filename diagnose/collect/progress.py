"""Progress on stderr while collecting: Rich on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
import threading
from typing import Any, Protocol


class Progress(Protocol):
    def __enter__(self) -> Progress: ...
    def __exit__(self, *exc: Any) -> None: ...
    def request_done(self, entry: dict[str, Any]) -> None: ...
    def stage(self, text: str) -> None: ...


class RequestTally:
    """Requests done and failed, and the latest wave: what every progress display shows.
    Thread-safe: requests finish on the collector's worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.failed = 0
        self.wave = 0

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests += 1
            status = entry.get("status")
            if status is None or status >= 400:
                self.failed += 1
            self.wave = max(self.wave, entry.get("wave") or 0)

    def summary(self) -> str:
        """'12 requests, 1 failed' ('' before the first request)."""
        with self._lock:
            if not self.requests:
                return ""
            return f"{self.requests} requests" + (f", {self.failed} failed" if self.failed else "")


class NoProgress:
    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def request_done(self, entry: dict[str, Any]) -> None:
        return None

    def stage(self, text: str) -> None:
        return None


class RichProgress:
    """A one-line spinner: what is being collected, requests done, the current wave."""

    def __init__(self, title: str) -> None:
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import Progress as Bar
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

        self._bar = Bar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._title = escape(title)
        self._task = self._bar.add_task(self._title, total=None)
        self._tally = RequestTally()

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._bar.stop()

    def stage(self, text: str) -> None:
        self._bar.update(self._task, description=f"{self._title}: {text}")

    def request_done(self, entry: dict[str, Any]) -> None:
        self._tally.record(entry)
        self._bar.update(
            self._task,
            description=f"{self._title}: wave {self._tally.wave + 1}, {self._tally.summary()}",
        )


def progress_for(title: str, quiet: bool, stream: Any = None) -> Progress:
    stream = sys.stderr if stream is None else stream
    if quiet or not getattr(stream, "isatty", lambda: False)():
        return NoProgress()
    return RichProgress(title)
