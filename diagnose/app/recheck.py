"""`diagnose recheck`: after someone ran a fix plan (`fix-plan --as json`, or a `--json`
report's `fixPlan`), re-read the state the plan touched and say per step: done, not yet
visible, or failed (and why).

A step is done when the re-read state satisfies it (the assignment exists, the setting has
the value, the removed assignment is gone) AND the findings it was for are gone when every
check runs again on that state. Role assignments take a while to show (ARM caches them for
up to ten minutes), so a step not seen is "not yet visible" inside that window and failed
past it; a step the state contradicts (a deny assignment covering the principal at the
step's scope) fails at once. A group's members may need up to 24 hours for their tokens to
carry a new grant: reported on the step, never waited for."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from diagnose.errors import BadInput
from diagnose.snapshot import Snapshot

PROPAGATION_WINDOW = 600.0
"""Seconds a new role assignment may take to show (ARM's cache)."""
GROUP_WINDOW_HOURS = 24
"""How long a group member's token may go without a grant made to the group."""
EVERYONE = "00000000-0000-0000-0000-000000000000"

DONE, NOT_YET, FAILED = "done", "not yet visible", "failed"


@dataclass(frozen=True)
class StepResult:
    id: str
    order: int
    kind: str
    summary: str
    status: str
    reason: str
    note: str = ""
    """What the user should know beyond the status (a group's 24 hours)."""


@dataclass(frozen=True)
class Recheck:
    steps: tuple[StepResult, ...]
    elapsed: float
    polls: int
    source: str = ""
    requests: int = 0
    scopes_read: tuple[str, ...] = field(default=())

    def count(self, status: str) -> int:
        return sum(1 for s in self.steps if s.status == status)


def read_plan(text: str, where: str) -> list[dict[str, Any]]:
    """The plan's steps; BadInput (one message) for anything that is not a fix plan. A whole
    `--json` report is taken too: its `fixPlan` is the plan."""
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadInput(
            f"{where} is not JSON ({exc})", fix="give the output of `diagnose fix-plan --as json`"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("fixPlan"), list):
        data = data["fixPlan"]
    ok = isinstance(data, list) and all(
        isinstance(s, dict)
        and isinstance(s.get("id"), str)
        and isinstance(s.get("remediation"), dict)
        and isinstance(s["remediation"].get("kind"), str)
        for s in data
    )
    if not ok:
        raise BadInput(
            f"{where} is not a fix plan (a JSON list of steps, each with an id and a remediation)",
            fix="give the output of `diagnose fix-plan --as json`, or a `--json` report",
        )
    return list(data)


def plan_scopes(plan: Sequence[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """The scopes (and resources) the plan's steps touch, and the principals they name:
    what a live recheck re-reads."""
    scopes: set[str] = set()
    principals: set[str] = set()
    for step in plan:
        rem = step["remediation"]
        for key in ("scope", "resource"):
            if isinstance(rem.get(key), str) and rem[key].startswith("/subscriptions/"):
                scopes.add(rem[key])
        if isinstance(rem.get("principalId"), str):
            principals.add(rem["principalId"])
    return scopes, principals


def evaluate(
    plan: Sequence[dict[str, Any]], after: Snapshot, *, past_window: bool, rerun: bool = True
) -> tuple[StepResult, ...]:
    """Each step against one re-read state. rerun False (a focused live read holds only
    what the plan touched, too little to run the checks on): judged on the state alone."""
    from diagnose.app.diagnosis import diagnose_snapshot
    from diagnose.report.model import finding_id

    report = diagnose_snapshot(after).report if rerun else None
    still_open = [f for f in report.findings if f.status.value != "pass"] if report else []
    open_ids = {finding_id(f) for f in still_open}
    # A finding's id covers its cause: once the role is there, a deny assignment that blocks
    # the same requirement shows as a new finding (cause denyAssignment, a new id) for the same
    # check, resource and principal.
    denied = {
        (f.check_id, f.resource.lower(), f.principal.id if f.principal else None): finding_id(f)
        for f in still_open
        if f.cause.value == "denyAssignment"
    }
    state = _State(after)
    results = []
    for step in plan:
        rem = step["remediation"]
        seen, contradiction = state.judge(rem)
        unread = state.unread(rem)
        fixes = [f for f in step.get("fixes") or () if isinstance(f, dict)]
        still = [
            f"{f.get('checkId')} {f.get('findingId')}"
            for f in fixes
            if f.get("findingId") in open_ids
        ]
        for f in fixes:
            key = (f.get("checkId"), str(f.get("resource") or "").lower(), f.get("principalId"))
            if key in denied:
                still.append(f"{f.get('checkId')} {denied[key]} (denied)")
        if unread:  # the listing that would show it failed (or was not made)
            status, reason = NOT_YET, unread
        elif contradiction and seen and still:  # seen, yet denied: the deny bites
            status, reason = FAILED, f"seen, but {contradiction}: still open: " + ", ".join(still)
        elif seen is None:
            status, reason = NOT_YET, "this kind of step cannot be re-read (unknown)"
        elif seen and not still and not rerun:
            status, reason = DONE, "seen (the checks were not run again on a focused read)"
        elif seen and not still:
            status, reason = DONE, "seen, and the findings it was for are gone"
        elif seen:
            status = FAILED if past_window else NOT_YET
            reason = "seen, but still open: " + ", ".join(still)
        else:
            status = FAILED if past_window else NOT_YET
            reason = "not seen" + (" after the propagation window" if past_window else " yet")
        note = contradiction if status != FAILED else ""
        if rem.get("principalType") == "Group":
            note = (note + "; " if note else "") + (
                f"the group's members may need up to {GROUP_WINDOW_HOURS} hours for their "
                "tokens to carry it (reported, not waited for)"
            )
        results.append(
            StepResult(
                str(step["id"]),
                int(step.get("order") or 0),
                str(rem["kind"]),
                str(rem.get("summary") or ""),
                status,
                reason,
                note,
            )
        )
    return tuple(results)


def recheck(
    plan: Sequence[dict[str, Any]],
    read: Callable[[], Snapshot],
    *,
    wait: bool = False,
    window: float = PROPAGATION_WINDOW,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    first_delay: float = 10.0,
    max_delay: float = 120.0,
    rerun: bool = True,
) -> Recheck:
    """Read the state (read()) and judge every step; with wait, read again with a doubling
    delay (capped) while something is not yet visible, until the window ends. Past the
    window, what is still not seen has failed."""
    start = clock()
    delay, polls = first_delay, 0
    while True:
        snapshot = read()
        polls += 1
        elapsed = clock() - start
        past = elapsed >= window
        steps = evaluate(plan, snapshot, past_window=past, rerun=rerun)
        pending = any(s.status == NOT_YET for s in steps)
        if not wait or not pending or past:
            return Recheck(steps, elapsed, polls, snapshot.source)
        sleep(min(delay, max(window - elapsed, 0.0)))
        delay = min(delay * 2, max_delay)


class _State:
    """The re-read state, indexed by lower-cased ids."""

    def __init__(self, snapshot: Snapshot) -> None:
        data = snapshot.data
        self.assignments = [a.get("properties") or {} for a in data.get("roleAssignments") or ()]
        self.assignment_ids = {
            str(a.get("id", "")).lower() for a in data.get("roleAssignments") or ()
        }
        self.denies = list(data.get("denyAssignments") or ())
        self.deny_ids = {str(d.get("id", "")).lower() for d in self.denies}
        self.resources = {str(r.get("id", "")).lower(): r for r in data.get("resources") or ()}
        self.errors = [e for e in data.get("errors") or () if isinstance(e, dict)]

    def unread(self, rem: dict[str, Any]) -> str:
        """Why the state cannot tell whether this step is done ("" when it can): the role
        (or deny) assignments listing that would show it failed at the step's scope or
        above, or was not made there. Without it an assignment removed would look gone and
        one made would look missing."""
        kind = rem.get("kind")
        if kind in ("roleAssignment", "activateEligible", "removeAssignment"):
            scope, what = str(rem.get("scope") or ""), "roleassignments"
        elif kind == "configuration" and rem.get("setting") == "denyAssignment":
            resource = str(rem.get("resource") or "")
            end = resource.lower().find("/providers/microsoft.authorization/")
            scope = resource[:end] if end >= 0 else resource
            what = "denyassignments"
        else:
            return ""
        key = scope.lower().rstrip("/")
        for error in self.errors:
            at = str(error.get("scope") or "").lower().rstrip("/")
            operation = str(error.get("operation") or "").lower().replace("/", "")
            if what in operation and (key == at or key.startswith(at + "/")):
                why = " ".join(str(p) for p in (error.get("status"), error.get("code")) if p)
                return (
                    f"unknown: the {'deny' if what == 'denyassignments' else 'role'} "
                    f"assignments at {error.get('scope')} could not be read"
                    + (f" ({why})" if why else "")
                )
        return ""

    def judge(self, rem: dict[str, Any]) -> tuple[bool | None, str]:
        """(seen, contradiction): seen None when this kind cannot be re-read."""
        kind = rem.get("kind")
        if kind in ("roleAssignment", "activateEligible"):
            deny = self._deny(str(rem.get("principalId") or ""), str(rem.get("scope") or ""))
            return self._assigned(rem), deny
        if kind == "removeAssignment":
            return str(rem.get("resource") or "").lower() not in self.assignment_ids, ""
        if kind == "cosmosSqlRoleAssignment":
            return self._cosmos(rem), ""
        if kind == "configuration" and rem.get("setting") == "denyAssignment":
            return str(rem.get("resource") or "").lower() not in self.deny_ids, ""
        if kind == "configuration":
            resource = self.resources.get(str(rem.get("resource") or "").lower())
            if resource is None:
                return None, ""
            return _at(resource, str(rem.get("setting") or "")) == rem.get("value"), ""
        return None, ""

    def _assigned(self, rem: dict[str, Any]) -> bool:
        role = str(rem.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower()
        scope = str(rem.get("scope") or "").lower()
        principal = str(rem.get("principalId") or "").lower()
        return any(
            str(p.get("principalId", "")).lower() == principal
            and str(p.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower() == role
            and str(p.get("scope", "")).lower() == scope
            for p in self.assignments
        )

    def _cosmos(self, rem: dict[str, Any]) -> bool:
        principal = str(rem.get("principalId") or "").lower()
        role = str(rem.get("roleDefinitionId") or "").lower()
        scope = str(rem.get("scope") or "").lower()
        for r in self.resources.values():
            p = r.get("properties") or {}
            if str(r.get("type", "")).lower().endswith("/sqlroleassignments") and (
                str(p.get("principalId", "")).lower() == principal
                and str(p.get("roleDefinitionId", "")).lower() == role
                and str(p.get("scope", "")).lower() == scope
            ):
                return True
        return False

    def _deny(self, principal: str, scope: str) -> str:
        """Why a deny assignment at the scope or above it covers the principal ("" if none).
        Which actions it denies is not weighed here: the findings say whether it bites."""
        scope = scope.lower()
        for deny in self.denies:
            p = deny.get("properties") or {}
            at = str(p.get("scope", "")).lower()
            if not at or not (scope == at or scope.startswith(at.rstrip("/") + "/")):
                continue
            ids = {str(x.get("id", "")).lower() for x in p.get("principals") or ()}
            excluded = {str(x.get("id", "")).lower() for x in p.get("excludePrincipals") or ()}
            if (principal.lower() in ids or EVERYONE in ids) and principal.lower() not in excluded:
                name = p.get("denyAssignmentName") or deny.get("name")
                return f"deny assignment {name!r} at {p.get('scope')} covers the principal"
        return ""


def _at(resource: dict[str, Any], path: str) -> Any:
    value: Any = resource
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class LiveReader:
    """Re-reads a live hub's touched state (diagnose.collect.focused), once per poll; counts
    the requests it sent."""

    def __init__(self, options: Any, plan: Sequence[dict[str, Any]]) -> None:
        from diagnose.collect.credentials import check_sign_in, credentials_for
        from diagnose.collect.focused import Focus
        from diagnose.collect.settings import settings_from

        self.settings = settings_from(options)
        self.credentials = credentials_for(self.settings)
        check_sign_in(self.credentials, self.settings)
        self.focus = Focus()
        for step in plan:
            rem = step["remediation"]
            kind, scope, resource = rem.get("kind"), rem.get("scope"), rem.get("resource")
            if kind in ("roleAssignment", "activateEligible", "removeAssignment"):
                if isinstance(scope, str):
                    self.focus.scopes.add(scope)
            elif kind == "cosmosSqlRoleAssignment" and isinstance(resource, str):
                self.focus.cosmos_accounts.add(resource)
            elif kind == "configuration" and isinstance(resource, str):
                if rem.get("setting") == "denyAssignment":  # listed where it sits
                    self.focus.scopes.add(resource.split("/providers/Microsoft.Authorization/")[0])
                else:
                    self.focus.resources.add(resource)
        self.requests: list[dict[str, Any]] = []

    def __call__(self) -> Snapshot:
        from diagnose.collect.focused import read_focused

        read = read_focused(self.settings, self.credentials, self.focus)
        self.requests.extend(read.requests)
        return Snapshot(
            read.data, f"focused read of {self.settings.hub.name or self.settings.hub.id}"
        )
