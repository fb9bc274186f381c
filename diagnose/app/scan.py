"""Scanning a tenant (`diagnose scan`): every hub and Foundry resource in some subscriptions,
a management group or every subscription the caller can read, each collected (Resource Graph
first, see diagnose.collect.scan) and diagnosed as `diagnose --hub` would diagnose it.

What could not be scanned is part of the answer: a subscription Resource Graph refused or did
not return is listed with why (its hubs are unknown), a hub whose collection failed outright
has its error instead of a diagnosis."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diagnose.app.diagnosis import DiagnoseOptions, Diagnosis, diagnose_snapshot
from diagnose.collect.settings import LiveOptions
from diagnose.engine.api import Status
from diagnose.errors import BadInput

SUBSCRIPTION_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
MANAGEMENT_GROUP = r"^[A-Za-z0-9_.()-]{1,90}$"


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how to reach Azure. Exactly one of subscriptions, management_group
    and all_subscriptions."""

    live: LiveOptions
    """Sign-in, cloud, endpoints, concurrency and the deadline (its hub is not used)."""
    subscriptions: tuple[str, ...] = ()
    management_group: str | None = None
    all_subscriptions: bool = False


@dataclass(frozen=True, eq=False)
class HubScan:
    """One hub (or Foundry resource) of the scan: its diagnosis, or why there is none."""

    target: str
    diagnosis: Diagnosis | None
    error: str | None = None

    @property
    def name(self) -> str:
        return self.target.rstrip("/").rsplit("/", 1)[-1]

    def count(self, status: Status) -> int:
        if self.diagnosis is None:
            return 0
        return sum(1 for f in self.diagnosis.findings if f.status == status)

    @property
    def unknowns(self) -> int:
        """Unknown findings, and one for a hub that could not be diagnosed at all."""
        return self.count(Status.UNKNOWN) + (1 if self.diagnosis is None else 0)

    @property
    def top_cause(self) -> str | None:
        """The first finding of the report (the worst: status, then severity), as
        'CHECK cause: title'."""
        if self.diagnosis is None:
            return self.error
        for finding in self.diagnosis.findings:
            if finding.status in (Status.FAIL, Status.WARN, Status.UNKNOWN):
                return f"{finding.check_id} {finding.cause.value}: {finding.title}"
        return None

    def row(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "name": self.name,
            "failures": self.count(Status.FAIL),
            "warnings": self.count(Status.WARN),
            "unknowns": self.unknowns,
            "topCause": self.top_cause,
            "partial": bool(self.diagnosis is None or self.diagnosis.summary.get("partial")),
            **({"error": self.error} if self.error else {}),
        }


@dataclass(frozen=True, eq=False)
class ScanResult:
    hubs: tuple[HubScan, ...]
    unknown_subscriptions: tuple[dict[str, Any], ...]
    """Errors entries (scope, operation, status, code, message) of the subscriptions whose
    hubs are unknown."""
    subscriptions: int
    resource_graph_pages: int
    requests: int
    waves: int

    @property
    def complete(self) -> bool:
        return not self.unknown_subscriptions and all(h.unknowns == 0 for h in self.hubs)

    def summary(self) -> dict[str, Any]:
        return {
            "subscriptions": self.subscriptions,
            "hubs": len(self.hubs),
            "failures": sum(h.count(Status.FAIL) for h in self.hubs),
            "warnings": sum(h.count(Status.WARN) for h in self.hubs),
            "unknowns": sum(h.unknowns for h in self.hubs),
            "unknownSubscriptions": len(self.unknown_subscriptions),
            "resourceGraphPages": self.resource_graph_pages,
            "requests": self.requests,
            "waves": self.waves,
        }


def check_request(request: ScanRequest) -> None:
    """BadInput unless the request names exactly one well-formed scope."""
    import re

    chosen = sum(
        (
            bool(request.subscriptions),
            request.management_group is not None,
            request.all_subscriptions,
        )
    )
    if chosen != 1:
        raise BadInput(
            "scan needs exactly one of --subscription, --management-group and --all-subscriptions",
            fix="e.g. diagnose scan --subscription 00000000-0000-0000-0000-000000000000",
        )
    for subscription in request.subscriptions:
        if not re.match(SUBSCRIPTION_ID, subscription):
            raise BadInput(
                f"{subscription!r} is not a subscription id",
                where="--subscription",
                fix="a subscription id is a GUID (az account list --query '[].id')",
            )
    if request.management_group is not None and not re.match(
        MANAGEMENT_GROUP, request.management_group
    ):
        raise BadInput(
            f"{request.management_group!r} is not a management group id",
            where="--management-group",
            fix="give the group's id (az account management-group list --query '[].name')",
        )


def scan(
    request: ScanRequest,
    options: DiagnoseOptions | None = None,
    *,
    stage: Callable[[str], None] | None = None,
) -> ScanResult:
    """Collect and diagnose every hub in scope; BadInput for a bad request or a failed
    sign-in."""
    from diagnose.collect.clients import ApiError
    from diagnose.collect.credentials import check_sign_in, credentials_for
    from diagnose.collect.scan import ScanScope
    from diagnose.collect.scanrun import scan as scan_tenant
    from diagnose.collect.settings import settings_from

    check_request(request)
    # The settings of a collection name a hub; a scan finds its own (this one is never read).
    settings = settings_from(dataclasses.replace(request.live, hub="scan"))
    credentials = credentials_for(settings)
    check_sign_in(credentials, settings)
    scope = ScanScope(tuple(s.lower() for s in request.subscriptions), request.management_group)
    try:
        collected = scan_tenant(settings, credentials, scope, stage=stage)
    except ApiError as exc:
        raise BadInput(
            f"Resource Graph could not list the subscriptions to scan: {exc.message}",
            where=scope.describe(),
            fix="check that you can read them (Reader) and that the ids are right",
        ) from None
    if stage is not None:
        stage(f"running the checks on {len(collected.hubs)} hub(s)")
    hubs = []
    for hub in collected.hubs:
        if hub.collection is None:
            error = hub.error.message if hub.error is not None else "not collected"
            hubs.append(HubScan(hub.target, None, error))
            continue
        hubs.append(HubScan(hub.target, diagnose_snapshot(hub.collection.snapshot, options)))
    return ScanResult(
        tuple(hubs),
        collected.unknown,
        collected.subscriptions,
        collected.pages,
        len(collected.requests),
        collected.waves,
    )


__all__ = ["HubScan", "ScanRequest", "ScanResult", "check_request", "scan"]
