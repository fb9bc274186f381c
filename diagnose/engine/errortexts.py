"""Error texts a check explains: an Azure error message, what it usually means, how to fix it.

A check declares the texts it explains, `@check(..., explains=(TEXT, ...))`; `diagnose explain`
recognises a message by them and runs the checks that declared its text (see
diagnose.explain.patterns, which derives its table from the registered checks). Texts several
checks explain are defined once and shared (the built-in ones are in
diagnose/checks/_error_texts.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
"""For a regex that captures an object id."""


@dataclass(frozen=True)
class ErrorText:
    name: str
    """How `diagnose explain` names the message, e.g. "AuthorizationFailed"."""
    example: str
    """The message as users see it ("..." for the parts that vary)."""
    where: str
    """The service that returns it, e.g. "Azure Resource Manager (403)"."""
    cause: str
    fix: str
    regex: str
    """Searched for in the user's text, case-insensitively, `.` matching line breaks. Named
    groups `principal`, `operation`, `scope` (and `client`) are what `explain` evaluates."""
    data_action: bool | None = None
    """Whether the operation the message names is a data action (None: it names none)."""
    broad: bool = False
    """The regex also matches messages that other texts describe better (e.g. any 401/403 from
    Search): it is tried after every other text."""
    no_role: bool = False
    """No role assignment fixes what this message reports (DNS, a firewall, a private endpoint,
    keys refused): `explain` never offers one for it, whatever the snapshot holds."""
    implies: str | None = None
    """The operation a message that names none stands for (Azure OpenAI's PermissionDenied:
    chat completions), so `explain` can name the role that grants it from the text alone."""
    roles: tuple[str, ...] = ()
    """Role definition GUIDs the docs name for it, most preferred first (as a Requirement's)."""
    related_findings: bool = True
    """Whether the declaring checks' findings bear on this message. False for a refusal decided
    before any role was looked at or after the roles passed (an expired token, a token for
    another tenant or audience, an Azure Policy deny): their role findings would be noise
    beside it, so `explain` lists the checks but not their findings."""
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.regex, re.IGNORECASE | re.DOTALL))

    def to_json(self) -> dict[str, str]:
        """How the check documentation (`explain-check --json`, the MCP tools) lists it."""
        return {"name": self.name, "where": self.where, "example": self.example}
