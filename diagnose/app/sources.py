"""What to diagnose, and reading or collecting it: the bundled demo, a snapshot file or
bundle, or a live hub. Every front end names its input with one of these frozen values and
reads it through load(), so they all read, collect, save and narrow it the same way."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from diagnose.collect.result import Collection
from diagnose.collect.settings import LiveOptions
from diagnose.errors import BadInput
from diagnose.inputlimits import DEFAULT_MAX_INPUT_BYTES
from diagnose.snapshot import Snapshot

__all__ = [
    "DemoSource",
    "InputLimits",
    "LiveOptions",
    "LiveSource",
    "Loaded",
    "Progress",
    "SnapshotSource",
    "Source",
    "collect",
    "load",
    "narrow_to_project",
]


class Progress(Protocol):
    """Where a long load reports how it goes (the terminal UI shows it): a stage as text, and
    each request of a live collection as it ends (see diagnose.collect.progress)."""

    def stage(self, text: str) -> None: ...

    def request_done(self, entry: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class InputLimits:
    """How a snapshot or bundle file is read (--max-input-bytes, --ignore-bundle-hashes)."""

    max_bytes: int = DEFAULT_MAX_INPUT_BYTES
    verify_hashes: bool = True


@dataclass(frozen=True)
class DemoSource:
    """The bundled demo hub."""

    project: str | None = None
    """Narrow the diagnosis to this project of the hub."""


@dataclass(frozen=True)
class SnapshotSource:
    """A snapshot JSON file, or a support bundle (.zip) holding one."""

    path: str
    limits: InputLimits = field(default_factory=InputLimits)
    project: str | None = None
    """Narrow the diagnosis to this project of the hub."""


@dataclass(frozen=True)
class LiveSource:
    """A live hub, collected read-only (its project, if any, is in the options)."""

    options: LiveOptions
    save_snapshot: str | None = None
    """Also save the collected snapshot to this path (--save-snapshot)."""


Source = DemoSource | SnapshotSource | LiveSource


@dataclass(frozen=True)
class Loaded:
    """A source's snapshot, and the request log when it was collected live."""

    snapshot: Snapshot
    requests: tuple[dict[str, Any], ...] = ()


def load(source: Source, progress: Progress | None = None) -> Loaded:
    """Read or collect what the source names. With progress, says what it is doing there
    (and a live collection reports its requests there instead of drawing on stderr)."""
    if isinstance(source, LiveSource):
        if progress is not None:
            progress.stage(f"collecting {source.options.hub} (read-only)")
        collection = collect(source.options, progress)
        if source.save_snapshot:
            from diagnose.collect import save_snapshot

            save_snapshot(collection.snapshot, source.save_snapshot, flag="--save-snapshot")
        return Loaded(collection.snapshot, tuple(collection.requests))
    if isinstance(source, DemoSource):
        if progress is not None:
            progress.stage("reading the bundled demo hub")
        from diagnose.demo import load_demo

        snapshot = load_demo()
    else:
        if progress is not None:
            progress.stage(f"reading {source.path}")
        from diagnose.snapshot import load_snapshot

        snapshot = load_snapshot(
            source.path,
            max_bytes=source.limits.max_bytes,
            verify_hashes=source.limits.verify_hashes,
        )
    if source.project:
        snapshot = narrow_to_project(snapshot, source.project)
    return Loaded(snapshot)


def collect(options: LiveOptions, progress: Progress | None = None) -> Collection:
    """Collect a live hub: the options are checked first (BadInput names the option to
    change), then the collector signs in and reads. Without progress, a live display on
    stderr (unless options.quiet)."""
    from diagnose import collect as collection
    from diagnose.collect.settings import settings_from

    return collection.collect_live(settings_from(options), progress)


def narrow_to_project(snapshot: Snapshot, project: str) -> Snapshot:
    """The snapshot with its target narrowed to one project of its hub or Foundry resource
    (--project); BadInput listing the projects when it has none of that name."""
    from diagnose.engine.context import CheckContext
    from diagnose.model.model import Model

    context = CheckContext(Model(snapshot))
    names = sorted(
        {p.name for hub in context.hubs for p in context.model.projects_of(hub)}
        | {p.name for a in context.foundry_accounts for p in context.model.foundry_projects_of(a)}
    )
    if project.lower() not in {n.lower() for n in names}:
        raise BadInput(
            f"--project {project!r} is not a project of the hub or Foundry resource in the "
            "snapshot",
            where=snapshot.source,
            fix="choose one of: " + (", ".join(names) or "(no projects)"),
        )
    data = dict(snapshot.data)
    data["target"] = {**snapshot.target, "project": project}
    return dataclasses.replace(snapshot, data=data)
