"""The hub tree the UI shows, computed from a Diagnosis (diagnose.app) without Textual: the hub
or the Foundry accounts, their projects and connections, the resources those point to, what
could not be read, and every identity, each node with its finding count and the scope or
principal it narrows the findings to. Names from Azure go through safe_text into rich Text
(never markup)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text

from diagnose.arm.scopes import scope_key
from diagnose.engine.api import Finding
from diagnose.safe import safe_text
from diagnose.tui.names import short_resource

if TYPE_CHECKING:
    from diagnose.app import Diagnosis
    from diagnose.model.resources import Resource
    from diagnose.report.model import Report


@dataclass
class TreeItem:
    """One node of the hub tree: a label, the resource or principal it stands for, children."""

    label: Text
    resource: str | None = None
    principal: str | None = None
    children: list[TreeItem] = field(default_factory=list)
    expand: bool = False

    def add(
        self,
        label: Text,
        resource: str | None = None,
        *,
        principal: str | None = None,
        expand: bool = False,
    ) -> TreeItem:
        item = TreeItem(label, resource, principal, expand=expand)
        self.children.append(item)
        return item


def _label(kind: str, name: object, extra: str = "", style: str = "bold") -> Text:
    text = Text(end="")
    if kind:
        text.append(f"{kind} ", style="dim")
    text.append(safe_text(name), style=style)
    if extra:
        text.append(f"  {extra}", style="dim")
    return text


def _identity_words(resource: Any) -> str:
    kinds = resource.identity.kinds
    if not kinds:
        return "no managed identity"
    words = []
    if "systemassigned" in kinds:
        words.append("system-assigned")
    if "userassigned" in kinds:
        count = len(resource.identity.user_assigned)
        words.append(f"{count} user-assigned")
    return "identity: " + " + ".join(words)


KIND_WORDS = {
    "microsoft.cognitiveservices/accounts": "AI services",
    "microsoft.cognitiveservices/accounts/projects": "Foundry project",
    "microsoft.search/searchservices": "Search",
    "microsoft.storage/storageaccounts": "Storage",
    "microsoft.keyvault/vaults": "Key Vault",
    "microsoft.containerregistry/registries": "Registry",
    "microsoft.insights/components": "App Insights",
    "microsoft.managedidentity/userassignedidentities": "Identity",
    "microsoft.machinelearningservices/workspaces": "workspace",
}


def kind_word(resource: Resource) -> str:
    if resource.is_hub:
        return "hub"
    if resource.is_hub_project:
        return "project"
    if resource.type == "microsoft.cognitiveservices/accounts" and resource.kind == "openai":
        return "Azure OpenAI"
    return KIND_WORDS.get(resource.type, resource.type.rsplit("/", 1)[-1])


def short_id(principal_id: str) -> str:
    return principal_id[:8] + "…" if len(principal_id) > 9 else principal_id


def _connection_label(connection: Any) -> Text:
    raw = connection.resource
    details = [str(raw.prop("category") or "?"), str(raw.prop("authType") or "?")]
    if connection.shared:
        details.append("shared")
    text = _label("", connection.name, " · ".join(safe_text(d) for d in details), style="")
    if connection.uses_entra_id:
        text.stylize("green", 0, len(safe_text(connection.name)))
    return text


def build_tree(run: Diagnosis, finding_counts: dict[str, int] | None = None) -> TreeItem:
    """Hub -> projects -> connections (category, auth type), and the identities: the hub's,
    the projects', and those of the resources the connections point to."""
    from diagnose.engine.context import CheckContext

    model = run.model
    context = CheckContext(model, evaluator=run.evaluator)
    counts = finding_counts or {}

    def count(key: str) -> str:
        number = counts.get(key, 0)
        return f"{number} finding{'s' if number != 1 else ''}" if number else ""

    target = run.report.target
    root = TreeItem(
        _label("", target.get("hubName") or "no hub", "", style="bold"),
        target.get("hub"),
        expand=True,
    )
    identities: list[tuple[str, Any]] = []
    targets: dict[str, Any] = {}
    for hub in context.hubs:
        node = (
            root
            if len(context.hubs) == 1
            else root.add(_label("hub", hub.name), hub.key, expand=True)
        )
        if len(context.hubs) == 1:
            node.label = _label("hub", hub.name, count(hub.key))
            node.resource = hub.key
        identities.append((f"hub {safe_text(hub.name)}", hub))
        _connections(node, context, hub, targets, count)
        for project in context.projects(hub):
            child = node.add(
                _label("project", project.name, count(project.key)), project.key, expand=True
            )
            identities.append((f"project {safe_text(project.name)}", project))
            _connections(child, context, project, targets, count)
    foundry = _foundry(root, context, model, targets, identities, count)
    if not context.hubs and foundry:
        root.label = _label("", "Foundry projects", "no hub in the snapshot")
    elif not context.hubs:
        root.add(Text("the snapshot holds no hub and no Foundry project", style="italic", end=""))
    for key in foundry:
        targets.pop(key, None)
    if targets:
        branch = root.add(Text("connected resources", style="bold", end=""), expand=True)
        for key, resource in sorted(targets.items()):
            branch.add(_label(kind_word(resource), resource.name, count(key), style=""), key)
            if resource.identity.kinds:
                identities.append((f"{kind_word(resource)} {safe_text(resource.name)}", resource))
    _unread(root, run.report)
    branch = root.add(Text("identities", style="bold", end=""), expand=True)
    for owner, resource in identities:
        ref = context.identity(resource)
        if ref is not None:
            branch.add(_label("", owner, f"system {short_id(ref.id)}", style=""), principal=ref.id)
        for resource_id, uami in context.user_assigned_identities(resource):
            name = resource_id.rstrip("/").rsplit("/", 1)[-1]
            extra = f"user-assigned {short_id(uami.id)}" if uami else "user-assigned, unknown"
            branch.add(
                _label("", f"{owner}: {name}", extra, style=""), principal=uami.id if uami else None
            )
        if ref is None and not resource.identity.user_assigned:
            branch.add(_label("", owner, _identity_words(resource), style="yellow"))
    return root


