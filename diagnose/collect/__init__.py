"""Live collection: read the state of a hub, a Foundry resource or a Foundry project from
Azure, read-only, into a snapshot v1 (target.hub names which).

`collect_live(settings)` signs in and collects the target checked Settings name (see
diagnose.collect.settings: LiveOptions, as a front end builds them, become Settings through
settings_from); `collect(settings, credentials)` is the same with credentials already made.
Azure SDK modules are imported only when collecting, so `diagnose --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diagnose.collect.result import Collection
from diagnose.collect.settings import Settings
from diagnose.outfile import write_text
from diagnose.snapshot import Snapshot, dump_snapshot

__all__ = ["Collection", "collect", "collect_live", "save_snapshot"]


def collect_live(settings: Settings, progress: Any = None) -> Collection:
    """Sign in and collect the hub, Foundry resource or Foundry project the settings name.

    `progress`, when given, receives stage(text) and request_done(entry) calls (see
    diagnose.collect.progress.Progress) instead of the Rich display on stderr.
    Raises BadInput for what the user must change: no such hub, Foundry resource or project,
    an ambiguous name, an unknown --project, no credential or a failed sign-in.
    """
    from diagnose.collect.credentials import check_sign_in, credentials_for
    from diagnose.collect.progress import progress_for

    credentials = credentials_for(settings)
    check_sign_in(credentials, settings)
    if progress is not None:
        return collect(settings, credentials, progress=progress)
    title = f"collecting {settings.hub.name or (settings.hub.id or '').rsplit('/', 1)[-1]}"
    with progress_for(title, settings.quiet) as shown:
        return collect(settings, credentials, progress=shown)


def collect(settings: Any, credentials: Any, **options: Any) -> Collection:
    """collect(Settings, Credentials, retry=..., progress=..., now=...): see run.collect."""
    from diagnose.collect.run import collect as run_collect

    return run_collect(settings, credentials, **options)


def save_snapshot(snapshot: Snapshot, path: str | Path, *, flag: str | None = "-o") -> None:
    """Write a snapshot as JSON, readable by its owner only (it describes a tenant), through
    diagnose.outfile: atomically for a regular file, in place for a device or FIFO, `-` for
    standard output. flag names the path's option in error messages."""
    write_text(path, dump_snapshot(snapshot.data), private=True, flag=flag)
