"""The whole fix plan as ONE runnable script or template (`diagnose fix-plan --as ...`, the
terminal UI's "copy whole plan").

A single fix renders on its own in every language (`diagnose.remediation.languages`); a plan is
more than those texts end to end: one file with one header, every identifier unique, names
derived from the change itself (a fix's `fix_id`), ids as parameters where the language has
them, and a comment over each block naming the findings it clears.

What a plan holds that a language cannot run is never dropped: it stays in the output as
comments that say why (an unverified step, an alternative to another step, a self-activation
the eligible user must run, a setting a template can only merge into the declaration that
manages the resource, a deny assignment nothing here can lift).

    steps(plan)                  -> the plan's steps, numbered, each with what it clears
    render_plan(plan, "bicep")   -> the text (EXPORTS lists the languages)

A custom role (a grant whose `value` is the role's definition) is created once per output: in
the block of the one step that assigns it, so it goes wherever that step goes; or, when several
steps assign it, in a block of its own before the first of them, named from its GUID
(`names.role_symbol`), which each of them refers to (`shared_roles`). That block is commented out
when none of those steps runs, and each of them then says to uncomment it too.

The plan is read through `PlanItem` (what `diagnose.report.model.PlannedFix` offers), so a
field the report's plan gains later changes nothing here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from diagnose.engine.api import Remediation, RemediationKind
from diagnose.remediation.fixes import Fix, classify
from diagnose.remediation.quoting import comment
from diagnose.remediation.roles import CustomRole, RoleGrant

MAX_CLEARED_NAMED = 20
"""The most findings a step's comment names one by one (a group fix may clear thousands)."""


class FindingRefLike(Protocol):
    """What a step reads of a finding it clears (diagnose.report.model.FindingRef)."""

    @property
    def finding_id(self) -> str: ...

    @property
    def check_id(self) -> str: ...


class PlanItem(Protocol):
    """What a step reads of a planned fix (diagnose.report.model.PlannedFix)."""

    @property
    def remediation(self) -> Remediation: ...

    @property
    def fixes(self) -> Sequence[FindingRefLike]: ...


@dataclass(frozen=True)
class Cleared:
    """A finding a step clears."""

    finding_id: str
    check_id: str


@dataclass(frozen=True)
class Step:
    """One change of the plan, as every language's whole-plan renderer reads it."""

    number: int
    """1-based, in the plan's order (prerequisites first, as the plan orders them)."""
    total: int
    remediation: Remediation
    fix: Fix | None
    """The change classified (diagnose.remediation.fixes); None when this tool cannot render
    it (`problem` says why)."""
    problem: str
    cleared: tuple[Cleared, ...]
    alternative_of: int | None
    """The number of the default step this one is an alternative to ("choose one")."""

    @property
    def fix_id(self) -> str:
        return self.remediation.fix_id

    @property
    def verified(self) -> bool:
        return self.remediation.verified

    def header(self) -> list[str]:
        """What the comment over the block says (without the comment marker): the step, its
        state, its summary and the findings it clears."""
        state = "verified" if self.verified else "NOT verified"
        lines = [
            f"Step {self.number}/{self.total} [{self.fix_id}] ({state}): "
            + " ".join(self.remediation.summary.split())
        ]
        if self.cleared:
            named = [f"{c.check_id} {c.finding_id}" for c in self.cleared[:MAX_CLEARED_NAMED]]
            more = len(self.cleared) - len(named)
            lines.append(
                "Clears: " + ", ".join(named) + (f" and {more} more findings" if more else "")
            )
        return lines


def _cleared(item: PlanItem) -> tuple[Cleared, ...]:
    seen: dict[str, Cleared] = {}
    for ref in getattr(item, "fixes", ()) or ():
        finding = str(getattr(ref, "finding_id", "") or "")
        seen.setdefault(finding, Cleared(finding, str(getattr(ref, "check_id", "") or "")))
    return tuple(seen.values())


def steps(plan: Sequence[PlanItem]) -> tuple[Step, ...]:
    """The plan's changes as numbered steps; an alternative points at its default's number."""
    numbers = {item.remediation.fix_id: index for index, item in enumerate(plan, 1)}
    found = []
    for number, item in enumerate(plan, 1):
        remediation = item.remediation
        try:
            fix: Fix | None = classify(remediation)
            problem = ""
        except ValueError as exc:
            fix, problem = None, str(exc)
        default = getattr(remediation, "alternative_to", None)
        found.append(
            Step(
                number,
                len(plan),
                remediation,
                fix,
                problem,
                _cleared(item),
                numbers.get(default) if default else None,
            )
        )
    return tuple(found)


