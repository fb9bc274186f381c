"""Principals from Microsoft Graph: type, display name and transitive groups.

For each principal the collection involves (assignees, managed identities, the Azure Machine
Learning first-party app) one POST /directoryObjects/{id}/getMemberGroups
(securityEnabledOnly=false: transitive, all groups), and one POST /directoryObjects/getByIds
per batch of newly found principals. The per-principal reads (getMemberGroups, and the direct
reads below) travel in Microsoft Graph JSON batches (POST /v1.0/$batch, 20 requests each);
each sub-response is handled exactly as the single call's answer would be (GraphClient.batch
retries the throttled ones and turns a batch that failed whole into each request's failure).

Deleted, never guessed: an id that getByIds leaves out is only unknown (Graph answers in
part when it lags, throttles or hides what the caller may not see). It is read directly
(GET /directoryObjects/{id}), and a principal is recorded `deleted` only when that read
answers 404 Request_ResourceNotFound while this credential demonstrably reads the directory
(another object read succeeded in the same run); `deletedEvidence` says so. Anything less
leaves the principal in the snapshot, not deleted, with an errors entry.

With many principals and few groups (groups_first, the live collection's choice), the
memberships are read the other way round: once GROUPS_FIRST_MIN principals wait for theirs
and the groups the collection knows (those that hold a role, a PIM eligibility, a Cosmos DB
data role, or a deny assignment names) are fewer than the batches getMemberGroups would
take, each such group's members are listed instead (GET /v1.0/groups/{id}/transitiveMembers,
999 to a page), and a principal's memberOf is the list of those groups it is in: the only
groups any check asks about (groups.py). Where that cannot answer, getMemberGroups does, as
above: a principal getByIds did not return, and everyone still waiting once one group's
listing fails (a 403, a 404, a list without `value`): never "no groups" for a refusal.

Without Graph rights (or without a Graph token) memberships are recorded as unreadable
(errors entry naming the missing right, memberOf null) and the collector lists role
assignments with $filter=assignedTo('{id}') instead, which shows the grants a principal gets
through groups without any directory permission.

This module holds the Graph steps; principals.py holds the records they fill and what those
become in the snapshot at the end.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from diagnose.collect.clients import ApiError, GraphClient, SubRequest, list_value
from diagnose.collect.groups import GroupListing
from diagnose.collect.guard import BATCH_LIMIT
from diagnose.collect.principals import (
    DIRECTORY_OBJECT_READ,
    FAILED,
    FOUND,
    GET_BY_IDS,
    GONE,
    MISSING,
    NOT_FOUND,
    PENDING,
    Record,
    deletion_evidence,
    error_entries,
    error_entry,
    principal_entries,
)

AZURE_ML_APP_ID = "0736f41a-0425-4b46-bdb5-1563eff02385"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SERVICE_PRINCIPAL_READ = "Microsoft.Graph/servicePrincipals/read"
BATCH = 1000
ASSIGNMENT_TYPES = {
    "user": "User",
    "group": "Group",
    "serviceprincipal": "ServicePrincipal",
    "foreigngroup": "Group",
}


class _Queue:
    """Principals waiting for a batched read, and the wave of the step submitted to send
    them (not yet started), if any."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.at: int | None = None


