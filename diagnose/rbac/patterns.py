"""Azure RBAC operation patterns.

`*` matches any run of characters, `/` included; matching is case-insensitive and anchored.
Wildcards are never expanded against an operation list: they also grant operations Azure adds
later.

Patterns come from role definitions, which anyone who can write a custom role controls, so
matching never builds a regular expression from one: `a*a*a*...*b` compiled to `a.*a.*...b`
backtracks exponentially on a long operation. A pattern is split on `*` instead; its first
piece must be a prefix of the operation, its last a suffix, and the pieces between are found
left to right with `str.find`, each search starting where the previous piece ended. Taking
the leftmost place for each middle piece is always right when the only wildcard is `*` (any
later place leaves less room for the pieces after it), so one pass over the operation decides:
the work is linear in its length, whatever the number of stars.
"""

from __future__ import annotations

from functools import lru_cache

Glob = tuple[str, str, tuple[str, ...], int]
"""A compiled pattern: its lowercased text before the first star (or the whole pattern when it
has none), after the last star, the non-empty pieces between stars, and the length an operation
needs at least (-1 for a pattern without a star, which must equal the operation)."""


@lru_cache(maxsize=8192)
def compile_glob(pattern: str) -> Glob:
    """A pattern split on `*`; the empty pieces between consecutive stars are left out."""
    pieces = pattern.strip().lower().split("*")
    if len(pieces) == 1:
        return pieces[0], "", (), -1
    middle = tuple(piece for piece in pieces[1:-1] if piece)
    return pieces[0], pieces[-1], middle, sum(len(piece) for piece in pieces)


def glob_matches(glob: Glob, operation: str) -> bool:
    """Whether a lowercased operation matches a compiled pattern."""
    first, last, middle, least = glob
    if least < 0:
        return operation == first
    if len(operation) < least or not operation.startswith(first) or not operation.endswith(last):
        return False
    position, end = len(first), len(operation) - len(last)
    for piece in middle:
        found = operation.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def matches(pattern: str, operation: str) -> bool:
    return glob_matches(compile_glob(pattern), operation.lower())


def first_match(patterns: tuple[str, ...], operation: str) -> str | None:
    """The first pattern that matches the operation, or None."""
    if not patterns:
        return None
    lowered = operation.lower()
    for pattern in patterns:
        if glob_matches(compile_glob(pattern), lowered):
            return pattern
    return None


def provider_of(operation: str) -> str:
    return operation.split("/", 1)[0].lower()


def common_prefix_segments(pattern: str, operation: str) -> int:
    """How many leading path segments a pattern shares with an operation (for near misses)."""
    count = 0
    for left, right in zip(pattern.lower().split("/"), operation.lower().split("/"), strict=False):
        if left != right:
            break
        count += 1
    return count
