"""`diagnose diff BEFORE AFTER`: what changed between two snapshots (or support bundles, or JSON
reports), as typed values a front end renders.

The state: role assignments, deny assignments, PIM eligibilities, custom role definitions,
identities (directory principals and their groups, resources' managed identities) and
settings (each resource's properties, sku and kind), added, removed or changed, matched by
ARM id (case-insensitive, as ARM compares them) or object id. The findings: fixed, new,
unchanged or with another status, matched by finding id (diagnose.report.model.finding_id,
which wording never changes). A JSON report carries findings but no state: with one, the state
is not compared, and the diff says so rather than showing nothing changed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from diagnose.app.diagnosis import DiagnoseOptions, diagnose_snapshot
from diagnose.app.reports import FindingSummary, ReportFile, read_report_or_snapshot, summaries_of
from diagnose.app.sources import InputLimits
from diagnose.arm.ids import GUID
from diagnose.snapshot import Snapshot

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()
"""A field one side does not have (which null, a value, is not)."""


@dataclass(frozen=True)
class FieldChange:
    path: str
    """Where in the item, e.g. properties.networkAcls.defaultAction."""
    before: Any
    """ABSENT when BEFORE does not have it."""
    after: Any
    """ABSENT when AFTER does not have it."""


@dataclass(frozen=True)
class Change:
    kind: str
    """added | removed | changed."""
    key: str
    """The ARM id (or object id) it is matched by, as the side that has it writes it."""
    label: str
    """What it is, readable: 'Owner for user Ana Lopez at /subscriptions/...'."""
    fields: tuple[FieldChange, ...] = ()
    """For a change: what differs."""


@dataclass(frozen=True)
class Section:
    name: str
    """roleAssignments, denyAssignments, roleEligibilities, roleDefinitions, identities,
    settings."""
    title: str
    compared: bool
    """False when a side is a report, which holds no state."""
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class StatusChange:
    before: FindingSummary
    after: FindingSummary


@dataclass(frozen=True)
class FindingsDiff:
    fixed: tuple[FindingSummary, ...]
    """In BEFORE, not in AFTER."""
    new: tuple[FindingSummary, ...]
    """In AFTER, not in BEFORE."""
    unchanged: tuple[FindingSummary, ...]
    """In both, with the same status (as AFTER has it)."""
    status_changed: tuple[StatusChange, ...]
    """In both, with another status (fail -> warn, ...)."""


@dataclass(frozen=True)
class Diff:
    before: str
    after: str
    sections: tuple[Section, ...]
    findings: FindingsDiff
    notes: tuple[str, ...] = ()
    """What the reader must know to read it right (a report on one side, different checks)."""


Side = Snapshot | ReportFile


def read_side(path: str, limits: InputLimits) -> Side:
    """A snapshot, bundle or JSON report; BadInput for anything else."""
    return read_report_or_snapshot(
        path, max_bytes=limits.max_bytes, verify_hashes=limits.verify_hashes
    )


def diff(before: Side, after: Side, options: DiagnoseOptions | None = None) -> Diff:
    """What changed from before to after. A snapshot's findings are those of every check run
    on it now (with options), so that both sides are judged by the same checks: for the
    creator a report side's run checked (--creator), unless options name one."""
    options, notes = _same_creator(before, after, options)
    old, old_checks = _findings(before, options)
    new, new_checks = _findings(after, options)
    for side, name in ((before, "BEFORE"), (after, "AFTER")):
        if isinstance(side, ReportFile):
            notes.append(
                f"{name} is a report: it holds findings, not the state, so role assignments, "
                "identities and settings are not compared"
            )
        if isinstance(side, ReportFile) and (
            side.target.get("focus") or side.target.get("personas")
        ):
            notes.append(
                f"{name} is a report of a run focused on principals (--principal) or with a "
                "personas file (--personas), which change the findings: a snapshot side is run "
                "without them"
            )
    if old_checks is not None and new_checks is not None and old_checks != new_checks:
        only = sorted(old_checks ^ new_checks)
        notes.append(
            "the two sides ran different checks ("
            + ", ".join(only[:10])
            + (", ..." if len(only) > 10 else "")
            + "): a finding of a check only one side ran shows as fixed or new"
        )
    if isinstance(before, Snapshot) and isinstance(after, Snapshot):
        sections = tuple(
            Section(name, title, True, _compare(before, after, collect))
            for name, title, collect in SECTIONS
        )
    else:
        sections = tuple(Section(name, title, False) for name, title, _ in SECTIONS)
    return Diff(_source(before), _source(after), sections, _findings_diff(old, new), tuple(notes))


