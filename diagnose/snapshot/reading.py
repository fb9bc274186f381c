"""Reading a snapshot or bundle file within --max-input-bytes, whatever the file is: a regular
file, a pipe, a FIFO or a device that never ends."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from diagnose.errors import BadInput
from diagnose.inputlimits import too_large

READ_CHUNK = 1024**2
HEAD_BYTES = 64
"""How much of a pipe or device is read before deciding whether it can be a snapshot."""
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
"""A zip's first local header, or the end record of an empty zip."""


def read_bounded(path: Path, limit: int) -> bytes | bytearray:
    """The file's bytes, reading at most limit + 1 of them: a regular file larger than limit is
    refused before it is read, and a pipe or device that never ends (/dev/zero, a FIFO fed
    forever) is read only until the limit is passed, or until its first bytes show it is
    neither JSON nor a zip. Raises OSError as open() does, BadInput for the limits."""
    source = str(path)
    with open(path, "rb") as stream:
        info = os.fstat(stream.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(source)
        if stat.S_ISREG(info.st_mode):
            if info.st_size > limit:
                raise too_large("the file", limit, source)
            # Asked for its size and one byte more (the file may have grown): a read of
            # limit + 1 bytes would allocate a buffer that large first (2 GiB by default),
            # 9 ms of page mapping for a 20 MB snapshot.
            data: bytes | bytearray = stream.read(info.st_size + 1)
            if len(data) > info.st_size:
                data += stream.read(limit + 1 - len(data))
        else:
            data = _read_stream(stream, limit, source)
    if len(data) > limit:
        raise too_large("the file", limit, source)
    return data


def _read_stream(stream: BinaryIO, limit: int, source: str) -> bytearray:
    data = bytearray()
    looked = False
    while len(data) <= limit:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
        if not looked and len(data) >= HEAD_BYTES:
            looked = True
            if not could_be_snapshot_or_zip(bytes(data[:HEAD_BYTES])):
                raise BadInput(
                    "does not start like a snapshot (a JSON object) or a support "
                    "bundle (a zip), so reading stopped",
                    where=source,
                    fix="pass the JSON file written by `diagnose collect`, or a "
                    "bundle written by `diagnose --bundle`",
                )
    return data


def could_be_snapshot_or_zip(head: bytes) -> bool:
    """Whether these first bytes can begin a JSON object (UTF-8, -16 or -32, with or without a
    byte order mark) or a zip. Used on pipes and devices only, to stop reading early: for a
    regular file, the JSON parser says more precisely what is wrong. Random bytes pass with a
    chance far below one in a billion: they must start with "{" and be valid text."""
    if head.startswith(ZIP_SIGNATURES):
        return True
    import codecs
    import json

    encoding = json.detect_encoding(head)
    try:  # not final: the head may end inside a character
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    stripped = text.lstrip("\ufeff").lstrip(" \t\r\n")
    return not stripped or stripped.startswith("{")
