"""What an interactive front end offers the others: show a diagnosis of a source and return the
exit code and the last Diagnosis shown. The command line takes one as a parameter (the program
gives it the terminal UI), so no front end imports another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from diagnose.app.diagnosis import DiagnoseOptions, Diagnosis
from diagnose.app.sources import Source


class Viewer(Protocol):
    def __call__(
        self,
        source: Source,
        options: DiagnoseOptions,
        *,
        fail_on: str,
        strict: bool,
        argv: Sequence[str],
    ) -> tuple[int, Diagnosis | None]:
        """Show the diagnosis until the person quits: (exit code, last Diagnosis or None)."""
        ...
