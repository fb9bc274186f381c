"""Argument parsing for every command. Imports nothing heavy: `diagnose --help` stays instant."""

from __future__ import annotations

import argparse

from diagnose import __version__
from diagnose.cli.output import add_output_arguments
from diagnose.report.formats import DEFAULT_MARKDOWN_LIMIT, DOCUMENT_FORMATS, REPORT_FORMATS

EXIT_CODES = """exit codes:
  0  no finding at or above --fail-on (access: allowed)
  1  findings at or above --fail-on (access: denied or conditional)
  2  bad usage or input
  3  incomplete: --strict, and some checks are unknown or something was not read
     (access: unknown)
  4  internal error (a bug: set DIAGNOSE_DEBUG=1 for the traceback)"""

FORMATS = tuple(REPORT_FORMATS)
FAIL_ON = ("fail", "warn", "unknown", "info", "never")
AUTH_CHOICES = ("default", "cli", "managed-identity", "environment", "device-code")
CLOUDS = ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment")
DEFAULT_CONCURRENCY = 64
"""--concurrency when not given (the parser leaves it None, so that one given without --hub can
be refused; diagnose.cli.inputs fills it in)."""
PLAN_FORMATS = ("az", "powershell", "bicep", "terraform", "json")
"""`fix-plan --as` (diagnose.app.PLAN_FORMATS, named here so that --help imports nothing)."""
EVIDENCE_LEVELS = ("summary", "full")
"""--evidence (diagnose.report.evidence.EVIDENCE_LEVELS, named here for the same reason)."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With command "access" (the first argument), only that
    command's parser is added under the top level's options: building the nine others took
    longer than `diagnose access` takes to answer from its cached index, and a line that
    starts with the command's name reaches no other (the usage line names COMMAND, not each
    one). Any other value builds them all."""
    parser = argparse.ArgumentParser(
        prog="diagnose",
        description="Find why access fails in an Azure AI Foundry hub, Foundry resource or "
        "Foundry project, and how to fix it. Runs every check on a live one (--hub), a saved "
        "snapshot (--snapshot) or the bundled demo (--demo).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--snapshot",
        metavar="FILE",
        help="run the checks on a saved snapshot (.json) or support bundle (.zip)",
    )
    source.add_argument(
        "--demo", action="store_true", help="run the checks on the bundled demo hub"
    )
    source.add_argument(
        "--hub",
        metavar="HUB",
        help="collect a live hub, Foundry resource or Foundry project (ARM id, or name) and run "
        "the checks",
    )
    _add_target_arguments(parser)
    _add_live_arguments(parser)
    _add_report_arguments(parser)
    _add_input_arguments(parser)
    parser.set_defaults(handler=_run_report)

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_access(commands)
    if command == "access":
        return parser
    _add_checks(commands)
    _add_explain(commands)
    _add_collect(commands)
    _add_fix_plan(commands)
    _add_schema(commands)
    _add_diff(commands)
    _add_mcp(commands)
    _add_scan(commands)
    _add_recheck(commands)
    return parser


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("choosing the hub or Foundry resource (with --hub)")
    group.add_argument(
        "--subscription", metavar="ID", help="its subscription, when --hub is a name"
    )
    group.add_argument(
        "--resource-group", metavar="NAME", help="its resource group, when --hub is a name"
    )
    group.add_argument(
        "--project",
        metavar="NAME",
        help="narrow the run to one project (of the hub or Foundry resource)",
    )


def _add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """For every command that reads a snapshot or bundle (--snapshot)."""
    from diagnose.inputlimits import DEFAULT_MAX_INPUT_BYTES, human_size

    group = parser.add_argument_group("reading a snapshot or bundle (with --snapshot)")
    group.add_argument(
        "--max-input-bytes",
        type=_size,
        default=None,  # None: not given (a flag with nothing to limit is refused)
        metavar="SIZE",
        help="refuse a snapshot or bundle larger than SIZE, and a bundle that "
        "uncompresses to more (e.g. 500M, 4G; default: "
        f"{human_size(DEFAULT_MAX_INPUT_BYTES)})",
    )
    group.add_argument(
        "--ignore-bundle-hashes",
        action="store_true",
        help="read a bundle whose files do not match its SHA-256 manifest; the report says so",
    )


def _size(text: str) -> int:
    from diagnose.inputlimits import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{exc} (give a number of bytes, or one with K, M or G: e.g. 500M, 4G)"
        ) from None


