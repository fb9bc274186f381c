"""Quoting for bash, PowerShell, Bicep and Terraform: every value comes back exactly.

bash is checked by bash itself. PowerShell and Bicep are checked by reference un-quoters
written here from each language's documented rules (about_Quoting_Rules; the Bicep data types
page's escape table), Terraform by python-hcl2 plus the HCL native syntax escapes and, when
`terraform` is installed, by Terraform itself.
"""

from __future__ import annotations

import base64
import json
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import hcl2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.remediation import quoting
from diagnose.remediation.quoting import bash, bicep, comment, hcl, identifier, powershell

HOSTILE = [
    "$(touch pwned)",
    "`touch pwned`",
    "'",
    '"',
    ";",
    "&&",
    "|",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\x07",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\u2018",
    "\u2019",
    "\u201a",
    "\u201b",
    "\u201c",
    "\u201d",
    "${var}",
    "${",
    "$${x}",
    "%{ if true }",
    "%{",
    "%%{",
    "}",
    "{",
    "\\",
    "\\'",
    "'\\''",
    "$'\\x41'",
    "!",
    "!!",
    "$HOME",
    "${HOME}",
    "*",
    "?",
    "[",
    "~",
    "#",
    "//",
    "/*",
    "*/",
    "<#",
    "#>",
    "-h",
    "--",
    "@'",
    "'@",
    "`",
    "`n",
    "$false",
    "(",
    ")",
    "[char]0x41",
    " + ",
    "é",
    "日本",
    "\U0001f600",
]

_TEXT = st.characters(exclude_categories=("Cs",))
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(_TEXT, max_size=4)),
    max_size=8,
).map("".join)
nul_free_text = hostile_text.map(lambda s: s.replace("\x00", ""))

EXAMPLES = settings(max_examples=150, deadline=None)


# --------------------------------------------------------------------------------------------
# Reference un-quoters, from each language's documented rules

PS_QUOTES = "'\u2018\u2019\u201a\u201b"
"""about_Quoting_Rules: PowerShell treats these four typographic quotes as single quotes."""


def ps_single(text: str, start: int) -> tuple[str, int]:
    """A single-quoted PowerShell string at `start`: two quote characters in a row are one
    quote in the value; nothing else is special. Returns the value and the index after it."""
    if text[start] not in PS_QUOTES:
        raise ValueError(f"no single-quoted string at {start}")
    index, out = start + 1, []
    while True:
        if index >= len(text):
            raise ValueError("unterminated single-quoted string")
        ch = text[index]
        if ch in PS_QUOTES:
            if index + 1 < len(text) and text[index + 1] in PS_QUOTES:
                out.append(text[index + 1])
                index += 2
                continue
            return "".join(out), index + 1
        out.append(ch)
        index += 1


def ps_unquote(expression: str) -> str:
    """The value of a single-quoted literal, or of a parenthesised `+` concatenation of
    single-quoted literals and `[char]0xHHHH` casts."""
    if expression[:1] in PS_QUOTES:
        value, end = ps_single(expression, 0)
        if end != len(expression):
            raise ValueError(f"trailing text after the literal: {expression[end:]!r}")
        return value
    if not (expression.startswith("(") and expression.endswith(")")):
        raise ValueError(f"not a PowerShell literal: {expression!r}")
    index, parts = 1, []
    while True:
        if expression[index] in PS_QUOTES:
            value, index = ps_single(expression, index)
            parts.append(value)
        else:
            match = re.compile(r"\[char\]0x([0-9A-Fa-f]{1,4})").match(expression, index)
            if not match:
                raise ValueError(f"unexpected term at {index}: {expression[index:]!r}")
            parts.append(chr(int(match.group(1), 16)))
            index = match.end()
        if expression.startswith(" + ", index):
            index += 3
        elif index == len(expression) - 1:
            return "".join(parts)
        else:
            raise ValueError(f"unexpected text at {index}: {expression[index:]!r}")


