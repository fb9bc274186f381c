"""Writing a command's report: standard output, or a file written only once the report is
complete (see diagnose.outfile for how each kind of path is written)."""

from __future__ import annotations

from diagnose.outfile import write_text


def write_output(text: str, path: str | None, *, flag: str | None = "-o") -> None:
    """The report to path (None or `-`: standard output); flag names the path's option in
    error messages. A report gets the umask's mode, as a shell redirect would give it: it is
    meant to be shared, unlike snapshots and bundles (0600)."""
    write_text(path or "-", text, flag=flag if path else None)
