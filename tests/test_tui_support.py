"""Shared data for the terminal UI tests: the demo's Diagnosis and a hostile copy of it, built
once, and the command line's way of turning arguments into a Diagnosis."""

from __future__ import annotations

import argparse
import json
from functools import cache
from importlib import resources
from typing import Any

from diagnose.app import Diagnosis, diagnose, diagnose_snapshot
from diagnose.snapshot import Snapshot
from tests.demo_checks import demo_selection

HOSTILE = {
    "srch-contoso": "[bold red]srch\u001b[31mX",
    "Ana Lopez": "[link=https://evil.example]Ana[/link]\u001b]52;c;ZXZpbA==\u0007",
    "hub-contoso": "hub-[blink]contoso[reverse]",
    "proj-docs": "proj-[reverse]docs\u202e",
}
"""Names from Azure that are markup, terminal escapes (colour, an OSC 52 clipboard write) and a
bidi override: the UI must show them literally."""


def demo_args(*extra: str) -> argparse.Namespace:
    from diagnose.cli.parser import build_parser

    return build_parser().parse_args(["--demo", *extra])


def execute(
    args: argparse.Namespace,
    snapshot: Snapshot | None = None,
    requests: list[dict[str, Any]] | None = None,
) -> Diagnosis:
    """What the command line does with parsed arguments: its typed values, then the app's
    diagnose (or diagnose_snapshot, on a snapshot already read)."""
    from diagnose.cli.inputs import diagnose_options_from, source_from

    options = diagnose_options_from(args)
    if snapshot is None:
        return diagnose(source_from(args), options)
    return diagnose_snapshot(snapshot, options, requests=requests or [])


@cache
def demo_run() -> Diagnosis:
    """The demo with the checks the golden files cover (tests/demo_checks.py), so that a new
    check that finds nothing on the demo changes no UI snapshot."""
    return execute(demo_args(*demo_selection()))


@cache
def hostile_run() -> Diagnosis:
    from diagnose.snapshot import parse_snapshot

    text = resources.files("diagnose.demo").joinpath("demo_hub.json").read_text("utf-8")
    blob = json.dumps(json.loads(text))
    for old, new in HOSTILE.items():
        blob = blob.replace(old, json.dumps(new)[1:-1])
    snapshot = parse_snapshot(json.loads(blob), "<hostile demo>")
    return execute(demo_args(*demo_selection()), snapshot=snapshot, requests=[])


def plain(widget: Any) -> str:
    """The text a Static shows, without styles."""
    from textual.widgets import Static

    assert isinstance(widget, Static)
    content = widget.content
    return str(getattr(content, "plain", content))


def table_cells(app: Any) -> list[list[str]]:
    from diagnose.tui.widgets.findings import FindingsTable

    table = app.query_one(FindingsTable)
    return [
        [str(getattr(cell, "plain", cell)) for cell in table.get_row_at(row)]
        for row in range(table.row_count)
    ]


def sync(test: Any) -> Any:
    """Run an async test with asyncio.run (no async pytest plugin is installed)."""
    import asyncio
    import functools

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(test(*args, **kwargs))

    return wrapper


def isolate_clipboard(monkeypatch: Any, folder: Any) -> None:
    """No clipboard tool and a terminal that ignores OSC 52, whatever machine runs the tests:
    a copy then lands in a new file in folder (the working directory), never on the real
    clipboard of whoever runs them."""
    from diagnose.tui import clipboard

    monkeypatch.setattr(clipboard, "platform", lambda: "linux")
    for name in (
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "WSL_DISTRO_NAME",
        "WSL_INTEROP",
        "TERM_PROGRAM",
        "WT_SESSION",
        "KITTY_WINDOW_ID",
        "WEZTERM_EXECUTABLE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.chdir(folder)


def screen_text(app: Any) -> str:
    """What the terminal shows now, as plain text (the lines an SVG screenshot draws)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()