class DirectoryReader(GroupListing):
    def __init__(
        self, graph: GraphClient | None, unavailable: str = "", *, groups_first: bool = False
    ) -> None:
        self.graph = graph
        self.unavailable = unavailable or "no Microsoft Graph credential"
        self.records: dict[str, Record] = {}
        self.errors: list[dict[str, Any]] = []
        self._read: set[str] = set()
        """Ids of the directory objects (or their groups) Graph answered for: the proof that
        this credential reads the directory."""
        self._unsent: list[str] = []
        self._batch_at: int | None = None
        """The wave of the getByIds batch submitted and not yet started, if any."""
        self._groups = _Queue()
        """Principals whose getMemberGroups is not sent yet."""
        self._missing = _Queue()
        """Ids getByIds left out, not read directly yet."""
        self._lock: threading.RLock = threading.RLock()
        self._submit: Callable[..., None] = lambda *a: None
        self._on_unreadable: Callable[[int, str], None] = lambda w, p: None
        self._init_groups(groups_first)

    def attach(
        self,
        lock: threading.RLock,
        submit: Callable[..., None],
        on_unreadable: Callable[[int, str], None],
    ) -> None:
        """Share the collector's lock and scheduler; on_unreadable(wave, id) is called (lock
        held) for a principal whose groups could not be read."""
        self._lock, self._submit, self._on_unreadable = lock, submit, on_unreadable

    def detach(self) -> None:
        """Let go of the collector's steps once the collection is assembled. attach() made a
        reference cycle (the collector holds this reader, which held the collector's bound
        methods): everything read, tens of thousands of listed assignments included, then
        waited for a pass of the cyclic garbage collector, which scanned all of it (30-100
        ms at the end of a Foundry collection). Without the cycle, reference counting frees
        it as the collection returns. A step still running past the deadline submits
        nothing any more: the collection is over."""
        self._submit = lambda *a: None
        self._on_unreadable = lambda w, p: None

    # -- finding principals --------------------------------------------------------------
    def start(self, wave: int) -> None:
        with self._lock:
            if self.graph is None:
                self.errors.append(
                    error_entry(
                        AZURE_ML_APP_ID,
                        SERVICE_PRINCIPAL_READ,
                        None,
                        "GraphUnavailable",
                        self.unavailable,
                    )
                )
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
            self.records[key].groups_error = ApiError(None, "GraphUnavailable", self.unavailable)
            self._unreadable(wave, key)
            return
        self._unsent.append(key)
        # A principal found late in an early wave (a long listing) is looked up in the next
        # wave, not in a later one a batch was already waiting for.
        if self._batch_at is None or self._batch_at > wave + 1:
            self._batch_at = wave + 1
            self._submit(wave + 1, self.look_up_batch)
        if not self._by_groups(wave + 1, key):
            self._ask_principal(wave + 1, key)

    def _ask_principal(self, wave: int, key: str) -> None:
        """Queue this principal's getMemberGroups for `wave` (lock held)."""
        self._enqueue(self._groups, wave, self.read_groups, key)

    def without_membership(self) -> list[str]:
        return sorted(r.id for r in self.records.values() if r.unreadable)

    def add_assigned_groups(self, principal_id: str, groups: set[str]) -> None:
        with self._lock:
            record = self.records.get(principal_id)
            if record is not None:
                record.assigned_groups |= groups

    def _enqueue(self, queue: _Queue, wave: int, step: Callable[..., None], key: str) -> None:
        """Queue a principal for a batched read in `wave` (lock held): it joins the batch
        step already waiting for that wave or an earlier one, else a new step is submitted."""
        queue.keys.append(key)
        if queue.at is None or queue.at > wave:
            queue.at = wave
            self._submit(wave, step)

    def _take(self, queue: _Queue, wave: int, step: Callable[..., None]) -> list[str]:
        """The next batch of a queue; what is left gets a step of its own in this wave."""
        with self._lock:
            keys, queue.keys = queue.keys[:BATCH_LIMIT], queue.keys[BATCH_LIMIT:]
            queue.at = None
            if queue.keys:
                queue.at = wave
                self._submit(wave, step)
        return keys

    def _unreadable(self, wave: int, key: str) -> None:
        record = self.records[key]
        if not record.unreadable:
            record.unreadable = True
            self._on_unreadable(wave, key)

    def _settle(self, wave: int, key: str) -> None:
        """Once both the look-up and the groups have answered: a principal whose groups are
        unknown gets the assignedTo() listings, unless it is confirmed deleted (it has no
        grants left to reveal). Lock held."""
        record = self.records[key]
        if record.groups_error is None or record.lookup in (PENDING, MISSING):
            return
        if self._evidence(record) is None:
            self._unreadable(wave, key)

    def _evidence(self, record: Record) -> str | None:
        return deletion_evidence(record, self._read)

    # -- Graph steps ---------------------------------------------------------------------
    def find_first_party_app(self, wave: int) -> None:
        assert self.graph is not None
        try:
            app = self.graph.get(
                f"/v1.0/servicePrincipals(appId='{AZURE_ML_APP_ID}')",
                {"$select": "id,appId,displayName,servicePrincipalType"},
            )
            if not isinstance(app, dict) or not isinstance(app.get("id"), str):
                raise ApiError(
                    200, "UnexpectedShape", "the service principal in the response has no id"
                )
        except ApiError as exc:
            with self._lock:
                self.errors.append(exc.as_entry(AZURE_ML_APP_ID, SERVICE_PRINCIPAL_READ))
            return
        with self._lock:
            key = app["id"].lower()
            self._read.add(key)
            self.want(wave, key, "ServicePrincipal")
            record = self.records.get(key)
            if record is not None and record.info is None:
                record.info = {**app, "@odata.type": "#microsoft.graph.servicePrincipal"}

    def look_up_batch(self, wave: int) -> None:
        with self._lock:
            ids, self._unsent = self._unsent[:BATCH], self._unsent[BATCH:]
            self._batch_at = None
            if self._unsent:
                self._batch_at = wave
                self._submit(wave, self.look_up_batch)
        if not ids:
            return
        assert self.graph is not None
        try:
            found = self.graph.post(
                "/v1.0/directoryObjects/getByIds",
                {"ids": ids, "types": ["user", "group", "servicePrincipal"]},
            )
            items = _list_of(found)
        except ApiError as exc:
            self._batch_failed(wave, ids, exc)
            return
        with self._lock:
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    key = item["id"].lower()
                    self._read.add(key)
                    record = self.records.get(key)
                    if record is not None:
                        record.info = record.info or item
                        record.lookup = FOUND
            for key in ids:
                record = self.records[key]
                if record.lookup == PENDING:  # left out: unknown until read directly
                    record.lookup = MISSING
                    self._enqueue(self._missing, wave + 1, self.read_object, key)
                    self._not_returned(wave + 1, key)
                else:
                    self._found(wave + 1, key)
                    self._settle(wave, key)

    def _batch_failed(self, wave: int, ids: list[str], error: ApiError) -> None:
        with self._lock:
            for key in ids:
                self.errors.append(error.as_entry(key, GET_BY_IDS))
                self.records[key].lookup = FAILED
                self._not_returned(wave + 1, key)
                self._settle(wave, key)

    def read_object(self, wave: int) -> None:
        """Ids getByIds left out, read each on its own (in one batch): found, gone (404), or
        still unknown."""
        keys = self._take(self._missing, wave, self.read_object)
        if not keys:
            return
        assert self.graph is not None
        answers = self.graph.batch([SubRequest("GET", f"/directoryObjects/{k}") for k in keys])
        for key, answer in zip(keys, answers, strict=True):
            self._object_answered(wave, key, answer)

    def _object_answered(self, wave: int, key: str, item: Any) -> None:
        """What the direct read of a left-out id answered: its object or its ApiError."""
        try:
            if isinstance(item, ApiError):
                raise item
            if not isinstance(item, dict) or str(item.get("id", "")).lower() != key:
                raise ApiError(
                    200, "UnexpectedShape", "the object in the response is not the one asked for"
                )
        except ApiError as exc:
            exc.untraced()  # kept in a record, or among the answers its frames hold
            with self._lock:
                record = self.records[key]
                if exc.status == 404 and exc.code == NOT_FOUND:
                    record.lookup = GONE
                else:
                    record.lookup = FAILED
                    self.errors.append(
                        error_entry(
                            key,
                            DIRECTORY_OBJECT_READ,
                            exc.status,
                            exc.code,
                            "getByIds did not return this object and reading it directly failed "
                            f"({exc.message}): whether it still exists is unknown",
                        )
                    )
                self._settle(wave, key)
            return
        with self._lock:
            record = self.records[key]
            self._read.add(key)
            record.info, record.lookup = item, FOUND
            self._found(wave + 1, key)
            self._settle(wave, key)

    def read_groups(self, wave: int) -> None:
        """The transitive groups of the next principals (getMemberGroups, in one batch);
        or, the first time many wait and few groups are known, the groups' members instead
        (groups.py)."""
        with self._lock:
            if self._choose_groups(len(self._groups.keys)):
                keys, self._groups.keys, self._groups.at = self._groups.keys, [], None
                self._start_groups(wave, keys)
                return
        keys = self._take(self._groups, wave, self.read_groups)
        if not keys:
            return
        assert self.graph is not None
        answers = self.graph.batch(
            [
                SubRequest(
                    "POST", f"/directoryObjects/{k}/getMemberGroups", {"securityEnabledOnly": False}
                )
                for k in keys
            ]
        )
        for key, answer in zip(keys, answers, strict=True):
            self._groups_answered(wave, key, answer)

    def _groups_answered(self, wave: int, key: str, result: Any) -> None:
        """What getMemberGroups answered for one principal: its answer or its ApiError."""
        try:
            if isinstance(result, ApiError):
                raise result
            groups = [g.lower() for g in _list_of(result) if isinstance(g, str)]
        except ApiError as exc:
            exc.untraced()  # kept in a record, or among the answers its frames hold
            with self._lock:
                self.records[key].groups_error = exc
                if exc.status == 404:  # deleted, or not yet visible: the look-up decides
                    self._settle(wave, key)
                else:
                    self._unreadable(wave, key)
            return
        with self._lock:
            self._read.add(key)
            self.records[key].member_of = sorted(set(groups))

    # -- when the deadline abandoned a step ------------------------------------------------
    def timed_out(self, step: Callable[..., Any], args: tuple[Any, ...], error: ApiError) -> bool:
        """Record what an abandoned step would have read as timed out (lock held); False
        when the step is not one of the directory's."""
        name = getattr(step, "__name__", "")
        if name == "find_first_party_app":
            self.errors.append(error.as_entry(AZURE_ML_APP_ID, SERVICE_PRINCIPAL_READ))
        elif name == "look_up_batch":
            for record in self.records.values():
                if record.lookup == PENDING:
                    record.lookup = FAILED
                    self.errors.append(error.as_entry(record.id, GET_BY_IDS))
        elif name == "read_object":  # every id still waiting for its direct read
            for record in self.records.values():
                if record.lookup == MISSING:
                    record.lookup = FAILED
                    self.errors.append(error.as_entry(record.id, DIRECTORY_OBJECT_READ))
        elif name == "read_groups":  # every principal whose groups have not answered
            for record in self.records.values():
                waiting = record.member_of is None and record.groups_error is None
                if waiting and not record.via_groups:  # groups.py answers those
                    record.groups_error = error
        elif name == "list_members":
            self._groups_timed_out(error)
        else:
            return False
        return True

    # -- the result ----------------------------------------------------------------------
    def principal_entries(self) -> list[dict[str, Any]]:
        with self._lock:
            self._finish_groups()
        return principal_entries(self.records, self._read)

    def error_entries(self) -> list[dict[str, Any]]:
        """Errors, without a getByIds error that only repeats the same principal's membership
        error (same status and code): one entry per cause and principal."""
        with self._lock:
            self._finish_groups()
        return error_entries(self.errors, self.records, self._read)


def _list_of(response: Any) -> list[Any]:
    """The `value` array of a Graph answer; an answer without one is an error (its content
    is unknown), never an empty list."""
    if not isinstance(response, dict):
        raise ApiError(
            200, "InvalidList", "the answer is not a JSON object: its content is unknown"
        )
    return list_value(response, "value")
