"""Azure RBAC operation patterns.

`*` matches any run of characters, `/` included; matching is case-insensitive and anchored.
Wildcards are never expanded against an operation list: they also grant operations Azure adds
later.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=8192)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    body = ".*".join(re.escape(part) for part in pattern.strip().split("*"))
    return re.compile(f"(?:{body})\\Z", re.IGNORECASE | re.DOTALL)


def matches(pattern: str, operation: str) -> bool:
    return compile_pattern(pattern).match(operation) is not None


def first_match(patterns: tuple[str, ...], operation: str) -> str | None:
    """The first pattern that matches the operation, or None."""
    for pattern in patterns:
        if compile_pattern(pattern).match(operation):
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
