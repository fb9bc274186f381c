"""What every command shares about its output, as the Azure CLI spells it: `-o/--output
FORMAT` chooses the format (`--format FORMAT` and `--json` stay as aliases, for the scripts
that use them), `--output-file FILE` chooses where it goes (standard output by default), and the
file is written only once the output is complete (diagnose.outfile).

`-o` named a file before it named a format. A value that is not a format but reads as a path
(it holds a `/` or a `.`, or is `-`) still names the output file, with a note on standard error:
no format has a dot or a slash in its name, so that reading is never ambiguous. Any other word
is an error that names both flags: `-o report` may be a typo for a format as well as a file.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from diagnose.errors import BadInput

OUTPUT_FILE_HELP = (
    "write the output to FILE instead of standard output (- for standard output); the file "
    "is written only once the output is complete"
)


def write_output(text: str, path: str | None, *, flag: str | None = "--output-file") -> None:
    """The output to path (None or `-`: standard output); flag names the path's option in
    error messages. A report gets the umask's mode, as a shell redirect would give it: it is
    meant to be shared, unlike snapshots and bundles (0600)."""
    # imported here: every command's parser adds the output flags from this module, and a
    # command that prints its answer (access) never writes a file
    from diagnose.outfile import write_text

    write_text(path or "-", text, flag=flag if path else None)


@dataclass(frozen=True)
class Output:
    format: str | None
    """The format asked for (-o, --format, --json); None: the command's default."""
    path: str | None
    """--output-file (or an old `-o FILE`); None: standard output."""

    def colour(self) -> bool:
        """Whether jsonc may colour: not under NO_COLOR (https://no-color.org)."""
        return not os.environ.get("NO_COLOR")

    def width(self) -> int:
        """Columns to wrap text at: COLUMNS when set, else the terminal's when the output goes
        to one, else 100."""
        from diagnose.report.formats import DEFAULT_WIDTH

        columns = os.environ.get("COLUMNS", "").strip()
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        if self.path in (None, "-") and sys.stdout.isatty():
            import shutil

            return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
        return DEFAULT_WIDTH


def add_output_arguments(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    formats: Sequence[str],
    *,
    default: str,
    json_help: str = "same as -o json",
) -> None:
    """-o/--output FORMAT, --format FORMAT, --json and --output-file FILE."""
    parser.add_argument(
        "-o",
        "--output",
        metavar="FORMAT",
        help=f"output format: {', '.join(formats)} (default: {default})",
    )
    parser.add_argument(
        "--format", choices=formats, default=None, help="same as -o (kept for scripts)"
    )
    parser.add_argument("--json", action="store_true", help=json_help)
    parser.add_argument("--output-file", metavar="FILE", help=OUTPUT_FILE_HELP)


def chosen_output(args: argparse.Namespace, formats: Sequence[str]) -> Output:
    """The format and the file the arguments ask for, or BadInput when they ask for two
    formats or two files, or -o names neither a format nor a file."""
    path: str | None = getattr(args, "output_file", None)
    asked: list[tuple[str, str]] = []
    if getattr(args, "json", False):
        asked.append(("--json", "json"))
    if getattr(args, "format", None):
        asked.append((f"--format {args.format}", args.format))
    value: str | None = getattr(args, "output", None)
    if value is not None:
        if value in formats:
            asked.append((f"-o {value}", value))
        elif _reads_as_path(value):
            if path is not None:
                raise BadInput(
                    f"-o {value} and --output-file {path} name two files",
                    fix="give --output-file FILE alone (-o names a format, e.g. -o json)",
                )
            print(
                f"diagnose: note: -o {value} names a file, as it did before -o named a format "
                f"(as in az: -o json); write --output-file {value} instead",
                file=sys.stderr,
            )
            path = value
        else:
            raise BadInput(
                f"-o {value} is not a format",
                where="-o",
                fix=f"-o takes one of {', '.join(formats)}; to write to a file named "
                f"{value}, use --output-file {value}",
            )
    names = {fmt for _, fmt in asked}
    if len(names) > 1:
        raise BadInput(
            f"{' and '.join(flag for flag, _ in asked)} ask for two formats",
            fix="give one of them",
        )
    return Output(names.pop() if names else None, path)


def _reads_as_path(value: str) -> bool:
    return value == "-" or "/" in value or os.sep in value or "." in value


def emit_document(
    args: argparse.Namespace,
    formats: Sequence[str],
    *,
    document: Callable[[], Any],
    text: Callable[[], str] | None = None,
    default: str = "text",
) -> None:
    """Write a command's one document in the format asked for: its text rendering (text), or
    the document as json, jsonc or yaml."""
    from diagnose.report.document import render_document

    output = chosen_output(args, formats)
    fmt = output.format or default
    if fmt == "text" and text is not None:
        body = text()
    else:
        body = render_document(document(), fmt, colour=output.colour())
    write_output(body, output.path)


def run_printing(
    handler: Callable[[argparse.Namespace], int],
    args: argparse.Namespace,
    formats: Sequence[str],
) -> int:
    """Run a command that prints its answer (text, or JSON with args.json) and give that answer
    the -o format and --output-file asked for: JSON is re-rendered as jsonc or yaml, and the
    output is written to the file only once the command is done (nothing on failure)."""
    output = chosen_output(args, formats)
    fmt = output.format or "text"
    if getattr(args, "batch", False) and fmt in ("jsonc", "yaml"):
        raise BadInput(
            f"--batch answers each question as it comes, one JSON object a line: -o {fmt} "
            "would wait for the last",
            fix="use -o json (or text) with --batch",
        )
    args.json = fmt != "text"
    if output.path in (None, "-") and fmt in ("text", "json"):
        return handler(args)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = handler(args)
    body = buffer.getvalue()
    if fmt in ("jsonc", "yaml"):
        from diagnose.report.document import render_document

        body = render_document(json.loads(body), fmt, colour=output.colour())
    write_output(body, output.path)
    return code