def _same_creator(
    before: Side, after: Side, options: DiagnoseOptions | None
) -> tuple[DiagnoseOptions | None, list[str]]:
    """The options a snapshot side is run with, and what the notes say about the creator: a
    report of a run with --creator holds the creator checks' findings for that principal,
    which a snapshot side run for no creator (or another one) would show as fixed."""
    creators = {
        name: _report_creator(side)
        for side, name in ((before, "BEFORE"), (after, "AFTER"))
        if isinstance(side, ReportFile)
    }
    if not creators or all(isinstance(side, ReportFile) for side in (before, after)):
        distinct = set(creators.values())
        if len(distinct) > 1:
            return options, [
                "the two reports ran the creator checks for different creators (--creator): "
                "those checks' findings differ by whom they are about, not by what changed"
            ]
        return options, []
    given = options.creator if options is not None else None
    recorded = {c for c in creators.values() if c is not None}
    if given is None and len(recorded) == 1:
        creator = recorded.pop()
        return (
            DiagnoseOptions(**{**_fields(options), "creator": creator}),
            [f"the snapshot side is run for the creator the report's run checked ({creator})"],
        )
    if given is None and not recorded:
        return options, []
    if (
        given is not None
        and creators
        and all(c is not None and c == given.strip().lower() for c in creators.values())
    ):
        return options, []
    return options, [
        "the report side ran the creator checks for "
        + (", ".join(f"{n}: {c or 'no creator'}" for n, c in creators.items()))
        + f", the snapshot side for {given or 'no creator'}: the creator checks' findings "
        "differ by whom they are about, not by what changed"
    ]


def _report_creator(side: ReportFile) -> str | None:
    """The creator (an object id) a report's run checked, or None (a value that is no object
    id is not taken from the file)."""
    value = side.target.get("creator")
    if isinstance(value, str) and GUID.match(value.strip()):
        return value.strip().lower()
    return None


def _fields(options: DiagnoseOptions | None) -> dict[str, Any]:
    if options is None:
        return {}
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}


def _source(side: Side) -> str:
    return side.source


def _findings(
    side: Side, options: DiagnoseOptions | None
) -> tuple[tuple[FindingSummary, ...], frozenset[str] | None]:
    if isinstance(side, ReportFile):
        checks = side.target.get("checks")
        ran = frozenset(checks) if isinstance(checks, list) else None
        if options is None or not (options.select or options.ignore):
            return side.findings, ran
        # a report's findings, narrowed by the selection a snapshot side is run with
        from diagnose.engine.registry import chosen, load_checks, parse_ids, select_checks

        select_checks(load_checks()[0], list(options.select), list(options.ignore))  # bad ids
        keep = partial(
            chosen,
            selected=parse_ids(list(options.select)),
            ignored=parse_ids(list(options.ignore)),
        )
        findings = tuple(f for f in side.findings if keep(f.check_id))
        return findings, None if ran is None else frozenset(filter(keep, ran))
    report = diagnose_snapshot(side, options).report
    return summaries_of(report), frozenset(report.target.get("checks") or ())


def _findings_diff(
    old: tuple[FindingSummary, ...], new: tuple[FindingSummary, ...]
) -> FindingsDiff:
    before = {f.id: f for f in old}
    after = {f.id: f for f in new}
    same = [f for f in new if f.id in before]
    return FindingsDiff(
        fixed=tuple(f for f in old if f.id not in after),
        new=tuple(f for f in new if f.id not in before),
        unchanged=tuple(f for f in same if before[f.id].status == f.status),
        status_changed=tuple(
            StatusChange(before[f.id], f) for f in same if before[f.id].status != f.status
        ),
    )


# -- the state ---------------------------------------------------------------------------
Item = tuple[str, dict[str, Any]]
"""(label, the fields compared) of one thing, keyed by its id in a Collect's result."""
Collect = Callable[[Snapshot], dict[str, Item]]


def _compare(before: Snapshot, after: Snapshot, collect: Collect) -> tuple[Change, ...]:
    old, new = collect(before), collect(after)
    changes = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            changes.append(Change(REMOVED, key, old[key][0]))
        elif key not in old:
            changes.append(Change(ADDED, key, new[key][0]))
        else:
            fields = _field_changes(old[key][1], new[key][1])
            if fields:
                changes.append(Change(CHANGED, key, new[key][0], fields))
    return tuple(changes)


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[FieldChange, ...]:
    before, after = _flat(old), _flat(new)
    return tuple(
        FieldChange(path, before.get(path, ABSENT), after.get(path, ABSENT))
        for path in sorted(before.keys() | after.keys())
        if path not in before
        or path not in after
        or _canonical(before[path]) != _canonical(after[path])
    )


def _flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted paths; a list is one value (ipRules, permissions)."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            flat.update(_flat(item, path + "."))
        else:
            flat[path] = item
    return flat


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class _Names:
    """Role and principal names in a snapshot, for labels."""

    def __init__(self, snapshot: Snapshot) -> None:
        from diagnose.catalog import builtin_role_definitions

        self.roles = {
            str(d.get("name") or str(d.get("id", "")).rpartition("/")[2]).lower(): str(
                (d.get("properties") or {}).get("roleName") or ""
            )
            for d in (*builtin_role_definitions(), *snapshot.data["roleDefinitions"])
        }
        self.principals = {
            str(p.get("id")): p for p in snapshot.data["principals"] if isinstance(p, dict)
        }

    def role(self, definition_id: object) -> str:
        guid = str(definition_id or "").rpartition("/")[2].lower()
        return self.roles.get(guid) or f"role {guid or '?'}"

    def principal(self, object_id: object, kind: object = None) -> str:
        entry = self.principals.get(str(object_id))
        name = (entry or {}).get("displayName") or str(object_id)
        word = str((entry or {}).get("type") or kind or "").lower()
        word = {"serviceprincipal": "service principal"}.get(word, word)
        return f"{word} {name}".strip()


