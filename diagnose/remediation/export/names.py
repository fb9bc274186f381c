"""Names a whole-plan export gives its blocks: derived from the change itself (its fix id), so
the same change keeps the same name in every run, and two changes never share one."""

from __future__ import annotations

import re
import unicodedata


def address(prefix: str, hint: str, fix_id: str) -> str:
    """`prefix`, a readable slug of `hint` and the fix id: a Bicep symbolic name and a
    Terraform resource name alike (letters, digits and `_`, starting with a letter)."""
    ascii_hint = unicodedata.normalize("NFKD", hint).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_hint.lower()).strip("_")[:32].strip("_")
    ident = re.sub(r"[^a-z0-9]+", "", fix_id.lower())
    return "_".join(part for part in (prefix, slug, ident) if part)


def role_symbol(guid: str) -> str:
    """The name of a custom role's block: from its GUID, so every step that assigns the role
    refers to the same block, and the same role keeps the same name in every run."""
    return address("role", "least privilege", guid)
