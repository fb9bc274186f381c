"""The help screen: the keys, and what the selected check looks at."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from diagnose.safe import safe_text


def help_text(keys: list[tuple[str, str]], check: Any | None) -> Text:
    out = Text(end="")
    out.append("ai-hub-diagnose: keys\n\n", style="bold")
    for key, what in keys:
        out.append(f"  {key:<12}", style="bold cyan")
        out.append(f"{what}\n")
    out.append(
        "\nThe table lists what the checks found; the pane below explains the selected "
        "finding with the evaluator's evidence (which assignment grants, through which "
        "group, which deny assignment blocks, which condition applies) and gives the fix "
        "in four languages. A fix marked verified was proven on a copy of the snapshot "
        "to clear the finding.\n"
    )
    if check is not None:
        out.append(f"\nAbout {safe_text(check.id)}: ", style="bold")
        out.append(safe_text(check.title), style="bold")
        out.append("\n")
        for title, body in check.sections.items():
            out.append(f"\n{safe_text(title)}: ", style="bold")
            out.append(safe_text(body))
            out.append("\n")
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, keys: list[tuple[str, str]], check: Any | None = None) -> None:
        super().__init__()
        self._text = help_text(keys, check)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(self._text, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