def _properties(item: Any) -> dict[str, Any]:
    found = item.get("properties") if isinstance(item, dict) else None
    return found if isinstance(found, dict) else {}


def _by_id(items: Iterable[Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            yield item["id"].lower(), item


def _pick(values: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: values.get(name) for name in names}


def _assignments(snapshot: Snapshot) -> dict[str, Item]:
    names = _Names(snapshot)
    found = {}
    for key, item in _by_id(snapshot.data["roleAssignments"]):
        p = _properties(item)
        label = (
            f"{names.role(p.get('roleDefinitionId'))} for "
            f"{names.principal(p.get('principalId'), p.get('principalType'))} at {p.get('scope')}"
        )
        fields = _pick(
            p, ("roleDefinitionId", "principalId", "scope", "condition", "conditionVersion")
        )
        found[key] = (label, fields)
    return found


def _denies(snapshot: Snapshot) -> dict[str, Item]:
    found = {}
    for key, item in _by_id(snapshot.data["denyAssignments"]):
        p = _properties(item)
        label = f"deny assignment '{p.get('denyAssignmentName') or key}' at {p.get('scope')}"
        found[key] = (
            label,
            _pick(
                p,
                (
                    "permissions",
                    "principals",
                    "excludePrincipals",
                    "scope",
                    "doNotApplyToChildScopes",
                ),
            ),
        )
    return found


def _eligibilities(snapshot: Snapshot) -> dict[str, Item]:
    names = _Names(snapshot)
    found = {}
    for key, item in _by_id(snapshot.data.get("roleEligibilities") or ()):
        p = _properties(item)
        label = (
            f"eligible for {names.role(p.get('roleDefinitionId'))}: "
            f"{names.principal(p.get('principalId'), p.get('principalType'))} at {p.get('scope')}"
        )
        found[key] = (
            label,
            _pick(
                p,
                (
                    "roleDefinitionId",
                    "principalId",
                    "scope",
                    "condition",
                    "status",
                    "startDateTime",
                    "endDateTime",
                ),
            ),
        )
    return found


def _definitions(snapshot: Snapshot) -> dict[str, Item]:
    found = {}
    for key, item in _by_id(snapshot.data["roleDefinitions"]):
        p = _properties(item)
        found[key] = (
            f"role definition '{p.get('roleName')}'",
            _pick(p, ("roleName", "permissions", "assignableScopes")),
        )
    return found


def _identities(snapshot: Snapshot) -> dict[str, Item]:
    names = _Names(snapshot)
    found: dict[str, Item] = {}
    for principal in snapshot.data["principals"]:
        if not isinstance(principal, dict) or not principal.get("id"):
            continue
        fields = {k: v for k, v in principal.items() if k != "id"}
        fields["memberOf"] = sorted(str(g) for g in principal.get("memberOf") or ())
        found[str(principal["id"])] = (names.principal(principal["id"]), fields)
    for key, resource in _by_id(snapshot.data["resources"]):
        identity = resource.get("identity")
        if isinstance(identity, dict) and identity:
            found[f"{key}#identity"] = (
                f"managed identity of {resource.get('name') or key}",
                {
                    "type": identity.get("type"),
                    "principalId": identity.get("principalId"),
                    "userAssignedIdentities": sorted(
                        str(i).lower() for i in identity.get("userAssignedIdentities") or ()
                    ),
                },
            )
    return found


IGNORED_SETTINGS = ("provisioningState",)
"""What changes on its own, and says nothing about access."""


def _settings(snapshot: Snapshot) -> dict[str, Item]:
    found = {}
    for key, resource in _by_id(snapshot.data["resources"]):
        kind = str(resource.get("type") or "resource").rpartition("/")[2]
        fields = {
            "properties": {
                k: v for k, v in _properties(resource).items() if k not in IGNORED_SETTINGS
            },
            "sku": resource.get("sku"),
            "kind": resource.get("kind"),
        }
        found[key] = (f"{kind} {resource.get('name') or key}", fields)
    return found


SECTIONS: tuple[tuple[str, str, Collect], ...] = (
    ("roleAssignments", "Role assignments", _assignments),
    ("denyAssignments", "Deny assignments", _denies),
    ("roleEligibilities", "PIM eligibilities", _eligibilities),
    ("roleDefinitions", "Role definitions", _definitions),
    ("identities", "Identities", _identities),
    ("settings", "Settings", _settings),
)
