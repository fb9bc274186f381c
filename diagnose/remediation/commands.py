"""Render a structured fix (`Remediation`) in every fix language.

`commands_for(remediation)` classifies the fix once (`diagnose.remediation.fixes`) and returns
a `Commands` with one copy-pasteable text per language of `diagnose.remediation.languages`,
keyed by the language's `key`, in the languages' order.
"""

from __future__ import annotations

from diagnose.engine.api import Commands, Remediation
from diagnose.remediation.fixes import classify
from diagnose.remediation.languages import fix_languages


def commands_for(remediation: Remediation) -> Commands:
    """The fix in every language (ValueError for a kind this tool does not know, or a fix that
    lacks a field its kind needs)."""
    fix = classify(remediation)
    return Commands({language.key: language.render(fix) for language in fix_languages()})
