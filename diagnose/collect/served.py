"""The clients a scan's per-hub collectors read through: what Resource Graph already read is
served from the scan's index (ServedArm for ARM reads, ServedSdk for the azure-mgmt-authorization
ones), every other read is made once for the whole scan however many hubs ask for it, and
Microsoft Graph look-ups are shared (SharedGraph)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from diagnose.arm.scopes import scope_key
from diagnose.collect import apiversions, queries
from diagnose.collect.authorization import SharedListing
from diagnose.collect.clients import ApiError, ArmClient, GraphClient, SubRequest, list_value
from diagnose.collect.guard import BATCH_LIMIT
from diagnose.collect.limit import first_in_line
from diagnose.collect.scan import TenantIndex
from diagnose.collect.sdk import SdkClients
from diagnose.collect.shapes import ROLE_DEFINITION, fits


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

    def answers(self) -> dict[Any, tuple[bool, Any]]:
        """Every read answered so far: (True, its answer) or (False, its ApiError)."""
        with self._lock:
            known = list(self._known.items())
        return {key: box[0] for key, (event, box) in known if event.is_set() and box}

    def learn(self, answers: dict[Any, tuple[bool, Any]]) -> None:
        """Take reads another process's scan answered as answered here (scanworker.py)."""
        with self._lock:
            for key, answer in answers.items():
                if key not in self._known:
                    event = threading.Event()
                    event.set()
                    self._known[key] = (event, [answer])


def _params_key(params: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((params or {}).items()))


class ServedArm(ArmClient):
    """The ARM client the scan's collectors read through: what Resource Graph read is served
    from the index; every other read is made once for the whole scan."""

    def __init__(self, base: ArmClient, index: TenantIndex) -> None:
        super().__init__(base._client, base.endpoint, base._tokens)
        self._index = index
        self._once = _Once()
        self._hub: str | None = None
        self._ready = threading.Event()
        self._ready.set()

    def hold(self) -> None:
        """Hold the reads of what is inherited until release(): another process reads it
        for this one (scanworker.py), its answers learned before the release."""
        self._ready.clear()

    def release(self) -> None:
        self._ready.set()

    def for_hub(self, hub_id: str) -> ServedArm:
        """This client as one hub's collector reads through it (the same index, pipeline and
        once-per-scan memo): its subscription's workspace listing holds that hub's projects
        only, all the collector keeps of it, so no hub walks every other hub's workspaces
        (a subscription of N hubs made that N x N)."""
        view = copy.copy(self)
        view._hub = scope_key(hub_id)
        return view

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
                return self._index.workspaces(subscription, self._hub)
            if collection == "microsoft.authorization/roleassignments" and not filtered:
                return self._assignments(subscription)
        return self._once(
            ("PAGES", path, _params_key(params)),
            lambda: super(ServedArm, self).get_pages(path, params),
        )

    def inherited(self, subscription: str) -> list[Any]:
        """The role assignments at and above the subscription (ARM, `$filter=atScope()`),
        read once for the scan."""
        path = f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleAssignments"
        params = {"api-version": apiversions.ROLE_ASSIGNMENTS, "$filter": "atScope()"}
        self._ready.wait()
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

        with ThreadPoolExecutor(
            max_workers=parallel, thread_name_prefix="inherited", initializer=first_in_line
        ) as pool:
            listings = list(pool.map(read, subscriptions))
        return {
            str(item["properties"]["principalId"]).lower()
            for listing in listings
            for item in listing
            if isinstance(item, dict)
            and isinstance(item.get("properties"), dict)
            and isinstance(item["properties"].get("principalId"), str)
        }

    def _assignments(self, subscription: str) -> list[Any]:
        """At and below the subscription from Resource Graph; above it (management groups,
        the tenant root) from the ARM listing atScope() at the subscription. Merged once per
        subscription (every hub in it asks); each asker gets its own list of the same items."""
        merged = self._once(("ASSIGNMENTS", subscription), lambda: self._merged(subscription))
        return merged.share()

    def _merged(self, subscription: str) -> SharedListing:
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
        # Every hub of the subscription files the same items: what each is, worked out once.
        return SharedListing(rows)

    def resource_graph(self, query: str, subscriptions: list[str] | None = None) -> list[Any]:
        if query == queries.subscription_rows() and subscriptions and len(subscriptions) == 1:
            row = self._index.subscriptions.get(subscriptions[0].lower())
            if row is not None:
                return [row]
        return self._once(
            ("RG", query, tuple(subscriptions or ())),
            lambda: super(ServedArm, self).resource_graph(query, subscriptions),
        )

    def answered(self) -> dict[Any, tuple[bool, Any]]:
        """The reads made for the scan so far, for a worker process to start from."""
        return self._once.answers()

    def learn(self, answers: dict[Any, tuple[bool, Any]]) -> None:
        self._once.learn(answers)

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
        self._groups: dict[str, _Groups] = {}
        self._groups_lock = threading.Lock()
        self._definitions_fit: dict[str, tuple[dict[str, Any], bool]] = {}
        """Role definition guid -> (the index's definition, whether it fits)."""

    def authorization(self, api_version: str) -> Any:
        """The AuthorizationManagementClient of this api-version, its operation groups built
        once for the scan: the multi-API client builds a group, and a serializer of every
        model of its api-version, on each attribute read (every hub reads several)."""
        with self._groups_lock:
            groups = self._groups.get(api_version)
            if groups is None:
                groups = self._groups[api_version] = _Groups(
                    SdkClients.authorization(self, api_version)
                )
        return groups

    def fits(self, shape: str, item: Any) -> bool:
        """A role definition served from the index (a copy whose values are the index's own)
        is checked once for the scan, not once for each hub that reads it (500 hubs read
        1,900); anything else is checked as it is."""
        if shape == ROLE_DEFINITION and isinstance(item, dict):
            guid = str(item.get("id", "")).rsplit("/", 1)[-1].lower()
            source = self._arm._index.role_definitions.get(guid)
            if (
                source is not None
                and len(item) == len(source)
                and all(item.get(name, item) is value for name, value in source.items())
            ):
                known = self._definitions_fit.get(guid)
                if known is None or known[0] is not source:
                    known = self._definitions_fit[guid] = (source, fits(shape, source))
                return known[1]
        return SdkClients.fits(self, shape, item)

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
                return self._arm._assignments(parts[2])
        if operation.__name__ == "list_for_scope":  # an authorization listing (listings.py)
            # Every hub of the subscription files the same items: worked out once.
            return self._once(
                ("LIST", _operation_key(operation), args),
                lambda: SharedListing(SdkClients.list_all(self, operation, *args)),
            )
        return self._once(
            ("LIST", _operation_key(operation), args),
            lambda: SdkClients.list_all(self, operation, *args),
        )


