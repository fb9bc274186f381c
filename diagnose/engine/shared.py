"""One finding per missing grant: the people who miss the same grant share a finding.

A group of builders without a data role makes every member fail the same way. Reported one by
one, that is one finding and one fix per person, when one assignment to the group fixes them
all. So the findings of a check about people (those with a persona; service identities are
not merged) that miss the same role are merged per (resource, status, scope, operations): the
merged finding names the group when the others are its members (its fix covers them), else
lists one fix per principal; `affectedPrincipals` lists everyone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from diagnose.engine.api import AffectedPrincipal, Cause, Finding, Remediation
from diagnose.engine.personas import Persona
from diagnose.model.principals import Directory

MERGED_CAUSES = frozenset({Cause.MISSING_ROLE, Cause.ELIGIBLE_ONLY})
MAX_NAMES = 5


def merge_shared_shortfalls(findings: Iterable[Finding], directory: Directory) -> list[Finding]:
    """The findings with those that miss the same grant merged (see the module's doc); the
    others unchanged, in their order."""
    out: list[Finding] = []
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    for finding in findings:
        key = _key(finding)
        if key is None:
            out.append(finding)
            continue
        bucket = groups.get(key)
        if bucket is None:
            groups[key] = bucket = []
            out.append(finding)  # the place of the merged finding
        bucket.append(finding)
    merged: dict[int, Finding] = {}
    for bucket in groups.values():
        if len(bucket) > 1:
            merged[id(bucket[0])] = _merge(bucket, directory)
    return [merged.get(id(f), f) for f in out]


def _key(finding: Finding) -> tuple[Any, ...] | None:
    if finding.principal is None or finding.cause not in MERGED_CAUSES:
        return None
    if finding.persona is None or finding.persona.persona is Persona.SERVICE_IDENTITY:
        return None  # services are not people: each identity's need stays its own finding
    operations = finding.details.get("operations")
    return (
        finding.resource.lower(),
        finding.status,
        finding.cause,
        str(finding.details.get("scope") or "").lower(),
        repr(operations),
    )


def _merge(bucket: list[Finding], directory: Directory) -> Finding:
    remaining = {f.principal.id: f for f in bucket if f.principal is not None}
    members_of: dict[str, set[str]] = {}
    for principal_id in remaining:
        for group in directory.closure(principal_id).via:
            if group != principal_id and group in remaining:
                members_of.setdefault(group, set()).add(principal_id)
    representatives: list[tuple[Finding, list[Finding]]] = []
    while True:
        best = max(
            (g for g in members_of if g in remaining),
            key=lambda g: (len(members_of[g] & remaining.keys()), g),
            default=None,
        )
        covered = members_of.get(best, set()) & remaining.keys() if best else set()
        if best is None or not covered:
            break
        holder = remaining.pop(best)
        members = [remaining.pop(m) for m in sorted(covered)]
        representatives.append((holder, members))
    representatives += [(f, []) for f in remaining.values()]
    representatives.sort(key=lambda r: r[0].sort_key)
    first, first_members = representatives[0]
    affected = _affected(bucket)
    if len(representatives) == 1:
        names = _names(first_members)
        message = (
            f"{first.message} The same grant is missing for {len(first_members)} member(s) of "
            f"this group ({names}): the one assignment to the group covers them."
        )
        return dataclasses.replace(first, message=message, affected_principals=affected)
    others = [r for r, _ in representatives[1:]]
    message = (
        f"{first.message} The same grant is missing for {len(affected) - 1} other "
        f"principal(s) ({_names([f for f in bucket if f is not first])}); the fixes below "
        f"cover each of them"
        + (", a group's fix its members" if any(m for _, m in representatives) else "")
        + "."
    )
    return dataclasses.replace(
        first,
        principal=None,
        persona=None,
        message=message,
        remediations=_fixes([first, *others]),
        affected_principals=affected,
    )


def _affected(bucket: list[Finding]) -> tuple[AffectedPrincipal, ...]:
    found: dict[str, AffectedPrincipal] = {}
    for finding in bucket:
        for item in finding.affected_principals:
            found.setdefault(item.id, item)
    return tuple(sorted(found.values(), key=lambda a: (a.type, a.display_name or "", a.id)))


def _fixes(findings: list[Finding]) -> tuple[Remediation, ...]:
    seen: dict[tuple[Any, ...], Remediation] = {}
    for finding in findings:
        for fix in finding.remediations:
            seen.setdefault(fix.dedupe_key, fix)
    return tuple(seen.values())


def _names(findings: list[Finding]) -> str:
    names = [(f.principal.display_name or f.principal.id) for f in findings if f.principal]
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")
