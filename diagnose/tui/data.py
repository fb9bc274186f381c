"""What the findings table shows, computed from a Diagnosis (diagnose.app) without Textual:
table rows, the search index, the filter and the fix texts. Everything from Azure goes through
safe_text and into rich Text objects (never markup), so a name like `[bold red]x` is shown
literally. The hub tree is built in diagnose.tui.tree; build_tree and finding_counts are
re-exported here, so a caller takes the UI's data from one module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

from diagnose.app import plan_in
from diagnose.arm.scopes import scope_key
from diagnose.engine.api import Commands, Finding, Severity, Status
from diagnose.remediation.languages import fix_languages, language_named
from diagnose.safe import safe_text
from diagnose.tui.names import plain, short_resource
from diagnose.tui.tree import build_tree as build_tree
from diagnose.tui.tree import finding_counts as finding_counts

LANGUAGES: tuple[tuple[str, str, str], ...] = tuple(
    (language.name, language.label, language.key) for language in fix_languages()
)
"""(tab id, tab title, key in Commands), in tab order: one per fix language."""

STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.UNKNOWN: "magenta",
    Status.INFO: "cyan",
}
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "green",
    Severity.INFO: "cyan",
}
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("status", "Status", 7),
    ("severity", "Severity", 8),
    ("check", "Check", 6),
    ("principal", "Principal", 12),
    ("resource", "Resource", 12),
)
"""(key, title, least width): fixed widths (fitted to the data once per run), so adding
thousands of rows measures nothing."""


PERSONA_WORDS = {
    "reader": ("reader", "readers"),
    "builder": ("builder", "builders"),
    "administrator": ("administrator", "administrators"),
    "serviceIdentity": ("service identity", "service identities"),
}
"""How the table names a persona (diagnose.engine.personas), one and several."""


def principal_text(finding: Finding) -> str:
    """Who a finding is about, with the persona that makes it matter: "Gus Novak (builder)",
    "MI hub-contoso", "2 builders, 1 administrator" for a finding that stands for several."""
    if finding.principal is None:
        several = finding.affected_principals
        if len(several) < 2:
            return ""
        counts: dict[str, int] = {}
        for affected in several:
            counts[affected.persona or ""] = counts.get(affected.persona or "", 0) + 1
        if "" in counts:  # a persona not judged: say how many, not a guess
            return f"{len(several)} principals"
        return ", ".join(
            f"{count} {PERSONA_WORDS.get(persona, (persona, persona))[count > 1]}"
            for persona, count in sorted(counts.items(), key=lambda item: -item[1])
        )
    principal = finding.principal
    if principal.description:  # a managed identity
        return f"MI {principal.display_name or principal.id}"
    name = principal.display_name or principal.id
    judged = finding.persona
    if judged is None:
        return name
    return f"{name} ({PERSONA_WORDS.get(judged.persona.value, (judged.persona.value,))[0]})"


def finding_row(finding: Finding) -> tuple[Text, ...]:
    status, severity = finding.status, finding.severity
    return (
        Text(status.value.upper(), style=STATUS_STYLE.get(status, ""), end=""),
        Text(severity.value, style=SEVERITY_STYLE.get(severity, ""), end=""),
        Text(finding.check_id, end=""),
        plain(principal_text(finding)),
        plain(short_resource(finding.resource)),
    )


def haystack(finding: Finding) -> str:
    """Everything a text search looks at, lower-cased once."""
    parts = [
        finding.check_id,
        finding.title,
        finding.message,
        finding.resource,
        finding.status.value,
        finding.severity.value,
        finding.cause.value,
    ]
    if finding.principal is not None:
        parts += [
            finding.principal.id,
            finding.principal.display_name or "",
            finding.principal.label,
        ]
    for affected in finding.affected_principals:  # everyone it stands for, and who they are
        parts += [affected.id, affected.display_name or "", affected.persona or ""]
    if finding.persona is not None:
        parts.append(finding.persona.persona.value)
    return "\n".join(parts).lower()


@dataclass(frozen=True)
class FindingFilter:
    """Which findings to show. Empty fields match everything."""

    severity: str | None = None
    status: str | None = None
    check: str | None = None
    text: str = ""
    resource: str | None = None
    """A scope picked in the hub tree: the finding's resource must be it or lie below it."""
    principal: str | None = None
    """A principal id picked in the hub tree: the finding must be about it."""

    @property
    def active(self) -> bool:
        return bool(
            self.severity
            or self.status
            or self.check
            or self.text.strip()
            or self.resource
            or self.principal
        )

    def describe(self) -> str:
        parts = [
            f"{name} {value}"
            for name, value in (
                ("severity", self.severity),
                ("status", self.status),
                ("check", self.check),
            )
            if value
        ]
        if self.text.strip():
            parts.append(f"text {self.text.strip()!r}")
        if self.resource:
            parts.append(f"resource {safe_text(short_resource(self.resource))}")
        if self.principal:
            parts.append(f"principal {safe_text(self.principal)}")
        return ", ".join(parts) or "none"


@dataclass
class FindingIndex:
    """The report's findings with their rows and search text, computed once per run."""

    findings: Sequence[Finding]
    rows: list[tuple[Text, ...]] = field(init=False)
    _text: list[str] = field(init=False, repr=False)
    _resource: list[str] = field(init=False, repr=False)
    _principal: list[frozenset[str]] = field(init=False, repr=False)
    """The principal of each finding and those it stands for (lower-case ids)."""

    def __post_init__(self) -> None:
        self.rows = [finding_row(f) for f in self.findings]
        self._text = [haystack(f) for f in self.findings]
        self._resource = [scope_key(f.resource) for f in self.findings]
        self._principal = [
            frozenset(
                [a.id.lower() for a in f.affected_principals]
                + ([f.principal.id.lower()] if f.principal else [])
            )
            for f in self.findings
        ]

    def __len__(self) -> int:
        return len(self.findings)

    def select(self, flt: FindingFilter) -> list[int]:
        """Indexes of the findings the filter keeps, in report order."""
        words = flt.text.lower().split()
        scope = scope_key(flt.resource) if flt.resource else ""
        below = scope.rstrip("/") + "/"
        principal = (flt.principal or "").lower()
        kept = []
        for index, finding in enumerate(self.findings):
            if flt.status and finding.status.value != flt.status:
                continue
            if flt.severity and finding.severity.value != flt.severity:
                continue
            if flt.check and finding.check_id != flt.check:
                continue
            if scope:
                resource = self._resource[index]
                if not (resource == scope or resource.startswith(below)):
                    continue
            if principal and principal not in self._principal[index]:
                continue
            if words:
                text = self._text[index]
                if not all(word in text for word in words):
                    continue
            kept.append(index)
        return kept

    def checks(self) -> list[str]:
        return sorted({f.check_id for f in self.findings})


def commands_text(commands: Commands | None, language: str) -> str:
    """The raw command text of one language (what gets copied), '' when there is none."""
    if commands is None:
        return ""
    return commands.get(language_named(language).key) or ""


def display_code(text: str) -> Text:
    """Command text for the screen: each line through safe_text, newlines kept."""
    return Text("\n".join(safe_text(line) for line in text.splitlines()), end="")


def fix_plan_text(fix_plan: Sequence[Any], language: str, *, hub: str = "") -> str:
    """The whole fix plan as one runnable script or template in the language of a tab, each
    change once: the text `diagnose fix-plan --as ...` writes (diagnose.app.plan_in)."""
    return plan_in(fix_plan, language, hub=hub).text
