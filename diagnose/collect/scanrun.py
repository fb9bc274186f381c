"""One tenant-wide scan, start to end (see scan.py for what is read where): sign in, read
Resource Graph, then collect every hub found into its own snapshot, all against one deadline
(--timeout): a hub the deadline cuts short says so in its errors, as a single collection does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from diagnose.collect.assemble import build_snapshot
from diagnose.collect.clients import ApiError, RetrySettings, arm_client, graph_client
from diagnose.collect.credentials import Credentials
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.foundry import FoundryCollector
from diagnose.collect.pipeline import shared_connection
from diagnose.collect.requestlog import RequestLog
from diagnose.collect.resourcegraph import ResourceGraph
from diagnose.collect.result import Collection
from diagnose.collect.scan import (
    HUB_PARALLEL,
    HubCollection,
    ScanCollection,
    ScanScope,
    collect_hubs,
    principals_of,
    read_tenant,
)
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.sdk import SdkClients, SharedToken
from diagnose.collect.served import ServedArm, ServedSdk, SharedGraph
from diagnose.collect.settings import Settings
from diagnose.collect.target import Target
from diagnose.snapshot import parse_snapshot
from diagnose.snapshot.codes import TIMEOUT_CODE


def scan(
    settings: Settings,
    credentials: Credentials,
    scope: ScanScope,
    *,
    retry: RetrySettings | None = None,
    stage: Callable[[str], None] | None = None,
    done: Callable[[HubCollection], None] | None = None,
    parallel: int = HUB_PARALLEL,
    now: datetime | None = None,
) -> ScanCollection:
    """Scan: ApiError when Resource Graph cannot list the subscriptions at all (nothing is
    known then); every later failure is part of the result."""
    retry = retry or RetrySettings()
    stage = stage or (lambda text: None)
    shared = shared_connection(settings.timeout)
    log = RequestLog()
    arm_credential = SharedToken(credentials.arm)
    # One connection pool for every hub collected at once.
    width = settings.concurrency * parallel
    arm_at = (settings.arm_endpoint, arm_credential, settings.arm_scope, log)
    base = arm_client(*arm_at, concurrency=width, retry=retry, shared=shared)
    resource_graph = ResourceGraph(*arm_at, concurrency=width, retry=retry, shared=shared)
    sdk = SdkClients(*arm_at, concurrency=width, retry=retry, shared=shared)
    graph_base = None
    if credentials.graph is not None:
        graph_base = graph_client(
            settings.graph_endpoint,
            credentials.graph,
            settings.graph_scope,
            log,
            concurrency=width,
            retry=retry,
            shared=shared,
        )
    try:
        stage(f"reading Resource Graph ({scope.describe()})")
        index = read_tenant(resource_graph, scope)
        targets = index.targets()
        stage(f"collecting {len(targets)} hub(s) and Foundry resource(s)")
        arm = ServedArm(base, index)
        served_sdk = ServedSdk(sdk, arm)
        graph = SharedGraph(graph_base) if graph_base is not None else None
        directory_waves = 0
        if graph is not None:
            stage("looking up the principals in Microsoft Graph")
            inherited = arm.prefetch_inherited(parallel)
            directory_waves = graph.prefetch(principals_of(index) | inherited, parallel)
        deepest = [0]

        def one(target: Target) -> Collection:
            scheduler = Scheduler(settings.concurrency)
            directory = DirectoryReader(graph, credentials.graph_unavailable)
            collector = FoundryCollector(
                arm.for_hub(target.id), directory, scheduler, sdk=served_sdk
            )
            if target.is_foundry:
                collector.start_foundry(0, target.resource)
            else:
                collector.start(0, target.resource)
            scheduler.wait(shared.deadline)
            with collector.locked():
                for step, args in scheduler.unfinished:
                    collector.timed_out(
                        step, args, ApiError(None, TIMEOUT_CODE, shared.deadline.message)
                    )
                data = build_snapshot(
                    collector.state, directory, hub_id=target.id, project=None, now=now
                )
            deepest[0] = max(deepest[0], scheduler.deepest + 1)
            data = shared.tokens.clean_json(data)
            snapshot = parse_snapshot(data, f"scan of {target.id}")
            return Collection(snapshot, [], waves=scheduler.deepest + 1)

        hubs = collect_hubs(targets, one, parallel, done)
        requests = shared.tokens.clean_json(log.entries())
    finally:
        shared.deadline.expire()
        shared.tokens.forget()
        base.close()
        resource_graph.close()
        sdk.close()
        if graph_base is not None:
            graph_base.close()
    return ScanCollection(
        tuple(hubs),
        tuple(index.unknown[s] for s in sorted(index.unknown)),
        len(index.subscriptions),
        resource_graph.pages,
        tuple(requests),
        deepest[0],
        directory_waves,
    )


__all__ = ["scan"]
