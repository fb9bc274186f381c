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

The role assignments Resource Graph holds are those at and below a subscription; those
inherited from management groups and the tenant root come from one ARM listing per
subscription (`$filter=atScope()`), so a hub's snapshot holds exactly what the single-hub
listing (at, above and below) would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from diagnose.arm import types
from diagnose.arm.ids import followable
from diagnose.arm.scopes import scope_key
from diagnose.collect import apiversions, queries
from diagnose.collect.assemble import build_snapshot
from diagnose.collect.clients import ApiError, ArmClient, GraphClient, SubRequest, list_value
from diagnose.collect.guard import BATCH_LIMIT
from diagnose.collect.resourcegraph import ResourceGraph, batches
from diagnose.collect.result import Collection
from diagnose.collect.sdk import SdkClients
from diagnose.collect.target import FOUNDRY_KIND, Target
from diagnose.snapshot.codes import TIMEOUT_CODE

SUBSCRIPTION_READ = "Microsoft.Resources/subscriptions/read"
RESOURCE_GRAPH_READ = "Microsoft.ResourceGraph/resources/read"
HUB_PARALLEL = 16
"""Hubs collected at once (each with its own scheduler of `concurrency` steps)."""

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

    def workspaces(self, subscription: str) -> list[dict[str, Any]]:
        prefix = f"/subscriptions/{subscription}/"
        return [
            dict(r)
            for key, r in self.resources.items()
            if key.startswith(prefix) and str(r.get("type") or "").lower() == types.WORKSPACE
        ]


def _arm_shaped(row: dict[str, Any]) -> dict[str, Any]:
    """A `resources` row as an ARM GET gives it: Resource Graph's own columns and empty
    ones left out."""
    return {k: row[k] for k in ARM_COLUMNS if row.get(k) is not None}


def _subscription_of(resource_id: str) -> str:
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
    """Step 1 and 2 of the scan (see the module's docstring)."""
    index = TenantIndex()
    asked = [s.lower() for s in scope.subscriptions]
    rows = graph.query(
        subscriptions_query(),
        subscriptions=asked or None,
        management_group=scope.management_group,
    )
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
        futures = [
            pool.submit(run, what, query, keep, batch)
            for what, query, keep in queries_to_run
            for batch in batches(visible)
        ]
        for future in futures:
            future.result()
    for subscription in index.unknown:  # nothing half-read is served
        prefix = f"/subscriptions/{subscription}/"
        for key in [k for k in index.resources if k.startswith(prefix)]:
            del index.resources[key]
        index.assignments.pop(subscription, None)
    return index


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


