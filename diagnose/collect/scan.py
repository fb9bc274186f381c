"""A tenant-wide scan: every hub and Foundry resource the caller can see, each collected into a
snapshot, with what Azure Resource Graph can answer read once for all of them.

    1. resourcecontainers   the subscriptions in scope (--subscription, --management-group or
                            every one the caller can read); one asked for that Resource Graph
                            does not return is reported, never skipped silently
    2. per batch of subscriptions, paged by $skipToken, 1,000 rows a page:
         resources               hubs, projects, Foundry resources and every resource type a
                                 hub's collection reads (storage, key vaults, identities, ...)
         authorizationresources  role assignments, role definitions
       a batch Resource Graph refuses is asked again subscription by subscription; a
       subscription still refused is reported, with its hubs unknown
    3. per hub, the single-hub collector (collector.py, foundry.py) on a client that serves
       from what step 2 read: resource GETs, the subscription's workspace listing, its role
       assignments, role definitions and its management-group row. What Resource Graph does
       not hold is read as the single-hub path reads it, once per scan however many hubs ask
       (deny assignments, PIM eligibility and the role assignments inherited from above the
       subscription, per subscription; Microsoft Graph, per principal); what only a hub has
       (its connections, outbound rules, a Foundry resource's deployments) per hub.
       With more than one core, whole subscriptions of hubs are collected in worker
       processes (scanworker.py), the reads made once for every hub sent on to them.

The role assignments Resource Graph holds are those at and below a subscription; those
inherited from management groups and the tenant root come from one ARM listing per
subscription (`$filter=atScope()`), so a hub's snapshot holds exactly what the single-hub
listing (at, above and below) would.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from diagnose.arm import types
from diagnose.arm.ids import followable
from diagnose.arm.scopes import scope_key
from diagnose.collect import queries
from diagnose.collect.assemble import build_snapshot
from diagnose.collect.clients import ApiError
from diagnose.collect.resourcegraph import Abandoned, ResourceGraph, batches
from diagnose.collect.result import Collection
from diagnose.collect.target import FOUNDRY_KIND, Target
from diagnose.snapshot.codes import TIMEOUT_CODE

SUBSCRIPTION_READ = "Microsoft.Resources/subscriptions/read"
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
RESOURCE_GRAPH_READ = "Microsoft.ResourceGraph/resources/read"

SCANNED_TYPES = tuple(
    sorted(
        {
            types.WORKSPACE,
            types.COGNITIVE_ACCOUNT,
            types.COGNITIVE_PROJECT,
            types.SEARCH_SERVICE,
            types.STORAGE_ACCOUNT,
            types.KEY_VAULT,
            types.CONTAINER_REGISTRY,
            types.APP_INSIGHTS,
            types.USER_ASSIGNED_IDENTITY,
            types.LOG_ANALYTICS_WORKSPACE,
            types.COSMOS_ACCOUNT,
        }
    )
)
ALL = ""
"""TenantIndex's key of a subscription's whole workspace listing (no hub's key is empty)."""
ARM_COLUMNS = ("id", "name", "type", "kind", "location", "sku", "identity", "properties", "tags")
"""The columns of a `resources` row that an ARM GET has too (the rest are Resource Graph's)."""


def subscriptions_query() -> str:
    return queries.subscription_rows() + " | order by id asc"


def resources_query() -> str:
    type_list = ", ".join(queries.kql_string(t) for t in SCANNED_TYPES)
    return (
        f"resources | where type in~ ({type_list})"
        f" | project {', '.join(ARM_COLUMNS)} | order by id asc"
    )


def authorization_query(kind: str) -> str:
    """Role assignments or role definitions (kind: 'roleassignments', 'roledefinitions')."""
    return (
        "authorizationresources"
        f" | where type =~ {queries.kql_string('microsoft.authorization/' + kind)}"
        " | project id, name, type, properties | order by id asc"
    )


@dataclass(frozen=True)
class ScanScope:
    """What to scan: these subscriptions, a management group, or every one (all three empty)."""

    subscriptions: tuple[str, ...] = ()
    management_group: str | None = None

    def describe(self) -> str:
        if self.subscriptions:
            return f"{len(self.subscriptions)} subscription(s)"
        if self.management_group:
            return f"management group {self.management_group}"
        return "every subscription the caller can read"


@dataclass
class TenantIndex:
    """What Resource Graph answered, by key."""

    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """subscription -> the role assignments at and below it."""
    role_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """role definition GUID -> definition."""
    unknown: dict[str, dict[str, Any]] = field(default_factory=dict)
    """subscription -> the errors entry that says why its hubs are unknown."""
    _by_subscription: dict[str, dict[str, list[dict[str, Any]]]] | None = field(
        default=None, repr=False
    )

    def served(self, subscription: str) -> bool:
        return subscription in self.subscriptions and subscription not in self.unknown

    def targets(self) -> list[Target]:
        """The hubs and Foundry resources found, in id order."""
        found = []
        for resource in self.resources.values():
            kind = str(resource.get("kind") or "").lower()
            resource_type = str(resource.get("type") or "").lower()
            if (resource_type == types.WORKSPACE and kind == "hub") or (
                resource_type == types.COGNITIVE_ACCOUNT and kind == FOUNDRY_KIND
            ):
                found.append(Target(resource))
        return sorted(found, key=lambda t: t.id.lower())

    def workspaces(self, subscription: str, hub: str | None = None) -> list[dict[str, Any]]:
        """The subscription's workspace listing as ARM answers it; with `hub` (a scope key),
        only the projects of that hub in it: all a hub's collection keeps of the listing
        (collector.py, _is_our_project), without walking the other hubs' workspaces."""
        listed = self._workspaces().get(subscription, {})
        if hub is not None:
            return [dict(r) for r in listed.get(hub, [])]
        return [dict(r) for r in listed.get(ALL, [])]

    def _workspaces(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """subscription -> ALL or the key of the hub whose projects they are -> workspace
        rows, in the order Resource Graph returned them. Built on first use, once Resource
        Graph was read (the index no longer changes); two hubs building it at once build the
        same thing."""
        if self._by_subscription is None:
            grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
            for key, row in self.resources.items():
                if str(row.get("type") or "").lower() != types.WORKSPACE:
                    continue
                listed = grouped.setdefault(key.split("/")[2], {})
                listed.setdefault(ALL, []).append(row)
                properties = row.get("properties")
                parent = properties.get("hubResourceId") if isinstance(properties, dict) else None
                if str(row.get("kind") or "").lower() == "project" and isinstance(parent, str):
                    listed.setdefault(scope_key(parent), []).append(row)
            self._by_subscription = grouped
        return self._by_subscription


def _arm_shaped(row: dict[str, Any]) -> dict[str, Any]:
    """A `resources` row as an ARM GET gives it: Resource Graph's own columns and empty
    ones left out."""
    return {k: row[k] for k in ARM_COLUMNS if row.get(k) is not None}


def _subscription_of(resource_id: str) -> str:
    # Nearly every row is /subscriptions/{guid}/...: read that without parsing the whole id
    # (a tenant's role assignments are read while every hub waits for them).
    head = resource_id.split("/", 3)
    if (
        len(head) > 3
        and not head[0]
        and head[1].lower() == "subscriptions"
        and _GUID.fullmatch(head[2])
    ):
        return head[2].lower()
    parsed = followable(resource_id)
    if parsed is not None:
        return parsed.subscription
    parts = resource_id.lower().split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "subscriptions" else ""


def _refused(subscription: str, error: ApiError, what: str) -> dict[str, Any]:
    entry = error.as_entry(f"/subscriptions/{subscription}", RESOURCE_GRAPH_READ)
    entry["message"] = f"Resource Graph refused the {what} query: {entry['message']}"
    return entry


def read_tenant(graph: ResourceGraph, scope: ScanScope, parallel: int = 4) -> TenantIndex:
    """Step 1 and 2 of the scan (see the module's docstring), at most `parallel` requests
    at once.

    Step 2's queries of many rows (resources, role assignments) are asked at once with
    step 1's, over the subscriptions it is expected to answer (those asked, or every one
    readable), not a round trip after it: followed past their first page, and kept, only
    once step 1 has answered exactly those, in one batch (`_Ahead`); otherwise they are
    asked again over the subscriptions it did answer, as they would have been. The role
    definitions (a page) are asked once step 1 answers, as before: asked of every
    subscription readable, Resource Graph answers for the tenant, its management groups'
    roles included, which the subscriptions' query does not hold."""
    index = TenantIndex()
    asked = [s.lower() for s in scope.subscriptions]
    lock = threading.Lock()
    queries_to_run: list[tuple[str, str, Callable[[list[dict[str, Any]]], None]]] = [
        ("resources", resources_query(), lambda found: _add_resources(index, found)),
        (
            "role assignment",
            authorization_query("roleassignments"),
            lambda found: _add_assignments(index, found),
        ),
        (
            "role definition",
            authorization_query("roledefinitions"),
            lambda found: _add_definitions(index, found),
        ),
    ]
    ahead_of_step_1 = queries_to_run[:2]  # resources, role assignments

    def run(
        what: str, query: str, keep: Callable[[list[dict[str, Any]]], None], batch: list[str]
    ) -> None:
        try:
            found = graph.query(query, subscriptions=batch)
        except ApiError as exc:
            if len(batch) > 1:  # find out which subscription it refuses
                for one in batch:
                    run(what, query, keep, [one])
                return
            with lock:
                index.unknown.setdefault(batch[0], _refused(batch[0], exc, what))
            return
        with lock:
            keep(found)

    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="resource-graph") as pool:
        # Step 1's request and step 2's at once, if that many may be in flight and step 2
        # may well ask exactly those queries (not for a management group's subscriptions,
        # which only step 1 tells, nor for more than one batch).
        speculate = (
            parallel > len(ahead_of_step_1)
            and scope.management_group is None
            and len(batches(asked)) <= 1
        )
        ahead = _Ahead(graph, asked, pool, [q for _, q, _ in ahead_of_step_1] if speculate else [])
        try:
            rows = graph.query(
                subscriptions_query(),
                subscriptions=asked or None,
                management_group=scope.management_group,
            )
        except BaseException:
            ahead.decide(None)  # what was asked ahead ends at its first page
            raise
        for row in rows:
            subscription = str(row.get("subscriptionId") or "").lower()
            if subscription:
                index.subscriptions[subscription] = row
        for subscription in asked:
            if subscription not in index.subscriptions:
                index.unknown[subscription] = {
                    "scope": f"/subscriptions/{subscription}",
                    "operation": SUBSCRIPTION_READ,
                    "status": None,
                    "code": "NoResourceGraphRow",
                    "message": "Resource Graph returned no row for this subscription (no read "
                    "access to it, or no such subscription): its hubs are unknown",
                }
        visible = sorted(index.subscriptions)
        ahead.decide(visible)
        futures = [
            pool.submit(run, what, query, keep, batch)
            for what, query, keep in queries_to_run[len(ahead_of_step_1) :]
            for batch in batches(visible)
        ]
        for (what, query, keep), found in zip(
            ahead_of_step_1, ahead.answers(len(ahead_of_step_1)), strict=True
        ):
            if found is None:
                futures += [pool.submit(run, what, query, keep, b) for b in batches(visible)]
                continue
            # Asked of every subscription readable, Resource Graph answers for the tenant:
            # what is above the subscriptions (a management group's assignments) is not what
            # step 2 asks of them, and is left out.
            with lock:
                keep([r for r in found if _subscription_of(str(r.get("id") or "")) in visible])
        for future in futures:
            future.result()
    for subscription in index.unknown:  # nothing half-read is served
        prefix = f"/subscriptions/{subscription}/"
        for key in [k for k in index.resources if k.startswith(prefix)]:
            del index.resources[key]
        index.assignments.pop(subscription, None)
    return index


class _Ahead:
    """Step 2's queries asked beside step 1's, over `asked` (every subscription readable when
    empty): Resource Graph's round trips are the scan's whole wait before its first hub
    starts (three when a query has two pages, as a 500-hub scan's resources and role
    assignments have; two this way: 0.07-0.1 s of its 0.3 s there). Their answers are kept
    only when step 1 answered for exactly those subscriptions, one batch of them
    (`decide`): then they are the queries step 2 would ask. Otherwise (a subscription
    asked for is not readable, none is, or more than one batch is) none is followed past
    its first page, and step 2 asks as it would have."""

    def __init__(
        self, graph: ResourceGraph, asked: list[str], pool: ThreadPoolExecutor, queries: list[str]
    ) -> None:
        self._asked = asked
        self._decided = threading.Event()
        self._kept = False
        self._futures = [
            pool.submit(graph.query, query, subscriptions=asked or None, proceed=self._proceed)
            for query in queries
        ]

    def _proceed(self) -> bool:
        self._decided.wait()
        return self._kept

    def decide(self, visible: list[str] | None) -> None:
        """Step 1 answered for these subscriptions (None: its answer is not to be used)."""
        if self._decided.is_set():
            return
        self._kept = (
            visible is not None
            and len(batches(visible)) == 1
            and (not self._asked or sorted(set(self._asked)) == visible)
        )
        self._decided.set()

    def answers(self, queries: int) -> list[list[dict[str, Any]] | None]:
        """Each query's rows, if kept and answered; None where step 2 must ask it again
        (every one, when none was asked ahead)."""
        if not self._futures:
            return [None] * queries
        found: list[list[dict[str, Any]] | None] = []
        for future in self._futures:
            try:
                rows = future.result()
            except (ApiError, Abandoned):
                rows = None
            found.append(rows if self._kept else None)
        return found


def _add_resources(index: TenantIndex, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if isinstance(row.get("id"), str) and isinstance(row.get("type"), str):
            index.resources[scope_key(row["id"])] = _arm_shaped(row)


def _add_assignments(index: TenantIndex, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if isinstance(row.get("id"), str):
            subscription = _subscription_of(row["id"])
            if subscription:
                index.assignments.setdefault(subscription, []).append(row)


def _add_definitions(index: TenantIndex, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if isinstance(row.get("id"), str):
            index.role_definitions.setdefault(row["id"].rsplit("/", 1)[-1].lower(), row)


def principals_of(index: TenantIndex) -> set[str]:
    """The principals of every role assignment and resource identity Resource Graph read."""
    found: set[str] = set()
    for rows in index.assignments.values():
        for row in rows:
            principal = (row.get("properties") or {}).get("principalId")
            if isinstance(principal, str):
                found.add(principal.lower())
    for resource in index.resources.values():
        identity = resource.get("identity")
        if not isinstance(identity, dict):
            continue
        if isinstance(identity.get("principalId"), str):
            found.add(identity["principalId"].lower())
        users = identity.get("userAssignedIdentities")
        for entry in users.values() if isinstance(users, dict) else []:
            if isinstance(entry, dict) and isinstance(entry.get("principalId"), str):
                found.add(entry["principalId"].lower())
    return found


@dataclass(frozen=True)
class HubCollection:
    """One hub's (or Foundry resource's) part of the scan."""

    target: str
    collection: Collection | None
    error: ApiError | None = None
    """Why there is no snapshot (a failure the collection could not turn into errors)."""


@dataclass(frozen=True)
class ScanCollection:
    hubs: tuple[HubCollection, ...]
    unknown: tuple[dict[str, Any], ...]
    """Errors entries of the subscriptions whose hubs are unknown."""
    subscriptions: int
    """Subscriptions Resource Graph answered for."""
    pages: int
    """Resource Graph pages read."""
    requests: tuple[dict[str, Any], ...]
    waves: int
    """The deepest per-hub collection, in waves."""
    directory_waves: int = 0
    """Rounds of Microsoft Graph requests made ahead of the hubs (prefetch)."""


def timeout_error(message: str) -> ApiError:
    return ApiError(None, TIMEOUT_CODE, message)


__all__ = [
    "HubCollection",
    "ScanCollection",
    "ScanScope",
    "TenantIndex",
    "build_snapshot",
    "principals_of",
    "read_tenant",
]
