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

        self._bar = Bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=True)
        self._title = escape(title)
        self._task = self._bar.add_task(self._title, total=None)
        self._lock = threading.Lock()
        self._requests = 0
        self._failed = 0
        self._wave = 0

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._bar.stop()

    def stage(self, text: str) -> None:
        self._bar.update(self._task, description=f"{self._title}: {text}")

    def request_done(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests += 1
            status = entry.get("status")
            if status is None or status >= 400:
                self._failed += 1
            self._wave = max(self._wave, entry.get("wave") or 0)
            text = (f"{self._title}: wave {self._wave + 1}, {self._requests} requests"
                    + (f", {self._failed} failed" if self._failed else ""))
        self._bar.update(self._task, description=text)


def progress_for(title: str, quiet: bool, stream: Any = None) -> Progress:
    stream = sys.stderr if stream is None else stream
    if quiet or not getattr(stream, "isatty", lambda: False)():
        return NoProgress()
    return RichProgress(title)
