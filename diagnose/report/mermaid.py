"""An identity chain (diagnose.report.chain) as a Mermaid flowchart, which GitHub renders in a
```mermaid block.

Every label is data from Azure and is written so that Mermaid can only show it: inside double
quotes, with every character outside a small safe set written as a Mermaid entity code
(`#34;` for `"`, `#62;` for `>`, ...). A name holding quotes, brackets, `-->`, `|`, a
backtick run that would close the fence, HTML or a line break stays one label."""

from __future__ import annotations

import re

from diagnose.report.chain import IdentityChain, LinkState
from diagnose.safe import safe_text

_SAFE = re.compile(r"[A-Za-z0-9 _.,:/()@+='-]")
MAX_LABEL = 120
"""Characters of a label shown; the evidence beside the diagram has the whole text."""
ARROWS = {
    LinkState.HOLDS: "-->",
    LinkState.BLOCKED: "--x",
}
"""Any other state (missing, elsewhere, eligible, conditional, unknown) is a dotted arrow."""


def mermaid_text(value: object) -> str:
    """A label's text: one line (controls shown as escapes first), at most MAX_LABEL
    characters, every character outside _SAFE as a decimal entity code."""
    text = safe_text(value)
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 3] + "..."
    return "".join(ch if _SAFE.fullmatch(ch) else f"#{ord(ch)};" for ch in text)


def render_chain(chain: IdentityChain) -> str:
    """The chain as a fenced ```mermaid block (left to right)."""
    lines = ["```mermaid", "flowchart LR"]
    for number, node in enumerate(chain.nodes):
        label = mermaid_text(node.label if node.known else f"{node.label} (unknown)")
        lines.append(f'  n{number}["{label}"]')
    for number, link in enumerate(chain.links):
        arrow = ARROWS.get(link.state, "-.->")
        words = (
            link.label
            if link.state in (LinkState.HOLDS, LinkState.ELSEWHERE)
            else f"{link.label} ({link.state})"
        )
        lines.append(f'  n{number} {arrow}|"{mermaid_text(words)}"| n{number + 1}')
    lines.append("```")
    return "\n".join(lines)
