"""Put the collected objects together as a snapshot v1 document, in a stable order, and
without a credential: every later use of the snapshot (reports, bundles, the UI) starts from
what is assembled here.

The collector already drops credentials from each resource as it reads it (scrub_json in
drop mode, through Steps._scrubbed, which notes what it made in State.scrubbed); here the one
scrubber (diagnose.secrets) runs over everything else the snapshot keeps:

- resources the collector did not scrub itself (subscription rows, anything stored another
  way): scrub_json in drop mode, so a tag or connection metadata entry named like a
  credential goes, field and all. Scrubbing the others a second time gave the same objects
  back, at a tenth of a collection's serial tail;
- role assignments, deny assignments, eligibilities and role definitions: their free text
  (description, roleName, denyAssignmentName, justification), with `<removed>` where a
  credential was. Ids, scopes, permissions and conditions are the diagnosis itself and are
  left exactly as read;
- principals (Graph's displayName, userPrincipalName, ...) and errors (Azure's and Graph's
  messages, which may echo a request): every string, with `<removed>` markers, so an error
  keeps its message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from diagnose import TOOL_NAME, __version__
from diagnose.collect.collector import State
from diagnose.collect.directory import DirectoryReader
from diagnose.secrets import scrub_json, scrub_text
from diagnose.snapshot import empty_snapshot

FREE_TEXT = ("description", "roleName", "denyAssignmentName", "justification")
"""The fields of an RBAC object's properties that people write."""


def _by_id(items: Any) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: str(item["id"]).lower())


def _one_per_role(definitions: Any) -> list[dict[str, Any]]:
    """A role read under two ids (two subscriptions) is one role: keep the first id."""
    by_guid: dict[str, dict[str, Any]] = {}
    for definition in _by_id(definitions):
        by_guid.setdefault(str(definition["id"]).rsplit("/", 1)[-1].lower(), definition)
    return _by_id(by_guid.values())


def _free_text(item: dict[str, Any]) -> dict[str, Any]:
    """An RBAC object with credentials removed from its free text (a copy when one was)."""
    properties = item.get("properties")
    if not isinstance(properties, dict):
        return item
    cleaned = {
        name: scrub_text(value)
        for name in FREE_TEXT
        if isinstance(value := properties.get(name), str)
    }
    if all(cleaned[name] is properties[name] for name in cleaned):
        return item
    return {**item, "properties": {**properties, **cleaned}}


def _without_credentials(data: dict[str, Any], scrubbed: dict[int, Any]) -> dict[str, Any]:
    data["resources"] = [
        resource if scrubbed.get(id(resource)) is resource else scrub_json(resource, drop=True)
        for resource in data["resources"]
    ]
    for section in ("roleDefinitions", "roleAssignments", "denyAssignments", "roleEligibilities"):
        data[section] = [_free_text(item) for item in data[section]]
    data["principals"] = [scrub_json(principal) for principal in data["principals"]]
    data["errors"] = [scrub_json(error) for error in data["errors"]]
    return data


def build_snapshot(
    state: State,
    directory: DirectoryReader,
    *,
    hub_id: str,
    project: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
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
        errors.setdefault(
            (entry["scope"].lower(), entry["operation"], entry["status"], entry["code"]), entry
        )
    data["errors"] = [
        errors[key] for key in sorted(errors, key=lambda k: (k[0], k[1], str(k[2]), str(k[3])))
    ]
    return _without_credentials(data, state.scrubbed)
