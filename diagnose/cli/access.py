"""`diagnose access`: access questions answered with evidence (diagnose.app.access_index).

One question from the flags, or with --batch one a line from standard input, each answered as
it comes:

    --principal ID --scope SCOPE --action OP            flags as on the command line, quoted
    --principal "Ana Lopez" --scope / --data-action OP  as in a shell ('#' starts a comment)
    {"principal": "...", "scope": "...", "dataAction": "...", "forcePlane": false}

With --json, one JSON object a line (a decision, or {"line": N, "error": "..."}); else the
answers as text, a blank line apart. A bad line is reported and the next one read.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import IO, Any

from diagnose.app import (
    AccessAnswer,
    AccessBook,
    AccessQuestion,
    access_question,
    open_book,
    open_snapshot_book,
)
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.inputlimits import DEFAULT_MAX_INPUT_BYTES
from diagnose.rbac import Outcome

# The text renderer and diagnose.safe (with the credential scrubber's patterns, compiled on
# import) are imported where text is written: a --json answer from the cached index needs
# neither (JSON escapes what a terminal could misread).

EXIT_BY_OUTCOME = {
    Outcome.ALLOWED: ExitCode.OK,
    Outcome.DENIED: ExitCode.FINDINGS,
    Outcome.CONDITIONAL: ExitCode.FINDINGS,
    Outcome.UNKNOWN: ExitCode.INCOMPLETE,
}
LINE_FLAGS = {
    "--principal": "principal",
    "--scope": "scope",
    "--action": "action",
    "--data-action": "dataAction",
}
BATCH_HINT = (
    "diagnose access: one question a line (--principal ID --scope SCOPE --action OP | "
    "--data-action OP); end with Ctrl-D"
)


def run_access(args: argparse.Namespace) -> int:
    if args.batch:
        return _run_batch(args)
    question = _question(
        {
            "principal": args.principal,
            "scope": args.scope,
            "action": args.action,
            "dataAction": args.data_action,
            "forcePlane": args.force_plane,
        }
    )
    book = _open(args)
    answer = book.answer(question)
    _print(answer, args.json, sys.stdout, indent=True)
    sys.stdout.flush()
    book.persist()  # after the answer: the user need not wait for the index to be written
    return EXIT_BY_OUTCOME[answer.decision.decision]


def _open(args: argparse.Namespace) -> AccessBook:
    """The snapshot's book (its cached index, or the file read now); its warnings said."""
    if args.demo:
        from diagnose.app import DemoSource

        book = open_book(DemoSource())
    else:
        # --max-input-bytes and --ignore-bundle-hashes as cli.inputs.limits_from reads them,
        # without importing the sources (and the collector under them) for a cached answer
        book = open_snapshot_book(
            args.snapshot,
            max_bytes=args.max_input_bytes or DEFAULT_MAX_INPUT_BYTES,
            verify_hashes=not args.ignore_bundle_hashes,
            use_cache=not args.no_cache,
        )
    _warn(book.warnings)
    return book


def _run_batch(args: argparse.Namespace) -> int:
    book = _open(args)
    if sys.stdin.isatty():
        print(BATCH_HINT, file=sys.stderr)
    worst: set[int] = set()
    answered = 0
    for number, line in enumerate(sys.stdin, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            answer = book.answer(_question(_line_fields(text)))
        except BadInput as exc:
            from diagnose.safe import safe_message

            worst.add(ExitCode.BAD_INPUT)
            message = safe_message(str(exc))
            if args.json:
                print(json.dumps({"line": number, "error": message}), flush=True)
            print(f"diagnose: error: line {number}: {message}", file=sys.stderr, flush=True)
            continue
        if answered and not args.json:
            sys.stdout.write("\n")
        _print(answer, args.json, sys.stdout, indent=False)
        sys.stdout.flush()
        worst.add(EXIT_BY_OUTCOME[answer.decision.decision])
        answered += 1
        if answered == 1:
            book.persist()
    book.persist()
    for code in (ExitCode.BAD_INPUT, ExitCode.INCOMPLETE, ExitCode.FINDINGS):
        if code in worst:
            return code
    return ExitCode.OK


def _line_fields(text: str) -> dict[str, Any]:
    """A batch line's question: a JSON object, or the command line's flags."""
    if text.startswith("{"):
        try:
            given = json.loads(text)
        except ValueError:
            raise BadInput("the line is not a JSON object") from None
        if not isinstance(given, dict):
            raise BadInput("the line is not a JSON object")
        unknown = sorted(set(given) - {*LINE_FLAGS.values(), "forcePlane"})
        if unknown:
            raise BadInput(f"unknown keys {unknown}: give principal, scope, action or dataAction")
        return given
    try:
        words = shlex.split(text, comments=True)
    except ValueError as exc:
        raise BadInput(f"the line cannot be read as flags ({exc})") from None
    fields: dict[str, Any] = {}
    index = 0
    while index < len(words):
        flag, _, value = words[index].partition("=")
        if flag == "--force-plane" and not value:
            fields["forcePlane"] = True
            index += 1
            continue
        if flag not in LINE_FLAGS:
            raise BadInput(
                f"unexpected {words[index]!r}: a line gives --principal, --scope and "
                "--action or --data-action (and --force-plane)"
            )
        if not value:
            index += 1
            if index == len(words):
                raise BadInput(f"{flag} needs a value")
            value = words[index]
        fields[LINE_FLAGS[flag]] = value
        index += 1
    return fields


def _question(fields: dict[str, Any]) -> AccessQuestion:
    """The question the flags (or a batch line) ask, checked before any snapshot is read."""
    action, data = fields.get("action"), fields.get("dataAction")
    missing = [flag for flag in ("--principal", "--scope") if not fields.get(flag[2:])]
    if not action and not data:
        missing.append("--action or --data-action")
    if missing:
        raise BadInput(f"the question needs {', '.join(missing)}")
    if action and data:
        raise BadInput("give --action or --data-action, not both")
    values = (fields.get("principal"), fields.get("scope"), action or data)
    if not all(isinstance(v, str) for v in values) or not isinstance(
        fields.get("forcePlane", False), bool
    ):
        raise BadInput("principal, scope and the operation are strings; forcePlane is true/false")
    principal, scope, operation = (str(v) for v in values)
    return access_question(
        principal,
        scope,
        operation,
        data_action=bool(data),
        force_plane=bool(fields.get("forcePlane")),
    )


def _warn(warnings: tuple[str, ...]) -> None:
    if not warnings:
        return
    from diagnose.safe import safe_message

    for warning in warnings:
        print(f"diagnose: warning: {safe_message(warning)}", file=sys.stderr)


def _print(answer: AccessAnswer, as_json: bool, out: IO[str], *, indent: bool) -> None:
    if answer.plane_warning:
        from diagnose.safe import safe_message

        print(f"diagnose: warning: {safe_message(answer.plane_warning)}", file=sys.stderr)
    if as_json:
        out.write(json.dumps(answer.decision.to_json(), indent=2 if indent else None) + "\n")
    else:
        from diagnose.render.decision_text import render_decision

        out.write(render_decision(answer.decision, answer.name_of))
