#!/usr/bin/env python3
"""Write a screenshot of the terminal UI on the demo hub, as SVG, for the README's tour.

    python scripts/make_tui_screenshot.py                  # docs/tui.svg, 140x40
    python scripts/make_tui_screenshot.py --size 80x24 --output /tmp/tui-small.svg

It shows what `diagnose --demo` opens in a terminal: the UI runs headless (Textual's
export_screenshot) on the demo with every check, its cursor on the first finding of the check
given (--check, CON001 by default: a group of builders missing a data role), with the fix in
view. The same demo and size give the same bytes, so the file in docs/ changes only when the
UI or the demo does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "tui.svg"
TITLE = "diagnose --demo"


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not WIDTHxHEIGHT: {text!r}") from None
    if width < 40 or height < 12:
        raise argparse.ArgumentTypeError("the UI needs at least 40x12")
    return width, height


async def _screenshot(size: tuple[int, int], check: str) -> str:
    from diagnose.app import DemoSource, DiagnoseOptions, diagnose
    from diagnose.tui.app import DiagnoseApp
    from diagnose.tui.widgets.findings import FindingsTable

    run = diagnose(DemoSource(), DiagnoseOptions())
    rows = [i for i, f in enumerate(run.report.findings) if f.check_id == check]
    if not rows:
        raise SystemExit(f"make_tui_screenshot: no {check} finding on the demo")
    app = DiagnoseApp(run, argv=["--demo"])
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.query_one(FindingsTable)
        table.move_cursor(row=table.order.index(rows[0]), animate=False)
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        return app.export_screenshot(title=TITLE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the SVG to write")
    parser.add_argument("--size", type=_size, default=(140, 40), help="WIDTHxHEIGHT")
    parser.add_argument("--check", default="CON001", help="whose first finding is selected")
    args = parser.parse_args(argv)
    svg = asyncio.run(_screenshot(args.size, args.check))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(svg, encoding="utf-8")
    print(f"wrote {args.output} ({len(svg.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # this checkout's diagnose, not an installed one
    sys.exit(main())
