"""The MCP server and its tools (mcp SDK 2.x, MCPServer). Each tool is a typed function (the
SDK derives its input schema from the annotations), calls one use case of diagnose.app and
answers through diagnose.mcpserver.answers.

No `from __future__ import annotations` here: the SDK reads these annotations at run time to
build the tools' input schemas.
"""

import logging
import threading
from collections.abc import Callable
from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from diagnose import __version__
from diagnose.app.serving import ServerOptions
from diagnose.errors import BadInput
from diagnose.mcpserver.answers import Answer
from diagnose.mcpserver.sources import (
    Demo,
    Hub,
    Principals,
    Project,
    ResourceGroup,
    Snapshot,
    Subscription,
    source_of,
)

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "ai-hub-diagnose finds why access fails in Azure AI Foundry hubs, Foundry resources and "
    "projects, and how to fix it. Every tool is read-only: it reads Azure (or a snapshot file, "
    "or the bundled demo) and changes nothing; fixes are returned as commands for a person to "
    "review and run. Name the source with exactly one of hub (a live ARM id or name), "
    "snapshot (a path on the server's machine) or demo=true. Start with diagnose; use access "
    "for one 'can P do O at S?' question and explain for an Azure error message."
)

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
"""Reads Azure (a live hub), never writes it."""
OFFLINE = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)

Detail = Annotated[
    Literal["summary", "full"],
    Field(
        description="summary: each finding with its first fix, and the fix plan's steps; "
        "full: the whole JSON report (evidence, every fix in every language)"
    ),
]
CheckIds = Annotated[
    list[str],
    Field(description="check ids or prefixes, e.g. CON or OYD001 (as --select / --ignore take)"),
]
Creator = Annotated[
    str | None,
    Field(description="also check that this principal can create hubs (object id or name)"),
]
SIDE = (
    "path of a snapshot (.json), support bundle (.zip) or JSON report (diagnose --json) on the "
    "server's machine"
)
PlanLanguage = Annotated[
    Literal["az", "powershell", "bicep", "terraform", "json"],
    Field(description="the language of the plan (json: the report's fixPlan)"),
]


