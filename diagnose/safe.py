"""Strings from Azure are data: the one place that makes them safe to show.

Every name, description, id, timestamp and error message that came from Azure, Graph, a
snapshot, a bundle or an exception can be hostile: a terminal escape (`ESC [ 2 J` clears the
screen, `ESC ] 52` writes the clipboard), a C1 control (U+009B is a CSI on its own), a bidi
override or isolate that reorders what a reader sees (U+202E, U+2066), an invisible character
(zero-width space, word joiner, BOM, Unicode tags) that hides or splits a name, a line or
paragraph separator that starts a fake line. Each front end calls one of these functions on
everything it did not write itself:

- `safe_text`: one line for a terminal or a widget; every such character becomes a visible
  escape (`\\x1b`, `\\u202e`, `\\n`, `\\t`, `\\U000e0041`). The result holds only printable
  characters, so the function is idempotent.
- `safe_block`: several lines; line breaks are kept, everything else is escaped.
- `safe_message`: a message the tool prints (stderr, an error quoted in a report): credentials
  removed (diagnose.secrets) and then `safe_block`.
- `markdown_text`, `markdown_code`: literal text for Markdown (GitHub flavoured): no markup,
  no HTML, no table break, no code span that ends early.
- `sarif_text`: a SARIF message's `text`, whose viewers read `[text](id)` as a link.
- `safe_json`: serialized JSON with every such character inside a string written as a
  `\\uXXXX` escape: the same data for any parser, nothing raw for a terminal.

Textual markup (`[bold]`, `[@click=...]`) is not escaped here: the terminal UI never parses
markup in data (it shows rich Text objects and textual Content built from plain strings).
"""

from __future__ import annotations

import re

from diagnose.secrets import scrub_text

_C0 = "\x00-\x1f"  # C0, tab and newline included
UNSAFE_CHARACTERS = _C0 + (
    "\x7f-\x9f"  # DEL, C1
    "\u00ad"  # soft hyphen: invisible
    "\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"  # Arabic format characters, ALM
    "\u180e"  # Mongolian vowel separator: zero width
    "\u200b-\u200f"  # zero-width space, non-joiner, joiner; LRM, RLM
    "\u2028\u2029"  # line and paragraph separators
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u206f"  # word joiner, invisible operators, bidi isolates, ...
    "\ufeff"  # zero-width no-break space (byte order mark)
    "\ufff9-\ufffb"  # interlinear annotation controls
    "\ud800-\udfff"  # lone surrogates: no terminal encoding can even print them
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f"  # tag characters: invisible copies of ASCII
)
"""Every character that controls a terminal, reorders text or is invisible: all of Unicode's
Cc, Cf, Zl, Zp and Cs categories (tests/test_hostile_text.py checks this against unicodedata)."""

UNSAFE = re.compile(f"[{UNSAFE_CHARACTERS}]")
_BLOCK_UNSAFE = re.compile(f"[\x00-\x09\x0b-\x1f{UNSAFE_CHARACTERS[len(_C0) :]}]")
"""UNSAFE but for the newline, which a block keeps."""
_NAMED = {"\n": "\\n", "\t": "\\t"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#+|~])")
_MARKDOWN_LINE_START = re.compile(r"^(?:[-=]|(\d{1,9})([.)])(?=\s|$))")
_BACKTICKS = re.compile(r"`+")


def is_unsafe(character: str) -> bool:
    """Whether a character could control a terminal, reorder text or hide in it."""
    return UNSAFE.match(character) is not None


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    named = _NAMED.get(character)
    if named:
        return named
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def safe_text(value: object) -> str:
    """One line with every unsafe character (newlines too) shown as a visible escape."""
    text = value if isinstance(value, str) else str(value)
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(_escape, text)


def safe_block(value: object) -> str:
    """Several lines: line breaks (`\\n`, `\\r\\n`) kept, every other unsafe character escaped."""
    text = value if isinstance(value, str) else str(value)
    if _BLOCK_UNSAFE.search(text) is None:
        return text
    return "\n".join(safe_text(line) for line in text.replace("\r\n", "\n").split("\n"))


def safe_message(value: object) -> str:
    """A message to print: credentials removed, then safe_block."""
    return safe_block(scrub_text(value if isinstance(value, str) else str(value)))


def markdown_text(value: object) -> str:
    """Text that Markdown shows literally: every character that could start markup, HTML,
    an entity, a link or a table cell is escaped, and so is a line start that would begin a
    list, a heading underline or a rule. The result is one line."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", safe_text(value)).replace("&", "&amp;")
    return _MARKDOWN_LINE_START.sub(
        lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(0)}", text
    )


def markdown_code(value: object) -> str:
    """An inline code span showing the text verbatim (backslashes and HTML have no meaning
    inside one): the fence is one backtick longer than any run inside. Not for table cells,
    where a `|` would still end the cell."""
    text = safe_text(value)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    if (
        text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip())
    ):
        text = f" {text} "  # a space each side, which the parser strips
    return f"{fence}{text}{fence}"


def sarif_text(value: object) -> str:
    """A SARIF message `text`: one line, and the square brackets escaped (SARIF 2.1.0
    §3.11.6: viewers read `[text](id)` as an embedded link)."""
    return re.sub(r"([\[\]])", r"\\\1", safe_text(value))


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes a character beyond the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


# JSON's whitespace (tab, newline, carriage return) may stand between tokens: left alone.
_JSON_UNSAFE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{UNSAFE_CHARACTERS[len(_C0) :]}]")


def safe_json(serialized: str) -> str:
    """JSON text (from json.dumps(ensure_ascii=False) or orjson) with every unsafe character
    escaped. Encoders already escape C0 controls inside strings, and outside strings JSON has
    only ASCII, so what is left are C1 controls, bidi, invisible characters and lone
    surrogates inside strings: `\\u` escapes decode to exactly the same strings."""
    if serialized.isascii() or _JSON_UNSAFE.search(serialized) is None:
        # isascii() is O(1) on CPython's compact strings, and everything _JSON_UNSAFE finds is
        # outside ASCII: a large report of ASCII names skips a scan that costs ~0.4 s at 30 MB.
        return serialized
    return _JSON_UNSAFE.sub(_json_escape, serialized)
