"""The filter bar: a text search and severity, status and check pickers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Select, Static

from diagnose.engine.api import Severity, Status
from diagnose.safe import safe_text
from diagnose.tui.data import FindingFilter

FILTER_SELECTS = ("severity", "status", "check")


class FilterBar(Horizontal):
    """Posts FilterBar.Changed with the text and picker part of the filter."""

    class Changed(Message):
        def __init__(
            self, severity: str | None, status: str | None, check: str | None, text: str
        ) -> None:
            super().__init__()
            self.severity = severity
            self.status = status
            self.check = check
            self.text = text

    def __init__(self, checks: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._checks = checks or []

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search findings  (/)", id="search", compact=True)
        yield Select(
            [(Content(s.value), s.value) for s in Severity],
            prompt="severity",
            id="severity",
            compact=True,
        )
        yield Select(
            [(Content(s.value), s.value) for s in Status],
            prompt="status",
            id="status",
            compact=True,
        )
        yield Select(self._options(self._checks), prompt="check", id="check", compact=True)
        yield Static("", id="filter-count")

    @staticmethod
    def _options(checks: list[str]) -> list[tuple[Content, str]]:
        return [(Content(safe_text(check)), check) for check in checks]

    def set_checks(self, checks: list[str]) -> None:
        """New check choices after a re-run; keeps the chosen check when it still exists."""
        self._checks = checks
        select = self.query_one("#check", Select)
        current = select.value
        select.set_options(self._options(checks))
        if isinstance(current, str) and current in checks:
            select.value = current

    def value(self, name: str) -> str | None:
        value = self.query_one(f"#{name}", Select).value
        return value if isinstance(value, str) else None

    def set_value(self, name: str, value: str | None) -> None:
        select = self.query_one(f"#{name}", Select)
        if value is None:
            select.clear()
        else:
            select.value = value

    @property
    def text(self) -> str:
        return self.query_one("#search", Input).value

    @text.setter
    def text(self, value: str) -> None:
        self.query_one("#search", Input).value = value

    def apply_to(self, flt: FindingFilter) -> FindingFilter:
        from dataclasses import replace

        return replace(
            flt,
            severity=self.value("severity"),
            status=self.value("status"),
            check=self.value("check"),
            text=self.text,
        )

    def set_count(self, shown: int, total: int) -> None:
        self.query_one("#filter-count", Static).update(
            Content(f"{shown} of {total}" if shown != total else f"{total} findings")
        )

    def _changed(self) -> None:
        self.post_message(
            self.Changed(
                self.value("severity"), self.value("status"), self.value("check"), self.text
            )
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed()
