"""Finding a principal the user named: by object id, display name, user principal name or
e-mail address (Foundry tools print a user's UPN or mail in their errors).

Every front end and use case that takes a principal from a person (`diagnose access
--principal`, `--creator`, the principal an error message names) resolves it here, so they
all accept the same spellings and refuse an ambiguous name the same way.
"""

from __future__ import annotations

import re

from diagnose.errors import BadInput
from diagnose.model.model import Model
from diagnose.safe import safe_text

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def resolve_principal(model: Model, text: str, flag: str = "--principal") -> str:
    """The lower-case object id of `text`: an object id as given, or the one principal of the
    snapshot whose display name, user principal name or mail it is (case-insensitive). BadInput
    when no principal, or several, answer to the name; its message names the text as `flag`
    gave it (`--principal`, `--creator`, a line of the personas file)."""
    text = text.strip()
    if GUID.match(text):
        return text.lower()
    lowered = text.lower()
    found = [
        p
        for p in model.authorization.directory.principals.values()
        if lowered
        in {
            (p.display_name or "").lower(),
            str(p.raw.get("userPrincipalName") or "").lower(),
            str(p.raw.get("mail") or "").lower(),
        }
    ]
    if len(found) == 1:
        return found[0].id
    if not found:
        raise BadInput(
            f"{flag} {text!r} is neither an object id nor a name in the snapshot",
            fix="pass the principal's object id (a GUID)",
        )
    choices = ", ".join(safe_text(f"{p.display_name} ({p.id}, {p.type})") for p in found)
    raise BadInput(
        f"{flag} {text!r} matches several principals: {choices}",
        fix="pass the object id of the one you mean",
    )