def _foundry(
    root: TreeItem,
    context: Any,
    model: Any,
    targets: dict[str, Any],
    identities: list[tuple[str, Any]],
    count: Callable[[str], str],
) -> set[str]:
    """Foundry accounts with projects (the newer model): account -> projects -> connections.
    Returns the accounts' keys."""
    projects: dict[str, list[Any]] = {}
    for project in model.of_type("microsoft.cognitiveservices/accounts/projects"):
        projects.setdefault(scope_key(project.parent_id), []).append(project)
    shown: set[str] = set()
    for account_key in sorted(projects):
        account = model.resource(account_key)
        if account is None:
            continue
        shown.add(account_key)
        node = root.add(
            _label("Foundry", account.name, count(account_key)), account_key, expand=True
        )
        identities.append((f"Foundry {safe_text(account.name)}", account))
        _connections(node, context, account, targets, count)
        for project in sorted(projects[account_key], key=lambda r: r.key):
            child = node.add(
                _label("project", project.name, count(project.key)), project.key, expand=True
            )
            identities.append((f"project {safe_text(project.name)}", project))
            _connections(child, context, project, targets, count)
    return shown


def _unread(root: TreeItem, report: Report) -> None:
    """What could not be read or run: the report is partial without it."""
    errors, failed = report.collection_errors, report.check_errors
    if not errors and not failed:
        return
    label = Text(f"could not be read ({len(errors) + len(failed)})", style="bold red", end="")
    branch = root.add(label, expand=True)
    for error in errors:
        status = f"{error.status} " if error.status else ""
        branch.add(
            _label(
                "", f"{status}{error.operation}", f"at {short_resource(error.scope)}", style="red"
            ),
            error.scope if error.scope.startswith("/") else None,
        )
    for check_error in failed:
        branch.add(_label("check", check_error.check_id, "failed to run", style="red"))


def _connections(
    node: TreeItem,
    context: Any,
    workspace: Any,
    targets: dict[str, Any],
    count: Callable[[str], str],
) -> None:
    connections = context.connections(workspace)
    if not connections:
        return
    branch = node.add(Text(f"connections ({len(connections)})", style="dim", end=""), expand=True)
    for connection in connections:
        target = context.target_of(connection)
        item = branch.add(_connection_label(connection), connection.resource.key)
        if target is not None:
            targets[target.key] = target
            item.label.append(f" -> {safe_text(target.name)}", style="dim")
        extra = count(connection.resource.key)
        if extra:
            item.label.append(f"  {extra}", style="dim")


def finding_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per resource scope key (lower-case) and per principal id."""
    counts: dict[str, int] = {}
    for finding in findings:
        key = scope_key(finding.resource)
        counts[key] = counts.get(key, 0) + 1
    return counts
