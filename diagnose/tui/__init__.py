"""The terminal UI (Textual). Textual is imported only when the UI opens, so the rest of the
tool (and `diagnose --help`) never pays for it.

A front end like the command line: it takes the application layer's typed values (a Source and
DiagnoseOptions), loads and re-runs through diagnose.app, and never imports another front end.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from diagnose.app import DiagnoseOptions, Diagnosis, Source


def run_tui(
    source: Source,
    options: DiagnoseOptions,
    *,
    fail_on: str = "fail",
    strict: bool = False,
    argv: Sequence[str] | None = None,
) -> tuple[int, Diagnosis | None]:
    """Open the UI on the source; collection and the checks run in a worker while the UI
    shows progress. Returns the exit code and the last Diagnosis shown (None when none was):
    2 when the input is unusable (the message is also printed on stderr), else by fail_on
    (--fail-on) and strict (--strict). argv is the command line, for the support bundle the
    UI can write."""
    from diagnose.tui.app import DiagnoseApp

    app = DiagnoseApp(
        source=source,
        options=options,
        fail_on=fail_on,
        strict=strict,
        argv=list(sys.argv[1:] if argv is None else argv),
    )
    app.run()
    if app.crash is not None:
        raise app.crash
    if app.error is not None:
        from diagnose.safe import safe_message

        print(f"diagnose: error: {safe_message(str(app.error))}", file=sys.stderr)
        return app.exit_code, None
    return app.exit_code, app.diagnosis


__all__ = ["run_tui"]
