"""Undoing redaction with a redaction map (alias -> original): for reports, messages and a
snapshot.

Part of diagnose.bundle.redact (see its package docstring for the policy). It needs only the
map the customer kept, never the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any


def restore_text(text: str, mapping: dict[str, str]) -> str:
    """Undo redaction in any text with a redaction map (alias -> original). For JSON, use
    restore_json: an original may hold characters JSON escapes."""
    if not mapping:
        return text
    return _restorer(tuple(sorted(mapping.items())))(text)


@lru_cache(maxsize=8)
def _restorer(items: tuple[tuple[str, str], ...]) -> Callable[[str], str]:
    folded = {alias.casefold(): original for alias, original in items}
    pattern = re.compile(
        "|".join(re.escape(a) for a, _ in sorted(items, key=lambda i: len(i[0]), reverse=True)),
        re.IGNORECASE,
    )
    return lambda text: pattern.sub(lambda m: folded[m.group(0).casefold()], text)


def restore_json(value: Any, mapping: dict[str, str]) -> Any:
    """Undo redaction in a JSON value (every string, dictionary keys included)."""
    if not mapping:
        return value
    if isinstance(value, dict):
        return {restore_json(k, mapping): restore_json(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_json(v, mapping) for v in value]
    if isinstance(value, str):
        return restore_text(value, mapping)
    return value