def build_server(options: ServerOptions) -> MCPServer:
    """The server, its tools answering from sources named per call with these options."""
    server = MCPServer(
        "ai-hub-diagnose", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )
    one_at_a_time = threading.Lock()
    # A diagnosis holds a whole model in memory and a live one runs its own request pool:
    # one at a time keeps a server's footprint that of one CLI run.

    def answer(work: Callable[[], Answer]) -> CallToolResult:
        return _answer(work, one_at_a_time)

    @server.tool(annotations=READ_ONLY)
    def diagnose(
        hub: Hub = None,
        snapshot: Snapshot = None,
        demo: Demo = False,
        subscription: Subscription = None,
        resource_group: ResourceGroup = None,
        project: Project = None,
        principals: Principals = [],  # noqa: B006 (the SDK copies defaults per call)
        creator: Creator = None,
        select: CheckIds = [],  # noqa: B006
        ignore: CheckIds = [],  # noqa: B006
        detail: Detail = "summary",
    ) -> CallToolResult:
        """Run every check on a hub, Foundry resource or Foundry project (live, a snapshot or
        the demo): the findings with evidence and proven fixes, and the whole fix plan.
        principals focuses the run on 'why can't these principals ...'."""
        from diagnose.app import DiagnoseOptions
        from diagnose.app import diagnose as run
        from diagnose.mcpserver.answers import diagnosis_answer

        def work() -> Answer:
            source = source_of(options, demo, snapshot, hub, subscription, resource_group, project)
            found = run(
                source,
                DiagnoseOptions(
                    select=tuple(select),
                    ignore=tuple(ignore),
                    creator=creator,
                    principals=tuple(principals),
                    max_input_bytes=options.limits.max_bytes,
                ),
            )
            return diagnosis_answer(found, detail)

        return answer(work)

    @server.tool(annotations=READ_ONLY)
    def access(
        principal: Annotated[
            str, Field(description="object id, user principal name or display name")
        ],
        scope: Annotated[
            str, Field(description="an ARM scope: subscription, resource group or resource id")
        ],
        operation: Annotated[
            str,
            Field(
                description="a provider operation, e.g. Microsoft.Search/searchServices/"
                "indexes/documents/read"
            ),
        ],
        data_action: Annotated[
            bool, Field(description="true for a data-plane operation (DataActions)")
        ] = False,
        hub: Hub = None,
        snapshot: Snapshot = None,
        demo: Demo = False,
        subscription: Subscription = None,
        resource_group: ResourceGroup = None,
    ) -> CallToolResult:
        """Does a principal hold an operation at a scope, evaluated as Azure does: the
        granting assignments and group chains, deny assignments, conditions, PIM
        eligibility and the nearest misses."""
        from diagnose.app import access as ask
        from diagnose.app import access_question, load
        from diagnose.mcpserver.answers import access_answer

        def work() -> Answer:
            question = access_question(principal, scope, operation, data_action=data_action)
            source = source_of(options, demo, snapshot, hub, subscription, resource_group, None)
            loaded = load(source).snapshot
            return access_answer(ask(loaded, question), loaded.warnings)

        return answer(work)

    @server.tool(annotations=READ_ONLY)
    def explain(
        error_text: Annotated[str, Field(description="the Azure error message, verbatim")],
        hub: Hub = None,
        snapshot: Snapshot = None,
        demo: Demo = False,
        subscription: Subscription = None,
        resource_group: ResourceGroup = None,
    ) -> CallToolResult:
        """Explain an Azure error message (PermissionDenied, AuthorizationFailed, a Search
        403, ...): its cause and the fix; with a source, checked against it."""
        from diagnose.app import explain as explain_error
        from diagnose.app import load
        from diagnose.mcpserver.answers import explanation_answer

        def work() -> Answer:
            if not error_text.strip():
                raise BadInput("the error text is empty", fix="pass the Azure error message")
            if len(error_text) > MAX_ERROR_TEXT:
                raise BadInput(
                    f"the error text is longer than {MAX_ERROR_TEXT // 1024} KiB",
                    fix="pass only the error message, not a whole log",
                )
            loaded = None
            if demo or snapshot or hub:
                source = source_of(options, demo, snapshot, hub, subscription, resource_group, None)
                loaded = load(source).snapshot
            warnings = loaded.warnings if loaded is not None else ()
            return explanation_answer(explain_error(error_text, loaded), warnings)

        return answer(work)

    @server.tool(annotations=OFFLINE)
    def explain_check(
        check_id: Annotated[str, Field(description="a check id, e.g. CON001")],
    ) -> CallToolResult:
        """What a check looks at, why it matters, who needs it and how to fix it."""
        from diagnose.app import check_named
        from diagnose.mcpserver.answers import check_answer

        return answer(lambda: check_answer(check_named(check_id)))

    @server.tool(annotations=OFFLINE)
    def list_checks() -> CallToolResult:
        """Every check: id, severity, title, scenario."""
        from diagnose.app import list_checks as listing
        from diagnose.mcpserver.answers import checks_answer

        return answer(lambda: checks_answer(listing()))

    @server.tool(annotations=OFFLINE)
    def diff(
        before: Annotated[str, Field(description=SIDE + "; the earlier one")],
        after: Annotated[str, Field(description=SIDE + "; the later one")],
        select: CheckIds = [],  # noqa: B006
        ignore: CheckIds = [],  # noqa: B006
    ) -> CallToolResult:
        """What changed between two snapshots, bundles or JSON reports: role assignments, deny
        assignments, eligibilities, identities and settings added, removed or changed, and
        the findings fixed, new, unchanged or with another status (a snapshot's findings are
        those of every check run on it now; select / ignore narrow the findings compared)."""
        from diagnose.app import DiagnoseOptions
        from diagnose.app.diff import diff as compare
        from diagnose.app.diff import read_side
        from diagnose.mcpserver.answers import diff_answer

        def work() -> Answer:
            old, new = (read_side(path, options.limits) for path in (before, after))
            warnings = tuple(w for side in (old, new) for w in getattr(side, "warnings", ()))
            chosen = DiagnoseOptions(select=tuple(select), ignore=tuple(ignore))
            return diff_answer(compare(old, new, chosen), warnings)

        return answer(work)

    @server.tool(annotations=READ_ONLY)
    def fix_plan(
        language: PlanLanguage = "az",
        hub: Hub = None,
        snapshot: Snapshot = None,
        demo: Demo = False,
        subscription: Subscription = None,
        resource_group: ResourceGroup = None,
        project: Project = None,
        principals: Principals = [],  # noqa: B006
        select: CheckIds = [],  # noqa: B006
        ignore: CheckIds = [],  # noqa: B006
    ) -> CallToolResult:
        """The whole fix plan as one Azure CLI or PowerShell script, Bicep template or
        Terraform configuration, for a person to review and run: nothing is run here."""
        from diagnose.app import DiagnoseOptions, export_plan
        from diagnose.app import diagnose as run
        from diagnose.mcpserver.answers import plan_answer

        def work() -> Answer:
            source = source_of(options, demo, snapshot, hub, subscription, resource_group, project)
            found = run(
                source,
                DiagnoseOptions(
                    select=tuple(select),
                    ignore=tuple(ignore),
                    principals=tuple(principals),
                    max_input_bytes=options.limits.max_bytes,
                ),
            )
            return plan_answer(export_plan(found, language))

        return answer(work)

    return server


MAX_ERROR_TEXT = 1024 * 1024


def _answer(work: Callable[[], Answer], lock: threading.Lock) -> CallToolResult:
    """The tool's result; bad input is a tool error with its one message, and a bug one
    line that says so (its traceback goes to the server's log, never to the caller)."""
    from diagnose.safe import safe_message
    from diagnose.secrets import scrub_json

    try:
        with lock:
            text, data = work()
    except BadInput as exc:
        return _error(safe_message(str(exc)))
    except Exception as exc:
        logger.exception("a tool failed")
        return _error(
            f"internal error: {type(exc).__name__}: {safe_message(str(exc))} (a bug in "
            "ai-hub-diagnose: the server's log has the traceback)"
        )
    # A snapshot holds no credential (the collector drops them); this makes sure that no
    # message quoting Azure or a file brings one back.
    return CallToolResult(
        content=[TextContent(type="text", text=safe_message(text))],
        structured_content=scrub_json(data),
    )


def _error(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def serve(options: ServerOptions) -> int:
    """Serve over stdio until the client closes the connection."""
    build_server(options).run("stdio")
    return 0
