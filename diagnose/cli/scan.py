"""`diagnose scan (--subscription ID... | --management-group ID | --all-subscriptions)`:
parse -> diagnose.app.scan -> one summary row per hub (text or JSON), with --details each
hub's full report, with --bundle one zip holding each hub's support bundle -> the exit code
(1: a failure somewhere; 3: no failure, but a subscription or a hub could not be read)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from diagnose.app.scan import HubScan, ScanRequest, ScanResult, scan
from diagnose.cli.output import write_output
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.safe import safe_message

CAUSE_WIDTH = 70


def run_scan(args: argparse.Namespace) -> int:
    from diagnose.app.diagnosis import DiagnoseOptions
    from diagnose.cli.inputs import live_options_from

    fmt = args.format
    if args.json and fmt not in ("text", "json"):
        raise BadInput(f"--json and -o {fmt} ask for two formats", fix="give one of them")
    fmt = "json" if args.json else fmt
    if args.output_file and args.output_file != "-":
        from diagnose.outfile import check_writable

        check_writable(args.output_file, "--output-file")
    if args.bundle:
        from diagnose.outfile import check_writable

        check_writable(args.bundle, "--bundle")
    args.hub = args.project = args.resource_group = args.subscription = None
    request = ScanRequest(
        live_options_from(args),
        subscriptions=tuple(s for group in args.subscriptions or () for s in group),
        management_group=args.management_group,
        all_subscriptions=args.all_subscriptions,
    )
    stage = None if args.quiet else _stage
    result = scan(
        request,
        DiagnoseOptions(select=tuple(args.select or ()), ignore=tuple(args.ignore or ())),
        stage=stage,
    )
    text = render_json(result, args.details) if fmt == "json" else render_text(result, args.details)
    write_output(text, args.output_file, flag="--output-file")
    if args.bundle:
        write_scan_bundle(args.bundle, result, args.argv)
    return exit_code(result)


def _stage(text: str) -> None:
    print(f"diagnose: {safe_message(text)}", file=sys.stderr, flush=True)


def exit_code(result: ScanResult) -> int:
    if any(h.row()["failures"] for h in result.hubs):
        return ExitCode.FINDINGS
    if not result.complete:
        return ExitCode.INCOMPLETE
    return ExitCode.OK


def render_text(result: ScanResult, details: bool) -> str:
    summary = result.summary()
    lines = [
        f"scanned {summary['subscriptions']} subscription(s): {summary['hubs']} hub(s) and "
        f"Foundry resource(s), {summary['failures']} failure(s), {summary['warnings']} "
        f"warning(s), {summary['unknowns']} unknown(s) ({summary['resourceGraphPages']} "
        f"Resource Graph page(s), {summary['requests']} requests)",
    ]
    if result.unknown_subscriptions:
        lines.append(
            f"partial: {len(result.unknown_subscriptions)} subscription(s) could not be "
            "scanned (listed below)"
        )
    lines.append("")
    rows = [h.row() for h in result.hubs]
    width = max([len("HUB"), *(len(r["name"]) for r in rows)])
    lines.append(f"{'HUB':<{width}}  FAIL  WARN  UNKNOWN  TOP CAUSE")
    for row in rows:
        cause = _short(safe_message(row["topCause"] or "-"))
        lines.append(
            f"{safe_message(row['name']):<{width}}  {row['failures']:>4}  {row['warnings']:>4}  "
            f"{row['unknowns']:>7}  {cause}"
        )
    if not rows:
        lines.append("(no hub or Foundry resource found)")
    if result.unknown_subscriptions:
        lines += ["", "not scanned (their hubs are unknown):"]
        for entry in result.unknown_subscriptions:
            status = f"{entry['status']} " if entry.get("status") else ""
            lines.append(
                f"  {safe_message(entry['scope'])}: {status}{safe_message(str(entry['code']))}: "
                f"{safe_message(entry['message'])}"
            )
    text = "\n".join(lines) + "\n"
    if details:
        from diagnose.report.formats import render_report

        for hub in result.hubs:
            text += f"\n{'=' * 78}\n{safe_message(hub.target)}\n{'=' * 78}\n"
            if hub.diagnosis is None:
                text += f"not diagnosed: {safe_message(hub.error or '')}\n"
            else:
                text += render_report(hub.diagnosis.report, "text")
    return text


def render_json(result: ScanResult, details: bool) -> str:
    document: dict[str, Any] = {
        "summary": result.summary(),
        "hubs": [_json_row(h, details) for h in result.hubs],
        "unknownSubscriptions": list(result.unknown_subscriptions),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_row(hub: HubScan, details: bool) -> dict[str, Any]:
    row = hub.row()
    if details and hub.diagnosis is not None:
        from diagnose.report.formats import render_report

        row["report"] = json.loads(render_report(hub.diagnosis.report, "json"))
    return row


def _short(text: str) -> str:
    return text if len(text) <= CAUSE_WIDTH else text[: CAUSE_WIDTH - 3] + "..."


def write_scan_bundle(path: str, result: ScanResult, argv: list[str]) -> None:
    """One zip: scan.json (the JSON output) and, per hub, its support bundle
    (hubs/<subscription>-<resource group>-<name>.zip, replayable with --snapshot)."""
    from diagnose.bundle import write_bundle
    from diagnose.bundle.manifest import write_zip
    from diagnose.outfile import open_output

    members: dict[str, bytes] = {"scan.json": render_json(result, False).encode()}
    with tempfile.TemporaryDirectory(prefix="diagnose-scan-") as folder:
        for hub in result.hubs:
            if hub.diagnosis is None:
                continue
            parts = hub.target.strip("/").split("/")
            name = "-".join([parts[1], parts[3], parts[-1]]) if len(parts) > 3 else parts[-1]
            inner = Path(folder) / f"{name}.zip"
            write_bundle(inner, hub.diagnosis, argv=argv)
            members[f"hubs/{name}.zip"] = inner.read_bytes()
    with open_output(path, private=True, flag="--bundle") as stream:
        write_zip(stream, members)


__all__ = ["exit_code", "render_json", "render_text", "run_scan"]
