"""One finding per missing grant: the people who miss the same grant share a finding.

A group of builders without a data role makes every member fail the same way. Reported one by
one, that is one finding and one fix per person, when one assignment to the group fixes them
all. So the shortfalls of a check about people (requirements with a persona; service
identities are not merged) that miss the same role are grouped per (resource, status, cause,
scope, operations) before any fix is planned: a group whose other members belong to it stands
for them (its fix covers them), everyone else stands for themselves; the merged finding names
the one representative, or none when several remain, carries the representatives' fixes, and
lists everyone in `affectedPrincipals`.

Which principal stands first, and the order names are listed in, follow the snapshot's order
(personas.principal_order), not names or ids: redaction replaces those and keeps the order, so
a redacted bundle replays to the same findings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from diagnose.engine.api import AffectedPrincipal, Cause, Finding, Remediation, Requirement
from diagnose.engine.personas import Persona, principal_order
from diagnose.engine.requirements import RequirementOutcome
from diagnose.model.principals import Directory

MERGED_CAUSES = frozenset({Cause.MISSING_ROLE, Cause.ELIGIBLE_ONLY, Cause.DENY_ASSIGNMENT})
MAX_NAMES = 5

Shortfall = tuple[Requirement, RequirementOutcome]


@dataclass(frozen=True)
class Stand:
    """One representative of a merged shortfall and the members its fix covers."""

    shortfall: Shortfall
    covers: tuple[Shortfall, ...] = ()


@dataclass(frozen=True)
class SharedShortfall:
    """Shortfalls that miss the same grant: who stands for whom."""

    stands: tuple[Stand, ...]
    """In the order of their representatives (personas.principal_order)."""
    everyone: tuple[Shortfall, ...]
    """In the same order."""


def group_shortfalls(
    shortfalls: Iterable[Shortfall], directory: Directory
) -> list[Shortfall | SharedShortfall]:
    """The shortfalls in their order, those of people missing the same grant grouped (at the
    place of the first of them)."""
    out: list[Shortfall | list[Shortfall]] = []
    buckets: dict[tuple[Any, ...], list[Shortfall]] = {}
    for item in shortfalls:
        key = _key(*item)
        if key is None:
            out.append(item)
            continue
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = bucket = []
            out.append(bucket)
        bucket.append(item)
    return [
        entry
        if isinstance(entry, tuple)
        else entry[0]
        if len(entry) == 1
        else _stands(entry, directory)
        for entry in out
    ]


def combine(shared: SharedShortfall, findings: Sequence[Finding]) -> Finding:
    """The one finding of a shared shortfall, from the findings of its stands (in order)."""
    affected = tuple(
        {
            r.principal.id: AffectedPrincipal.of(r.principal, r.persona) for r, _ in shared.everyone
        }.values()
    )
    first = findings[0]
    if len(findings) == 1:
        members = [r for r, _ in shared.stands[0].covers]
        message = (
            f"{first.message} The same grant is missing for {len(members)} member(s) of this "
            f"group ({_names(members)}): the one assignment to the group covers them."
        )
        return dataclasses.replace(first, message=message, affected_principals=affected)
    first_id = first.principal.id if first.principal else ""
    others = [r for r, _ in shared.everyone if r.principal.id != first_id]
    covered = any(stand.covers for stand in shared.stands)
    message = (
        f"{first.message} The same grant is missing for {len(affected) - 1} other "
        f"principal(s) ({_names(others)}); the fixes below cover each of them"
        + (", a group's fix its members" if covered else "")
        + "."
    )
    return dataclasses.replace(
        first,
        principal=None,
        persona=None,
        message=message,
        remediations=_fixes(findings),
        affected_principals=affected,
    )


def _key(requirement: Requirement, outcome: RequirementOutcome) -> tuple[Any, ...] | None:
    persona = requirement.persona
    if persona is None or persona.persona is Persona.SERVICE_IDENTITY:
        return None  # services are not people: each identity's need stays its own finding
    if outcome.cause not in MERGED_CAUSES:
        return None
    return (
        requirement.resource.key,
        outcome.status,
        outcome.cause,
        requirement.target_scope.lower(),
        requirement.operations,
    )


def _stands(bucket: list[Shortfall], directory: Directory) -> SharedShortfall:
    remaining = {r.principal.id: (r, o) for r, o in bucket}
    members_of: dict[str, set[str]] = {}
    for principal_id in remaining:
        for group in directory.closure(principal_id).via:
            if group != principal_id and group in remaining:
                members_of.setdefault(group, set()).add(principal_id)
    stands: list[Stand] = []
    while True:
        # the group covering the most stands for them; of equals, the first in the snapshot
        best = max(
            (g for g in members_of if g in remaining),
            key=lambda g: (len(members_of[g] & remaining.keys()), -directory.rank(g)),
            default=None,
        )
        covered = members_of[best] & remaining.keys() if best is not None else set()
        if best is None or not covered:
            break
        standing = remaining.pop(best)
        stands.append(
            Stand(standing, tuple(remaining.pop(m) for m in sorted(covered, key=directory.rank)))
        )
    stands += [Stand(item) for item in remaining.values()]

    def order(item: Shortfall) -> tuple[str, int, str]:
        return principal_order(item[0].principal, directory)

    stands.sort(key=lambda s: order(s.shortfall))
    return SharedShortfall(tuple(stands), tuple(sorted(bucket, key=order)))


def _fixes(findings: Sequence[Finding]) -> tuple[Remediation, ...]:
    seen: dict[tuple[Any, ...], Remediation] = {}
    for finding in findings:
        for fix in finding.remediations:
            seen.setdefault(fix.dedupe_key, fix)
    return tuple(seen.values())


def _names(requirements: Sequence[Requirement]) -> str:
    names = [r.principal.display_name or r.principal.id for r in requirements]
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")
