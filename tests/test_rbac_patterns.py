"""Role Actions/NotActions patterns: the linear-time matcher agrees with the regular expression
the tool used to build from each pattern (kept here as the oracle), and a hostile pattern
(many stars, long operations) costs work linear in the operation's length."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.rbac.patterns import compile_glob, first_match, glob_matches, matches


def oracle(pattern: str, operation: str) -> bool:
    """The former implementation: `*` compiled to `.*`, case-insensitive, anchored."""
    body = ".*".join(re.escape(part) for part in pattern.strip().split("*"))
    return re.compile(f"(?:{body})\\Z", re.IGNORECASE | re.DOTALL).match(operation) is not None


# A small alphabet makes overlaps, repeats and near misses likely; both cases test folding.
ALPHABET = "aAbB/.*"
patterns = st.text(alphabet=ALPHABET, max_size=12)
operations = st.text(alphabet=ALPHABET.replace("*", "") + "\n", max_size=16)


@settings(max_examples=3000, deadline=None)
@given(patterns, operations)
def test_the_matcher_agrees_with_the_regex_oracle(pattern: str, operation: str) -> None:
    assert matches(pattern, operation) is oracle(pattern, operation)


@settings(max_examples=500, deadline=None)
@given(st.lists(patterns, max_size=5), operations)
def test_first_match_is_the_first_pattern_the_oracle_accepts(
    pattern_list: list[str], operation: str
) -> None:
    expected = next((p for p in pattern_list if oracle(p, operation)), None)
    assert first_match(tuple(pattern_list), operation) == expected


def test_azure_shaped_patterns() -> None:
    operation = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"
    assert matches("microsoft.cognitiveservices/*", operation)
    assert matches("*/action", operation)
    assert matches("Microsoft.CognitiveServices/*/OpenAI/*/action", operation)
    assert matches("  Microsoft.CognitiveServices/*  ", operation)  # surrounding blanks ignored
    assert not matches("*/read", operation)
    assert not matches("Microsoft.CognitiveServices/accounts", operation)  # anchored at the end
    assert not matches("CognitiveServices/*", operation)  # anchored at the start
    # prefix and suffix may not share characters: 'ab*ba' needs at least four
    assert not matches("ab*ba", "aba") and matches("ab*ba", "abba")
    assert matches("*", "") and not matches("", "x") and matches("", "")


def test_consecutive_stars_collapse() -> None:
    assert compile_glob("a***b**c*") == compile_glob("a*b*c*")


class CountingOperation(str):
    """An operation that counts the characters its searches pass over."""

    scanned = 0
    calls = 0

    def find(self, piece: str, start: int = 0, end: int | None = None) -> int:  # type: ignore[override]
        found = str.find(self, piece, start, end)
        stop = len(self) if end is None else end
        CountingOperation.calls += 1
        CountingOperation.scanned += (stop - start) if found < 0 else found + len(piece) - start
        return found


def test_fifty_stars_against_ten_thousand_characters_is_linear_work() -> None:
    # Every middle piece is found at once but the suffix never is: a backtracking regex
    # (a.*a.*a...b) would try every way to place 50 pieces in 10,000 characters.
    pattern = "a" + "*a" * 50 + "*b"
    operation = "a" * 10_000
    glob = compile_glob(pattern)
    CountingOperation.scanned = CountingOperation.calls = 0
    assert not glob_matches(glob, CountingOperation(operation))
    assert CountingOperation.calls == 0  # the suffix test alone decides
    # the suffix is there, but one piece is not: one pass, never more than the operation
    pattern = "*" + "a*" * 50 + "c*" + "b"
    operation = "a" * 10_000 + "b"
    CountingOperation.scanned = CountingOperation.calls = 0
    assert not glob_matches(compile_glob(pattern), CountingOperation(operation))
    assert CountingOperation.calls <= 51
    assert CountingOperation.scanned <= len(operation) + 51
    assert not oracle("*a*c*b", "a" * 50 + "b")  # the oracle agrees on a size it can afford


def test_hostile_patterns_finish_fast() -> None:
    operation = "Microsoft.Authorization/" + "a" * 10_000 + "/write"
    hostile = (
        "*" * 50,
        "*a" * 50 + "*x",
        "M*i*c*r*o*s*o*f*t*" * 5 + "/read",
        "*" + "*".join("a" * 10 for _ in range(50)) + "*read",
    )
    start = time.perf_counter()
    for _ in range(100):
        results = [matches(pattern, operation) for pattern in hostile]
    assert time.perf_counter() - start < 0.5  # generous: about a millisecond in practice
    assert results == [True, False, False, False]
