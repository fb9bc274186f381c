"""`diagnose --demo | --snapshot FILE | --hub X`: run every check and report."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from diagnose.cli.output import write_output
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.render.safe import safe_message
from diagnose.snapshot import Snapshot


@dataclasses.dataclass
class Run:
    """Everything one run produced, for the renderers, the UI and the support bundle."""

    snapshot: Snapshot
    report: object
    checks: list
    model: object
    evaluator: object
    requests: list


def run_report(args: argparse.Namespace) -> int:
    if not (args.snapshot or args.demo or args.hub):
        from diagnose.cli.parser import build_parser

        build_parser().print_usage(sys.stderr)
        print("diagnose: error: say what to diagnose: --hub HUB (live), --snapshot FILE, or "
              "--demo to try the tool on the bundled demo hub", file=sys.stderr)
        return ExitCode.BAD_INPUT
    fmt = _format(args)
    if args.bundle:  # fail before collecting, not after
        from diagnose.bundle import check_output_paths

        check_output_paths(args.bundle, args.redaction_map, redact=args.redact)
    if args.hub and args.save_snapshot:  # nor lose a long collection to an unwritable path
        from diagnose.outfile import check_writable

        check_writable(args.save_snapshot, "--save-snapshot")
    device_code = bool(args.hub) and args.auth == "device-code"
    if device_code and args.tui:
        raise BadInput("device-code sign-in prints a code to the terminal, which the terminal "
                       "UI would hide", where="--auth device-code",
                       fix="sign in first (az login) and use the default --auth, or drop --tui")
    use_tui = args.tui if args.tui is not None else (
        fmt is None and args.output is None and not device_code and sys.stdout.isatty()
        and sys.stdin.isatty())
    if use_tui:
        from diagnose.tui import run_tui

        return run_tui(args)
    run = execute(args)
    for warning in run.snapshot.warnings:  # the report says it too, among what was not read
        print(f"diagnose: warning: {safe_message(warning)}", file=sys.stderr)
    from diagnose.report.model import exit_code
    from diagnose.report.text import summary_line

    text = render(run, fmt or "text")
    write_output(text, args.output)
    if args.bundle:
        from diagnose.bundle import write_bundle

        write_bundle(args.bundle, run, argv=args.argv, redact=args.redact,
                     redaction_map=args.redaction_map, args=args)
    if (fmt or "text") != "text" or args.output:
        print(f"diagnose: {summary_line(run.report)}", file=sys.stderr)
    if getattr(args, "keep_alive", None) is not None:
        args.keep_alive.append(run)
    return exit_code(run.report, args.fail_on, args.strict)


def _format(args: argparse.Namespace) -> str | None:
    if args.json and args.format not in (None, "json"):
        raise BadInput(f"--json and --format {args.format} ask for two formats",
                       fix="give one of them")
    if args.redaction_map and not args.redact:
        raise BadInput("--redaction-map needs --redact", fix="add --redact")
    if (args.redact or args.redaction_map) and not args.bundle:
        raise BadInput("--redact applies to the support bundle", fix="add --bundle FILE.zip")
    return "json" if args.json else args.format


def load_source(args: argparse.Namespace, progress=None) -> tuple[Snapshot, list]:
    """The snapshot to diagnose, and the request log when it was collected live."""
    if args.demo:
        from diagnose.demo import load_demo

        snapshot, requests = load_demo(), []
    elif args.snapshot:
        from diagnose.cli.parser import input_options
        from diagnose.snapshot import load_snapshot

        snapshot, requests = load_snapshot(args.snapshot, **input_options(args)), []
    else:
        from diagnose.collect import collect_from_args

        collection = collect_from_args(args) if progress is None else \
            collect_from_args(args, progress=progress)
        snapshot, requests = collection.snapshot, list(collection.requests)
        if args.save_snapshot:
            from diagnose.collect import save_snapshot

            save_snapshot(snapshot, args.save_snapshot, flag="--save-snapshot")
    if args.project and not args.hub:
        snapshot = narrow_to_project(snapshot, args.project)
    return snapshot, requests


def narrow_to_project(snapshot: Snapshot, project: str) -> Snapshot:
    from diagnose.model.model import Model

    model = Model(snapshot)
    names = sorted({p.name for hub in model.hubs for p in model.projects_of(hub)})
    if project.lower() not in {n.lower() for n in names}:
        raise BadInput(f"--project {project!r} is not a project of the hub in the snapshot",
                       where=snapshot.source,
                       fix="choose one of: " + (", ".join(names) or "(no projects)"))
    data = dict(snapshot.data)
    data["target"] = {**snapshot.target, "project": project}
    return dataclasses.replace(snapshot, data=data)


def execute(args: argparse.Namespace, progress=None, snapshot: Snapshot | None = None,
            requests: list | None = None) -> Run:
    from diagnose.engine.registry import load_checks, select_checks
    from diagnose.engine.runner import CheckError, Engine
    from diagnose.model.model import Model
    from diagnose.report.model import build_report

    if snapshot is None:
        snapshot, requests = load_source(args, progress)
    checks, load_errors = load_checks()
    selected = select_checks(checks, args.select, args.ignore)
    model = Model(snapshot)
    creator = None
    if args.creator:
        from diagnose.cli.access import resolve_principal

        creator = resolve_principal(model, args.creator)
    engine = Engine(model, creator=creator)
    result = engine.run(selected)
    if load_errors:
        extra = tuple(CheckError("-", e.entry_point, e.error) for e in load_errors)
        result = dataclasses.replace(result, check_errors=result.check_errors + extra)
    report = build_report(result, model, engine.evaluator)
    return Run(snapshot, report, checks, model, engine.evaluator, list(requests or []))


def render(run: Run, fmt: str) -> str:
    from diagnose.report.formats import render_report

    return render_report(run.report, fmt)  # type: ignore[arg-type]