def _add_live_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("live collection (with --hub)")
    group.add_argument(
        "--auth",
        choices=AUTH_CHOICES,
        default=None,  # None: not given; the default is DefaultAzureCredential
        help="credential to use (default: DefaultAzureCredential); the "
        "environment variable DIAGNOSE_ARM_TOKEN overrides it with a bearer "
        "token you already have",
    )
    group.add_argument(
        "--cloud",
        choices=CLOUDS,
        default=None,
        help="the Azure cloud (default: AzureCloud)",
    )
    group.add_argument(
        "--arm-endpoint", metavar="URL", help="Azure Resource Manager endpoint (Azure Stack, tests)"
    )
    group.add_argument("--graph-endpoint", metavar="URL", help="Microsoft Graph endpoint")
    group.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help=f"the most requests in flight to each service (default: {DEFAULT_CONCURRENCY}; "
        "fewer while Azure throttles or its answers slow down)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="the most the whole collection may take (default: 600); what is "
        "not read by then is reported as unknown (timed out)",
    )
    group.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _add_report_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("report")
    add_output_arguments(group, FORMATS, default="the terminal UI on a terminal, else text")
    group.add_argument(
        "--markdown-limit",
        type=_size,
        default=None,
        metavar="BYTES",
        help="with -o markdown: the most the report may take (default: "
        f"{DEFAULT_MARKDOWN_LIMIT:,} bytes, what a GitHub comment holds with room to spare); "
        "the findings past it are counted, and the JSON report has them all",
    )
    group.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="fail",
        help="exit 1 when a finding has this status or a worse one "
        "(fail > warn > unknown > info; default: fail)",
    )
    group.add_argument(
        "--strict", action="store_true", help="exit 3 when some checks could only answer 'unknown'"
    )
    group.add_argument(
        "--baseline",
        metavar="REPORT",
        help="a JSON report of an earlier run (--json): its findings (matched by id) are "
        "still shown, marked, but only findings not in it make the exit code 1",
    )
    _add_selection_arguments(group)
    group.add_argument(
        "--save-snapshot", metavar="FILE", help="also save the collected snapshot (with --hub)"
    )
    group.add_argument(
        "--bundle",
        metavar="FILE.zip",
        help="also write a support bundle: snapshot, reports, request log",
    )
    group.add_argument(
        "--redact",
        action="store_true",
        help="in the bundle, replace ids, names and e-mail addresses with consistent pseudonyms",
    )
    group.add_argument(
        "--redaction-map",
        metavar="FILE",
        help="with --redact, also write the map that undoes it to FILE (keep it)",
    )
    group.add_argument(
        "--evidence",
        choices=EVIDENCE_LEVELS,
        default=None,
        help="the JSON report's evidence per finding: summary (the default: who, what, where, "
        "what decided it, the nearest misses in brief) or full (every decision as `diagnose "
        "access --json` prints it)",
    )
    ui = group.add_mutually_exclusive_group()
    ui.add_argument(
        "--tui",
        dest="tui",
        action="store_true",
        default=None,
        help="open the terminal UI even when output is not a terminal",
    )
    ui.add_argument(
        "--no-tui",
        dest="tui",
        action="store_false",
        help="print text instead of opening the terminal UI",
    )


def _add_selection_arguments(group: argparse._ArgumentGroup) -> None:
    """Which checks run, and for whom: --select, --ignore, --creator, --principal, --personas
    (the report and `fix-plan` take them alike)."""
    group.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="IDS",
        help="run only these checks: ids or prefixes, comma-separated (e.g. CON,OYD001)",
    )
    group.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="IDS",
        help="skip these checks: ids or prefixes, comma-separated",
    )
    group.add_argument(
        "--creator",
        metavar="PRINCIPAL",
        help="also check that this principal (object id, or a name in the "
        "snapshot) can create hubs and projects: HUB004, INS001, CMK003, FDY003",
    )
    group.add_argument(
        "--principal",
        dest="principals",
        action="append",
        default=[],
        metavar="PRINCIPAL",
        help="why can't this principal ...: only its requirements (as a builder, whatever "
        "roles it holds) and those of the service identities; an object id, user principal "
        "name or display name; repeatable",
    )
    group.add_argument(
        "--personas",
        metavar="FILE",
        help="JSON or YAML file declaring who is a reader, builder or administrator "
        "(principal or group -> persona), overriding what the roles suggest",
    )