def held_back(step: Step) -> str | None:
    """Why any language leaves this step as comments, None when it may run: every reason a
    plan's step is not part of the runnable output whatever the language."""
    if step.fix is None:
        return f"this tool cannot write this change ({step.problem}): make it by hand"
    if step.alternative_of is not None:
        return (
            f"an alternative to step {step.alternative_of} (choose one): to use it instead, "
            f"comment out step {step.alternative_of} and uncomment this one"
        )
    if step.remediation.kind == RemediationKind.CONFIGURATION and (
        step.remediation.setting == "denyAssignment"
    ):
        return "a deny assignment: nothing in this plan can lift it, ask who manages it"
    if not step.verified:
        return (
            "NOT verified: the tool could not prove this change clears the finding; "
            "review it, then uncomment it to apply"
        )
    return None


def custom_role(step: Step) -> CustomRole | None:
    """The custom role a step creates before assigning it, None for any other step."""
    return step.fix.custom if isinstance(step.fix, RoleGrant) else None


@dataclass(frozen=True)
class SharedRole:
    """A custom role that several steps of one output assign: the output creates it once, in
    a block of its own before the first of them, and each of them assigns it."""

    role: CustomRole
    users: tuple[int, ...]
    """The numbers of the steps that assign it, in order."""
    live: bool
    """Whether a step that runs assigns it: if not, the block is commented out too."""

    def note(self, symbol: str | None) -> list[str]:
        """The comment over the block (`symbol`: the name the steps refer to it by, None
        when they name the role itself)."""
        users = ", ".join(str(n) for n in self.users)
        lines = [
            f"Custom role '{self.role.name}' ({self.role.guid}): created once here for steps "
            f"{users}" + (f", which refer to it as {symbol}." if symbol else "."),
        ]
        if not self.live:
            lines.append(
                "Commented out: none of those steps runs as written. Uncomment it with the "
                "step you choose (a role definition grants nothing until it is assigned)."
            )
        return lines

    def uses(self, symbol: str) -> str:
        """The line a step that assigns it carries when the block is commented out."""
        return (
            f"It assigns the custom role {symbol}, created once above "
            f"(commented out): uncomment that block too."
        )


def shared_roles(written: Sequence[Step], runs: Callable[[Step], bool]) -> dict[int, SharedRole]:
    """The custom roles that more than one of the `written` steps assign, by the number of each
    step that assigns one (a role one step alone assigns stays in that step's block, and goes
    wherever the step goes). `runs` tells a step that runs from one left as a comment."""
    by_guid: dict[str, list[Step]] = {}
    for step in written:
        role = custom_role(step)
        if role is not None:
            by_guid.setdefault(role.guid.lower(), []).append(step)
    found: dict[int, SharedRole] = {}
    for users in by_guid.values():
        if len(users) < 2:
            continue
        role = custom_role(users[0])
        assert role is not None
        shared = SharedRole(role, tuple(s.number for s in users), any(runs(s) for s in users))
        for step in users:
            found[step.number] = shared
    return found


def comment_lines(prefix: str, lines: Sequence[str]) -> list[str]:
    """Comment lines: each text made safe to follow the marker (one line, visible)."""
    return [f"{prefix} {comment(line)}".rstrip() for line in lines]


def commented_out(prefix: str, code: str) -> list[str]:
    """Rendered code kept as comments, line by line (the code is already one line per line,
    every value quoted for its language)."""
    return [f"{prefix} {comment(line)}".rstrip() if line else prefix for line in code.splitlines()]


@dataclass(frozen=True)
class PlanExport:
    """The plan in one language: the text, and how many steps run or stay as comments."""

    language: str
    text: str
    steps: int
    runnable: int
    commented: int


Renderer = Callable[[Sequence[Step], str], tuple[str, int]]
"""A language's whole-plan renderer: (the steps, the hub's name) -> (text, steps that run)."""


def _renderers() -> dict[str, Renderer]:
    from diagnose.remediation.export import bicep, scripts, terraform

    return {
        "az": scripts.render_az,
        "powershell": scripts.render_powershell,
        "bicep": bicep.render_plan,
        "terraform": terraform.render_plan,
    }


EXPORTS = ("az", "powershell", "bicep", "terraform")
"""The languages a whole plan is written in (`--as`; `json` is the report's own shape)."""

LANGUAGE_OF_TAB = {
    "cli": "az",
    "powershell": "powershell",
    "bicep": "bicep",
    "terraform": "terraform",
}
"""The fix language's short id (diagnose.remediation.languages) -> its whole-plan export."""


def render_plan(plan: Sequence[PlanItem], language: str, *, hub: str = "") -> PlanExport:
    """The whole plan as one script or template (KeyError for a language not in EXPORTS)."""
    renderer = _renderers()[language]
    found = steps(plan)
    text, runnable = renderer(found, hub)
    return PlanExport(language, text, len(found), runnable, len(found) - runnable)
