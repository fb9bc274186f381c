"""Put the collected objects together as a snapshot v1 document, in a stable order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from diagnose import TOOL_NAME, __version__
from diagnose.collect.collector import State
from diagnose.collect.directory import DirectoryReader
from diagnose.snapshot import empty_snapshot


def _by_id(items: Any) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: str(item["id"]).lower())


def _one_per_role(definitions: Any) -> list[dict[str, Any]]:
    """A role read under two ids (two subscriptions) is one role: keep the first id."""
    by_guid: dict[str, dict[str, Any]] = {}
    for definition in _by_id(definitions):
        by_guid.setdefault(str(definition["id"]).rsplit("/", 1)[-1].lower(), definition)
    return _by_id(by_guid.values())


def build_snapshot(state: State, directory: DirectoryReader, *, hub_id: str,
                   project: str | None, now: datetime | None = None) -> dict[str, Any]:
    data = empty_snapshot()
    when = (now or datetime.now(UTC)).astimezone(UTC)
    data["collectedAt"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    data["tool"] = {"name": TOOL_NAME, "version": __version__}
    data["target"] = {"hub": hub_id, "project": project}
    resources = list(state.resources.values())
    resources += [row for row in state.subscriptions.values() if row is not None]
    data["resources"] = _by_id(resources)
    data["roleDefinitions"] = _one_per_role(state.role_definitions.values())
    data["roleAssignments"] = _by_id(state.kept["roleAssignments"].values())
    data["denyAssignments"] = _by_id(state.kept["denyAssignments"].values())
    data["roleEligibilities"] = _by_id(state.kept["roleEligibilities"].values())
    data["principals"] = directory.principal_entries()
    errors: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry in [*state.errors, *directory.error_entries()]:
        errors.setdefault((entry["scope"].lower(), entry["operation"], entry["status"],
                           entry["code"]), entry)
    data["errors"] = [errors[key] for key in sorted(errors, key=lambda k: (k[0], k[1], str(k[2]),
                                                                           str(k[3])))]
    return data
