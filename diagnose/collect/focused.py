"""A focused re-read for `diagnose recheck`: only what a fix plan touched, on the collector's
own ARM client (same sign-in, retries, request log and token scrubbing), never a whole
collection.

    per resource group a step's scope lies    role assignments, deny assignments (listed
    in (or the subscription, when it is the   there as a collection lists them: what lies
    step's scope)                             at, above and below a resource group; at and
                                              above a subscription), kept only when they
                                              apply at a step's scope or above it
    per resource whose settings a step sets   one GET (its type's api-version)
    per Cosmos DB account a step grants on    its SQL role assignments

Nothing else is read: no role definitions, no directory, no other resource. Read-only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from diagnose.arm.scopes import scope_key
from diagnose.collect import apiversions
from diagnose.collect.clients import ApiError, ArmClient, arm_client
from diagnose.collect.credentials import Credentials
from diagnose.collect.listings import ASSIGNMENTS, DENIES
from diagnose.collect.pipeline import RetrySettings, shared_connection
from diagnose.collect.requestlog import RequestLog
from diagnose.collect.settings import Settings


@dataclass
class Focus:
    """What the plan touched."""

    scopes: set[str] = field(default_factory=set)
    """Where steps assign or remove roles (their resource groups are listed)."""
    resources: set[str] = field(default_factory=set)
    """Resources whose settings a step changes (each read once)."""
    cosmos_accounts: set[str] = field(default_factory=set)


@dataclass
class FocusedRead:
    data: dict[str, Any]
    """roleAssignments, denyAssignments, resources and errors, as a snapshot holds them."""
    requests: list[dict[str, Any]]


def read_focused(settings: Settings, credentials: Credentials, focus: Focus) -> FocusedRead:
    log = RequestLog()
    shared = shared_connection(settings.timeout)
    arm = arm_client(
        settings.arm_endpoint,
        credentials.arm,
        settings.arm_scope,
        log,
        concurrency=settings.concurrency,
        retry=RetrySettings(),
        shared=shared,
    )
    try:
        data = read_with(arm, focus)
    finally:
        shared.deadline.expire()
        arm.close()
    data = shared.tokens.clean_json(data)
    requests = shared.tokens.clean_json(log.entries())
    shared.tokens.forget()
    return FocusedRead(data, requests)


def read_with(arm: ArmClient, focus: Focus) -> dict[str, Any]:
    errors: list[dict[str, Any]] = []
    assignments: list[Any] = []
    denies: list[Any] = []
    wanted = {scope_key(s) for s in focus.scopes}
    seen: dict[str, set[str]] = {ASSIGNMENTS.key: set(), DENIES.key: set()}
    for scope in sorted(s for s in focus.scopes if not _family(s)):
        # A management group's (or the root's) assignments are listed nowhere here: the
        # step is unknown, never judged on a listing that was not made (recheck.py).
        for listing in (ASSIGNMENTS, DENIES):
            errors.append(
                {
                    "scope": scope,
                    "operation": listing.collection,
                    "status": None,
                    "code": "NotListed",
                    "message": "a re-read lists assignments only in a subscription",
                }
            )
    for family in sorted({_family(s) for s in focus.scopes} - {""}):
        in_group = "/resourcegroups/" in family.lower()
        for listing, into in ((ASSIGNMENTS, assignments), (DENIES, denies)):
            # A subscription's own listing unfiltered would be all of it: at and above only.
            for listing_filter in listing.filters if in_group else ("atScope()",):
                query = {"api-version": listing.api_version}
                if listing_filter:
                    query["$filter"] = listing_filter
                path = f"{family}/providers/Microsoft.Authorization/{listing.collection}"
                try:
                    items = arm.get_pages(path, query)
                except ApiError as error:
                    errors.append(_error(family, listing.collection, error))
                    continue
                for item in items:
                    if _applies(item, wanted) and _first(item, seen[listing.key]):
                        into.append(item)
    resources: list[Any] = []
    for resource_id in sorted(focus.resources):
        api = apiversions.for_type(_top_type(resource_id))
        if api is None:
            continue  # a type the collector does not read: the step stays unknown
        try:
            resources.append(arm.get(resource_id, {"api-version": api}))
        except ApiError as error:
            if error.status != 404:
                errors.append(_error(resource_id, "read", error))
    for account in sorted(focus.cosmos_accounts):
        try:
            resources.extend(
                arm.get_pages(
                    f"{account}/sqlRoleAssignments", {"api-version": apiversions.COSMOS_DB}
                )
            )
        except ApiError as error:
            errors.append(_error(account, "sqlRoleAssignments", error))
    return {
        "roleAssignments": assignments,
        "denyAssignments": denies,
        "resources": [r for r in resources if isinstance(r, dict)],
        "errors": errors,
    }


def _applies(item: Any, wanted: Iterable[str]) -> bool:
    """At one of the wanted scopes or above it (what reaches a step's scope)."""
    if not isinstance(item, dict):
        return False
    scope = (item.get("properties") or {}).get("scope")
    if not isinstance(scope, str):
        return False
    at = scope_key(scope).rstrip("/")
    return any(w == at or w.startswith(at + "/") or at == "" for w in wanted)


def _first(item: dict[str, Any], seen: set[str]) -> bool:
    """Whether an item is listed for the first time (what lies above two resource groups
    comes with both listings)."""
    key = str(item.get("id", "")).lower()
    if key in seen:
        return False
    seen.add(key)
    return True


def _family(scope: str) -> str:
    """Where a step's scope is listed: its resource group, else its subscription ('' for a
    scope in no subscription)."""
    parts = scope.rstrip("/").split("/")
    if len(parts) < 3 or parts[1].lower() != "subscriptions":
        return ""
    if len(parts) >= 5 and parts[3].lower() == "resourcegroups":
        return "/".join(parts[:5])
    return "/".join(parts[:3])


def _top_type(resource_id: str) -> str:
    """provider/type of the top-level resource a (child) id names, lower-case."""
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return ""
    i = len(lowered) - 1 - lowered[::-1].index("providers")
    return "/".join(lowered[i + 1 : i + 3]) if len(parts) > i + 2 else ""


def _error(scope: str, what: str, error: ApiError) -> dict[str, Any]:
    return {"scope": scope, "operation": what, "status": error.status, "code": error.code}
