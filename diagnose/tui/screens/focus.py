"""Asking whom to focus the run on ("why can't P ...?"), as `--principal P` does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class FocusPrompt(ModalScreen[str | None]):
    """Dismisses with the principal typed (an object id, user principal name or display name),
    "" for everyone again, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str = "", focused: str = "") -> None:
        """default: what the input starts with; focused: who the run is focused on now (shown,
        and what "Everyone" undoes)."""
        super().__init__()
        self._default = default
        self._focused = focused

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(
                Content("Why can't this principal ...? Only its requirements, as a builder"),
                id="prompt-title",
            )
            yield Label(
                Content(f"Focused on {self._focused}." if self._focused else "Showing everyone."),
                id="focus-now",
            )
            yield Input(
                self._default,
                placeholder="object id, user principal name or display name",
                id="focus-principal",
            )
            with Horizontal(id="prompt-buttons"):
                yield Button("Focus", variant="primary", id="focus-ok")
                yield Button("Everyone", id="focus-clear", disabled=not self._focused)
                yield Button("Cancel", id="focus-cancel")

    def on_mount(self) -> None:
        self.query_one("#focus-principal", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "focus-ok":
            self._submit()
        elif event.button.id == "focus-clear":
            self.dismiss("")
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        """An empty input means everyone again (when focused; else nothing changes)."""
        text = self.query_one("#focus-principal", Input).value.strip()
        self.dismiss(text if text or self._focused else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
