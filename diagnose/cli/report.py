"""`diagnose --demo | --snapshot FILE | --hub X`: run every check and report.

Parse -> typed values (diagnose.cli.inputs) -> diagnose.app.diagnose -> render through the
report format registry -> write -> exit code. On a terminal (or with --tui) the source is
handed to the viewer the program gave the command line (the terminal UI) instead.
"""

from __future__ import annotations

import argparse
import sys

from diagnose.app import Diagnosis
from diagnose.app.baseline import Baseline
from diagnose.cli.output import Output, chosen_output, write_output
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.report.model import Report
from diagnose.safe import safe_message

JSON_FORMATS = ("json", "jsonc", "yaml")
"""The formats that write the JSON report's document, so take --evidence."""


def run_report(args: argparse.Namespace) -> int:
    if not (args.snapshot or args.demo or args.hub):
        from diagnose.cli.parser import build_parser

        build_parser().print_usage(sys.stderr)
        print(
            "diagnose: error: say what to diagnose: --hub HUB (live), --snapshot FILE, or "
            "--demo to try the tool on the bundled demo hub",
            file=sys.stderr,
        )
        return ExitCode.BAD_INPUT
    output = _output(args)
    fmt = output.format
    baseline = _baseline(args)  # a bad baseline fails before a collection, not after
    if args.bundle:  # fail before collecting, not after
        from diagnose.bundle import check_output_paths

        check_output_paths(args.bundle, args.redaction_map, redact=args.redact)
    if args.hub and args.save_snapshot:  # nor lose a long collection to an unwritable path
        from diagnose.outfile import check_writable

        check_writable(args.save_snapshot, "--save-snapshot")
    device_code = bool(args.hub) and args.auth == "device-code"
    if device_code and args.tui:
        raise BadInput(
            "device-code sign-in prints a code to the terminal, which the terminal UI would hide",
            where="--auth device-code",
            fix="sign in first (az login) and use the default --auth, or drop --tui",
        )
    use_tui = (
        args.tui
        if args.tui is not None
        else (
            fmt is None
            and output.path is None
            and not device_code
            and sys.stdout.isatty()
            and sys.stdin.isatty()
        )
    )
    from diagnose.cli.inputs import diagnose_options_from, source_from

    source, options = source_from(args), diagnose_options_from(args)
    viewer = getattr(args, "viewer", None)
    if use_tui and viewer is None and args.tui:
        raise BadInput(
            "the terminal UI is not available here",
            where="--tui",
            fix="run the installed `diagnose` command (or python -m diagnose)",
        )
    if use_tui and viewer is not None:
        code, shown = viewer(
            source, options, fail_on=args.fail_on, strict=args.strict, argv=args.argv
        )
        if shown is not None:  # the last run shown is written out as without the UI
            report = _marked(shown.report, baseline)
            if fmt or output.path:
                _write_report(report, output, args)
            _write_bundle(args, shown)
            if baseline is not None:
                code = _exit_code(report, args, baseline)
        return code
    from diagnose.app import diagnose

    keep_alive: list[object] | None = getattr(args, "keep_alive", None)
    diagnosis = diagnose(source, options, keep_alive=keep_alive)
    for warning in diagnosis.snapshot.warnings:  # the report says it too, among what was not read
        print(f"diagnose: warning: {safe_message(warning)}", file=sys.stderr)
    from diagnose.report.model import exit_code
    from diagnose.report.text import summary_line

    report = _marked(diagnosis.report, baseline)
    _write_report(report, output, args)
    _write_bundle(args, diagnosis)
    if (fmt or "text") != "text" or output.path:
        print(f"diagnose: {summary_line(diagnosis.report)}", file=sys.stderr)
    if keep_alive is not None:
        keep_alive.append(diagnosis)
    if baseline is not None:
        return _exit_code(report, args, baseline)
    return exit_code(report, args.fail_on, args.strict)


def _marked(report: Report, baseline: Baseline | None) -> Report:
    """The report with the findings --baseline already has marked (once per run: every
    format and the exit code read the same marks)."""
    if baseline is None:
        return report
    from diagnose.app.baseline import against

    return against(report, baseline)


