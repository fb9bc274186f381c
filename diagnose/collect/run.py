"""One live collection, start to end: sign in, find the target (a hub, a Foundry resource or
a Foundry project), read everything, assemble.

The whole collection runs against one deadline (--timeout): when it passes, what was read is
kept, every read cut short or never started becomes an errors entry with code "Timeout", and
the snapshot is assembled from that (its checks say unknown where it matters)."""

from __future__ import annotations

from datetime import datetime

from diagnose.arm.ids import followable
from diagnose.arm.types import COGNITIVE_ACCOUNT, COGNITIVE_PROJECT
from diagnose.collect.assemble import build_snapshot
from diagnose.collect.clients import (
    ApiError,
    RetrySettings,
    arm_client,
    graph_client,
    shared_connection,
)
from diagnose.collect.credentials import Credentials
from diagnose.collect.directory import DirectoryReader
from diagnose.collect.foundry import FoundryCollector
from diagnose.collect.gcpause import collector_paused
from diagnose.collect.limit import START
from diagnose.collect.pipeline import transport
from diagnose.collect.progress import NoProgress, Progress
from diagnose.collect.requestlog import RequestLog, set_wave
from diagnose.collect.resolve import resolve_target
from diagnose.collect.result import Collection
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.sdk import SdkClients, SharedToken
from diagnose.collect.settings import Settings
from diagnose.collect.target import Target, read_hub, read_target
from diagnose.errors import BadInput
from diagnose.snapshot import parse_snapshot
from diagnose.snapshot.codes import TIMEOUT_CODE

__all__ = ["collect", "read_hub", "read_target"]


def collect(
    settings: Settings,
    credentials: Credentials,
    *,
    retry: RetrySettings | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> Collection:
    with collector_paused():  # gcpause.py: its passes rescanned everything read so far
        return _collect(settings, credentials, retry=retry, progress=progress, now=now)


def _collect(
    settings: Settings,
    credentials: Credentials,
    *,
    retry: RetrySettings | None,
    progress: Progress | None,
    now: datetime | None,
) -> Collection:
    progress = progress or NoProgress()
    retry = retry or RetrySettings()
    shared = shared_connection(settings.timeout)
    log = RequestLog(listener=progress.request_done)
    arm_credential = SharedToken(credentials.arm)  # one token for every ARM client
    # One pool for ARM, warmed while the first answers are awaited (warm.py): the first
    # window's requests open their own connections meanwhile, the rest are opened ahead.
    ahead = max(0, settings.concurrency - START)
    arm_connections = transport(settings.concurrency, shared.deadline, warm=ahead)
    arm = arm_client(
        settings.arm_endpoint,
        arm_credential,
        settings.arm_scope,
        log,
        concurrency=settings.concurrency,
        retry=retry,
        shared=shared,
        connections=arm_connections,
    )
    sdk = SdkClients(
        settings.arm_endpoint,
        arm_credential,
        settings.arm_scope,
        log,
        concurrency=settings.concurrency,
        retry=retry,
        shared=shared,
        connections=arm_connections,
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
    directory: DirectoryReader | None = None
    try:
        wave = 0
        if settings.hub.id is None:
            progress.stage("finding the hub")
            set_wave(wave)
            target_id = resolve_target(arm, settings.hub, credentials)
            wave += 1
        else:
            target_id = settings.hub.id
        progress.stage(f"reading the {_noun(target_id)}")
        set_wave(wave)
        target = read_target(arm, sdk, target_id, credentials, fallback=settings.hub.fallback)
        set_wave(None)
        project = _project(target, settings.project)
        scheduler = Scheduler(settings.concurrency, first_wave=wave)
        # Memberships may come from the groups' side when that costs fewer requests
        # (diagnose.collect.groups): the checks ask only about the groups a snapshot names.
        directory = DirectoryReader(graph, credentials.graph_unavailable, groups_first=True)
        collector = FoundryCollector(
            arm,
            directory,
            scheduler,
            sdk=sdk,
            project=None if target.project is not None else settings.project,
        )
        if target.is_foundry:
            collector.start_foundry(wave, target.resource, target.project)
        else:
            collector.start(wave, target.resource)
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
                    f"{target.noun} {target.resource['name']!r} has no project named "
                    f"{settings.project!r}",
                    where="--project",
                    fix=f"its projects: {names}",
                )
            data = build_snapshot(state, directory, hub_id=target.id, project=project, now=now)
        data = shared.tokens.clean_json(data)
        requests = shared.tokens.clean_json(log.entries())
    finally:
        set_wave(None)
        shared.deadline.expire()  # ends whatever a step left behind still waits for
        if directory is not None:  # the collector and what it read go by reference counting
            directory.detach()
        shared.tokens.forget()
        arm.close()
        sdk.close()
        if graph is not None:
            graph.close()
    snapshot = parse_snapshot(data, f"collection of {target.id}")
    return Collection(snapshot, requests, waves=scheduler.deepest + 1)


def _project(target: Target, asked: str | None) -> str | None:
    """The snapshot's target.project: the project --project narrowed to, or the Foundry
    project --hub named (with --project, it must name the same one)."""
    if target.project is None:
        return asked
    name = str(target.project["id"]).rsplit("/", 1)[-1]
    if asked is not None and asked.lower() != name.lower():
        raise BadInput(
            f"--hub names Foundry project {name!r}, --project {asked!r}",
            where="--project",
            fix="leave out --project, or pass the Foundry resource to --hub",
        )
    return asked or name


def _noun(target_id: str) -> str:
    parsed = followable(target_id)
    kind = parsed.type if parsed is not None else ""
    return {COGNITIVE_ACCOUNT: "Foundry resource", COGNITIVE_PROJECT: "Foundry project"}.get(
        kind, "hub"
    )
