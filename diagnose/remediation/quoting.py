"""Quoting for the four languages a fix is printed in, so that names from Azure stay data.

Every value that comes from Azure (names inside scope ids, principal ids, role ids, summaries)
goes through one of these functions before it reaches a command, always, even when it looks
harmless (a GUID today may be a hostile string in a crafted snapshot tomorrow).

- `bash`: single quotes, `'` written as `'\\''`. A value holding a control character, a line or
  paragraph separator or a bidirectional-override character is written in ANSI-C quotes
  (`$'...'`) with those characters as `\\xHH` bytes (their UTF-8 encoding), so every command
  stays on one line and nothing invisible hides in it. NUL cannot be passed as an argument at all:
  `bash` refuses it.
- `powershell`: single quotes, doubling `'` and the typographic single quotes U+2018..U+201B,
  which PowerShell also treats as quotes. Single-quoted strings have no other escapes, so a value
  with control characters becomes a parenthesised concatenation of literals and
  `[char]0xHHHH`, e.g. `('a' + [char]0x000A + 'b')`, valid wherever an argument is expected.
- `bicep`: single quotes; `\\`, `'` and the `$` of `${` are escaped with a backslash, control
  characters as `\\n`, `\\r`, `\\t` or `\\u{HH}`.
- `hcl` (Terraform): double quotes; `\\` and `"` escaped, control characters as `\\n`, `\\r`,
  `\\t` or `\\uHHHH`. Template sequences are neutralised: `${` becomes `$${` and `%{` becomes
  `%%{` when a `}` follows later in the value; otherwise they are written `\\u0024{` and
  `\\u0025{` (the same literal text for Terraform; python-hcl2, which the tests parse with,
  mis-reads a `$${` that no `}` closes).
- `comment`: text for a `#` or `//` comment, with every line break and invisible character made
  visible, so a summary can never end its comment line.
- `identifier`: a Bicep symbolic name or Terraform label, `prefix_slug_hash`: ASCII letters,
  digits and underscores, starting with a letter, stable for the same input and distinct for
  different inputs.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import lru_cache

_SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")
_SINGLE_QUOTE_RE = re.compile("['\u2018\u2019\u201a\u201b]")

_EXTRA_INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(_EXTRA_INVISIBLE)) + "]")
# Fast paths: a value without any of these characters is quoted by plain wrapping, which is
# exactly what the character loops below would produce for it.
_BICEP_SPECIAL = re.compile(_UNSAFE.pattern[:-1] + "\\\\'$]")
_HCL_SPECIAL = re.compile(_UNSAFE.pattern[:-1] + '\\\\"$%]')


def is_unsafe(ch: str) -> bool:
    """Whether a character could break a line, hide text or reorder what a reader sees."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or ch in _EXTRA_INVISIBLE


def _has_unsafe(value: str) -> bool:
    # ASCII text is unsafe exactly when it holds a control character (0x00-0x1F, 0x7F), which
    # isprintable finds faster than the pattern (every character _UNSAFE names beyond those
    # is not ASCII); summaries of a few hundred characters are asked about thousands of times.
    if value.isascii():
        return not value.isprintable()
    return _UNSAFE.search(value) is not None


@lru_cache(maxsize=4096)
def bash(value: str) -> str:
    """A bash (and POSIX-sh-compatible when printable) word that expands to exactly `value`."""
    if "\x00" in value:
        raise ValueError("a NUL character cannot be passed in a command-line argument")
    if not _has_unsafe(value):
        return "'" + value.replace("'", "'\\''") + "'"
    out = ["$'"]
    for ch in value:
        if is_unsafe(ch):
            out.append("".join(f"\\x{byte:02x}" for byte in ch.encode("utf-8")))
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        else:
            out.append(ch)
    out.append("'")
    return "".join(out)


def _ps_literal(text: str) -> str:
    if not _SINGLE_QUOTE_RE.search(text):
        return "'" + text + "'"
    return "'" + "".join(ch + ch if ch in _SINGLE_QUOTES else ch for ch in text) + "'"


@lru_cache(maxsize=4096)
def powershell(value: str) -> str:
    """A PowerShell expression (usable as a cmdlet argument) whose value is exactly `value`."""
    if not _has_unsafe(value):
        return _ps_literal(value)
    parts: list[str] = []
    run: list[str] = []
    for ch in value:
        if is_unsafe(ch):
            if run or not parts:
                parts.append(_ps_literal("".join(run)))
                run = []
            parts.append(f"[char]0x{ord(ch):04X}")
        else:
            run.append(ch)
    if run:
        parts.append(_ps_literal("".join(run)))
    return "(" + " + ".join(parts) + ")"


_BICEP_SIMPLE = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@lru_cache(maxsize=4096)
def bicep(value: str) -> str:
    """A Bicep single-quoted string literal whose value is exactly `value`."""
    if _BICEP_SPECIAL.search(value) is None:
        return "'" + value + "'"
    out = ["'"]
    for index, ch in enumerate(value):
        if ch in _BICEP_SIMPLE:
            out.append(_BICEP_SIMPLE[ch])
        elif ch == "$" and value[index + 1 : index + 2] == "{":
            out.append("\\$")
        elif is_unsafe(ch):
            out.append(f"\\u{{{ord(ch):X}}}")
        else:
            out.append(ch)
    out.append("'")
    return "".join(out)


_HCL_SIMPLE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@lru_cache(maxsize=4096)
def hcl(value: str) -> str:
    """A Terraform (HCL native syntax) quoted string whose value is exactly `value`."""
    if _HCL_SPECIAL.search(value) is None:
        return '"' + value + '"'
    out = ['"']
    for index, ch in enumerate(value):
        if ch in _HCL_SIMPLE:
            out.append(_HCL_SIMPLE[ch])
        elif ch in "$%" and value[index + 1 : index + 2] == "{":
            closed = "}" in value[index + 2 :]
            out.append(ch + ch if closed else f"\\u{ord(ch):04X}")
        elif is_unsafe(ch):
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_COMMENT_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@lru_cache(maxsize=1024)
def comment(text: str) -> str:
    """`text` made safe to follow `#` or `//`: one line, every invisible character visible."""
    if not _has_unsafe(text):
        return text
    out = []
    for ch in text:
        if ch in _COMMENT_NAMED:
            out.append(_COMMENT_NAMED[ch])
        elif is_unsafe(ch):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@lru_cache(maxsize=4096)
def identifier(prefix: str, hint: str, *key: str) -> str:
    """A symbolic name: `prefix`, a readable slug of `hint`, and a hash of everything given.

    The hash covers the prefix, the hint and every key, so two different inputs get two
    different names and the same input always gets the same one.
    """
    if not _PREFIX.match(prefix):
        raise ValueError(f"identifier prefix {prefix!r} must start with a letter")
    material = json.dumps([prefix, hint, *key]).encode("ascii")
    digest = hashlib.sha256(material).hexdigest()[:10]
    slug = _slug(hint)
    return f"{prefix}_{slug}_{digest}" if slug else f"{prefix}_{digest}"


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def _slug(hint: str) -> str:
    """The readable part of an identifier (a few role names recur across thousands of fixes)."""
    ascii_hint = unicodedata.normalize("NFKD", hint).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("_", ascii_hint.lower()).strip("_")[:32].strip("_")
