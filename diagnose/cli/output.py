"""Writing a command's output: standard output, or a file opened only once there is something
to write (so a failed run never leaves an empty or half-written file behind)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from diagnose.errors import BadInput


def write_output(text: str, path: str | None) -> None:
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise BadInput("is a directory", where=path, fix="give a file name for the output")
    if not target.parent.exists():
        raise BadInput(f"the folder {target.parent} does not exist", where=path,
                       fix="create the folder first, or choose another path")
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except PermissionError:
        raise BadInput("cannot be written (permission denied)", where=path) from None
