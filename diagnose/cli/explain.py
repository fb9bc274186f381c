"""`diagnose explain "<error text>"`: the error explained (diagnose.app.explain), rendered as
text or JSON."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable

from diagnose.app import explain, load
from diagnose.cli.flags import refuse_idle_flags
from diagnose.cli.inputs import snapshot_source_from
from diagnose.cli.output import chosen_output, emit_document
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.explain.explain import Explanation, explanation_json
from diagnose.explain.patterns import PATTERNS
from diagnose.render.decision_text import render_decision
from diagnose.report.formats import DOCUMENT_FORMATS
from diagnose.safe import safe_block, safe_message, safe_text

MAX_TEXT = 1024 * 1024
"""An error message read from standard input: more is not an error message."""


def run_explain(args: argparse.Namespace) -> int:
    refuse_idle_flags(args)
    chosen_output(args, DOCUMENT_FORMATS)  # a wrong -o before reading standard input
    if args.text == "-":
        args.text = _read_stdin()
    if not args.text.strip():
        raise BadInput(
            "the error text is empty",
            fix='pass the message in quotes: diagnose explain "AuthorizationFailed: ...", '
            "or pipe it in: ... | diagnose explain -",
        )
    snapshot = None
    source = snapshot_source_from(args)
    if source is not None:
        snapshot = load(source).snapshot
        for warning in snapshot.warnings:
            print(f"diagnose: warning: {safe_message(warning)}", file=sys.stderr)
    explanation = explain(args.text, snapshot)
    emit_document(
        args,
        DOCUMENT_FORMATS,
        document=lambda: explanation_json(explanation),
        text=lambda: render_explanation(explanation) + "\n",
    )
    return ExitCode.OK if explanation.recognised else ExitCode.FINDINGS


def _read_stdin() -> str:
    data = sys.stdin.buffer.read(MAX_TEXT + 1)
    if len(data) > MAX_TEXT:
        raise BadInput(
            f"the error text on standard input is longer than {MAX_TEXT // 1024} KiB",
            where="standard input",
            fix="pass only the error message, not a whole log",
        )
    return data.decode("utf-8", errors="replace")


def _wrap(text: str, indent: str = "  ", first: str | None = None) -> str:
    """Wrapped at spaces only: an escape such as \\x1b[31m is never cut in two."""
    return textwrap.fill(
        safe_text(text),
        96,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_explanation(explanation: Explanation) -> str:
    pattern = explanation.pattern
    if pattern is None:
        lines = ["This message is not one ai-hub-diagnose recognises. It recognises:"]
        for known in PATTERNS:
            lines.append(f"  - {known.name} ({known.where}): {known.example}")
        lines.append("Try `diagnose access` with the principal, scope and operation involved.")
        return "\n".join(lines)
    lines = [f"Recognised: {pattern.name} ({pattern.where})"]
    named = [
        f"{key} {safe_text(value)}"
        for key, value in explanation.extracted.items()
        if key != "client"
    ]
    if named:
        lines.append("It names: " + "; ".join(named))
    lines += ["", "Usual cause:", _wrap(pattern.cause), "", "Usual fix:", _wrap(pattern.fix)]
    lines += _text_only_lines(explanation)
    if explanation.decision is not None:
        lines += [
            "",
            "In this snapshot:",
            textwrap.indent(
                render_decision(explanation.decision, _names(explanation)).rstrip(), "  "
            ),
        ]
    if explanation.finding is not None:
        for fix in explanation.finding.remediations:
            state = "verified" if fix.verified else "not verified"
            lines += ["", f"Fix ({state}):", _wrap(fix.summary)]
            if fix.commands:
                lines.append(textwrap.indent(safe_block(fix.commands.azure_cli), "    "))
    elif explanation.decision is not None and explanation.decision.allowed:
        lines += ["", _wrap(ALREADY_ALLOWED, "")]
    if explanation.related:
        lines += ["", f"Related findings ({', '.join(pattern.checks)}):"]
        for finding in explanation.related:
            lines.append(
                _wrap(
                    f"{finding.status.value.upper()} {finding.check_id}: {finding.message}",
                    "    ",
                    first="  - ",
                )
            )
            for fix in finding.remediations[:1]:
                lines.append(_wrap(f"fix: {fix.summary}", "      "))
    elif pattern.checks and not explanation.notes:
        lines += [
            "",
            f"The related checks ({', '.join(pattern.checks)}) found nothing in this snapshot.",
        ]
    for note in explanation.notes:
        lines += ["", _wrap(f"Note: {note}", "")]
    return "\n".join(lines)


ALREADY_ALLOWED = (
    "The snapshot says this identity holds the permission (the grant is above): no new "
    "assignment will help. Look instead at: another identity making the call (a hosted "
    "agent's or published agent's own identity, the project's or the resource's managed "
    "identity, a connection's user-assigned identity, rather than the one in the message); a "
    "token issued for another tenant or before the grant (sign in again); or propagation "
    "(up to 10 minutes, up to 24 hours for a managed identity through a group)."
)


def _text_only_lines(explanation: Explanation) -> list[str]:
    fix = explanation.text_only
    if fix is None:
        return []
    kind = "data action" if fix.data_actions else "action"
    lines = [
        "",
        "From the text alone:",
        _wrap(f"identity: {fix.principal}"),
        _wrap(f"{kind}{'s' if len(fix.operations) > 1 else ''}: {', '.join(fix.operations)}"),
        _wrap(f"scope: {fix.scope}"),
        _wrap(f"least role: {fix.role_name} ({fix.reason})"),
    ]
    if fix.placeholders:
        lines.append(
            _wrap(
                f"replace the <placeholders> ({' and '.join(fix.placeholders)}): the message "
                "does not say them"
            )
        )
    lines.append(textwrap.indent(safe_block(fix.azure_cli), "    "))
    return lines


def _names(explanation: Explanation) -> Callable[[str], str | None]:
    def name_of(principal_id: str) -> str | None:
        if explanation.principal and explanation.principal.id == principal_id:
            return explanation.principal.display_name
        return None

    return name_of
