"""Flags that would do nothing are refused (exit 2) with the reason, instead of being ignored
in silence: a user who gives `--save-snapshot` with `--demo`, or `--select HUB004` without
`--creator`, expects something that will not happen.

A flag that only restates what happens anyway stays accepted: `--no-tui` with a format that
is not the terminal UI, `--quiet` where nothing is collected (there is no progress to hide).
What each command refuses:

- every command with --snapshot: `--max-input-bytes` and `--ignore-bundle-hashes` without
  `--snapshot` (the report and fix-plan also read --personas within `--max-input-bytes`, so it
  is kept with `--personas`), and `--ignore-bundle-hashes` with a snapshot that is not a
  bundle;
- the report and fix-plan: the live-collection flags (`--subscription`, `--resource-group`,
  `--auth`, `--cloud`, `--arm-endpoint`, `--graph-endpoint`, `--concurrency`, `--timeout`) and
  `--save-snapshot` without `--hub`; `--select` of checks that all ask about the `--creator`
  alone (HUB004, ...) without one (when only some do, the others run and a note names the
  idle ones); `--creator` when none of the checks that run asks about it; `--select` and
  `--ignore` that leave no check to run;
- the report: `--redaction-map` without `--redact` and `--redact` without `--bundle` (checked
  by the report itself), `--markdown-limit` without `-o markdown`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from diagnose.errors import BadInput

if TYPE_CHECKING:  # the check engine is imported by the commands that run checks
    from diagnose.engine.api import CheckInfo

LIVE_FLAGS = {
    "subscription": "--subscription",
    "resource_group": "--resource-group",
    "auth": "--auth",
    "cloud": "--cloud",
    "arm_endpoint": "--arm-endpoint",
    "graph_endpoint": "--graph-endpoint",
    "concurrency": "--concurrency",
    "timeout": "--timeout",
}
CREATOR_MARK = "only the principal named with --creator"
"""How a check's "Who needs it" section starts when the check asks about --creator alone (the
checks' documentation is where a plug-in says it too)."""


def needs_creator(check: CheckInfo) -> bool:
    """Whether the check asks only about the --creator, so finds nothing without one."""
    return check.sections.get("Who needs it", "").lower().startswith(CREATOR_MARK)


def refuse_idle_flags(args: argparse.Namespace) -> None:
    """BadInput naming the first flag that would do nothing with the others given."""
    _input_flags(args)
    if args.command in (None, "fix-plan"):
        _live_flags(args)
        _creator_flags(args)


def _input_flags(args: argparse.Namespace) -> None:
    if not hasattr(args, "max_input_bytes"):
        return
    snapshot = getattr(args, "snapshot", None)
    if snapshot:
        if args.ignore_bundle_hashes and _plain_file(snapshot):
            raise BadInput(
                f"--ignore-bundle-hashes does nothing with {snapshot}: it is a snapshot, not a "
                "support bundle (.zip), and only a bundle has hashes",
                fix="drop --ignore-bundle-hashes",
            )
        return
    given = (
        " with --demo"
        if getattr(args, "demo", False)
        else " with --hub"
        if getattr(args, "hub", None)
        else ""
    )
    if args.ignore_bundle_hashes:
        raise BadInput(
            f"--ignore-bundle-hashes does nothing{given}: only a support bundle has hashes",
            fix="drop it, or read a bundle with --snapshot FILE.zip",
        )
    if args.max_input_bytes is not None and not getattr(args, "personas", None):
        raise BadInput(
            f"--max-input-bytes does nothing{given}: it limits what --snapshot (and "
            "--personas) read",
            fix="drop it, or read a file with --snapshot FILE",
        )


def _plain_file(path: str) -> bool:
    """A regular file that is not a zip (a snapshot's JSON); False when it cannot be told
    (the loader reports a missing or unreadable file in its own words)."""
    import os
    import zipfile

    try:
        return os.path.isfile(path) and not zipfile.is_zipfile(path)
    except OSError:
        return False


def _live_flags(args: argparse.Namespace) -> None:
    if args.hub:
        return
    source = "--demo" if args.demo else "--snapshot"
    if args.save_snapshot:
        raise BadInput(
            f"--save-snapshot does nothing with {source}: only a live collection (--hub) makes "
            "a new snapshot",
            fix="drop it, or collect with --hub HUB"
            + (" (the file you read is the snapshot already)" if args.snapshot else ""),
        )
    for dest, flag in LIVE_FLAGS.items():
        if getattr(args, dest, None) is not None:
            raise BadInput(
                f"{flag} does nothing with {source}: it is for a live collection (--hub)",
                fix=f"drop {flag}, or collect with --hub HUB",
            )


def _creator_flags(args: argparse.Namespace) -> None:
    from diagnose.app import list_checks
    from diagnose.engine.registry import parse_ids, select_checks

    if not args.creator and not (args.select or args.ignore):
        return  # nothing to check the flags against (the run loads the checks itself)
    checks = list(list_checks().checks)
    if not args.creator:
        chosen = select_checks(checks, list(args.select), list(args.ignore))
        if not chosen:
            raise BadInput(
                "--select and --ignore leave no check to run",
                fix="run `diagnose checks` to list the ids and prefixes",
            )
        idle = [c.id for c in chosen if needs_creator(c)]
        if idle and len(idle) == len(chosen):
            raise BadInput(
                f"--select {','.join(parse_ids(args.select))} does nothing without --creator: "
                f"{', '.join(idle)} only ask about the principal that creates hubs or projects",
                fix="name it with --creator PRINCIPAL (an object id or a name in the snapshot)",
            )
        if idle:  # the other selected checks run: worth a note, not a refusal
            print(
                f"diagnose: note: {', '.join(idle)} check nothing without --creator",
                file=sys.stderr,
            )
        return
    running = select_checks(checks, list(args.select), list(args.ignore))
    if not running:
        raise BadInput(
            "--select and --ignore leave no check to run",
            fix="run `diagnose checks` to list the ids and prefixes",
        )
    if running and not any(needs_creator(c) for c in running):
        asking = ", ".join(c.id for c in checks if needs_creator(c))
        raise BadInput(
            f"--creator does nothing here: none of the selected checks asks about it ({asking} do)",
            fix="drop --creator, or select one of those checks",
        )
