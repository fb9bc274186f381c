"""A small modal that asks where to write a support bundle and whether to redact it (on by
default: a bundle goes to someone outside the tenant), and shows the full path it will go to."""

from __future__ import annotations

import os
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label

STANDARD_OUTPUT = "-"


@dataclass(frozen=True)
class BundleRequest:
    path: str
    """The bundle's full path ("-" as typed: standard output, which the UI refuses)."""
    redact: bool
    redaction_map: str | None = None
    """Where the redaction map goes (its full path), when asked for."""


def full_path(typed: str) -> str:
    """The absolute path a typed file name stands for (~ expanded)."""
    return os.path.abspath(os.path.expanduser(typed.strip()))


def map_path_for(bundle: str) -> str:
    """The redaction map's path beside the bundle: x.zip -> x.redaction-map.json."""
    stem = bundle[:-4] if bundle.lower().endswith(".zip") else bundle
    return f"{stem}.redaction-map.json"


class BundlePrompt(ModalScreen[BundleRequest | None]):
    """Dismisses with a BundleRequest, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self._default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt"):
            yield Label(
                Content("Write a support bundle (snapshot, reports, request log)"),
                id="prompt-title",
            )
            yield Input(self._default, id="prompt-path")
            yield Label(Content(""), id="bundle-where")
            yield Checkbox(
                "Redact: ids and names become aliases (recommended before sharing)",
                value=True,
                id="bundle-redact",
            )
            yield Checkbox(
                "Keep a redaction map beside it (private: it undoes the aliases)",
                value=False,
                id="bundle-map",
            )
            with Horizontal(id="prompt-buttons"):
                yield Button("Write", variant="primary", id="prompt-ok")
                yield Button("Cancel", id="prompt-cancel")

    def on_mount(self) -> None:
        self._show_where()
        self.query_one("#prompt-path", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show_where()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._show_where()

    def request(self) -> BundleRequest | None:
        """What the form says now; None without a file name."""
        typed = self.query_one("#prompt-path", Input).value
        if not typed.strip():
            return None
        redact = self.query_one("#bundle-redact", Checkbox).value
        keep_map = redact and self.query_one("#bundle-map", Checkbox).value
        if typed.strip() == STANDARD_OUTPUT:  # kept as typed: the writer refuses it, and says why
            return BundleRequest(STANDARD_OUTPUT, redact)
        path = full_path(typed)
        return BundleRequest(path, redact, map_path_for(path) if keep_map else None)

    def _show_where(self) -> None:
        self.query_one("#bundle-map", Checkbox).disabled = not self.query_one(
            "#bundle-redact", Checkbox
        ).value
        request = self.request()
        if request is None:
            text = "Type a file name."
        elif request.path == STANDARD_OUTPUT:
            text = "- would be standard output, which is the screen here: type a file name."
        else:
            text = f"Goes to {request.path}"
            if request.redaction_map:
                text += f"\nMap to {request.redaction_map}"
            if not request.redact:
                text += "\nNot redacted: it holds your tenant's ids and names."
        self.query_one("#bundle-where", Label).update(Content(text))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "prompt-ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        request = self.request()
        if request is not None:
            self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)
