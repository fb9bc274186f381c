"""One live collection, start to end: sign in, find the hub, read everything, assemble.

The whole collection runs against one deadline (--timeout): when it passes, what was read is
kept, every read cut short or never started becomes an errors entry with code "Timeout", and
the snapshot is assembled from that (its checks say unknown where it matters)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from diagnose.collect import apiversions
from diagnose.collect.assemble import build_snapshot
from diagnose.collect.clients import (
    ApiError,
    ArmClient,
    RetrySettings,
    arm_client,
    graph_client,
    shared_connection,
)
from diagnose.collect.collector import Collector
from diagnose.collect.credentials import Credentials, rejected_credentials
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.progress import NoProgress, Progress
from diagnose.collect.requestlog import RequestLog, set_wave
from diagnose.collect.resolve import resolve_hub
from diagnose.collect.result import Collection
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.settings import Settings
from diagnose.collect.shapes import RESOURCE, fits
from diagnose.errors import BadInput
from diagnose.snapshot import parse_snapshot
from diagnose.snapshot.codes import TIMEOUT_CODE


def collect(
    settings: Settings,
    credentials: Credentials,
    *,
    retry: RetrySettings | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Collection:
    progress = progress or NoProgress()
    retry = retry or RetrySettings()
    shared = shared_connection(settings.timeout)
    log = RequestLog(listener=progress.request_done)
    arm = arm_client(
        settings.arm_endpoint,
        credentials.arm,
        settings.arm_scope,
        log,
        concurrency=settings.concurrency,
        retry=retry,
        shared=shared,
    )
    graph = None
    if credentials.graph is not None:
        graph = graph_client(
            settings.graph_endpoint,
            credentials.graph,
            settings.graph_scope,
            log,
            concurrency=settings.concurrency,
            retry=retry,
            shared=shared,
        )
    try:
        wave = 0
        if settings.hub.id is None:
            progress.stage("finding the hub")
            set_wave(wave)
            hub_id = resolve_hub(arm, settings.hub, credentials)
            wave += 1
        else:
            hub_id = settings.hub.id
        progress.stage("reading the hub")
        set_wave(wave)
        hub = read_hub(arm, hub_id, credentials)
        set_wave(None)
        scheduler = Scheduler(settings.concurrency, first_wave=wave)
        directory = DirectoryReader(graph, credentials.graph_unavailable)
        collector = Collector(arm, directory, scheduler, project=settings.project)
        collector.start(wave, hub)
        scheduler.wait(shared.deadline)
        with collector.locked():  # a step left behind at the deadline must not change it now
            timed_out = shared.deadline.passed
            for step, args in scheduler.unfinished:
                collector.timed_out(
                    step, args, ApiError(None, TIMEOUT_CODE, shared.deadline.message)
                )
            state = collector.state
            if settings.project and not state.projects and not timed_out:
                names = ", ".join(sorted(state.project_names, key=str.lower)) or "none found"
                raise BadInput(
                    f"hub {hub['name']!r} has no project named {settings.project!r}",
                    where="--project",
                    fix=f"its projects: {names}",
                )
            data = build_snapshot(
                state, directory, hub_id=hub["id"], project=settings.project, now=now
            )
        data = shared.tokens.clean_json(data)
        requests = shared.tokens.clean_json(log.entries())
    finally:
        set_wave(None)
        shared.deadline.expire()  # ends whatever a step left behind still waits for
        shared.tokens.forget()
        arm.close()
        if graph is not None:
            graph.close()
    snapshot = parse_snapshot(data, f"collection of {hub['id']}")
    return Collection(snapshot, requests, waves=scheduler.deepest + 1)


def read_hub(arm: ArmClient, hub_id: str, credentials: Credentials | None = None) -> dict[str, Any]:
    """GET the hub; anything but a readable hub is bad input (there is nothing to diagnose)."""
    try:
        hub = arm.get(hub_id, {"api-version": apiversions.WORKSPACES})
    except ApiError as exc:
        detail = f"{exc.status} {exc.code}: {exc.message}" if exc.status else exc.message
        if exc.status == 404:
            raise BadInput(
                f"no such hub ({detail})",
                where=hub_id,
                fix="check the subscription, resource group and name, or pass "
                "--hub NAME to look it up",
            ) from None
        if exc.status == 401:
            raise rejected_credentials(credentials, detail, exc.tenant, arm.endpoint) from None
        if exc.code == TIMEOUT_CODE:
            raise BadInput(
                f"could not read the hub in time ({detail})",
                where=hub_id,
                fix="retry with a longer --timeout, and check network access to --arm-endpoint",
            ) from None
        if exc.status == 403:
            raise BadInput(
                f"you cannot read this hub ({detail})",
                where=hub_id,
                fix="ask for Reader on the hub (or its resource group), then retry",
            ) from None
        raise BadInput(
            f"could not read the hub ({detail})",
            where=hub_id,
            fix="retry in a moment; check --arm-endpoint and network access to it",
        ) from None
    if not fits(RESOURCE, hub):
        raise BadInput("what Azure returned for the hub is not an ARM resource", where=hub_id)
    kind = str(hub.get("kind") or "").lower()
    if kind != "hub":
        properties = hub.get("properties")
        hub_of = properties.get("hubResourceId") if isinstance(properties, dict) else None
        fix = (
            f"this is a project: pass its hub, --hub {hub_of} --project {hub.get('name')}"
            if kind == "project" and isinstance(hub_of, str)
            else "pass a workspace of kind Hub"
        )
        raise BadInput(
            f"this workspace is of kind {hub.get('kind') or 'Default'!r}, not a hub",
            where=hub_id,
            fix=fix,
        )
    return hub
