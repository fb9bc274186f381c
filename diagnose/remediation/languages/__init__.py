"""The fix languages, one module each: adding a language is adding one module here.

Every module of this package whose name does not start with `_` is a language: it defines
`LANGUAGE`, a `FixLanguage` whose `render` turns a classified fix (`diagnose.remediation.fixes`)
into copy-pasteable text. `fix_languages()` finds them, in `order`; the report's `commands`
object, the Markdown report, the TUI's tabs, keys and palette all come from that list.

The output is deterministic (the same fix always gives the same text), and every value that came
from Azure is quoted for its language by `diagnose.remediation.quoting`.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from diagnose.remediation.quoting import comment

if TYPE_CHECKING:
    from diagnose.engine.api import Remediation
    from diagnose.remediation.fixes import Fix


@dataclass(frozen=True)
class FixLanguage:
    """One language a fix is written in."""

    name: str
    """The short id a front end picks the language by (the TUI's tab id), e.g. "cli"."""
    key: str
    """The key of its text in a fix's `commands` (and the report JSON), e.g. "azureCli"."""
    label: str
    """What a person calls it, e.g. "Azure CLI"."""
    description: str
    """What its text is, in a few words, e.g. "fix commands for the Azure CLI"."""
    fence: str
    """The Markdown code fence's language, e.g. "bash"."""
    comment: str
    """What starts a comment line, e.g. "#"."""
    order: int
    """Where it stands among the languages (tabs, report keys): lower first."""
    render: Callable[[Fix], str] = field(repr=False, compare=False)
    """The fix as text in this language, ending with a newline."""

    def text(self, fix: Remediation) -> str:
        """This language's text of a fix whose commands were rendered, '' when it has none."""
        return fix.commands[self.key] if fix.commands is not None else ""

    def plan_script(self, fixes: Sequence[Remediation]) -> str:
        """A fix plan as one script in this language: each change once, under a comment that
        numbers it and says whether it was verified."""
        chunks = []
        for number, fix in enumerate(fixes, 1):
            state = "verified" if fix.verified else "NOT verified"
            summary = " ".join(fix.summary.split())
            header = f"{self.comment} {number}/{len(fixes)} ({state}): {summary}"
            body = self.text(fix).rstrip()
            chunks.append(header + ("\n" + body if body else f"\n{self.comment} (no command)"))
        return "\n\n".join(chunks) + ("\n" if chunks else "")


@cache
def fix_languages() -> tuple[FixLanguage, ...]:
    """Every language in this package, in order."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_"):
            continue
        language = getattr(importlib.import_module(f"{__name__}.{module.name}"), "LANGUAGE", None)
        if not isinstance(language, FixLanguage):
            raise TypeError(
                f"{__name__}.{module.name} defines no LANGUAGE (a FixLanguage); "
                "name a helper module with a leading '_'"
            )
        found.append(language)
    languages = tuple(sorted(found, key=lambda language: (language.order, language.name)))
    for attribute in ("name", "key"):
        values = [getattr(language, attribute) for language in languages]
        if len(set(values)) != len(values):
            raise ValueError(f"two fix languages share a {attribute}: {values}")
    return languages


def language_named(name: str) -> FixLanguage:
    """The language with this short id (KeyError when there is none)."""
    for language in fix_languages():
        if language.name == name:
            return language
    raise KeyError(name)


# Line helpers every language uses.


def comments(prefix: str, lines: Sequence[str]) -> list[str]:
    """Comment lines; `quoting.comment` keeps each text on its own line."""
    return [f"{prefix} {comment(line)}".rstrip() for line in lines]


def text(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n"


def to_json(value: Any) -> str:
    """Compact JSON, as a request body or a `--set` value carries it."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))