def _render(report: Report, output: Output, args: argparse.Namespace) -> str:
    from diagnose.report.formats import DEFAULT_MARKDOWN_LIMIT, RenderOptions, render_report

    options = RenderOptions(
        width=output.width(),
        markdown_limit=args.markdown_limit or DEFAULT_MARKDOWN_LIMIT,
        colour=output.colour(),
        evidence=getattr(args, "evidence", None) or "summary",
    )
    return render_report(report, output.format or "text", options)


def _baseline(args: argparse.Namespace) -> Baseline | None:
    """--baseline REPORT, read (BadInput when it is not a JSON report)."""
    if not getattr(args, "baseline", None):
        return None
    from diagnose.app.baseline import read_baseline
    from diagnose.cli.inputs import limits_from

    return read_baseline(args.baseline, limits_from(args).max_bytes)


def _exit_code(marked: Report, args: argparse.Namespace, baseline: Baseline) -> int:
    """The exit code from the findings the baseline does not have (`marked` is the report
    _marked gave); says on stderr how many there are, so that a CI log shows why it passed or
    failed."""
    from diagnose.app.baseline import beyond
    from diagnose.report.model import exit_code

    new = beyond(marked)
    known = len(marked.findings) - len(new.findings)
    print(
        f"diagnose: baseline {safe_message(baseline.source)}: {known} finding(s) already in "
        f"it, {len(new.findings)} new",
        file=sys.stderr,
    )
    return exit_code(new, args.fail_on, args.strict)


def _write_report(report: Report, output: Output, args: argparse.Namespace) -> None:
    """The report to --output-file or standard output. JSON is streamed (a report of tens of
    thousands of findings is never one string in memory), at the --evidence level asked for."""
    if output.format != "json":
        write_output(_render(report, output, args), output.path)
        return
    from diagnose.report.json_format import render_json, write_json

    evidence = getattr(args, "evidence", None) or "summary"
    to_stdout = output.path in (None, "-")
    if to_stdout and getattr(sys.stdout, "buffer", None) is None:  # a text-only stdout
        write_output(render_json(report, evidence), output.path)
        return
    from diagnose.outfile import open_output

    with open_output(output.path or "-", flag=None if to_stdout else "--output-file") as stream:
        write_json(report, stream, evidence)


def _write_bundle(args: argparse.Namespace, diagnosis: Diagnosis) -> None:
    if args.bundle:
        from diagnose.bundle import write_bundle

        write_bundle(
            args.bundle,
            diagnosis,
            argv=args.argv,
            redact=args.redact,
            redaction_map=args.redaction_map,
        )


def _output(args: argparse.Namespace) -> Output:
    """The format and file asked for, once every flag given is known to do something
    (diagnose.cli.flags)."""
    from diagnose.cli.flags import refuse_idle_flags
    from diagnose.report.formats import REPORT_FORMATS

    output = chosen_output(args, tuple(REPORT_FORMATS))
    if args.redaction_map and not args.redact:
        raise BadInput(
            "--redaction-map does nothing without --redact: there is nothing to undo",
            fix="add --redact",
        )
    if (args.redact or args.redaction_map) and not args.bundle:
        raise BadInput(
            "--redact does nothing without --bundle: it applies to the support bundle",
            fix="add --bundle FILE.zip",
        )
    if args.markdown_limit is not None:
        from diagnose.report.markdown import MIN_LIMIT

        if output.format != "markdown":
            raise BadInput(
                "--markdown-limit does nothing without -o markdown",
                fix="add -o markdown, or drop --markdown-limit",
            )
        if args.markdown_limit < MIN_LIMIT:
            raise BadInput(
                f"--markdown-limit {args.markdown_limit} is too small for the summary",
                fix=f"give at least {MIN_LIMIT} bytes",
            )
    if getattr(args, "evidence", None) and output.format not in JSON_FORMATS:
        raise BadInput(
            "--evidence applies to the JSON report (-o json, jsonc or yaml): it does nothing "
            f"with -o {output.format or 'text'}",
            where=f"--evidence {args.evidence}",
            fix="add -o json (or jsonc, yaml), or drop --evidence",
        )
    refuse_idle_flags(args)
    return output
