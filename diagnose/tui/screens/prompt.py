"""A small modal that asks where to write a file (report export, support bundle)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

EXTENSIONS = {"json": ".json", "markdown": ".md"}


class PathPrompt(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (path, format) or None. With formats, switching the format switches the
    file extension."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        default: str,
        formats: list[tuple[str, str]] | None = None,
        fmt: str | None = None,
        button: str = "Write",
    ) -> None:
        super().__init__()
        self._title = title
        self._default = default
        self._formats = formats or []
        self._format = fmt or (self._formats[0][1] if self._formats else "")
        self._button = button

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(Content(self._title), id="prompt-title")
            if self._formats:
                yield Select(
                    [(Content(label), value) for label, value in self._formats],
                    value=self._format,
                    allow_blank=False,
                    id="prompt-format",
                )
            yield Input(self._default, id="prompt-path")
            with Horizontal(id="prompt-buttons"):
                yield Button(self._button, variant="primary", id="prompt-ok")
                yield Button("Cancel", id="prompt-cancel")

    def on_mount(self) -> None:
        self.query_one("#prompt-path", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str):
            return
        path = self.query_one("#prompt-path", Input)
        old, new = EXTENSIONS.get(self._format, ""), EXTENSIONS.get(event.value, "")
        if old and new and path.value.endswith(old):
            path.value = path.value[: -len(old)] + new
        self._format = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "prompt-ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        path = self.query_one("#prompt-path", Input).value.strip()
        if path:
            self.dismiss((path, self._format))

    def action_cancel(self) -> None:
        self.dismiss(None)
