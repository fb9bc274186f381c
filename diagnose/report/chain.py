"""The identity chain of a finding, as a typed value: who (a person, a group, a service
identity) reaches what (a role, at a scope) for which operation, link by link, and where the
chain breaks. The Markdown report draws it as a Mermaid diagram (diagnose.report.mermaid); a
front end may show it as a tree.

It is read from what the finding's evidence holds (the access decisions behind it) and its fix,
nothing else: a part the evidence does not name is a node marked unknown, never a guess. A
group is named by its object id, which is what the evidence keeps of it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from diagnose.engine.api import Finding, RemediationKind, Status
from diagnose.rbac.decision import Decision, Outcome


class NodeKind(StrEnum):
    PRINCIPAL = "principal"
    GROUP = "group"
    ROLE = "role"
    DENY = "denyAssignment"
    SCOPE = "scope"
    TARGET = "target"
    """The operation asked for, at the scope asked about."""


class LinkState(StrEnum):
    HOLDS = "holds"
    """The link exists (a membership, an active assignment, a grant)."""
    MISSING = "missing"
    """The link the fix adds: it does not exist."""
    ELSEWHERE = "elsewhere"
    """The role exists, but does not reach the target (another scope, plane or exclusion)."""
    ELIGIBLE = "eligible"
    """A PIM-eligible assignment, not active."""
    CONDITIONAL = "conditional"
    BLOCKED = "blocked"
    """A deny assignment stops it."""
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ChainNode:
    kind: NodeKind
    label: str
    """What to show: a name, a short resource name, an operation; "unknown ..." when unknown."""
    id: str | None = None
    """The object id, role definition id or ARM id, when the evidence has it."""
    known: bool = True


@dataclass(frozen=True)
class ChainLink:
    label: str
    """What joins the two nodes, in words: "member of", "assigned", "at", "for"."""
    state: LinkState


@dataclass(frozen=True)
class IdentityChain:
    nodes: tuple[ChainNode, ...]
    links: tuple[ChainLink, ...]
    """links[i] joins nodes[i] to nodes[i + 1]."""
    outcome: Outcome
    """The decision the chain explains."""


def identity_chain(finding: Finding) -> IdentityChain | None:
    """The chain behind a finding about access, or None for one without an access decision
    (a setting, a network rule)."""
    decision = _decision(finding)
    if decision is None:
        return None
    nodes = [_subject(finding, decision)]
    links: list[ChainLink] = []
    target = ChainNode(
        NodeKind.TARGET,
        f"{decision.operation} on {short_name(decision.scope)}",
        decision.scope,
    )

    def via(groups: tuple[str, ...]) -> None:
        for group in groups:
            links.append(ChainLink("member of", LinkState.HOLDS))
            nodes.append(ChainNode(NodeKind.GROUP, f"group {group}", group))

    def role(
        name: str, role_id: str | None, scope: str, held: LinkState, reach: LinkState, to: str
    ) -> None:
        """principal (or its last group) -> role -> scope -> target; `held` says whether the
        assignment exists, `reach` whether it grants the target."""
        links.append(ChainLink("needs" if held is LinkState.MISSING else "assigned", held))
        nodes.append(ChainNode(NodeKind.ROLE, name, role_id))
        links.append(ChainLink("at", held))
        nodes.append(ChainNode(NodeKind.SCOPE, short_name(scope), scope))
        links.append(ChainLink(to, reach))
        nodes.append(target)

    if decision.denies:
        deny = decision.denies[0]
        via(deny.via)
        links.append(ChainLink("denied by", LinkState.BLOCKED))
        nodes.append(
            ChainNode(NodeKind.DENY, f"deny assignment {deny.name}", deny.deny_assignment_id)
        )
        links.append(ChainLink("blocks", LinkState.BLOCKED))
        nodes.append(target)
    elif decision.grants or decision.conditions:
        grant = (decision.grants or decision.conditions)[0]
        state = LinkState.HOLDS if decision.grants else LinkState.CONDITIONAL
        via(grant.via)
        role(
            grant.role_name, grant.role_definition_id, grant.scope, LinkState.HOLDS, state, "grants"
        )
    elif decision.eligible:
        eligible = decision.eligible[0]
        via(eligible.via)
        role(
            eligible.role_name,
            eligible.role_definition_id,
            eligible.scope,
            LinkState.ELIGIBLE,
            LinkState.ELIGIBLE,
            "would grant, once activated",
        )
    elif decision.near_misses:
        miss = decision.near_misses[0]
        via(miss.via)
        role(
            miss.role_name,
            miss.role_definition_id,
            miss.scope,
            LinkState.HOLDS,
            LinkState.ELSEWHERE,
            f"does not reach it ({miss.kind})",
        )
    else:
        fix = next(
            (r for r in finding.remediations if r.kind in ROLE_FIXES and r.role_name and r.scope),
            None,
        )
        if fix is not None and fix.role_name and fix.scope:
            role(
                fix.role_name,
                fix.role_definition_id,
                fix.scope,
                LinkState.MISSING,
                LinkState.MISSING,
                "would grant",
            )
        else:
            state = LinkState.UNKNOWN if decision.decision is Outcome.UNKNOWN else LinkState.MISSING
            links.append(ChainLink("no role grants", state))
            nodes.append(
                ChainNode(NodeKind.ROLE, "unknown role: none in the evidence", known=False)
            )
            links.append(ChainLink("for", state))
            nodes.append(target)
    return IdentityChain(tuple(nodes), tuple(links), decision.decision)


ROLE_FIXES = (RemediationKind.ROLE_ASSIGNMENT, RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT)


def short_name(scope: str) -> str:
    """A scope's last type and name (`workspaces/hub-a`, `resourceGroups/rg`), `/` for the
    root: the whole id is the node's id."""
    parts = [part for part in scope.split("/") if part]
    return "/".join(parts[-2:]) if parts else "/"


def _decision(finding: Finding) -> Decision | None:
    """The decision that explains the finding: the first one that is not allowed for a
    finding that reports a failure, else the first."""
    if not finding.evidence:
        return None
    if finding.status in (Status.FAIL, Status.WARN, Status.UNKNOWN):
        for decision in finding.evidence:
            if decision.decision is not Outcome.ALLOWED:
                return decision
    return finding.evidence[0]


def _subject(finding: Finding, decision: Decision) -> ChainNode:
    principal = finding.principal
    if principal is not None and principal.id == decision.principal:
        return ChainNode(NodeKind.PRINCIPAL, principal.label, principal.id)
    if decision.principal_name:
        kind = (decision.principal_type or "principal").lower()
        word = {"serviceprincipal": "service principal"}.get(kind, kind)
        return ChainNode(
            NodeKind.PRINCIPAL, f"{word} {decision.principal_name}", decision.principal
        )
    if decision.principal:
        return ChainNode(
            NodeKind.PRINCIPAL, f"principal {decision.principal} (name unknown)", decision.principal
        )
    return ChainNode(NodeKind.PRINCIPAL, "unknown principal", known=False)
