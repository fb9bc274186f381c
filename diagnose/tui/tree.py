"""The hub tree the UI shows, computed from a Diagnosis (diagnose.app) without Textual: the hub
and the Foundry resources beside it (or the Foundry resource or project the snapshot targets),
their projects and connections, a Foundry resource's deployments, a Foundry project's
capability host and the resources its connections name, the resources the connections point
to, what could not be read, and every identity, each node with its finding count and the scope
or principal it narrows the findings to. Names from Azure go through safe_text into rich Text
(never markup)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text

from diagnose.arm import types
from diagnose.arm.scopes import scope_key
from diagnose.engine.api import Finding
from diagnose.model.agents import CAPABILITY_HOST_STORES, connection_names
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
    "microsoft.documentdb/databaseaccounts": "Cosmos DB",
}


def kind_word(resource: Resource) -> str:
    if resource.is_hub:
        return "hub"
    if resource.is_hub_project:
        return "project"
    if resource.type == types.COGNITIVE_ACCOUNT and resource.kind == "openai":
        return "Azure OpenAI"
    if resource.type == types.COGNITIVE_ACCOUNT and resource.prop("allowProjectManagement"):
        return "Foundry"
    return KIND_WORDS.get(resource.type, resource.type.rsplit("/", 1)[-1])


def target_word(run: Diagnosis) -> str:
    """What the snapshot targets, in a word: a hub, a Foundry resource or a Foundry project."""
    targeted = run.model.resource(run.report.target.get("hub"))
    if targeted is not None and targeted.type == types.COGNITIVE_PROJECT:
        return "Foundry project"
    if targeted is not None and targeted.type == types.COGNITIVE_ACCOUNT:
        return "Foundry"
    return "hub"


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
    targeted = context.resource(target.get("hub"))
    if targeted is not None and targeted.type in (types.COGNITIVE_ACCOUNT, types.COGNITIVE_PROJECT):
        _foundry_root(root, targeted, context, targets, identities, count)
        return _finish(root, run, context, targets, identities, count)
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
    for account in context.foundry_accounts:
        _foundry_account(
            root.add(Text(end=""), account.key, expand=True),
            account,
            context,
            targets,
            identities,
            count,
        )
    if not context.hubs and context.foundry_accounts:
        root.label = _label("", "Foundry projects", "no hub in the snapshot")
    elif not context.hubs:
        root.add(Text("the snapshot holds no hub and no Foundry project", style="italic", end=""))
    return _finish(root, run, context, targets, identities, count)


def _finish(
    root: TreeItem,
    run: Diagnosis,
    context: Any,
    targets: dict[str, Any],
    identities: list[tuple[str, Any]],
    count: Callable[[str], str],
) -> TreeItem:
    """The branches every tree ends with: the connected resources, what could not be read,
    the identities."""
    for _, resource in identities:
        targets.pop(resource.key, None)
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


def _foundry_root(
    root: TreeItem,
    targeted: Resource,
    context: Any,
    targets: dict[str, Any],
    identities: list[tuple[str, Any]],
    count: Callable[[str], str],
) -> None:
    """A snapshot that targets a Foundry resource (the root is the account) or a Foundry project
    (the root is the project, its account a branch below it)."""
    if targeted.type == types.COGNITIVE_ACCOUNT:
        _foundry_account(root, targeted, context, targets, identities, count)
        return
    account = context.resource(targeted.parent_id)
    _foundry_project(root, targeted, context, targets, identities, count)
    if account is not None:
        _foundry_account(
            root.add(Text(end=""), account.key, expand=True),
            account,
            context,
            targets,
            identities,
            count,
            projects=False,
        )


def _foundry_account(
    node: TreeItem,
    account: Resource,
    context: Any,
    targets: dict[str, Any],
    identities: list[tuple[str, Any]],
    count: Callable[[str], str],
    *,
    projects: bool = True,
) -> None:
    """A Foundry resource (the node given) -> its deployments, its own connections and
    capability host, and its projects in scope."""
    model = context.model
    deployments = model.children_of(account, types.COGNITIVE_DEPLOYMENT)
    words = [
        f"{len(deployments)} deployment{'s' if len(deployments) != 1 else ''}",
        _identity_words(account),
    ]
    extra = " · ".join(w for w in (*words, count(account.key)) if w)
    node.label = _label("Foundry", account.name, extra)
    node.resource = account.key
    identities.append((f"Foundry {safe_text(account.name)}", account))
    if deployments:
        branch = node.add(Text(f"deployments ({len(deployments)})", style="dim", end=""))
        for deployment in deployments:
            branch.add(_deployment_label(deployment, count(deployment.key)), deployment.key)
    _connections(node, context, account, targets, count)
    for host in model.children_of(account, types.ACCOUNT_CAPABILITY_HOST):
        _capability_host(node, host, account, context, targets, count, default=True)
    if not projects:
        return
    for project in context.foundry_projects(account):
        _foundry_project(
            node.add(Text(end=""), project.key, expand=True),
            project,
            context,
            targets,
            identities,
            count,
        )


def _foundry_project(
    node: TreeItem,
    project: Resource,
    context: Any,
    targets: dict[str, Any],
    identities: list[tuple[str, Any]],
    count: Callable[[str], str],
) -> None:
    """A Foundry project (the node given) -> its connections and its capability host."""
    extra = " · ".join(w for w in (_identity_words(project), count(project.key)) if w)
    node.label = _label("project", project.name, extra)
    node.resource = project.key
    identities.append((f"project {safe_text(project.name)}", project))
    _connections(node, context, project, targets, count)
    hosts = context.model.children_of(project, types.PROJECT_CAPABILITY_HOST)
    for host in hosts:
        _capability_host(node, host, project, context, targets, count)
    if not hosts:
        node.add(Text("no capability host of its own (the account's, if any)", style="dim", end=""))


def _capability_host(
    node: TreeItem,
    host: Resource,
    owner: Resource,
    context: Any,
    targets: dict[str, Any],
    count: Callable[[str], str],
    *,
    default: bool = False,
) -> None:
    """A capability host -> for each connection it names, what for and the resource it points
    to (selecting it narrows the findings to that resource)."""
    kind = safe_text(host.prop("capabilityHostKind") or "?")
    extra = " · ".join(
        w for w in (kind, "account default" if default else "", count(host.key)) if w
    )
    item = node.add(_label("capability host", host.name, extra, style=""), host.key, expand=True)
    usable = {c.name.lower(): c for c in context.usable_connections(owner)}
    for prop, purpose, _ in CAPABILITY_HOST_STORES:
        for name in connection_names(host, prop):
            connection = usable.get(str(name).lower())
            label = _label(purpose, name, "", style="")
            if connection is None:
                label.append("  no such connection", style="yellow")
                item.add(label)
                continue
            target = context.target_of(connection)
            if target is None:
                item.add(label, connection.resource.key)
                continue
            targets[target.key] = target
            label.append(f" -> {kind_word(target)} {safe_text(target.name)}", style="dim")
            extra = count(target.key)
            if extra:
                label.append(f"  {extra}", style="dim")
            item.add(label, target.key)


def _deployment_label(deployment: Resource, extra: str) -> Text:
    model = deployment.prop("model") or {}
    model = model if isinstance(model, dict) else {}
    words = [str(model.get(k) or "") for k in ("format", "name", "version")]
    sku = deployment.raw.get("sku")
    if isinstance(sku, dict) and sku.get("name"):
        words.append(str(sku["name"]))
    details = " ".join(safe_text(w) for w in words if w)
    return _label("", deployment.name, "  ".join(w for w in (details, extra) if w), style="")


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
