"""How the UI writes what comes from Azure, in a table cell or a tree label: literally (through
safe_text, into rich Text, never markup) and with resource ids shortened to their names. Shared
by the findings table (diagnose.tui.data) and the hub tree (diagnose.tui.tree)."""

from __future__ import annotations

from rich.text import Text

from diagnose.safe import safe_text


def plain(value: object) -> Text:
    """Azure data as literal text: no markup, control characters made visible."""
    return Text(safe_text(value), end="")


def short_resource(resource_id: str) -> str:
    """A resource id shortened for a table cell: its name, or workspace/connection."""
    parts = resource_id.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-2].lower() == "connections":
        return f"{parts[-3]}/{parts[-1]}"
    return parts[-1] if parts and parts[-1] else resource_id
