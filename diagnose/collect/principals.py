"""The directory's records of principals, and what they become in a snapshot.

A Record is what the Graph steps (directory.py) learned of one principal: its look-up state,
its object, its groups or why they are unreadable. Here, once the collection ends, records
become the snapshot's `principals` and the errors entries that depend on the end state:
a principal is `deleted` only with evidence (see deletion_evidence), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diagnose.collect.clients import ApiError

GET_MEMBER_GROUPS = "Microsoft.Graph/directoryObjects/getMemberGroups"
GET_BY_IDS = "Microsoft.Graph/directoryObjects/getByIds"
DIRECTORY_OBJECT_READ = "Microsoft.Graph/directoryObjects/read"
MEMBERSHIP_RIGHT = (
    "reading group memberships needs GroupMember.Read.All or Directory.Read.All in Microsoft Graph"
)
ODATA_TYPES = {
    "#microsoft.graph.user": "User",
    "#microsoft.graph.group": "Group",
    "#microsoft.graph.serviceprincipal": "ServicePrincipal",
}
NOT_FOUND = "Request_ResourceNotFound"


# Where a principal's look-up stands.
PENDING = "pending"  # its getByIds batch has not answered
FOUND = "found"  # Graph returned the object (getByIds or a direct read)
MISSING = "missing"  # getByIds left it out: read directly, answer pending
GONE = "gone"  # the direct read answered 404 Request_ResourceNotFound
FAILED = "failed"  # no answer: the batch or the direct read failed


@dataclass
class Record:
    id: str
    hint: str | None = None
    info: dict[str, Any] | None = None
    lookup: str = PENDING
    member_of: list[str] | None = None
    groups_error: ApiError | None = None
    """Why getMemberGroups failed (its errors entry is written at the end, when it is known
    whether the principal was deleted)."""
    unreadable: bool = False
    """Its memberships are unknown and the assignedTo() listings stand in for them."""
    via_groups: bool = False
    """Its memberships come from the listed members of the groups that matter (groups.py),
    not from its own getMemberGroups."""
    groups_operation: str = GET_MEMBER_GROUPS
    """The read that failed, for its errors entry."""
    assigned_groups: set[str] = field(default_factory=set)


def deletion_evidence(record: Record, read: set[str]) -> str | None:
    """How the deletion of this principal is confirmed, or None when it is not. `read`: the
    ids of the directory objects Graph answered for in this collection."""
    if record.lookup != GONE or record.member_of is not None or not read - {record.id}:
        return None
    return (
        f"GET /v1.0/directoryObjects/{record.id} answered 404 {NOT_FOUND} while "
        "other directory objects were readable"
    )


def principal_entries(records: dict[str, Record], read: set[str]) -> list[dict[str, Any]]:
    entries = []
    for record in sorted(records.values(), key=lambda r: r.id):
        info = record.info or {}
        kind = ODATA_TYPES.get(str(info.get("@odata.type", "")).lower()) or record.hint
        if kind is None:
            continue
        evidence = deletion_evidence(record, read)
        entry: dict[str, Any] = {
            "id": record.id,
            "type": kind,
            "displayName": info.get("displayName"),
            "memberOf": None if evidence else record.member_of,
        }
        if kind == "User" and info.get("userPrincipalName"):
            entry["userPrincipalName"] = info["userPrincipalName"]
        if kind == "ServicePrincipal" and info.get("appId"):
            entry["appId"] = info["appId"]
        if evidence:
            entry["deleted"] = True
            entry["deletedEvidence"] = evidence
        if record.assigned_groups and record.member_of is None:
            entry["assignedToGroups"] = sorted(record.assigned_groups)
        entries.append(entry)
    return entries


def error_entries(
    errors: list[dict[str, Any]], records: dict[str, Record], read: set[str]
) -> list[dict[str, Any]]:
    """Errors, without a getByIds error that only repeats the same principal's membership
    error (same status and code): one entry per cause and principal."""
    errors = [*errors, *_membership_errors(records, read)]
    membership = {
        (e["scope"], e["status"], e["code"]) for e in errors if e["operation"] == GET_MEMBER_GROUPS
    }
    return [
        e
        for e in errors
        if not (e["operation"] == GET_BY_IDS and (e["scope"], e["status"], e["code"]) in membership)
    ]


def _membership_errors(records: dict[str, Record], read: set[str]) -> list[dict[str, Any]]:
    """The errors entries that depend on the end state: a membership read that failed,
    worded by whether the principal turned out deleted; a 404 that proved nothing."""
    entries = []
    for record in sorted(records.values(), key=lambda r: r.id):
        error, evidence = record.groups_error, deletion_evidence(record, read)
        if record.lookup == GONE and not evidence:
            why = (
                "its group memberships were readable"
                if record.member_of is not None
                else "no other directory object could be read in this collection, so "
                "it may be hidden rather than gone"
            )
            entries.append(
                error_entry(
                    record.id,
                    DIRECTORY_OBJECT_READ,
                    404,
                    NOT_FOUND,
                    f"getByIds did not return this object and a direct read answered 404, but "
                    f"{why}: whether it was deleted is unknown",
                )
            )
        if error is None:
            continue
        if evidence:
            message = (
                "the directory has no object with this id: the principal was "
                f"deleted ({error.message})"
            )
        elif error.status == 403:
            message = f"{error.message} ({MEMBERSHIP_RIGHT})"
        else:
            message = error.message
        entries.append(
            error_entry(record.id, record.groups_operation, error.status, error.code, message)
        )
    return entries


def error_entry(
    scope: str, operation: str, status: int | None, code: str | None, message: str
) -> dict[str, Any]:
    return {
        "scope": scope,
        "operation": operation,
        "status": status,
        "code": code,
        "message": message,
    }
