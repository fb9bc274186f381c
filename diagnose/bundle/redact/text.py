"""Free text and ABAC conditions: identifiers and known names found inside text and replaced.

Part of diagnose.bundle.redact (see its package docstring for the policy). A scan recognises
URLs, ARM ids, e-mail addresses, GUIDs, IPv4 addresses and words; a word (or a phrase of
several) that is a name learnt from the structured fields (learning.py) gets that name's alias;
everything else stays. In an ABAC condition, operation names inside ActionMatches clauses stay
and literal values elsewhere are replaced. Builds on hosts.py, which builds on arm.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from diagnose.bundle.redact.arm import ARM_IN_TEXT
from diagnose.bundle.redact.hosts import Hosts
from diagnose.bundle.redact.identifiers import FULL_GUID, GUID
from diagnose.bundle.redact.vocabulary import STOPWORDS

_TEXT_PARTS = (
    r"(?P<url>\b[a-z][a-z0-9+.-]*://[^\s\"'<>`]+)"
    rf"|(?P<arm>{ARM_IN_TEXT})"
    r"|(?P<email>(?<![\w.+#%'-])[\w.+#%'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
    rf"|(?P<guid>(?<![0-9A-Za-z]){GUID}(?![0-9A-Za-z]))"
    r"|(?P<ip>(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]))"
    r"|(?P<word>[\w-]+)"
)
_TEXT = re.compile(_TEXT_PARTS, re.IGNORECASE)
_WORD = re.compile(r"[\w-]+")
_CONDITION_ACTIONS = re.compile(r"(?:Sub)?(?:Operation|Action)Matches\s*\{[^}]*\}", re.IGNORECASE)
_CONDITION_LITERAL = re.compile(
    rf"'([^']*)'|\"([^\"]*)\"|(?<![0-9A-Za-z])({GUID})"
    r"(?![0-9A-Za-z])"
)


class FreeText(Hosts):
    """Redacts free text, with a matcher of the names learnt so far."""

    def __init__(self, key: bytes, keep_guids: Iterable[str] = ()) -> None:
        super().__init__(key, keep_guids)
        self._words: dict[str, str] = {}
        self._phrases: dict[str, list[str]] = {}
        """First word (case-folded) -> names of several words starting with it, longest
        first: found in free text without one huge alternation."""
        self._texts: dict[str, str] = {}
        """text() results: an original's alias never changes once made, so neither does the
        redaction of a string (large snapshots repeat scopes and role ids many times)."""

    def _index(self, original: str, alias: str) -> None:
        """Make a name findable inside free text."""
        folded = original.casefold()
        if len(folded) < 3 or folded in STOPWORDS or "@" in folded or FULL_GUID.match(folded):
            return
        if re.fullmatch(r"[\w-]+", folded):
            if not folded.isdigit():
                self._words[folded] = alias
        else:
            first = _WORD.match(folded)
            if first is not None and first.start() == 0:
                group = self._phrases.setdefault(first.group(0), [])
                if folded not in group:
                    group.append(folded)
                    group.sort(key=lambda p: (-len(p), p))

    def text(self, value: str) -> str:
        """Free text: ids, URLs, e-mail addresses, GUIDs, addresses and known names inside
        it are replaced; everything else stays."""
        done = self._texts.get(value)
        if done is None:
            done = self._texts[value] = self._scan(value)
        return done

    def _scan(self, value: str) -> str:
        out, position = [], 0
        while True:
            match = _TEXT.search(value, position)
            if match is None:
                out.append(value[position:])
                return "".join(out)
            start = match.start()
            out.append(value[position:start])
            if match.lastgroup == "word":
                phrase = self._phrase_at(value, start, match.group(0))
                if phrase is not None:
                    out.append(self._aliases[phrase])
                    position = start + len(phrase)
                    continue
            out.append(self._replace(match))
            position = match.end()

    def _phrase_at(self, value: str, start: int, word: str) -> str | None:
        for phrase in self._phrases.get(word.casefold(), ()):
            end = start + len(phrase)
            if value[start:end].casefold() == phrase and not (
                end < len(value) and (value[end].isalnum() or value[end] in "_-")
            ):
                return phrase
        return None

    def _replace(self, match: re.Match[str]) -> str:
        group = match.lastgroup
        found = match.group(0)
        if group == "url":
            return self._url(found)
        if group == "arm":
            return self.arm_path(found)
        if group == "email":
            return self.name(found, "email")
        if group == "guid":
            return self.guid(found)
        if group == "ip":
            return self.ip(found)
        return self._words.get(found.casefold(), found)

    def condition(self, condition: str) -> str:
        """An ABAC condition: operation names in ActionMatches clauses stay, literal values
        and GUIDs elsewhere are replaced."""
        out, last = [], 0
        for match in _CONDITION_ACTIONS.finditer(condition):
            out.append(self._condition_values(condition[last : match.start()]))
            out.append(match.group(0))
            last = match.end()
        out.append(self._condition_values(condition[last:]))
        return "".join(out)

    def _condition_values(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(3):
                return self.guid(match.group(3))
            quote_char = "'" if match.group(1) is not None else '"'
            literal = match.group(1) if match.group(1) is not None else match.group(2)
            return (
                quote_char + self.whole(literal, "value") + quote_char
                if literal
                else match.group(0)
            )

        return _CONDITION_LITERAL.sub(replace, text)
