"""Names from Azure are data: make them safe to print on a terminal or inside Markdown."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(value: object) -> str:
    """Text with control characters (terminal escapes, bidi overrides, newlines) made visible."""
    text = str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text.replace("\n", "\\n"))
