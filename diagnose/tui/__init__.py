"""The terminal UI (Textual). Textual is imported only when the UI opens, so the rest of the
tool (and `diagnose --help`) never pays for it."""

from __future__ import annotations

import argparse
import sys


def run_tui(args: argparse.Namespace) -> int:
    """Open the UI on what args name (--hub, --snapshot, --demo); collection and the checks run
    in a worker while the UI shows progress. Returns the command line's exit code: 2 when the
    input is unusable (the message is also printed on stderr), else by --fail-on / --strict.

    With --tui and an output format, -o FILE or --bundle, the last run shown is also written
    out when the UI closes, as without the UI.
    """
    from diagnose.tui.app import DiagnoseApp

    argv = list(getattr(args, "argv", sys.argv[1:]))
    app = DiagnoseApp(args=args, argv=argv)
    app.run()
    if app.crash is not None:
        raise app.crash
    if app.error is not None:
        from diagnose.render.safe import safe_message

        print(f"diagnose: error: {safe_message(str(app.error))}", file=sys.stderr)
        return app.exit_code
    run = app.diagnosis
    if run is not None:
        _write_outputs(args, run, argv)
    return app.exit_code


def _write_outputs(args: argparse.Namespace, run: object, argv: list[str]) -> None:
    fmt = "json" if getattr(args, "json", False) else getattr(args, "format", None)
    output = getattr(args, "output", None)
    if fmt or output:
        from diagnose.cli.output import write_output
        from diagnose.cli.report import render

        write_output(render(run, fmt or "text"), output)  # type: ignore[arg-type]
    if getattr(args, "bundle", None):
        from diagnose.bundle import write_bundle

        write_bundle(args.bundle, run, argv=argv, redact=args.redact,
                     redaction_map=args.redaction_map, args=args)


__all__ = ["run_tui"]
