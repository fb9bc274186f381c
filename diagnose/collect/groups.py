"""Memberships read from the groups' side: few groups, many principals.

getMemberGroups asks one principal at a time (20 to a Graph batch): 2,000 people cost 100
requests. But the checks only ever ask whether a principal is in a group the snapshot names:
one that holds a role assignment, a PIM eligibility or a Cosmos DB data role, or that a deny
assignment names (as a principal or an exclusion). When those groups are few, listing their
members (GET /v1.0/groups/{id}/transitiveMembers, flat and transitive, 999 to a page) answers
every principal at once: a principal's memberOf is then the list of those groups it is in.

The choice is made once, when GROUPS_FIRST_MIN principals wait for their memberships and the
groups known then are fewer than the batches getMemberGroups would need (the same count
decides later groups: each is listed as it turns up). Wherever the groups' side cannot answer
exactly, getMemberGroups does, as it would have without this: a principal getByIds did not
return (its deletion is judged as before), and every principal still waiting once a group's
listing fails or is refused (403, 404, a page without `value`, a member without an id), so a
refusal is never "no groups". A listing the deadline cuts short leaves the memberships of the
principals it was answering unknown (errors entry, memberOf null).

GroupListing is the part of DirectoryReader (directory.py) that does this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from diagnose.arm.ids import GUID
from diagnose.collect.clients import ApiError, GraphClient
from diagnose.collect.guard import BATCH_LIMIT
from diagnose.collect.principals import FAILED, MISSING, Record

GROUPS_FIRST_MIN = 100
"""Principals waiting for their memberships before the groups' side is worth it: below it,
getMemberGroups takes at most 5 batches in one wave and reads every membership, so the
collections this tool sees most (a hub and a few people) keep the complete lists."""
MEMBERS_PAGE = "999"
"""Microsoft Graph's largest page of transitiveMembers (its default is 100)."""
GROUP_MEMBERS_READ = "Microsoft.Graph/groups/transitiveMembers/read"
GROUPS = "groups"
PRINCIPALS = "principals"
GROUP_TYPE = "#microsoft.graph.group"


