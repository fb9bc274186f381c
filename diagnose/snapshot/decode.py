"""Strict JSON decoding for snapshots and bundle manifests.

orjson parses about twice as fast as the standard library and is strict where it must be:
NaN and Infinity literals, numbers beyond a double's range (1e400), lone surrogates (a
"\\ud800" escape), invalid UTF-8 and nesting deeper than 1024 levels are all refused, never
turned into values that break later code. The nesting limit is then lowered to
MAX_JSON_DEPTH by an iterative walk (no recursion, so no RecursionError however deep the
input), which costs less than the standard library's parse would have.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from diagnose.bulk import bulk_allocation
from diagnose.errors import BadInput
from diagnose.inputlimits import MAX_JSON_DEPTH

FIX = "pass the JSON file written by `diagnose collect`"
BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
CONTAINERS = frozenset({dict, list})


def decode_json(raw: bytes | bytearray, source: str, *, apart: tuple[str, ...] = ()) -> Any:
    """The JSON value in raw, or BadInput saying on one line what is wrong and where.

    apart: keys of the top-level object whose arrays the caller walks itself, item by item,
    and checks for nesting there (too_deep_item): a snapshot's role assignments, which its
    validation visits anyway."""
    try:
        document: bytes | bytearray | str = _as_utf8(raw)
    except UnicodeDecodeError:
        raise BadInput("is not UTF-8 text", where=source, fix=FIX) from None
    try:
        with bulk_allocation(lasting=True):
            value = orjson.loads(document)
            too_deep = nesting_deeper_than(_without(value, apart), MAX_JSON_DEPTH)
    except orjson.JSONDecodeError as exc:
        raise _explain(
            exc, raw if isinstance(document, bytes | bytearray) else b"", source
        ) from None
    if too_deep:
        raise _too_deep(source)
    return value


def _without(value: Any, apart: tuple[str, ...]) -> Any:
    """The top-level object without the arrays under `apart` (a shallow copy)."""
    if not apart or type(value) is not dict:
        return value
    return {k: v for k, v in value.items() if not (k in apart and type(v) is list)}


def too_deep_item(item: Any, source: str) -> BadInput | None:
    """The error for an item of an array decode_json left `apart` when it nests too deep:
    the array is level 2 of the document, its items level 3. The caller walks the array
    itself (snapshot.fast.assignment_shape tells it which items are flat enough to skip)."""
    if nesting_deeper_than(item, MAX_JSON_DEPTH - 2):
        return _too_deep(source)
    return None


def _as_utf8(raw: bytes | bytearray) -> bytes | bytearray | str:
    """raw itself when it is (or may be) UTF-8 without a byte order mark, else its text: the
    standard library accepts UTF-16 and UTF-32 JSON and a UTF-8 BOM, so this does too."""
    head = bytes(raw[:4])
    if not head.startswith(BYTE_ORDER_MARKS) and (len(head) < 4 or all(head)):
        return raw
    encoding = json.detect_encoding(head)
    if encoding == "utf-8":
        return raw
    return bytes(raw).decode(encoding)


def _explain(exc: orjson.JSONDecodeError, raw: bytes | bytearray, source: str) -> BadInput:
    message = str(getattr(exc, "msg", "") or exc)
    lowered = message.lower()
    at = f"line {getattr(exc, 'lineno', '?')} column {getattr(exc, 'colno', '?')}"
    position = getattr(exc, "pos", None)
    if "depth" in lowered or "recursion" in lowered:
        return _too_deep(source)
    if "utf-8" in lowered:
        return BadInput("is not UTF-8 text", where=source, fix=FIX)
    if "surrogate" in lowered:
        return BadInput(
            f"a string at {at} holds half of a UTF-16 surrogate pair (a lone "
            "\\ud800-\\udfff escape): not valid Unicode text",
            where=source,
            fix=FIX,
        )
    if "infinity" in lowered or "range" in lowered:
        return BadInput(
            f"the number at {at} is outside the range of a double (about ±1.8e308)",
            where=source,
            fix=FIX,
        )
    if isinstance(position, int) and _non_finite_literal(raw, position):
        return BadInput(f"NaN and Infinity at {at} are not JSON numbers", where=source, fix=FIX)
    return BadInput(f"not valid JSON: {message} at {at}", where=source, fix=FIX)


def _non_finite_literal(raw: bytes | bytearray, position: int) -> bool:
    around = bytes(raw[max(position - 1, 0) : position + 9])
    return any(word in around for word in (b"NaN", b"Infinity"))


def _too_deep(source: str) -> BadInput:
    return BadInput(
        f"the JSON nests deeper than {MAX_JSON_DEPTH} levels (a snapshot nests "
        "about 8): not a snapshot",
        where=source,
        fix=FIX,
    )


def nesting_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than limit levels (the outermost one is level 1),
    found level by level, without recursion: one list comprehension per container keeps it
    at about half the time orjson takes to parse the same document."""
    level = [value] if type(value) in CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        deeper: list[Any] = []
        extend = deeper.extend
        for container in level:
            children = container.values() if type(container) is dict else container
            extend([child for child in children if child.__class__ in CONTAINERS])
        level = deeper
    return False
