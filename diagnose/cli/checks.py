"""`diagnose checks` and `diagnose explain-check ID`: the checks and their documentation."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from diagnose.app import check_named, list_checks
from diagnose.cli.output import emit_document
from diagnose.engine.api import SECTION_TITLES, CheckInfo
from diagnose.report.formats import DOCUMENT_FORMATS
from diagnose.safe import safe_message, safe_text


def run_checks(args: argparse.Namespace) -> int:
    listing = list_checks()
    checks = listing.checks
    emit_document(
        args,
        DOCUMENT_FORMATS,
        document=lambda: [_json(c) for c in checks],
        text=lambda: _listing(checks),
    )
    for error in listing.errors:
        print(
            f"diagnose: warning: could not load check {safe_text(error.entry_point)}: "
            f"{safe_message(error.error)}",
            file=sys.stderr,
        )
    return 0


def _listing(checks: Sequence[CheckInfo]) -> str:
    # Checks are plug-ins (entry points): their texts are shown as data too.
    width = max((len(safe_text(c.title)) for c in checks), default=10)
    lines = [f"{'ID':<8}{'SEVERITY':<10}{'TITLE':<{width + 2}}SCENARIO"]
    for check in checks:
        lines.append(
            f"{safe_text(check.id):<8}{check.severity.value:<10}"
            f"{safe_text(check.title):<{width + 2}}{safe_text(check.scenario)}"
        )
    lines.append(
        f"\n{len(checks)} checks. `diagnose explain-check ID` tells what one looks at, "
        "why it matters and how to fix it; --select/--ignore take ids or prefixes."
    )
    return "\n".join(lines) + "\n"


def run_explain_check(args: argparse.Namespace) -> int:
    check = check_named(args.check_id)
    emit_document(
        args, DOCUMENT_FORMATS, document=lambda: _json(check), text=lambda: _explained(check)
    )
    return 0


def _explained(check: CheckInfo) -> str:
    lines = [
        f"{safe_text(check.id)}: {safe_text(check.title)}",
        f"Severity: {check.severity.value}    Scenario: {safe_text(check.scenario)}",
    ]
    for title in SECTION_TITLES:
        if title not in check.sections:
            continue
        lines += [f"\n{title}:", _indent(check.sections[title])]
    if check.explains:
        lines.append("\nError messages it explains (`diagnose explain TEXT`):")
        lines += [
            _indent(f"{text.name} ({text.where}): {text.example}", "  - ")
            for text in check.explains
        ]
    if check.docs:
        lines.append("\nDocs:")
        lines += [f"  {safe_text(link)}" for link in check.docs]
    return "\n".join(lines) + "\n"


def _indent(text: str, first: str = "  ") -> str:
    import textwrap

    return textwrap.fill(
        safe_text(text),
        96,
        initial_indent=first,
        subsequent_indent=" " * len(first),
        break_on_hyphens=False,
        break_long_words=False,
    )


def _json(check: CheckInfo) -> dict[str, Any]:
    return {
        "id": check.id,
        "title": check.title,
        "severity": check.severity.value,
        "scenario": check.scenario,
        "docs": list(check.docs),
        "whatItChecks": check.sections["What it checks"],
        "whyItMatters": check.sections["Why it matters"],
        "howToFix": check.sections["How to fix"],
        "explains": [text.to_json() for text in check.explains],
    }
