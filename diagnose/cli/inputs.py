"""Parsed arguments -> the application layer's typed values. The only place that reads an
argparse Namespace for a use case: nothing below the command line ever sees one."""

from __future__ import annotations

import argparse

from diagnose.app import (
    DemoSource,
    DiagnoseOptions,
    InputLimits,
    LiveOptions,
    LiveSource,
    SnapshotSource,
    Source,
)
from diagnose.cli.parser import DEFAULT_CONCURRENCY


def limits_from(args: argparse.Namespace) -> InputLimits:
    """--max-input-bytes and --ignore-bundle-hashes."""
    defaults = InputLimits()
    return InputLimits(
        max_bytes=getattr(args, "max_input_bytes", None) or defaults.max_bytes,
        verify_hashes=not getattr(args, "ignore_bundle_hashes", False),
    )


def live_options_from(args: argparse.Namespace) -> LiveOptions:
    """--hub and the live-collection options, as given: the app checks them when it
    collects. An option not given is None in args (so that one given without --hub can be
    refused): LiveOptions' own default stands for it."""
    defaults = LiveOptions(hub=args.hub)
    return LiveOptions(
        hub=args.hub,
        subscription=args.subscription,
        resource_group=args.resource_group,
        project=args.project,
        auth=args.auth or defaults.auth,
        cloud=args.cloud or defaults.cloud,
        arm_endpoint=args.arm_endpoint,
        graph_endpoint=args.graph_endpoint,
        concurrency=DEFAULT_CONCURRENCY if args.concurrency is None else args.concurrency,
        timeout=args.timeout,
        quiet=args.quiet,
    )


def fill_live_defaults(args: argparse.Namespace) -> None:
    """Give the live-collection options not given their defaults, for a command where they are
    always meaningful (mcp): the parser leaves them None so that the report can refuse one
    given without --hub."""
    defaults = LiveOptions(hub="")
    for name in ("auth", "cloud"):
        if getattr(args, name, None) is None:
            setattr(args, name, getattr(defaults, name))
    if getattr(args, "concurrency", None) is None:
        args.concurrency = DEFAULT_CONCURRENCY


def source_from(args: argparse.Namespace) -> Source:
    """--demo, --snapshot FILE or --hub HUB (with its options), and --project."""
    if args.demo:
        return DemoSource(project=getattr(args, "project", None))
    if args.snapshot:
        return SnapshotSource(
            args.snapshot, limits_from(args), project=getattr(args, "project", None)
        )
    return LiveSource(live_options_from(args), save_snapshot=args.save_snapshot)


def snapshot_source_from(args: argparse.Namespace) -> DemoSource | SnapshotSource | None:
    """--demo or --snapshot FILE, for the commands that take no live hub (None: neither)."""
    if args.demo:
        return DemoSource()
    if args.snapshot:
        return SnapshotSource(args.snapshot, limits_from(args))
    return None


def diagnose_options_from(args: argparse.Namespace) -> DiagnoseOptions:
    """--select, --ignore, --creator, --principal and --personas (read within
    --max-input-bytes)."""
    return DiagnoseOptions(
        select=tuple(args.select),
        ignore=tuple(args.ignore),
        creator=args.creator,
        principals=tuple(getattr(args, "principals", None) or ()),
        personas=getattr(args, "personas", None),
        max_input_bytes=limits_from(args).max_bytes,
    )
