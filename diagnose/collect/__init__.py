"""Live collection: read a hub's state from Azure, read-only, into a snapshot v1.

`collect_from_args(args)` is what the command line calls; `collect(settings, credentials)`
is the same without argparse. Azure SDK modules are imported only when collecting, so
`diagnose --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diagnose.collect.result import Collection
from diagnose.outfile import write_text
from diagnose.snapshot import Snapshot, dump_snapshot

__all__ = ["Collection", "collect", "collect_from_args", "save_snapshot"]


def collect_from_args(args: Any, progress: Any = None) -> Collection:
    """Collect the hub named by parsed command-line arguments (--hub, --auth, --cloud, ...).

    `progress`, when given, receives stage(text) and request_done(entry) calls (see
    diagnose.collect.progress.Progress) instead of the Rich display on stderr.
    Raises BadInput for what the user must change: no such hub, an ambiguous name, a bad
    endpoint URL, no credential or a failed sign-in.
    """
    from diagnose.collect.credentials import check_sign_in, credentials_for
    from diagnose.collect.progress import progress_for
    from diagnose.collect.settings import settings_from_args

    settings = settings_from_args(args)
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
