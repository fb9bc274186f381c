"""Principals and their transitive group memberships."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_PRINCIPALS = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    """Lower-case object id."""
    type: str
    display_name: str | None
    member_of: tuple[str, ...] | None
    """Group ids, direct or already transitive; None when they could not be read."""
    deleted: bool = False
    """Confirmed deleted: the snapshot says `deleted` and how it was confirmed
    (`deletedEvidence`). Only a confirmed deletion may lead to advice that removes access."""
    deleted_evidence: str | None = None
    """How the deletion was confirmed (e.g. a direct Graph read answered 404 while other
    objects were readable)."""
    deletion_unconfirmed: bool = False
    """The snapshot says `deleted` without saying how it knows (older collectors took a
    principal Graph left out of an answer for deleted): treat it as existing, unknown."""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_snapshot(cls, entry: dict[str, Any]) -> Principal:
        member_of = entry.get("memberOf")
        groups = None if member_of is None else tuple(map(str.lower, member_of))
        if entry.get("deleted") is not True:  # the usual case: tens of thousands of them
            return cls(
                entry["id"].lower(),
                entry["type"],
                entry.get("displayName") or None,
                groups,
                raw=entry,
            )
        evidence = entry.get("deletedEvidence")
        evidence = evidence.strip() if isinstance(evidence, str) and evidence.strip() else None
        return cls(
            id=entry["id"].lower(),
            type=entry["type"],
            display_name=entry.get("displayName") or None,
            member_of=groups,
            deleted=evidence is not None,
            deleted_evidence=evidence,
            deletion_unconfirmed=evidence is None,
            raw=entry,
        )

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.id})" if self.display_name else self.id


@dataclass(frozen=True, slots=True)
class Membership:
    """A principal with every group it counts as, each with the chain that reaches it."""

    principal_id: str
    via: dict[str, tuple[str, ...]]
    """Member id -> the groups crossed to reach it, outermost last (the principal: ())."""
    unknown: tuple[str, ...]
    """Why the membership may be incomplete (empty when it is complete)."""

    @property
    def complete(self) -> bool:
        return not self.unknown


_NOBODY: frozenset[str] = frozenset()


class Directory:
    """The principals of a snapshot, with group closures computed once per principal."""

    def __init__(
        self,
        principals: dict[str, Principal],
        membership_errors: dict[str, str] | None = None,
        others: Iterable[str] = (),
    ) -> None:
        self.principals = principals
        self._membership_errors = membership_errors or {}
        self._closures: dict[str, Membership] = {}
        self._direct_members: dict[str, list[str]] | None = None
        self._members: dict[str, frozenset[str]] = {}
        self._ranks = {key: rank for rank, key in enumerate(principals)}
        for other in others:
            self._ranks.setdefault(other.lower(), len(self._ranks))

    @classmethod
    def from_snapshot(
        cls,
        entries: list[dict[str, Any]],
        membership_errors: dict[str, str] | None = None,
        others: Iterable[str] = (),
    ) -> Directory:
        principals = {}
        for entry in entries:
            principal = Principal.from_snapshot(entry)
            principals[principal.id] = principal
        return cls(principals, membership_errors, others)

    def get(self, principal_id: str) -> Principal | None:
        return self.principals.get(principal_id.lower())

    def rank(self, principal_id: str) -> int:
        """Where a principal stands in the snapshot: its place among the principals, then
        (for one only role assignments name) among `others`, in the order they were given.
        Whenever the tool must pick one principal over another or list them in a message, it
        orders them by this rather than by name or id: redaction replaces names and ids but
        keeps the snapshot's order, so a redacted bundle picks and lists the same principals
        (and a collected snapshot lists them by id, so the order stays deterministic)."""
        return self._ranks.get(principal_id.lower(), len(self._ranks))

    def closure(self, principal_id: str) -> Membership:
        key = principal_id.lower()
        cached = self._closures.get(key)
        if cached is None:
            cached = self._closures[key] = self._expand(key)
        return cached

    def members_of(self, group_id: str) -> frozenset[str]:
        """Every principal that counts as this group, itself left out: the principals whose
        closure() holds it (its members, and theirs, transitively). The inverse of closure(),
        from a reverse index of the directory built once: who holds a role through a group is
        then found per group, not by expanding each principal's closure. Empty for a principal
        no one is a member of (a user, an unknown id)."""
        key = group_id.lower()
        found = self._members.get(key)
        if found is None:
            direct = self._direct_members
            if direct is None:
                direct = self._direct_members = {}
                for principal in self.principals.values():
                    for group in principal.member_of or ():
                        direct.setdefault(group, []).append(principal.id)
            if key not in direct:
                return _NOBODY
            reached = {key}
            queue = deque([key])
            while queue:  # as closure() walks member_of, backwards
                for member in direct.get(queue.popleft(), ()):
                    if member not in reached:
                        reached.add(member)
                        queue.append(member)
            reached.discard(key)
            found = self._members[key] = frozenset(reached)
        return found

    def _expand(self, key: str) -> Membership:
        via: dict[str, tuple[str, ...]] = {key: ()}
        unknown: list[str] = []
        queue = deque([key])
        while queue:
            member = queue.popleft()
            error = self._membership_errors.get(member)
            principal = self.principals.get(member)
            if error:
                unknown.append(f"group memberships of {member} could not be read: {error}")
            if principal is None:
                if member == key and not error:
                    unknown.append(
                        f"{member} is not in the snapshot's principals, so its group "
                        "memberships are unknown"
                    )
                continue
            if principal.member_of is None:
                if not error:
                    unknown.append(f"group memberships of {principal.label} were not collected")
                continue
            for group in principal.member_of:
                if group not in via:
                    via[group] = (*via[member], group)
                    queue.append(group)
        return Membership(key, via, tuple(unknown))