class GroupListing:
    """Mixed into DirectoryReader: the groups' side of the memberships (lock held where a
    method says so; the caller's lock is the collector's)."""

    graph: GraphClient | None
    records: dict[str, Record]
    errors: list[dict[str, Any]]
    groups_first: bool
    _read: set[str]
    _lock: threading.RLock
    _submit: Callable[..., None]

    def _init_groups(self, groups_first: bool) -> None:
        self.groups_first = groups_first
        self._mode: str | None = None
        """None until decided; GROUPS or PRINCIPALS after (PRINCIPALS for good after a
        group's listing failed)."""
        self._members: dict[str, set[str] | None] = {}
        """Group id -> its transitive members (None while its listing runs)."""
        self._named_groups: set[str] = set()
        """Groups deny assignments name: no principal of the snapshot, but a membership in
        one decides whether the deny applies."""

    # -- deciding ------------------------------------------------------------------------
    def _known_groups(self) -> set[str]:
        found = {key for key, record in self.records.items() if _is_group(record)}
        return found | self._named_groups

    def _choose_groups(self, waiting: int) -> bool:
        """Whether to answer the `waiting` principals (and all later ones) from the groups'
        side: only when it costs fewer requests (lock held)."""
        if not self.groups_first or self._mode is not None or waiting < GROUPS_FIRST_MIN:
            return False
        batches = -(-waiting // BATCH_LIMIT)
        return len(self._known_groups()) < batches

    def _start_groups(self, at: int, keys: list[str]) -> None:
        """Answer these principals, and every later one, from the groups' members: list
        every group known so far in wave `at`, the wave their getMemberGroups was for
        (lock held)."""
        self._mode = GROUPS
        for key in keys:
            if not self._by_groups(at, key):
                self._ask_principal(at, key)
        for group in sorted(self._known_groups()):
            self._list_members(at, group)

    def _by_groups(self, at: int, key: str) -> bool:
        """In group mode, answer this principal from the groups' members (a group's own
        listing, if it is one, in wave `at`); False when getMemberGroups must (lock held)."""
        if self._mode != GROUPS:
            return False
        record = self.records[key]
        if record.lookup in (MISSING, FAILED):
            return False  # getByIds did not return it: judged as before
        record.via_groups = True
        if _is_group(record):
            self._list_members(at, key)
        return True

    def named_group(self, wave: int, group_id: Any) -> None:
        """A group a deny assignment names (lock held by the caller)."""
        if not isinstance(group_id, str) or not GUID.match(group_id):
            return  # an object id or nothing: it becomes part of a Graph path
        key = group_id.lower()
        self._named_groups.add(key)
        if self._mode == GROUPS:
            self._list_members(wave + 1, key)

    def _found(self, at: int, key: str) -> None:
        """getByIds (or a direct read) returned this principal: a group is listed in wave
        `at` (lock held)."""
        if self._mode == GROUPS and _is_group(self.records[key]):
            self._list_members(at, key)

    def _not_returned(self, at: int, key: str) -> None:
        """getByIds did not return this principal: its getMemberGroups goes in wave `at`,
        as without the groups' side (lock held)."""
        record = self.records[key]
        if record.via_groups:
            record.via_groups = False
            self._ask_principal(at, key)

    def _ask_principal(self, at: int, key: str) -> None:
        raise NotImplementedError  # DirectoryReader queues a getMemberGroups

    # -- listing -------------------------------------------------------------------------
    def _list_members(self, at: int, group: str) -> None:
        if group not in self._members:
            self._members[group] = None
            self._submit(at, self.list_members, group)

    def list_members(self, wave: int, group: str) -> None:
        """Every member of one group, nested groups' included (transitiveMembers)."""
        assert self.graph is not None
        try:
            items = self.graph.get_pages(
                f"/v1.0/groups/{group}/transitiveMembers",
                {"$select": "id", "$top": MEMBERS_PAGE},
            )
            members = set()
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise ApiError(
                        200,
                        "UnexpectedShape",
                        "a member in the answer has no id: who it is is unknown",
                    )
                members.add(item["id"].lower())
        except ApiError:
            # Those memberships are unknown from this side: getMemberGroups answers for
            # every principal instead, as it would have without the groups' side.
            self._fall_back(wave + 1)
            return
        with self._lock:
            if self._mode == GROUPS:
                self._members[group] = members
                self._read.add(group)

    def _fall_back(self, at: int) -> None:
        with self._lock:
            if self._mode != GROUPS:
                return
            self._mode = PRINCIPALS
            for key, record in self.records.items():
                if record.via_groups:
                    record.via_groups = False
                    self._ask_principal(at, key)

    # -- the end -------------------------------------------------------------------------
    def _groups_timed_out(self, error: ApiError) -> None:
        """A listing the deadline abandoned: who its group holds is unknown (lock held)."""
        for record in self.records.values():
            if record.via_groups and record.groups_error is None:
                record.groups_error = error
                record.groups_operation = GROUP_MEMBERS_READ

    def _finish_groups(self) -> None:
        """The memberships of the principals answered from the groups' side (lock held;
        once every step has ended)."""
        if self._mode != GROUPS:
            return
        listed = {g: m for g, m in self._members.items() if m is not None}
        incomplete = len(listed) < len(self._members)
        for key, record in self.records.items():
            if not record.via_groups or record.groups_error is not None:
                continue
            if incomplete:
                record.groups_error = ApiError(
                    None, "Incomplete", "a group's member listing did not finish"
                )
                record.groups_operation = GROUP_MEMBERS_READ
                continue
            record.member_of = sorted(g for g, m in listed.items() if key in m and g != key)


def _is_group(record: Record) -> bool:
    if record.info is not None:
        return str(record.info.get("@odata.type", "")).lower() == GROUP_TYPE
    return record.hint == "Group"
