"""The error messages the tool recognises, what they usually mean, and which checks look at
that cause, derived from the registered checks: each check declares the error texts it explains
(`@check(..., explains=(...))`, diagnose.engine.errortexts), so this table lists nothing by hand
and a new check's texts are recognised as soon as the check is.

Order, which decides the first match and how `diagnose explain` lists them: texts in the order
the checks that declare them are registered (by id, each check's texts as it lists them), the
broad ones (ErrorText.broad) last. A text's checks are the registered checks declaring it, by id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnose.engine.api import CheckInfo
from diagnose.engine.errortexts import ErrorText
from diagnose.engine.registry import load_checks


@dataclass(frozen=True)
class ErrorPattern:
    name: str
    example: str
    where: str
    cause: str
    fix: str
    checks: tuple[str, ...]
    regex: re.Pattern[str]
    data_action: bool | None = None
    """Whether the operation the message names is a data action (None: it names none)."""
    no_role: bool = False
    """No role assignment fixes it (diagnose.engine.errortexts.ErrorText.no_role)."""
    implies: str | None = None
    """The operation a message that names none stands for."""
    roles: tuple[str, ...] = ()
    """Role definition GUIDs the docs name for it, most preferred first."""
    related_findings: bool = True
    """Whether the declaring checks' findings bear on it (ErrorText.related_findings)."""


def patterns(checks: list[CheckInfo] | None = None) -> tuple[ErrorPattern, ...]:
    """The error patterns of these checks (default: every registered check)."""
    if checks is None:
        checks, _ = load_checks()
    declared: dict[ErrorText, list[str]] = {}
    for info in sorted(checks, key=lambda c: c.id):
        for text in info.explains:
            ids = declared.setdefault(text, [])
            if info.id not in ids:
                ids.append(info.id)
    ordered = sorted(declared, key=lambda text: text.broad)  # stable: registry order kept
    return tuple(
        ErrorPattern(
            text.name,
            text.example,
            text.where,
            text.cause,
            text.fix,
            tuple(declared[text]),
            text.compiled,
            text.data_action,
            text.no_role,
            text.implies,
            text.roles,
            text.related_findings,
        )
        for text in ordered
    )


def recognise(
    text: str, checks: list[CheckInfo] | None = None
) -> tuple[ErrorPattern, dict[str, str]] | None:
    for pattern in patterns(checks):
        match = pattern.regex.search(text)
        if match:
            return pattern, {k: v for k, v in match.groupdict().items() if v}
    return None


def __getattr__(name: str) -> tuple[ErrorPattern, ...]:
    # `PATTERNS` stays importable; computed on use so importing this module loads no check.
    if name == "PATTERNS":
        return patterns()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
