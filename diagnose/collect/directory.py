"""Principals from Microsoft Graph: type, display name and transitive groups.

For each principal the collection involves (assignees, managed identities, the Azure Machine
Learning first-party app) one POST /directoryObjects/{id}/getMemberGroups
(securityEnabledOnly=false: transitive, all groups), and one POST /directoryObjects/getByIds
per batch of newly found principals.

Without Graph rights (or without a Graph token) memberships are recorded as unreadable
(errors entry, memberOf null) and the collector lists role assignments with
$filter=assignedTo('{id}') instead, which shows the grants a principal gets through groups
without any directory permission.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from diagnose.collect.clients import ApiError, GraphClient

AZURE_ML_APP_ID = "0736f41a-0425-4b46-bdb5-1563eff02385"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
GET_MEMBER_GROUPS = "Microsoft.Graph/directoryObjects/getMemberGroups"
GET_BY_IDS = "Microsoft.Graph/directoryObjects/getByIds"
SERVICE_PRINCIPAL_READ = "Microsoft.Graph/servicePrincipals/read"
BATCH = 1000
ODATA_TYPES = {"#microsoft.graph.user": "User", "#microsoft.graph.group": "Group",
               "#microsoft.graph.serviceprincipal": "ServicePrincipal"}
ASSIGNMENT_TYPES = {"user": "User", "group": "Group", "serviceprincipal": "ServicePrincipal",
                    "foreigngroup": "Group"}
NOT_FOUND = "Request_ResourceNotFound"


@dataclass
class Record:
    id: str
    hint: str | None = None
    info: dict[str, Any] | None = None
    listed: bool = False
    """A getByIds batch holding this id succeeded (so absence from it means: not found)."""
    member_of: list[str] | None = None
    deleted: bool = False
    unreadable: bool = False
    assigned_groups: set[str] = field(default_factory=set)


class DirectoryReader:
    def __init__(self, graph: GraphClient | None, unavailable: str = "") -> None:
        self.graph = graph
        self.unavailable = unavailable or "no Microsoft Graph credential"
        self.records: dict[str, Record] = {}
        self.errors: list[dict[str, Any]] = []
        self._unsent: list[str] = []
        self._lock: threading.RLock = threading.RLock()
        self._submit: Callable[..., None] = lambda *a: None
        self._on_unreadable: Callable[[int, str], None] = lambda w, p: None

    def attach(self, lock: threading.RLock, submit: Callable[..., None],
               on_unreadable: Callable[[int, str], None]) -> None:
        """Share the collector's lock and scheduler; on_unreadable(wave, id) is called (lock
        held) for a principal whose groups could not be read."""
        self._lock, self._submit, self._on_unreadable = lock, submit, on_unreadable

    # -- finding principals --------------------------------------------------------------
    def start(self, wave: int) -> None:
        with self._lock:
            if self.graph is None:
                self.errors.append(_entry(AZURE_ML_APP_ID, SERVICE_PRINCIPAL_READ, None,
                                          "GraphUnavailable", self.unavailable))
                return
        self._submit(wave, self.find_first_party_app)

    def want(self, wave: int, principal_id: Any, type_hint: Any) -> None:
        """A principal the checks may evaluate (lock held by the caller)."""
        if not isinstance(principal_id, str) or not GUID.match(principal_id.lower()):
            return
        key = principal_id.lower()
        hint = ASSIGNMENT_TYPES.get(str(type_hint or "").lower())
        record = self.records.get(key)
        if record is not None:
            record.hint = record.hint or hint
            return
        self.records[key] = Record(key, hint)
        if self.graph is None:
            self._unreadable(wave, key, ApiError(None, "GraphUnavailable", self.unavailable))
            return
        self._unsent.append(key)
        if len(self._unsent) == 1:
            self._submit(wave + 1, self.look_up_batch)
        self._submit(wave + 1, self.read_groups, key)

    def without_membership(self) -> list[str]:
        return sorted(r.id for r in self.records.values() if r.unreadable and not r.deleted)

    def add_assigned_groups(self, principal_id: str, groups: set[str]) -> None:
        with self._lock:
            record = self.records.get(principal_id)
            if record is not None:
                record.assigned_groups |= groups

    def _unreadable(self, wave: int, key: str, error: ApiError) -> None:
        record = self.records[key]
        if record.unreadable:
            return
        record.unreadable = True
        self.errors.append(error.as_entry(key, GET_MEMBER_GROUPS))
        if not record.deleted:  # a deleted principal has no grants left to reveal
            self._on_unreadable(wave, key)

    # -- Graph steps ---------------------------------------------------------------------
    def find_first_party_app(self, wave: int) -> None:
        assert self.graph is not None
        try:
            app = self.graph.get(f"/v1.0/servicePrincipals(appId='{AZURE_ML_APP_ID}')",
                                 {"$select": "id,appId,displayName,servicePrincipalType"})
        except ApiError as exc:
            with self._lock:
                self.errors.append(exc.as_entry(AZURE_ML_APP_ID, SERVICE_PRINCIPAL_READ))
            return
        if not isinstance(app, dict) or not isinstance(app.get("id"), str):
            return
        with self._lock:
            key = app["id"].lower()
            self.want(wave, key, "ServicePrincipal")
            record = self.records.get(key)
            if record is not None and record.info is None:
                record.info = {**app, "@odata.type": "#microsoft.graph.servicePrincipal"}

    def look_up_batch(self, wave: int) -> None:
        with self._lock:
            ids, self._unsent = self._unsent[:BATCH], self._unsent[BATCH:]
            if self._unsent:
                self._submit(wave, self.look_up_batch)
        if not ids:
            return
        assert self.graph is not None
        try:
            found = self.graph.post("/v1.0/directoryObjects/getByIds",
                                    {"ids": ids, "types": ["user", "group", "servicePrincipal"]})
        except ApiError as exc:
            self._batch_failed(ids, exc)
            return
        with self._lock:
            for item in _list_of(found):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    record = self.records.get(item["id"].lower())
                    if record is not None and record.info is None:
                        record.info = item
            for key in ids:
                self.records[key].listed = True

    def _batch_failed(self, ids: list[str], error: ApiError) -> None:
        with self._lock:
            for key in ids:
                self.errors.append(error.as_entry(key, GET_BY_IDS))

    def read_groups(self, wave: int, key: str) -> None:
        assert self.graph is not None
        try:
            result = self.graph.post(f"/v1.0/directoryObjects/{key}/getMemberGroups",
                                     {"securityEnabledOnly": False})
        except ApiError as exc:
            with self._lock:
                record = self.records[key]
                if exc.status == 404 or exc.code == NOT_FOUND:
                    record.deleted = True
                    exc = ApiError(exc.status, exc.code,
                                   "the directory has no object with this id: the principal was "
                                   f"deleted ({exc.message})")
                self._unreadable(wave, key, exc)
            return
        groups = [g.lower() for g in _list_of(result) if isinstance(g, str)]
        with self._lock:
            self.records[key].member_of = sorted(set(groups))

    # -- the result ----------------------------------------------------------------------
    def principal_entries(self) -> list[dict[str, Any]]:
        entries = []
        for record in sorted(self.records.values(), key=lambda r: r.id):
            info = record.info or {}
            kind = ODATA_TYPES.get(str(info.get("@odata.type", "")).lower()) or record.hint
            if kind is None:
                continue
            deleted = record.deleted or (record.listed and record.info is None
                                         and record.member_of is None)
            entry: dict[str, Any] = {"id": record.id, "type": kind,
                                     "displayName": info.get("displayName"),
                                     "memberOf": None if deleted else record.member_of}
            if kind == "User" and info.get("userPrincipalName"):
                entry["userPrincipalName"] = info["userPrincipalName"]
            if kind == "ServicePrincipal" and info.get("appId"):
                entry["appId"] = info["appId"]
            if deleted:
                entry["deleted"] = True
            if record.assigned_groups and record.member_of is None:
                entry["assignedToGroups"] = sorted(record.assigned_groups)
            entries.append(entry)
        return entries

    def error_entries(self) -> list[dict[str, Any]]:
        """Errors, without a getByIds error that only repeats the same principal's membership
        error (same status and code): one entry per cause and principal."""
        membership = {(e["scope"], e["status"], e["code"]) for e in self.errors
                      if e["operation"] == GET_MEMBER_GROUPS}
        return [e for e in self.errors
                if not (e["operation"] == GET_BY_IDS
                        and (e["scope"], e["status"], e["code"]) in membership)]


def _entry(scope: str, operation: str, status: int | None, code: str | None,
           message: str) -> dict[str, Any]:
    return {"scope": scope, "operation": operation, "status": status, "code": code,
            "message": message}


def _list_of(response: Any) -> list[Any]:
    """The `value` list of a Graph response, or [] when the response has none."""
    value = response.get("value") if isinstance(response, dict) else None
    return value if isinstance(value, list) else []