class _Once:
    """Each distinct read once across the scan's hubs (its answer or its error), however many
    ask for it at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[Any, tuple[threading.Event, list[Any]]] = {}

    def __call__(self, key: Any, read: Callable[[], Any]) -> Any:
        with self._lock:
            known = self._known.get(key)
            first = known is None
            if known is None:
                known = self._known[key] = (threading.Event(), [])
        event, box = known
        if first:
            try:
                box.append((True, read()))
            except ApiError as exc:
                box.append((False, exc))
            finally:
                event.set()
        event.wait()
        ok, value = box[0]
        if not ok:
            raise value
        return value


def _params_key(params: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((params or {}).items()))


class ServedArm(ArmClient):
    """The ARM client the scan's collectors read through: what Resource Graph read is served
    from the index; every other read is made once for the whole scan."""

    def __init__(self, base: ArmClient, index: TenantIndex) -> None:
        super().__init__(base._client, base.endpoint, base._tokens)
        self._index = index
        self._once = _Once()

    def get(self, path_or_url: str, params: dict[str, str] | None = None) -> Any:
        if "://" not in path_or_url:
            key = scope_key(path_or_url)
            resource = self._index.resources.get(key)
            if resource is not None:
                return dict(resource)
            if "/providers/microsoft.authorization/roledefinitions/" in key:
                definition = self._index.role_definitions.get(key.rsplit("/", 1)[-1])
                if definition is not None:
                    return dict(definition)
        return self._once(
            ("GET", path_or_url, _params_key(params)),
            lambda: super(ServedArm, self).get(path_or_url, params),
        )

    def get_pages(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        parts = scope_key(path).split("/")
        filtered = bool((params or {}).get("$filter"))
        if len(parts) == 6 and parts[1] == "subscriptions" and self._index.served(parts[2]):
            subscription, collection = parts[2], "/".join(parts[4:])
            if collection == "microsoft.machinelearningservices/workspaces":
                return self._index.workspaces(subscription)
            if collection == "microsoft.authorization/roleassignments" and not filtered:
                return self._assignments(subscription, path, params)
        return self._once(
            ("PAGES", path, _params_key(params)),
            lambda: super(ServedArm, self).get_pages(path, params),
        )

    def inherited(self, subscription: str) -> list[Any]:
        """The role assignments at and above the subscription (ARM, `$filter=atScope()`),
        read once for the scan."""
        path = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments"
        params = {"api-version": apiversions.ROLE_ASSIGNMENTS, "$filter": "atScope()"}
        return self._once(
            ("INHERITED", subscription),
            lambda: super(ServedArm, self).get_pages(path, params),
        )

    def prefetch_inherited(self, parallel: int) -> set[str]:
        """Read what each served subscription inherits, at once; the principals it names."""
        subscriptions = [s for s in self._index.subscriptions if self._index.served(s)]

        def read(subscription: str) -> list[Any]:
            try:
                return self.inherited(subscription)
            except ApiError:
                return []  # each hub's collection records the failure

        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="inherited") as pool:
            listings = list(pool.map(read, subscriptions))
        return {
            str(item["properties"]["principalId"]).lower()
            for listing in listings
            for item in listing
            if isinstance(item, dict)
            and isinstance(item.get("properties"), dict)
            and isinstance(item["properties"].get("principalId"), str)
        }

    def _assignments(
        self, subscription: str, path: str, params: dict[str, str] | None
    ) -> list[Any]:
        """At and below the subscription from Resource Graph; above it (management groups,
        the tenant root) from the ARM listing atScope() at the subscription."""
        inherited = self.inherited(subscription)
        own = f"/subscriptions/{subscription}"
        rows = list(self._index.assignments.get(subscription, []))
        seen = {str(r["id"]).lower() for r in rows}
        for item in inherited:
            scope = (
                str((item.get("properties") or {}).get("scope") or "")
                if isinstance(item, dict)
                else ""
            )
            key = scope_key(scope) if scope.startswith("/") else ""
            if key == own or key.startswith(own + "/"):
                continue
            if str(item.get("id", "")).lower() not in seen:
                rows.append(item)
        return rows

    def resource_graph(self, query: str, subscriptions: list[str] | None = None) -> list[Any]:
        if query == queries.subscription_rows() and subscriptions and len(subscriptions) == 1:
            row = self._index.subscriptions.get(subscriptions[0].lower())
            if row is not None:
                return [row]
        return self._once(
            ("RG", query, tuple(subscriptions or ())),
            lambda: super(ServedArm, self).resource_graph(query, subscriptions),
        )

    def close(self) -> None:  # the scan closes the client it wraps
        return None


class ServedSdk(SdkClients):
    """The SDK clients of the scan's collectors (the authorization reads go through
    azure-mgmt-authorization): role definitions and the subscription's role assignments that
    Resource Graph read are served as ServedArm serves them, and every other read (deny
    assignments, eligibilities, what is inherited) is made once for the whole scan."""

    def __init__(self, base: SdkClients, arm: ServedArm) -> None:
        # The same clients, transport and lock as the base: a view of it, not a copy.
        self.__dict__.update(base.__dict__)
        self._arm = arm
        self._once = _Once()

    def get(self, operation: Callable[..., Any], *args: Any) -> Any:
        if operation.__name__ == "get_by_id" and args:
            key = scope_key(str(args[0]))
            if "/providers/microsoft.authorization/roledefinitions/" in key:
                definition = self._arm._index.role_definitions.get(key.rsplit("/", 1)[-1])
                if definition is not None:
                    return dict(definition)
        return self._once(
            ("GET", _operation_key(operation), args),
            lambda: SdkClients.get(self, operation, *args),
        )

    def list_all(self, operation: Callable[..., Any], *args: Any) -> list[Any]:
        if (
            operation.__name__ == "list_for_scope"
            and _operation_key(operation)[0] == "RoleAssignmentsOperations"
            and len(args) == 2
            and not args[1]  # unfiltered: at, above and below the scope
        ):
            parts = scope_key(str(args[0])).split("/")
            if (
                len(parts) == 3
                and parts[1] == "subscriptions"
                and self._arm._index.served(parts[2])
            ):
                return self._arm._assignments(parts[2], str(args[0]), None)
        return self._once(
            ("LIST", _operation_key(operation), args),
            lambda: SdkClients.list_all(self, operation, *args),
        )


def _operation_key(operation: Callable[..., Any]) -> tuple[str, str, str]:
    """Which SDK operation: its operations class, the api-version of its client, its name."""
    owner = getattr(operation, "__self__", None)
    config = getattr(owner, "_config", None)
    version = str(getattr(config, "api_version", "") or "")
    return (type(owner).__name__, version, operation.__name__)


GET_BY_IDS = "/v1.0/directoryObjects/getByIds"
PRINCIPAL_TYPES = ["user", "group", "servicePrincipal"]


class SharedGraph(GraphClient):
    """The Microsoft Graph client of the scan's collectors: each read once for the scan, and
    the principals of every assignment Resource Graph returned looked up ahead, in bulk
    (prefetch), so that a hub's directory reader finds them answered."""

    def __init__(self, base: GraphClient) -> None:
        super().__init__(
            base._client, base.endpoint, base._tokens, deadline=base._deadline, retry=base._retry
        )
        self._once = _Once()
        self._lock = threading.Lock()
        self._batch_known: dict[Any, Any] = {}
        self._objects: dict[str, dict[str, Any]] = {}
        self._looked_up: set[str] = set()
        """Ids a getByIds answered for (found or left out)."""

    def prefetch(self, ids: Iterable[str], parallel: int = 16) -> int:
        """Look these principals up (getByIds, BATCH ids a request) and read the groups of
        those found (getMemberGroups, 20 to a JSON batch), `parallel` requests at once.
        Returns how many rounds of requests that took. A failure is not kept: the hubs that
        need the principal ask again and record it."""
        from diagnose.collect.directory import AZURE_ML_APP_ID, BATCH

        wanted = {i.lower() for i in ids if isinstance(i, str) and i}
        try:  # what every hub's reader asks first: the Azure Machine Learning app
            app = self.get(
                f"/v1.0/servicePrincipals(appId='{AZURE_ML_APP_ID}')",
                {"$select": "id,appId,displayName,servicePrincipalType"},
            )
            if isinstance(app, dict) and isinstance(app.get("id"), str):
                wanted.add(app["id"].lower())
        except ApiError:
            pass
        chunks = [sorted(wanted)[i : i + BATCH] for i in range(0, len(wanted), BATCH)]
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="graph") as pool:
            list(pool.map(self._look_up, chunks))
            found = sorted(self._objects)
            groups = [
                SubRequest(
                    "POST", f"/directoryObjects/{k}/getMemberGroups", {"securityEnabledOnly": False}
                )
                for k in found
            ]
            slices = [groups[i : i + BATCH_LIMIT] for i in range(0, len(groups), BATCH_LIMIT)]
            list(pool.map(self.batch, slices))
        return 1 + (1 if chunks else 0) + (1 if slices else 0)

    def _look_up(self, ids: list[str]) -> None:
        try:
            answer = GraphClient._send(
                self, "POST", GET_BY_IDS, body={"ids": ids, "types": PRINCIPAL_TYPES}
            )
            items = list_value(answer, "value") if isinstance(answer, dict) else None
        except ApiError:
            return
        if items is None:
            return
        with self._lock:
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    self._objects[item["id"].lower()] = item
            self._looked_up.update(ids)

    def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        import json

        if method == "POST" and path_or_url == GET_BY_IDS and isinstance(body, dict):
            ids = [str(i).lower() for i in body.get("ids") or []]
            with self._lock:
                if ids and all(i in self._looked_up for i in ids):
                    return {"value": [self._objects[i] for i in ids if i in self._objects]}
        key = (method, path_or_url, _params_key(params), json.dumps(body, sort_keys=True))
        return self._once(
            key,
            lambda: GraphClient._send(self, method, path_or_url, params=params, body=body),
        )

    def batch(self, requests: list[SubRequest]) -> list[Any]:
        import json

        keys = [(r.method, r.url, json.dumps(r.body, sort_keys=True)) for r in requests]
        with self._lock:
            missing = [i for i, k in enumerate(keys) if k not in self._batch_known]
        if missing:
            answers = GraphClient.batch(self, [requests[i] for i in missing])
            with self._lock:
                for i, answer in zip(missing, answers, strict=True):
                    self._batch_known.setdefault(keys[i], answer)
        with self._lock:
            return [self._batch_known[k] for k in keys]

    def close(self) -> None:
        return None


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


def collect_hubs(
    targets: Iterable[Target],
    start: Callable[[Target], Collection],
    parallel: int = HUB_PARALLEL,
    done: Callable[[HubCollection], None] | None = None,
) -> list[HubCollection]:
    """Collect each target with `start`, `parallel` at a time, in the targets' order."""

    def one(target: Target) -> HubCollection:
        try:
            result = HubCollection(target.id, start(target))
        except ApiError as exc:
            result = HubCollection(target.id, None, exc)
        if done is not None:
            done(result)
        return result

    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="scan-hub") as pool:
        return list(pool.map(one, targets))


def timeout_error(message: str) -> ApiError:
    return ApiError(None, TIMEOUT_CODE, message)


__all__ = [
    "HubCollection",
    "ScanCollection",
    "ScanScope",
    "ServedArm",
    "SharedGraph",
    "TenantIndex",
    "build_snapshot",
    "collect_hubs",
    "principals_of",
    "read_tenant",
]