class _Groups:
    """An SDK client whose operation groups (client.role_assignments, ...) are each built on
    first use and then kept. A group holds no state of a call, so hubs share it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._built: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        with self._lock:
            group = self._built.get(name)
            if group is None:
                group = self._built[name] = getattr(self._client, name)
        return group


def _operation_key(operation: Callable[..., Any]) -> tuple[str, str, str]:
    """Which SDK operation: its operations class, the api-version of its client, its name."""
    owner = getattr(operation, "__self__", None)
    config = getattr(owner, "_config", None)
    version = str(getattr(config, "api_version", "") or "")
    return (type(owner).__name__, version, operation.__name__)


@dataclass(frozen=True)
class GraphAnswers:
    """What a SharedGraph looked up: the objects getByIds found, the ids it answered for,
    the JSON batch answers and the other reads, by request."""

    objects: dict[str, dict[str, Any]]
    looked_up: set[str]
    batches: dict[Any, Any]
    once: dict[Any, tuple[bool, Any]]


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
        self._ready = threading.Event()
        self._ready.set()

    def hold(self) -> None:
        """Hold the hubs' reads until release(): another process looks the principals up
        for this one (scanworker.py), its answers learned before the release; a hub that
        asked meanwhile would ask again for what they are about to answer."""
        self._ready.clear()

    def release(self) -> None:
        self._ready.set()

    def look_up_app(self) -> set[str]:
        """What every hub's directory reader asks first: the Azure Machine Learning app (its
        service principal), read once; its id, to look up with the principals."""
        from diagnose.collect.directory import AZURE_ML_APP_ID

        try:
            app = self._answer(
                "GET",
                f"/v1.0/servicePrincipals(appId='{AZURE_ML_APP_ID}')",
                params={"$select": "id,appId,displayName,servicePrincipalType"},
            )
        except ApiError:
            return set()
        return (
            {app["id"].lower()}
            if isinstance(app, dict) and isinstance(app.get("id"), str)
            else set()
        )

    def prefetch(self, ids: Iterable[str], parallel: int = 16) -> int:
        """Look these principals up (getByIds, BATCH ids a request) and read the groups of
        those found (getMemberGroups, 20 to a JSON batch), `parallel` requests at once.
        Returns how many rounds of requests that took. A failure is not kept: the hubs that
        need the principal ask again and record it."""
        from diagnose.collect.directory import BATCH

        wanted = {i.lower() for i in ids if isinstance(i, str) and i}
        chunks = [sorted(wanted)[i : i + BATCH] for i in range(0, len(wanted), BATCH)]
        with ThreadPoolExecutor(
            max_workers=parallel, thread_name_prefix="graph", initializer=first_in_line
        ) as pool:
            list(pool.map(self._look_up, chunks))
            found = sorted(self._objects)
            groups = [
                SubRequest(
                    "POST", f"/directoryObjects/{k}/getMemberGroups", {"securityEnabledOnly": False}
                )
                for k in found
            ]
            slices = [groups[i : i + BATCH_LIMIT] for i in range(0, len(groups), BATCH_LIMIT)]
            list(pool.map(self._batch, slices))
        return (1 if chunks else 0) + (1 if slices else 0)

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
        self._ready.wait()
        return self._answer(method, path_or_url, params=params, body=body)

    def _answer(
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
        self._ready.wait()
        return self._batch(requests)

    def _batch(self, requests: list[SubRequest]) -> list[Any]:
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

    def answered(self) -> GraphAnswers:
        """What was looked up so far, for a worker process to start from."""
        with self._lock:
            return GraphAnswers(
                dict(self._objects),
                set(self._looked_up),
                dict(self._batch_known),
                self._once.answers(),
            )

    def learn(self, answers: GraphAnswers) -> None:
        with self._lock:
            self._objects.update(answers.objects)
            self._looked_up.update(answers.looked_up)
            for key, answer in answers.batches.items():
                self._batch_known.setdefault(key, answer)
        self._once.learn(answers.once)

    def close(self) -> None:
        return None
