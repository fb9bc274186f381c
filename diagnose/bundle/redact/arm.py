"""ARM ids and resource names: names inside ids replaced segment by segment, types kept.

Part of diagnose.bundle.redact (see its package docstring for the policy). Each name in an ARM
id or request path gets the kind its type gives it (vocabulary.TYPE_KINDS: a storage account,
a hub, ...), so its alias says what it is; keywords, provider namespaces, types, locations and
fixed child names such as `default` stay. Builds on the pseudonym core (pseudonyms.py).
"""

from __future__ import annotations

import re
from typing import Any

from diagnose.bundle.redact.identifiers import FULL_GUID
from diagnose.bundle.redact.pseudonyms import Pseudonyms
from diagnose.bundle.redact.vocabulary import KEEP_NAME_OF_TYPES, KEEP_SEGMENTS, TYPE_KINDS

_ARM_CHARS = r"[^\s\"'<>`,;()\[\]{}|\\]"
_ARM_END = r"[^\s\"'<>`,;()\[\]{}|\\.:]"
ARM_IN_TEXT = (
    rf"/subscriptions/{_ARM_CHARS}*{_ARM_END}"
    rf"|/providers/Microsoft\.Management/managementGroups/{_ARM_CHARS}*{_ARM_END}"
)
"""An ARM id inside any text (a regular expression)."""
ARM_ANYWHERE = re.compile(ARM_IN_TEXT, re.IGNORECASE)


def is_arm_path(path: str) -> bool:
    """An ARM request path, or a path embedding one (azureml://.../subscriptions/...)."""
    lowered = path.lower()
    return "/subscriptions/" in lowered or lowered.startswith("/providers/")


def arm_names(path: str) -> list[tuple[str, str | None]]:
    """Each segment of an ARM path with the kind of name it is: 'struct' for keywords,
    namespaces and types (kept verbatim), 'keep' for names that are not the customer's
    (locations, operation ids), None for segments outside the ARM grammar."""
    segments = path.split("/")
    out: list[tuple[str, str | None]] = []
    state, namespace = "", ""
    types: list[str] = []
    for segment in segments:
        lowered = segment.lower()
        if state == "sub":
            out.append((segment, "sub"))
            state = ""
        elif state == "rg":
            out.append((segment, "rg"))
            state = ""
        elif state == "ns":
            namespace, types = lowered, []
            out.append((segment, "struct"))
            state = "type"
        elif state == "type":
            if lowered == "providers":
                state = "ns"
            else:
                types.append(lowered)
                state = "name"
            out.append((segment, "struct"))
        elif state == "name":
            if types[-1] in KEEP_NAME_OF_TYPES:
                kind = "keep"
            else:
                kind = TYPE_KINDS.get(namespace + "/" + "/".join(types), "res")
            out.append((segment, kind))
            state = "type"
        else:
            state = {"subscriptions": "sub", "resourcegroups": "rg", "providers": "ns"}.get(
                lowered, ""
            )
            out.append((segment, "struct" if state or not segment else None))
    return out


class ArmIds(Pseudonyms):
    """Redacts ARM ids and paths, and the names of ARM objects."""

    def arm_path(self, path: str) -> str:
        """An ARM id or request path, segment by segment: names replaced, types kept."""
        out = []
        for segment, kind in arm_names(path):
            if kind == "struct" or not segment:
                out.append(segment)
            elif kind is None:
                out.append(self._segment(segment))
            elif FULL_GUID.match(segment):
                out.append(self.guid(segment))
            elif kind == "keep" or segment.casefold() in KEEP_SEGMENTS:
                out.append(segment)
            else:
                out.append(self.whole(segment, kind))
        return "/".join(out)

    def _segment(self, segment: str) -> str:
        if FULL_GUID.match(segment):
            return self.guid(segment)
        return self.text(segment)

    def _object_name(self, item: dict[str, Any], name: str) -> str:
        """An ARM object's name: the alias its id ends with."""
        if FULL_GUID.match(name):
            return self.guid(name)
        arm_id = item.get("id")
        if isinstance(arm_id, str):
            last = arm_id.rstrip("/").rsplit("/", 1)[-1]
            if last.casefold() == name.casefold():
                return self.text(arm_id).rstrip("/").rsplit("/", 1)[-1]
        return self.whole(name, "res")
