"""Whether the snapshot can say who holds which role on its target.

The checks about people find the principals they ask about in the role assignments (the members
of a project, the users of a connection), and every "missing role" conclusion assumes that the
assignments that could grant it were read. Three things take that basis away:

- the target is missing: the hub the snapshot names (or its project) is not among its resources,
  or it names no hub and holds none;
- role assignments at a scope on the target's ancestry (the hub, a project, their resource
  groups, subscription, management groups) could not be read: an `errors` entry for
  Microsoft.Authorization/roleAssignments/read there;
- no role assignment at all reaches the target: someone always holds a role on a subscription
  or above it (at least its Owner), so none means the assignments were not collected, or were
  filtered out of the snapshot.

Then the checks about people answer `unknown`, a missing grant is never reported as a failure,
and the report says why, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from diagnose.arm import types
from diagnose.arm.ids import last_segment
from diagnose.arm.scopes import level_of, scope_key
from diagnose.engine.context import CheckContext
from diagnose.model.authorization import ReadError
from diagnose.model.resources import Resource
from diagnose.snapshot.codes import TIMEOUT_CODE

COLLECT_ROLES = (
    "Collect with a principal that can read role assignments (Reader on the subscription)."
)
COLLECT_LONGER = (
    "Collect again with a longer --timeout (the reads ran out of time; they were not refused)."
)
COLLECT_TARGET = (
    "Collect the hub again (diagnose collect --hub HUB -o FILE) with a principal "
    "that can read it (Reader on the subscription)."
)


class GapKind(StrEnum):
    TARGET = "target"
    """The target hub or project is not in the snapshot."""
    UNREADABLE = "unreadable"
    """Role assignments at a scope above the target could not be read."""
    EMPTY = "empty"
    """No role assignment at all reaches the target."""


@dataclass(frozen=True)
class Gap:
    kind: GapKind
    reason: str
    """What is missing, as a clause without a final period."""
    timed_out: bool = False
    """Every read behind the gap ran out of time (--timeout) rather than being refused."""


class Basis:
    """The gaps in what the snapshot says about who holds which role on its target."""

    def __init__(self, ctx: CheckContext) -> None:
        self._authz = ctx.model.authorization
        self.targets: list[Resource] = [
            *ctx.hubs,
            *(project for hub in ctx.hubs for project in ctx.projects(hub)),
            *(workspace for _, workspace in ctx.foundry_workspaces()),
        ]
        self.gaps: tuple[Gap, ...] = (*_target_gaps(ctx), *self._role_gaps())

    @property
    def missing(self) -> bool:
        return bool(self.gaps)

    @property
    def target_missing(self) -> str | None:
        return next((g.reason for g in self.gaps if g.kind is GapKind.TARGET), None)

    @property
    def summary(self) -> str:
        """Why the checks about people cannot be decided, in plain words; "" when they can."""
        sentences = []
        for gap in self.gaps:
            reason = gap.reason[:1].upper() + gap.reason[1:]
            if gap.kind is GapKind.TARGET:
                sentences.append(
                    f"{reason}: checks about the people who use it cannot be "
                    f"decided. {COLLECT_TARGET}"
                )
            else:
                advice = COLLECT_LONGER if gap.timed_out else COLLECT_ROLES
                sentences.append(
                    f"{reason}: checks about who holds which role cannot be decided. {advice}"
                )
        return " ".join(dict.fromkeys(sentences))

    def doubt(self, scope: str) -> str | None:
        """Why the role assignments that reach this scope are not all known (so neither who
        holds a role there nor that someone lacks one can be told); None when they are."""
        empty = next((g.reason for g in self.gaps if g.kind is GapKind.EMPTY), None)
        if empty is not None:
            # Nothing reaches the target, so nothing was collected: no conclusion anywhere in
            # the snapshot that someone lacks a role is founded.
            return empty
        errors = self._authz.errors_above(scope_key(scope), "assignments")
        return _unreadable(errors) if errors else None

    def _role_gaps(self) -> list[Gap]:
        if not self.targets:
            return []
        # The summary names places by how they relate to the hub, not by name: names are in
        # the collection errors, and a redacted support bundle keeps the summary as it is.
        places: dict[str, str] = {}
        why: dict[str, None] = {}
        timed_out = True
        for target in self.targets:  # the hub first: a scope above both is named from it
            for error in self._authz.errors_above(target.key, "assignments"):
                places.setdefault(error.scope_key, _relation(error.scope_key, target))
                why[" ".join(str(p) for p in (error.status, error.code) if p)] = None
                timed_out = timed_out and error.code == TIMEOUT_CODE
        if places:
            codes = ", ".join(w for w in why if w)
            return [
                Gap(
                    GapKind.UNREADABLE,
                    f"role assignments at {_and(list(places.values()))} could not be read"
                    + (f" ({codes})" if codes else ""),
                    timed_out=timed_out,
                )
            ]
        by_scope = self._authz.assignments_by_scope
        reaching = {
            key for target in self.targets for key in self._authz.tree.ancestors(target.key)
        }
        if any(by_scope.get(key) for key in reaching):
            return []
        return [
            Gap(
                GapKind.EMPTY,
                "no role assignment at all was read for the hub, its projects, or the "
                "resource groups, subscription and management groups above them (someone "
                "always holds a role there, at least the subscription's Owner, so they were "
                "not collected or were filtered out)",
            )
        ]


def _target_gaps(ctx: CheckContext) -> list[Gap]:
    named = ctx.model.snapshot.target.get("hub")
    if not ctx.hubs and not ctx.foundry_accounts:
        target = ctx.model.resource(str(named)) if named else None
        if not named:
            reason = "the snapshot names no hub or Foundry resource as its target and holds none"
        elif target is None:
            reason = "the hub the snapshot names as its target is not among its resources"
        elif target.type == types.COGNITIVE_PROJECT:
            reason = (
                "the Foundry resource of the project the snapshot names as its target is not "
                "among its resources"
            )
        else:
            reason = (
                "the resource the snapshot names as its target is not a hub, a Foundry "
                "resource or a Foundry project"
            )
        return [Gap(GapKind.TARGET, reason)]
    project = ctx.target_project
    names = {p.name.lower() for hub in ctx.hubs for p in ctx.model.projects_of(hub)}
    names |= {
        p.name.lower() for a in ctx.foundry_accounts for p in ctx.model.foundry_projects_of(a)
    }
    if project is not None and project not in names:
        return [
            Gap(
                GapKind.TARGET,
                "the project the snapshot names as its target is not a project of its hub "
                "or Foundry resource",
            )
        ]
    return []


def _relation(key: str, target: Resource) -> str:
    """A scope at or above a target, named by how it relates to the target."""
    whose = (
        "the hub"
        if target.is_hub
        else "the Foundry resource"
        if target.type == types.COGNITIVE_ACCOUNT
        else "a project"
    )
    if key == target.key:
        return "a project" if whose == "a project" else f"{whose} itself"
    level = level_of(key)
    if level == "management group":
        return f"a management group above {whose}"
    if level == "root":
        return "the root scope"
    return f"{whose}'s {level}"


def _unreadable(errors: list[ReadError]) -> str:
    places = []
    for error in sorted(errors, key=lambda e: (len(e.scope_key), e.scope_key)):
        name = last_segment(error.scope) or error.scope
        why = " ".join(str(p) for p in (error.status, error.code) if p)
        places.append(f"{level_of(error.scope_key)} '{name}'" + (f" ({why})" if why else ""))
    return f"role assignments at {_and(places)} could not be read"


def _and(items: list[str]) -> str:
    unique = list(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]