def _add_access(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    access = commands.add_parser(
        "access",
        help="does a principal hold an operation at a scope, and why",
        description="Evaluate effective access exactly as Azure does, with the evidence: the "
        "granting assignments and group chains, deny assignments, conditions, PIM "
        "eligibility and the nearest misses.",
        epilog="""exit codes:
  0  allowed
  1  denied or conditional
  2  bad usage or input
  3  unknown: the answer depends on something the snapshot could not read""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = access.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--snapshot",
        metavar="FILE",
        help="snapshot JSON (or support bundle .zip) to evaluate against",
    )
    source.add_argument("--demo", action="store_true", help="use the bundled demo hub")
    question = access.add_argument_group(
        "the question (each line of --batch gives its own, with these flags)"
    )
    question.add_argument(
        "--principal",
        metavar="ID",
        help="object id of the user, group or service principal (a display name "
        "or user principal name found in the snapshot also works)",
    )
    question.add_argument(
        "--scope",
        metavar="SCOPE",
        help="ARM scope, e.g. /subscriptions/<id>/resourceGroups/<rg>/providers/"
        "Microsoft.Search/searchServices/<name>; any scope Azure takes, / and management "
        "groups to provider-level paths",
    )
    operation = question.add_mutually_exclusive_group()
    operation.add_argument("--action", metavar="OP", help="a control-plane operation")
    operation.add_argument("--data-action", metavar="OP", help="a data-plane operation")
    question.add_argument(
        "--force-plane",
        action="store_true",
        help="evaluate the operation in the plane given even when the provider operation "
        "catalogs list it in the other plane, or not at all (they can lag behind Azure)",
    )
    add_output_arguments(access, DOCUMENT_FORMATS, default="text")
    access.add_argument(
        "--batch",
        "--repl",
        action="store_true",
        help="read questions from standard input, one a line (--principal ID --scope SCOPE "
        "--action OP, quoted as in a shell, or a JSON object), and answer each as it comes",
    )
    access.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the index of the snapshot kept in the user's cache "
        "directory (DIAGNOSE_CACHE_DIR chooses it)",
    )
    _add_input_arguments(access)
    access.set_defaults(handler=_run_access)


def _add_checks(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = commands.add_parser("checks", help="list the checks, with ids and severities")
    add_output_arguments(listing, DOCUMENT_FORMATS, default="text")
    listing.set_defaults(handler=_run_checks)
    explain = commands.add_parser(
        "explain-check", help="what a check looks at, why it matters, how to fix it"
    )
    explain.add_argument("check_id", metavar="ID", help="a check id, e.g. CON001")
    add_output_arguments(explain, DOCUMENT_FORMATS, default="text")
    explain.set_defaults(handler=_run_explain_check)


def _add_explain(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explain = commands.add_parser(
        "explain",
        help="explain an Azure error message: its cause and the fix",
        description="Recognise an error message (PermissionDenied, AuthorizationFailed, a "
        "Search 403, AuthorizationPermissionMismatch, a DNS or firewall refusal, ...), pull "
        "out the principal, operation and scope it names, and answer with the cause and the "
        "fix: from the text alone, or checked against a snapshot.",
    )
    explain.add_argument(
        "text",
        metavar="ERROR_TEXT",
        help="the error message, quoted; - reads it from standard input",
    )
    source = explain.add_mutually_exclusive_group()
    source.add_argument("--snapshot", metavar="FILE", help="snapshot to explain it against")
    source.add_argument("--demo", action="store_true", help="use the bundled demo hub")
    add_output_arguments(explain, DOCUMENT_FORMATS, default="text")
    _add_input_arguments(explain)
    explain.set_defaults(handler=_run_explain)


def _add_collect(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    collect = commands.add_parser(
        "collect",
        help="collect a live hub or Foundry resource into a snapshot file (read-only)",
        description="Read a hub's, Foundry resource's or Foundry project's state from Azure "
        "(read-only) and save it as a snapshot v1.",
    )
    collect.add_argument(
        "--hub",
        required=True,
        metavar="HUB",
        help="the hub, Foundry resource or Foundry project: an ARM id, or a name",
    )
    where = collect.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--output-file",
        metavar="FILE",
        help="where to write the snapshot JSON (- for standard output)",
    )
    where.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the same (collect writes one format, so -o still names its file here)",
    )
    _add_target_arguments(collect)
    _add_live_arguments(collect)
    collect.set_defaults(handler=_run_collect)


def _add_fix_plan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fix_plan = commands.add_parser(
        "fix-plan",
        help="write the whole fix plan as one script or template",
        description="Run every check (as the main command does) and write the whole fix plan "
        "as one runnable Azure CLI or PowerShell script, Bicep template or Terraform "
        "configuration, or the plan alone as JSON (--as json: the report's fixPlan). Steps a "
        "language cannot run (not verified, an alternative, a setting a template can only "
        "merge) stay in it as comments that say why.",
    )
    source = fix_plan.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", metavar="FILE", help="a saved snapshot or support bundle")
    source.add_argument("--demo", action="store_true", help="the bundled demo hub")
    source.add_argument(
        "--hub",
        metavar="HUB",
        help="collect a live hub, Foundry resource or Foundry project (ARM id, or name)",
    )
    fix_plan.add_argument(
        "--as",
        dest="language",
        required=True,
        choices=PLAN_FORMATS,
        help="the language of the plan",
    )
    fix_plan.add_argument(
        "--output-file",
        metavar="FILE",
        help="write the plan to FILE instead of standard output",
    )
    group = fix_plan.add_argument_group("which checks, for whom")
    _add_selection_arguments(group)
    group.add_argument(
        "--save-snapshot", metavar="FILE", help="also save the collected snapshot (with --hub)"
    )
    _add_target_arguments(fix_plan)
    _add_live_arguments(fix_plan)
    _add_input_arguments(fix_plan)
    fix_plan.set_defaults(handler=_run_fix_plan)


def _add_schema(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schema = commands.add_parser("schema", help="print the JSON Schema of a file format")
    schema.add_argument("name", choices=["snapshot", "report"], help="which format")
    add_output_arguments(schema, ("json", "jsonc", "yaml"), default="json")
    schema.set_defaults(handler=_run_schema)


def _run_access(args: argparse.Namespace) -> int:
    from diagnose.cli.access import run_access
    from diagnose.cli.flags import refuse_idle_flags
    from diagnose.cli.output import run_printing

    refuse_idle_flags(args)
    # access prints its answer (text, or JSON with args.json): run_printing gives it -o and
    # --output-file as every command has them.
    return run_printing(run_access, args, DOCUMENT_FORMATS)


def _run_checks(args: argparse.Namespace) -> int:
    from diagnose.cli.checks import run_checks

    return run_checks(args)


def _run_explain_check(args: argparse.Namespace) -> int:
    from diagnose.cli.checks import run_explain_check

    return run_explain_check(args)


def _run_explain(args: argparse.Namespace) -> int:
    from diagnose.cli.explain import run_explain

    return run_explain(args)


def _run_collect(args: argparse.Namespace) -> int:
    from diagnose.cli.collect import run_collect

    return run_collect(args)


def _run_fix_plan(args: argparse.Namespace) -> int:
    from diagnose.cli.fixplan import run_fix_plan

    return run_fix_plan(args)


def _run_schema(args: argparse.Namespace) -> int:
    from diagnose.cli.schema import run_schema

    return run_schema(args)


def _run_report(args: argparse.Namespace) -> int:
    from diagnose.cli.report import run_report

    return run_report(args)


DIFF_FORMATS = ("text", "json", "markdown")


def _add_diff(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diff = commands.add_parser(
        "diff",
        help="what changed between two snapshots, bundles or reports",
        description="Compare two snapshots (or support bundles, or JSON reports): role "
        "assignments, deny assignments, PIM eligibilities, identities and settings added, "
        "removed or changed, and the findings fixed, new and unchanged (matched by finding "
        "id). A report has findings only: with one, the state is not compared.",
        epilog="""exit codes:
  0  no new finding at or above --fail-on
  1  new findings at or above --fail-on (default: fail)
  2  bad usage or input""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("before", metavar="BEFORE", help="snapshot, bundle or JSON report")
    diff.add_argument("after", metavar="AFTER", help="snapshot, bundle or JSON report")
    diff.add_argument(
        "-o",
        "--output",
        "--format",
        dest="format",
        choices=DIFF_FORMATS,
        default="text",
        help="output format (default: text)",
    )
    diff.add_argument("--json", action="store_true", help="same as -o json")
    diff.add_argument(
        "--output-file", metavar="FILE", help="write the diff to FILE instead of standard output"
    )
    diff.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="fail",
        help="exit 1 when a new finding has this status or a worse one (default: fail)",
    )
    checks = diff.add_argument_group("checks")
    checks.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="IDS",
        help="compare only these checks' findings: ids or prefixes, comma-separated",
    )
    checks.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="IDS",
        help="leave these checks' findings out: ids or prefixes, comma-separated",
    )
    checks.add_argument(
        "--creator",
        metavar="PRINCIPAL",
        help="run the creator checks (HUB004, INS001, CMK003, FDY003) on a snapshot side for "
        "this principal, as the main command does",
    )
    _add_input_arguments(diff)
    diff.set_defaults(handler=_run_diff)


