"""`diagnose checks` and `diagnose explain-check ID`: the checks and their documentation."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from diagnose.app import check_named, list_checks
from diagnose.engine.api import SECTION_TITLES, CheckInfo
from diagnose.safe import safe_message, safe_text


def run_checks(args: argparse.Namespace) -> int:
    listing = list_checks()
    checks = listing.checks
    if args.json:
        print(json.dumps([_json(c) for c in checks], indent=2))
    else:
        # Checks are plug-ins (entry points): their texts are shown as data too.
        width = max((len(safe_text(c.title)) for c in checks), default=10)
        print(f"{'ID':<8}{'SEVERITY':<10}{'TITLE':<{width + 2}}SCENARIO")
        for check in checks:
            print(
                f"{safe_text(check.id):<8}{check.severity.value:<10}"
                f"{safe_text(check.title):<{width + 2}}{safe_text(check.scenario)}"
            )
        print(
            f"\n{len(checks)} checks. `diagnose explain-check ID` tells what one looks at, "
            "why it matters and how to fix it; --select/--ignore take ids or prefixes."
        )
    for error in listing.errors:
        print(
            f"diagnose: warning: could not load check {safe_text(error.entry_point)}: "
            f"{safe_message(error.error)}",
            file=sys.stderr,
        )
    return 0


def run_explain_check(args: argparse.Namespace) -> int:
    check = check_named(args.check_id)
    print(f"{safe_text(check.id)}: {safe_text(check.title)}")
    print(f"Severity: {check.severity.value}    Scenario: {safe_text(check.scenario)}")
    for title in SECTION_TITLES:
        if title not in check.sections:
            continue
        print(f"\n{title}:")
        print(_indent(check.sections[title]))
    if check.docs:
        print("\nDocs:")
        for link in check.docs:
            print(f"  {safe_text(link)}")
    return 0


def _indent(text: str) -> str:
    import textwrap

    return textwrap.fill(
        safe_text(text),
        96,
        initial_indent="  ",
        subsequent_indent="  ",
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
    }