BICEP_ESCAPES = {"\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}


def bicep_string(text: str, start: int) -> tuple[str, int]:
    """A Bicep single-quoted string at `start` (escapes: \\\\ \\' \\n \\r \\t \\u{x} \\$; an
    unescaped `${` is interpolation and a raw line break is an error)."""
    if text[start] != "'" or text.startswith("'''", start):
        raise ValueError(f"no single-line Bicep string at {start}")
    index, out = start + 1, []
    while True:
        if index >= len(text):
            raise ValueError("unterminated Bicep string")
        ch = text[index]
        if ch == "'":
            return "".join(out), index + 1
        if ch in "\r\n":
            raise ValueError("line break inside a Bicep string")
        if ch == "$" and text.startswith("{", index + 1):
            raise ValueError("interpolation inside a Bicep string")
        if ch == "\\":
            escape = text[index + 1 : index + 2]
            if escape in BICEP_ESCAPES:
                out.append(BICEP_ESCAPES[escape])
                index += 2
                continue
            match = re.compile(r"u\{([0-9A-Fa-f]{1,6})\}").match(text, index + 1)
            if not match or int(match.group(1), 16) > 0x10FFFF:
                raise ValueError(f"invalid Bicep escape at {index}")
            out.append(chr(int(match.group(1), 16)))
            index = match.end()
            continue
        out.append(ch)
        index += 1


def bicep_unquote(literal: str) -> str:
    value, end = bicep_string(literal, 0)
    if end != len(literal):
        raise ValueError("trailing text after the Bicep string")
    return value


HCL_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def hcl_unquote(token: str) -> str:
    """The value of an HCL quoted template with no interpolation (HCL native syntax spec:
    escapes \\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN; `$${` and `%%{` are literal `${` and `%{`,
    while a lone `${` or `%{` would begin a template sequence)."""
    if not (len(token) >= 2 and token[0] == '"' and token[-1] == '"'):
        raise ValueError(f"not a quoted HCL string: {token!r}")
    body, index, out = token[1:-1], 0, []
    while index < len(body):
        ch = body[index]
        if ch == "\\":
            escape = body[index + 1 : index + 2]
            if escape in HCL_ESCAPES:
                out.append(HCL_ESCAPES[escape])
                index += 2
                continue
            width = {"u": 4, "U": 8}.get(escape)
            digits = body[index + 2 : index + 2 + width] if width else ""
            if not width or not re.fullmatch(r"[0-9A-Fa-f]+", digits) or len(digits) != width:
                raise ValueError(f"invalid HCL escape at {index}")
            out.append(chr(int(digits, 16)))
            index += 2 + width
            continue
        if ch in "$%" and body.startswith(ch + ch + "{", index):
            out.append(ch + "{")
            index += 3
            continue
        if ch in "$%" and body.startswith("{", index + 1):
            raise ValueError("template sequence inside the string")
        if ch in '"\r\n':
            raise ValueError(f"raw {ch!r} inside an HCL string")
        out.append(ch)
        index += 1
    return "".join(out)


def _one_line(text: str) -> bool:
    return len(text.splitlines()) <= 1 and not text.endswith(("\n", "\r"))


# --------------------------------------------------------------------------------------------
# The reference un-quoters themselves


def test_reference_unquoters_follow_the_documented_rules():
    assert ps_unquote("'it''s'") == "it's"
    assert ps_unquote("'it\u2019\u2019s'") == "it\u2019s"
    assert ps_unquote("('a' + [char]0x000A + 'b')") == "a\nb"
    with pytest.raises(ValueError):
        ps_unquote("'it's'")
    assert bicep_unquote(r"'what\'s \${x} \u{1F600}'") == "what's ${x} \U0001f600"
    for bad in ("'${x}'", "'a\nb'", r"'\q'", "'open"):
        with pytest.raises(ValueError):
            bicep_unquote(bad)
    assert hcl_unquote(r'"a\"b $${c} %%{d} \u0024{"') == 'a"b ${c} %{d} ${'
    for bad in ('"${x}"', '"%{ if }"', '"a\nb"', r'"\q"'):
        with pytest.raises(ValueError):
            hcl_unquote(bad)


# --------------------------------------------------------------------------------------------
# bash


def _bash_words(quoted: list[str]) -> list[bytes]:
    script = "printf '%s\\0' " + " ".join(quoted) + "\n"
    with tempfile.TemporaryDirectory() as cwd:
        result = subprocess.run(
            ["bash", "-c", script],
            capture_output=True,
            cwd=cwd,
            check=True,
            stdin=subprocess.DEVNULL,
            timeout=20,
        )
        assert list(Path(cwd).iterdir()) == []
    return result.stdout.split(b"\0")[:-1]


def test_bash_plain_values_use_single_quotes():
    assert bash("") == "''"
    assert bash("/subscriptions/0000") == "'/subscriptions/0000'"
    assert bash("it's") == "'it'\\''s'"
    assert bash("$(touch x) `y` ${z}") == "'$(touch x) `y` ${z}'"


def test_bash_control_characters_use_ansi_c_quotes_on_one_line():
    assert bash("a\nb") == "$'a\\x0ab'"
    assert bash("it's\t\\") == "$'it\\'s\\x09\\\\'"
    assert bash("x\u2028y") == "$'x\\xe2\\x80\\xa8y'"
    assert _bash_words([bash("a\nb"), bash("\u202e'\\")]) == [b"a\nb", "\u202e'\\".encode()]


def test_bash_refuses_nul():
    with pytest.raises(ValueError):
        bash("a\x00b")


@EXAMPLES
@given(st.lists(nul_free_text, min_size=1, max_size=8))
def test_bash_round_trip(values):
    quoted = [bash(value) for value in values]
    assert all(_one_line(q) for q in quoted)
    assert _bash_words(quoted) == [value.encode("utf-8") for value in values]


# --------------------------------------------------------------------------------------------
# PowerShell


def test_powershell_doubles_every_kind_of_single_quote():
    assert powershell("it's") == "'it''s'"
    assert powershell("\u2018a\u2019b\u201ac\u201bd") == (
        "'\u2018\u2018a\u2019\u2019b\u201a\u201ac\u201b\u201bd'"
    )
    assert powershell('"$(x)" `n $y') == "'\"$(x)\" `n $y'"


def test_powershell_control_characters_become_char_casts():
    assert powershell("a\nb") == "('a' + [char]0x000A + 'b')"
    assert powershell("\r") == "('' + [char]0x000D)"
    assert powershell("\u202e'") == "('' + [char]0x202E + '''')"


@EXAMPLES
@given(hostile_text)
def test_powershell_round_trip(value):
    quoted = powershell(value)
    assert _one_line(quoted)
    assert not any(quoting.is_unsafe(ch) for ch in quoted)
    assert ps_unquote(quoted) == value


# --------------------------------------------------------------------------------------------
# Bicep


def test_bicep_escapes():
    assert bicep("it's") == "'it\\'s'"
    assert bicep("${x} $y \\") == "'\\${x} $y \\\\'"
    assert bicep("a\nb\r\tc\x1b") == "'a\\nb\\r\\tc\\u{1B}'"


@EXAMPLES
@given(hostile_text)
def test_bicep_round_trip(value):
    quoted = bicep(value)
    assert _one_line(quoted)
    assert not any(quoting.is_unsafe(ch) for ch in quoted)
    assert bicep_unquote(quoted) == value


# --------------------------------------------------------------------------------------------
# Terraform / HCL


def test_hcl_escapes():
    assert hcl('a"b\\c') == '"a\\"b\\\\c"'
    assert hcl("${var} %{ if }") == '"$${var} %%{ if }"'
    assert hcl("${unclosed") == '"\\u0024{unclosed"'
    assert hcl("%{") == '"\\u0025{"'
    assert hcl("a\nb\x01") == '"a\\nb\\u0001"'


def _hcl_parsed(quoted: str) -> str:
    parsed = hcl2.loads(f'x = {quoted}\ny = "sentinel"\n')
    assert parsed["y"] == '"sentinel"', "the string swallowed the next line"
    return parsed["x"]


@EXAMPLES
@given(hostile_text)
def test_hcl_round_trip_through_python_hcl2(value):
    quoted = hcl(value)
    assert _one_line(quoted)
    assert not any(quoting.is_unsafe(ch) for ch in quoted)
    token = _hcl_parsed(quoted)
    assert token == quoted
    assert hcl_unquote(token) == value


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_hcl_round_trip_through_terraform(tmp_path):
    rng = random.Random(20250101)
    values = list(HOSTILE)
    alphabet = [*HOSTILE, "a", "b", "/", "-", "}", "{", "$", "%"]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(300)]
    values = [v.replace("\x00", "") for v in values]
    locals_block = "\n".join(f"  v{i} = {hcl(v)}" for i, v in enumerate(values))
    (tmp_path / "main.tf").write_text(f"locals {{\n{locals_block}\n}}\n", encoding="utf-8")
    expression = (
        "base64encode(jsonencode([" + ", ".join(f"local.v{i}" for i in range(len(values))) + "]))\n"
    )
    result = subprocess.run(
        ["terraform", "console"],
        input=expression,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={
            "TF_CLI_CONFIG_FILE": "/dev/null",
            "PATH": "/usr/bin:/bin:" + str(Path(shutil.which("terraform") or "").parent),
            "HOME": str(tmp_path),
            "CHECKPOINT_DISABLE": "1",
        },
    )
    assert result.returncode == 0, result.stderr
    encoded = result.stdout.strip().strip('"')
    assert json.loads(base64.b64decode(encoded)) == values


