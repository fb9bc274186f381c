"""Explain an error message: recognise it, pull out what it names, and answer from a snapshot
with the evaluator's decision, a proven fix and the findings of the checks that look at that
cause."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from diagnose.arm import types
from diagnose.arm.ids import build as build_id
from diagnose.arm.ids import last_segment
from diagnose.arm.ids import parse as parse_id
from diagnose.arm.scopes import scope_key, scope_problem
from diagnose.checks.agt002_cosmos_enterprise_memory import DATABASE as AGENT_DATABASE
from diagnose.checks.cfg001_search_api_key_only import api_keys_only
from diagnose.engine.api import (
    Cause,
    CheckInfo,
    Draft,
    Finding,
    Operation,
    PrincipalRef,
    Remediation,
    RemediationKind,
    Requirement,
    Severity,
    Status,
)
from diagnose.engine.context import describe
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.explain.access_policies import access_policy_notes
from diagnose.explain.patterns import ErrorPattern, recognise
from diagnose.explain.text_only import TextOnlyFix, lasting_scope, storage_target, text_only_fix
from diagnose.model.cosmos import (
    BUILTIN_DATA_CONTRIBUTOR,
    BUILTIN_DATA_READER,
    CosmosAccount,
    CosmosPath,
    parse_path,
)
from diagnose.model.model import Model
from diagnose.model.resources import SEARCH_SERVICE, STORAGE_ACCOUNT, Resource
from diagnose.rbac.cosmos import CosmosEvaluator, match_definition
from diagnose.rbac.decision import Decision, Outcome
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import Snapshot

_QUESTION = CheckInfo(
    "ERR001",
    "Access named in the error message",
    Severity.HIGH,
    "diagnose explain",
    (),
    {
        "What it checks": "The access the error message names.",
        "Why it matters": "-",
        "How to fix": "-",
    },
    lambda ctx: (),
)


@dataclass
class Explanation:
    text: str
    pattern: ErrorPattern | None
    extracted: dict[str, str] = field(default_factory=dict)
    principal: PrincipalRef | None = None
    decision: Decision | None = None
    finding: Finding | None = None
    """The named access evaluated as a requirement, with its proven fix (when it fails)."""
    related: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    no_role: bool = False
    """No role assignment fixes what the message reports (its kind, or what the snapshot shows,
    e.g. a Search service in API-key-only mode): none is offered."""
    text_only: TextOnlyFix | None = None
    """Without a snapshot: the role that grants what the message names, with placeholders for
    what the text does not say."""

    @property
    def recognised(self) -> bool:
        return self.pattern is not None


def explain_error(text: str, snapshot: Snapshot | None) -> Explanation:
    found = recognise(text)
    if found is None:
        return Explanation(text, None)
    pattern, extracted = found
    explanation = Explanation(text, pattern, extracted)
    storage = storage_target(text)
    if storage is not None and not pattern.no_role:
        extracted.setdefault("storage account", storage.account)
    explanation.no_role = pattern.no_role
    if pattern.no_role:
        explanation.notes.append(NO_ROLE_NOTE)
    if snapshot is None:
        if not pattern.no_role:
            explanation.text_only = text_only_fix(pattern, extracted, storage)
        if not pattern.no_role:
            explanation.notes.append(WITHOUT_SNAPSHOT_NOTE)
        elif pattern.related_findings and pattern.checks:
            explanation.notes.append(WITHOUT_SNAPSHOT_NO_ROLE_NOTE)
        return explanation
    model = Model(snapshot)
    engine = Engine(model, fixes=FixPlan)
    key_only = _api_key_only_search(text, model)
    no_role = explanation.no_role = pattern.no_role or key_only is not None
    if key_only is not None:
        explanation.notes.append(
            f"Search service '{key_only.name}' accepts API keys only: every Entra ID token gets "
            "403 whatever roles the caller holds, so no role assignment helps until it accepts "
            "role-based access (authOptions aadOrApiKey; see CFG001)."
        )
    if not no_role:
        _evaluate_named_access(explanation, model, engine)
        _evaluate_cosmos_access(explanation, model, engine)
    explanation.notes += access_policy_notes(model, extracted)
    if not pattern.related_findings:
        return explanation
    checks, _ = load_checks()
    related = [c for c in checks if c.id in pattern.checks]
    result = engine.run(related)
    findings = list(result.findings)
    if explanation.principal is not None:
        closure = model.authorization.directory.closure(explanation.principal.id).via
        # A finding that stands for several principals names them in affected_principals.
        mine = [
            f
            for f in findings
            if (f.principal and f.principal.id in closure)
            or any(a.id in closure for a in f.affected_principals)
        ]
        if mine:
            findings = mine
    if storage is not None:  # the findings about the storage account the URL names
        on_account = [
            f
            for f in findings
            if (target := model.resource(f.resource)) is not None
            and target.type == STORAGE_ACCOUNT
            and target.name.lower() == storage.account
        ]
        findings = on_account or findings
    if no_role:  # what the related checks say, without any role to assign
        findings = [_without_role_fixes(f) for f in findings]
    explanation.related = findings
    explanation.notes += _cosmos_fixes_elsewhere(explanation, model)
    return explanation


SEARCH_HOST = re.compile(r"\b([a-z0-9][a-z0-9-]{0,59})\.search\.windows\.net\b", re.IGNORECASE)


def _api_key_only_search(text: str, model: Model) -> Resource | None:
    """The Search service the message names by its host, when the snapshot shows it accepts
    API keys only (then a 401/403 from it is no missing role)."""
    found = SEARCH_HOST.search(text)
    if found is None:
        return None
    name = found.group(1).lower()
    for search in model.of_type(SEARCH_SERVICE):
        if search.name.lower() != name:
            continue
        if api_keys_only(search):
            return search
    return None


NO_ROLE_NOTE = (
    "No role assignment fixes this message: it reports the network, DNS, an "
    "authentication method the resource refuses, a token or key it does not accept, an Azure "
    "Policy that denies the request, or an access model that ignores roles (a key vault's "
    "access policies), not a missing role."
)
WITHOUT_SNAPSHOT_NOTE = (
    "This answer comes from the text alone. With --snapshot FILE (a snapshot from `diagnose "
    "collect --hub HUB`, or a support bundle) it also says whether that identity already "
    "holds the permission and through which grant, which identity made the call, the least "
    "role checked against your tenant's own role definitions with a verified command, and "
    "the related checks' findings."
)
WITHOUT_SNAPSHOT_NO_ROLE_NOTE = (
    "This answer comes from the text alone. With --snapshot FILE it also shows what the "
    "related checks found in that snapshot (still without any role to assign for this message)."
)
_ROLE_KINDS = frozenset({RemediationKind.ROLE_ASSIGNMENT, RemediationKind.ACTIVATE_ELIGIBLE})


def _without_role_fixes(finding: Finding) -> Finding:
    kept = tuple(r for r in finding.remediations if r.kind not in _ROLE_KINDS)
    return finding if kept == finding.remediations else replace(finding, remediations=kept)


def _evaluate_named_access(explanation: Explanation, model: Model, engine: Engine) -> None:
    extracted = explanation.extracted
    pattern = explanation.pattern
    assert pattern is not None
    # The principal the message names (an object id, a UPN or a mail); when a ticket's copy
    # elides the object id ('...'), the client's name is the next best way to find the caller.
    names = [
        text.strip()
        for text in (extracted.get("principal"), extracted.get("client"))
        if text and text.strip()
    ]
    if not names:
        return
    from diagnose.errors import BadInput
    from diagnose.model.lookup import resolve_principal

    problems: list[str] = []
    for name in names:
        try:
            principal_id = resolve_principal(model, name)
            break
        except BadInput as exc:
            problems.append(exc.what)
    else:
        explanation.notes.append(problems[0])
        return
    ref = engine.context.principal(principal_id, "User")
    explanation.principal = ref
    operation = extracted.get("operation")
    scope = extracted.get("scope")
    if not operation or not scope:
        return
    if scope_problem(scope):
        explanation.notes.append(f"the scope in the message ({scope}) is not a full ARM scope")
        return
    data = bool(pattern.data_action)
    explanation.decision = engine.evaluator.check(principal_id, scope, operation, data_action=data)
    known = model.resource(scope)
    parsed = parse_id(scope)  # a scope the snapshot lacks is still named by its type
    resource = known or Resource.from_arm(
        {
            "id": scope,
            "name": scope.rstrip("/").rsplit("/", 1)[-1],
            "type": parsed.type if parsed is not None else "",
        }
    )
    # The decision above is Azure's, at the named scope; the fix may belong above it: on what
    # holds every deployment (its scope), or on the parent of a child being created (then the
    # parent is the fix's resource).
    lasting, moved = lasting_scope(scope)
    fix_scope = lasting if moved is not None else None
    created_in = _created_in(model, scope, operation)
    if created_in is not None:
        resource, fix_scope = created_in, None
        moved = (
            f"{last_segment(scope)} is not in the snapshot, which lists every one of its kind "
            f"in {describe(created_in)}: the request was creating it, and a role cannot be "
            f"assigned on a resource before it exists, so the fix is on {describe(created_in)}, "
            "where creating it is decided"
        )
    if moved is not None:
        explanation.notes.append(moved)
    elif known is None and scope_key(scope) != "/":
        explanation.notes.append(
            "the scope in the message is not a resource in the snapshot; "
            "it was evaluated from the assignments the snapshot holds"
        )
    requirement = Requirement(
        principal=ref,
        resource=resource,
        operations=(Operation(operation, data),),
        scope=fix_scope,
        because="is the caller named in the error message",
    )
    explanation.finding = engine.requirement_finding(_QUESTION, requirement)


COSMOS_ACCOUNT_NAMED = re.compile(
    r"Request blocked by Auth\s+(?P<name>[a-z0-9][a-z0-9-]{1,49})\b|"
    r"\b(?P<host>[a-z0-9][a-z0-9-]{1,49})\.documents\.azure\.com\b",
    re.IGNORECASE,
)


def _cosmos_place(
    explanation: Explanation, model: Model
) -> tuple[CosmosAccount, CosmosPath] | None:
    """The Cosmos DB account and path a 5301 refusal names, when the snapshot holds that
    account: the account by the name the message gives ("Request blocked by Auth <name>", or
    its documents.azure.com host; never guessed from the snapshot), the path as the message's
    resource (an item's path cut at its container: no SQL role assignment goes lower)."""
    extracted = explanation.extracted
    resource = extracted.get("resource")
    operation = extracted.get("operation", "")
    if resource is None or not operation.lower().startswith("microsoft.documentdb/"):
        return None
    found = COSMOS_ACCOUNT_NAMED.search(explanation.text)
    if found is None:
        return None
    name = (found.group("name") or found.group("host")).lower()
    accounts = [
        account
        for account in model.cosmos.accounts.values()
        if account.resource.name.lower() == name
    ]
    if len(accounts) != 1:
        return None
    parts = [part for part in resource.strip().strip("/").split("/") if part]
    target = accounts[0].path("/" + "/".join(parts[:4]))
    return None if target is None else (accounts[0], target)


def _evaluate_cosmos_access(explanation: Explanation, model: Model, engine: Engine) -> None:
    """A Cosmos DB data-plane refusal evaluated as Cosmos DB does: the caller's SQL role
    assignments of the account the message names, at the resource it names; when it is denied,
    the least built-in SQL role that grants the action, proven as a Cosmos DB SQL role
    assignment."""
    principal = explanation.principal
    if principal is None or explanation.decision is not None:
        return
    place = _cosmos_place(explanation, model)
    if place is None:
        return
    account, target = place
    operation = explanation.extracted["operation"]
    evaluator = CosmosEvaluator(model.cosmos, model.authorization.directory)
    decision = explanation.decision = evaluator.check(
        principal.id, account.id, target.under(account.id), operation
    )
    if decision.decision is not Outcome.DENIED:
        return
    fix = _cosmos_fix(account, target, operation, principal)
    if fix is None:
        return
    draft = Draft(
        status=Status.FAIL,
        resource=account.id,
        message=f"{principal.label} holds no Cosmos DB SQL role assignment of "
        f"{describe(account.resource)} that grants {operation} at {target.relative}.",
        cause=Cause.MISSING_ROLE,
        principal=principal,
        remediations=(fix,),
        evidence=(decision,),
    )
    explanation.finding = engine.draft_finding(_QUESTION, draft)


def _cosmos_fix(
    account: CosmosAccount, target: CosmosPath, operation: str, principal: PrincipalRef
) -> Remediation | None:
    """The least built-in SQL role that grants the action (Data Reader before Data
    Contributor), where the message names: the account, a database or a container; in the
    agent service's own database, whose containers the service creates as it goes (a grant on
    one would miss the next), the database."""
    at = CosmosPath(target.database) if target.database == AGENT_DATABASE else target
    scope = at.relative
    for guid in (BUILTIN_DATA_READER, BUILTIN_DATA_CONTRIBUTOR):
        definition = account.definition(guid)
        if definition is None or not match_definition(definition, operation).granted:
            continue
        extra = (
            " It also reads every item of the account; a custom SQL role with only this data "
            "action at / grants less."
            if scope == "/" and guid == BUILTIN_DATA_READER
            else ""
        )
        return Remediation(
            kind=RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT,
            summary=f"Assign {definition.name} to {principal.label} on "
            f"{describe(account.resource)}: a Cosmos DB SQL role assignment at {scope}.{extra}",
            principal_id=principal.id,
            principal_type=principal.type,
            role_definition_id=definition.id,
            role_name=definition.name,
            scope=at.under(account.resource.id),
            resource=account.resource.id,
            value={"dataActions": [operation], "neededAt": target.under(account.resource.id)},
        )
    return None


def _cosmos_fixes_elsewhere(explanation: Explanation, model: Model) -> list[str]:
    """A note for each related finding whose Cosmos DB SQL role fix would not reach the
    resource the message names (AGT002's database grant against a refusal "on resource [/]",
    the account's metadata): applying it alone would leave this request refused."""
    decision = explanation.decision
    extracted = explanation.extracted
    caller = explanation.principal
    if decision is None or decision.allowed or "resource" not in extracted or caller is None:
        return []
    # a fix counts for the caller only when it is the caller's or a group's it counts as
    callers = frozenset(model.authorization.directory.closure(caller.id).via)
    notes = []
    for finding in explanation.related:
        for fix in finding.remediations:
            if fix.kind != RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT or not fix.scope:
                continue
            if (fix.principal_id or "").lower() not in callers:
                continue  # another identity's fix: it would not let this caller in
            # the refused path as a path of the fix's account: None on another account
            wanted = parse_path(decision.scope, fix.resource) if fix.resource else None
            at = parse_path(fix.scope, fix.resource or "")
            if wanted is None or at is None:
                continue
            if not at.contains(wanted):
                notes.append(
                    f"{finding.check_id}'s fix ({fix.role_name} at {fix.scope}) does not cover "
                    f"the resource this message names ([{extracted['resource']}]): the request "
                    "it reports needs the data action at a scope that contains that resource, "
                    "as the usual fix above says."
                )
            elif explanation.finding is not None:
                notes.append(
                    f"{finding.check_id}'s fix ({fix.role_name} at {fix.scope}) covers this "
                    "request too, and the other data actions that check found missing: prefer "
                    "it to the role for this one action above, or the next request fails on "
                    "the next action."
                )
    return list(dict.fromkeys(notes))


LISTED_IN_FULL = frozenset(
    {
        types.WORKSPACE_CONNECTION,
        types.COGNITIVE_PROJECT,
        types.ACCOUNT_CONNECTION,
        types.PROJECT_CONNECTION,
        types.COGNITIVE_DEPLOYMENT,
        types.ACCOUNT_CAPABILITY_HOST,
        types.PROJECT_CAPABILITY_HOST,
    }
)
"""Child resources a collection lists in full under a parent it holds (a hub's connections, a
Foundry resource's projects, ...): one the snapshot lacks did not exist then."""


def _created_in(model: Model, scope: str, operation: str) -> Resource | None:
    """The parent on which to fix a refused create of a child resource the collection lists in
    full (a Foundry project, a connection, a deployment, a capability host) that the snapshot
    lacks while it holds the parent, read without error: the child did not exist when the
    snapshot was taken, and a role cannot be assigned on a resource before it exists, so the
    fix goes on the parent, where creating it is decided. None for anything else: then the
    named scope is kept."""
    parsed = parse_id(scope)
    if (
        parsed is None
        or parsed.parent is None
        or parsed.type.lower() not in LISTED_IN_FULL
        or operation.lower() != f"{parsed.type}/write".lower()
        or model.resource(scope) is not None
    ):
        return None
    target = model.snapshot.data.get("target")
    narrowed = isinstance(target, dict) and bool(target.get("project"))
    if narrowed and parsed.type.lower() == types.COGNITIVE_PROJECT:
        return None  # collected with --project: the other projects were not
    parent = model.resource(build_id(parsed.parent))
    if parent is None or any(
        error.scope_key == parent.key or error.scope_key.startswith(parent.key + "/")
        for error in model.authorization.errors
    ):
        return None
    return parent


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    from diagnose.jsonable import to_jsonable

    pattern = explanation.pattern
    return {
        "recognised": explanation.recognised,
        "pattern": None
        if pattern is None
        else {
            "name": pattern.name,
            "where": pattern.where,
            "cause": pattern.cause,
            "fix": pattern.fix,
            "checks": list(pattern.checks),
        },
        "extracted": explanation.extracted,
        "principal": to_jsonable(explanation.principal),
        "decision": explanation.decision.to_json() if explanation.decision else None,
        "finding": to_jsonable(explanation.finding),
        "related": [to_jsonable(f) for f in explanation.related],
        "notes": explanation.notes,
        "noRoleFixes": explanation.no_role,
        "textOnly": to_jsonable(explanation.text_only),
    }