def _add_mcp(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mcp = commands.add_parser(
        "mcp",
        help="serve the tools to an assistant over the Model Context Protocol (stdio)",
        description="Run a Model Context Protocol server on standard input and output: "
        "diagnose, access, explain, explain_check, fix_plan, list_checks and diff, read-only. A "
        "live hub a tool names is collected with the credential options given here.",
    )
    _add_live_arguments(mcp)
    _add_input_arguments(mcp)
    mcp.set_defaults(handler=_run_mcp)


def _run_diff(args: argparse.Namespace) -> int:
    from diagnose.cli.diff import run_diff

    return run_diff(args)


def _run_mcp(args: argparse.Namespace) -> int:
    from diagnose.cli.inputs import fill_live_defaults
    from diagnose.cli.mcp import run_mcp

    fill_live_defaults(args)

    return run_mcp(args)


def _add_scan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = commands.add_parser(
        "scan",
        help="every hub and Foundry resource in subscriptions, a management group or the tenant",
        description="Find every hub and Foundry resource the caller can see in these "
        "subscriptions, this management group or every subscription, read their resources, "
        "role assignments and role definitions through Azure Resource Graph, collect the "
        "rest per hub (read-only), run the checks on each and print one row per hub. A "
        "subscription Resource Graph refuses or does not return is reported: its hubs are "
        "unknown.",
        epilog="""exit codes:
  0  no failure and nothing unknown
  1  a failure in some hub
  2  bad usage or input
  3  no failure, but a subscription or a hub could not be read (unknown)""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = scan.add_argument_group("what to scan (exactly one)")
    where.add_argument(
        "--subscription",
        dest="subscriptions",
        action="append",
        nargs="+",
        metavar="ID",
        help="these subscriptions (ids; repeatable)",
    )
    where.add_argument("--management-group", metavar="ID", help="every subscription under it")
    where.add_argument(
        "--all-subscriptions",
        action="store_true",
        help="every subscription the caller can read",
    )
    scan.add_argument(
        "-o",
        "--output",
        "--format",
        dest="format",
        choices=("text", "json"),
        default="text",
        help="output format (default: text)",
    )
    scan.add_argument("--json", action="store_true", help="same as -o json")
    scan.add_argument(
        "--output-file", metavar="FILE", help="write the summary to FILE instead of standard output"
    )
    scan.add_argument(
        "--details", action="store_true", help="each hub's full report after the summary"
    )
    scan.add_argument(
        "--bundle",
        metavar="FILE",
        help="write one zip: the JSON summary and each hub's support bundle",
    )
    checks = scan.add_argument_group("checks")
    checks.add_argument(
        "--select", action="append", default=[], metavar="IDS", help="run only these checks"
    )
    checks.add_argument(
        "--ignore", action="append", default=[], metavar="IDS", help="skip these checks"
    )
    _add_live_arguments(scan)
    scan.set_defaults(handler=_run_scan)


def _run_scan(args: argparse.Namespace) -> int:
    from diagnose.cli.scan import run_scan

    return run_scan(args)


def _add_recheck(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    recheck = commands.add_parser(
        "recheck",
        help="after a fix plan ran: each step done, not yet visible, or failed",
        description="Read the state again and say, per step of a fix plan (`fix-plan --as "
        "json`, or a --json report), whether it is done (seen, and the findings it was for "
        "are gone), not yet visible (inside the 10-minute propagation window) or failed.",
        epilog="exit codes:\n  0  every step done\n  1  a step failed\n  2  bad usage or "
        "input\n  3  no failure, but some steps are not yet visible",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    recheck.add_argument("--plan", required=True, metavar="FILE", help="the fix plan (JSON)")
    source = recheck.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", metavar="FILE", help="the state after, as a snapshot")
    source.add_argument("--demo", action="store_true", help="the bundled demo hub")
    source.add_argument("--hub", metavar="HUB", help="read a live hub again (read-only)")
    recheck.add_argument(
        "--wait", action="store_true", help="poll with backoff up to the propagation window"
    )
    recheck.add_argument(
        "-o", "--output", "--format", dest="format", choices=("text", "json"), default="text"
    )
    recheck.add_argument("--json", action="store_true", help="same as -o json")
    recheck.add_argument("--output-file", metavar="FILE", help="write to FILE, not stdout")
    _add_target_arguments(recheck)
    _add_live_arguments(recheck)
    _add_input_arguments(recheck)
    recheck.set_defaults(handler=_run_recheck)


def _run_recheck(args: argparse.Namespace) -> int:
    from diagnose.cli.recheck import run_recheck

    return run_recheck(args)