# --------------------------------------------------------------------------------------------
# Comments and identifiers


def test_comment_makes_line_breaks_visible():
    assert comment("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert comment("x\x1b[31m\u2028\u202e") == "x\\x1b[31m\\u2028\\u202e"


@EXAMPLES
@given(hostile_text)
def test_comment_stays_on_one_line(value):
    text = comment(value)
    assert _one_line(text)
    assert not any(quoting.is_unsafe(ch) for ch in text)


IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def test_identifier_shape():
    name = identifier("ra", "Cognitive Services OpenAI User", "p", "r", "/s")
    assert re.fullmatch(r"ra_cognitive_services_openai_user_[0-9a-f]{10}", name)
    assert identifier("ra", "日本", "x") == identifier("ra", "日本", "x")
    assert re.fullmatch(r"ra_[0-9a-f]{10}", identifier("ra", "日本", "x"))
    for bad in ("", "1x", "_x", "a-b"):
        with pytest.raises(ValueError):
            identifier(bad, "hint")


@EXAMPLES
@given(st.tuples(hostile_text, hostile_text), st.tuples(hostile_text, hostile_text))
def test_identifier_is_stable_and_distinct(first, second):
    a = identifier("ra", *first)
    assert IDENTIFIER.match(a)
    assert a == identifier("ra", *first)
    if first != second:
        assert a != identifier("ra", *second)
