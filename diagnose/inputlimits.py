"""The limits on what reading a snapshot or support bundle may cost.

A snapshot may come from anyone (a customer's bundle, a file found on a share), so reading one
must end, in bounded memory and time, with one clear line when the input is hostile or merely
broken: too large, a zip bomb, nesting that would exhaust the stack, or a device that never
ends.
Only the byte limit can be raised (`--max-input-bytes`): the others sit far above anything
`diagnose` writes, so hitting one means the input is not what it claims to be.

This module is light on purpose: the argument parser reads it (`diagnose --help` stays
instant). The reading itself is in diagnose/snapshot/reading.py and archive.py.
"""

from __future__ import annotations

import re

from diagnose.errors import BadInput

DEFAULT_MAX_INPUT_BYTES = 2 * 1024**3
"""Snapshot or bundle size, and a bundle's total uncompressed size (--max-input-bytes)."""
MAX_JSON_DEPTH = 200
"""Containers inside containers; a snapshot nests about 8 deep. Far below what would exhaust
Python's stack in the code that walks the data later (and below orjson's own limit)."""
MAX_ZIP_MEMBERS = 10_000
"""A bundle holds 7 files."""
MAX_COMPRESSION_RATIO = 200
"""Uncompressed size / compressed size of one member; JSON deflates about 10:1."""
RATIO_CHECKED_ABOVE = 1024**2
"""Tiny members compress absurdly well (a file of zeros): the ratio matters only for large
ones."""
SIZE_PATTERN = re.compile(r"(\d+)\s*([kmgt]?)(i?b)?", re.IGNORECASE)
UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
RAISE_HINT = "if the file is genuine, raise the limit, e.g. --max-input-bytes {suggestion}"


def parse_size(text: str) -> int:
    """A byte count as a user writes it: 1048576, 512K, 500M, 4G, 4GiB, 4GB (binary units).
    Raises ValueError, which argparse turns into a usage error."""
    match = SIZE_PATTERN.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not a size: {text!r}")
    value = int(match.group(1)) * UNITS[match.group(2).lower()]
    if value <= 0:
        raise ValueError(f"{text!r} is no size: it must be more than 0")
    return value


def human_size(count: int) -> str:
    for unit, factor in (("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if count >= factor and count % factor == 0:
            return f"{count // factor}{unit}"
    return f"{count} bytes" if count < 1024 else f"{count / 1024**2:.1f}M"


def too_large(what: str, limit: int, where: str) -> BadInput:
    suggestion = (
        human_size(limit * 2)
        if limit < DEFAULT_MAX_INPUT_BYTES
        else human_size((limit // 1024**3 + 1) * 2 * 1024**3)
    )
    return BadInput(
        f"{what} is larger than the input limit of {human_size(limit)} (--max-input-bytes)",
        where=where,
        fix=RAISE_HINT.format(suggestion=suggestion),
    )
