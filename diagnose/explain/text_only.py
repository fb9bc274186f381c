"""What `diagnose explain` can say from an error message alone, without a snapshot: the least
role (of the tool's catalog of built-in roles) that grants the operation the message names or
implies, at the scope it names, for the principal it names, written as a command with
`<placeholders>` for whatever the text does not say; and which storage account a storage URL in
the message names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagnose.arm.ids import GUID, build, parse
from diagnose.arm.scopes import scope_problem
from diagnose.checks._common import STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR
from diagnose.checks.pfl001_prompt_flow_storage import (
    FILE_OPERATIONS as PROMPT_FLOW_FILE_OPERATIONS,
)
from diagnose.engine.api import Operation, Remediation, RemediationKind
from diagnose.explain.patterns import ErrorPattern
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.commands import commands_for
from diagnose.remediation.planner import Planner, ScopeProviders
from diagnose.snapshot import empty_snapshot, parse_snapshot

PLACEHOLDER_PRINCIPAL = "<principal-object-id>"
PLACEHOLDER_PREFIX = "/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers"
STORAGE_URL = re.compile(
    r"https?://(?P<account>[a-z0-9]{3,24})\.(?P<service>blob|dfs|file|queue|table)\."
    r"core\.(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StorageTarget:
    """The storage account and service a storage URL in a message names."""

    account: str
    service: str
    """blob, dfs, file, queue or table."""


def storage_target(text: str) -> StorageTarget | None:
    found = STORAGE_URL.search(text)
    if found is None:
        return None
    return StorageTarget(found.group("account").lower(), found.group("service").lower())


@dataclass(frozen=True)
class TextOnlyFix:
    """The role that grants what a message names, from its text alone (never verified: the
    tenant's own role definitions and the caller's grants are unknown without a snapshot)."""

    principal: str
    operations: tuple[str, ...]
    data_actions: bool
    scope: str
    role_name: str
    role_id: str
    reason: str
    placeholders: tuple[str, ...]
    """Which parts the text did not give: "principal", "scope"."""
    azure_cli: str
    powershell: str


def text_only_fix(
    pattern: ErrorPattern, extracted: dict[str, str], storage: StorageTarget | None
) -> TextOnlyFix | None:
    """None when the message names (or implies) no operation, or no built-in role grants it."""
    operation = extracted.get("operation") or pattern.implies
    if not operation:
        return None
    data = bool(pattern.data_action)
    names: tuple[str, ...] = (operation,)
    roles = pattern.roles
    if (
        storage is not None
        and storage.service == "file"
        and operation.startswith("Microsoft.Storage/")
    ):
        # a file share URL is prompt flow's: what PFL001 asks on the hub's storage
        names = tuple(op.name for op in PROMPT_FLOW_FILE_OPERATIONS)
        data, roles = True, (STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,)
    placeholders: list[str] = []
    principal = extracted.get("principal") or ""
    if not GUID.fullmatch(principal):
        principal = f"<object-id-of-{principal}>" if principal else PLACEHOLDER_PRINCIPAL
        placeholders.append("principal")
    scope = extracted.get("scope") or ""
    if not scope or scope_problem(scope):
        scope = _scope_for(names[0], storage)
        placeholders.append("scope")
    else:
        scope, _ = lasting_scope(scope)
    operations = tuple(Operation(name, data) for name in names)
    model = Model(parse_snapshot(empty_snapshot(), "the tool's catalog of built-in roles"))
    evaluator = Evaluator(model.authorization)
    choices = Planner(evaluator, ScopeProviders.of(model).at).choose(operations, roles, scope)
    if len(choices) != 1:
        return None
    choice = choices[0]
    remediation = Remediation(
        kind=RemediationKind.ROLE_ASSIGNMENT,
        summary=f"Assign {choice.role.name}",
        principal_id=principal,
        role_definition_id=choice.role.id,
        role_name=choice.role.name,
        scope=scope,
    )
    commands = commands_for(remediation)
    return TextOnlyFix(
        principal,
        names,
        data,
        scope,
        choice.role.name,
        choice.role.id,
        choice.reason,
        tuple(placeholders),
        commands.azure_cli,
        commands.powershell,
    )


DEPLOYMENTS = "microsoft.resources/deployments"


def lasting_scope(scope: str) -> tuple[str, str | None]:
    """The scope a role for what a message names should be assigned at, and why when it is not
    the message's own: an ARM deployment's name is new on every run (the portal's and the
    SDKs' deployments are named after the time), so a role on the deployment the message names
    would not cover the next one: its resource group (or subscription, or management group)."""
    parsed = parse(scope)
    if parsed is None or parsed.type.lower() != DEPLOYMENTS or parsed.parent is None:
        return scope, None
    parent = build(parsed.parent)
    return parent, (
        f"the message names one ARM deployment ({parsed.name}); each deployment gets a new "
        f"name, so the role belongs on {parent}, where every deployment lies, not on that one"
    )


def _scope_for(operation: str, storage: StorageTarget | None) -> str:
    """A resource id template for the resource an operation acts on."""
    if storage is not None:
        return f"{PLACEHOLDER_PREFIX}/Microsoft.Storage/storageAccounts/{storage.account}"
    provider, _, rest = operation.partition("/")
    kind = rest.split("/", 1)[0]
    singular = kind[:-1] if kind.endswith("s") else kind
    return f"{PLACEHOLDER_PREFIX}/{provider}/{kind}/<{singular.lower()}-name>"
