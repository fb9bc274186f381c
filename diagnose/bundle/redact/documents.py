"""The Redactor: a bundle's documents (snapshot, request log, command line) redacted.

Part of diagnose.bundle.redact (see its package docstring for the policy). Every JSON value is
redacted by the rule the key that holds it chooses (vocabulary.py: vocabulary kept, names of a
kind, e-mail addresses, customer-written text, conditions, connection targets; anything else
as free text); ARM objects, principals (display names, user principal names) and the
snapshot's target have rules of their own. The class stacks the field families: the pseudonym
core (pseudonyms.py) <- ARM ids (arm.py) <- hosts and URLs (hosts.py) <- free text (text.py)
<- learning (learning.py) <- this module.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from diagnose.bundle.redact.arm import is_arm_path
from diagnose.bundle.redact.identifiers import FIRST_PARTY_APPS, FULL_GUID, is_builtin_role
from diagnose.bundle.redact.learning import PRINCIPAL_KINDS, Learning
from diagnose.bundle.redact.vocabulary import (
    ARM_LISTS,
    EMAIL_KEYS,
    FREE_TEXT_KEYS,
    NAME_KEYS,
    PATH_OPTIONS,
    VOCAB_KEYS,
)


class Redactor(Learning):
    """Aliases under one key. `learn` the structured data first (so every name gets the
    right kind), then redact the snapshot, the request log and the command line with the
    same instance: that is what keeps aliases consistent across the files of a bundle."""

    # -- JSON ------------------------------------------------------------------------------
    def walk(self, value: Any, key: str = "") -> Any:
        """Any JSON value, with the rules chosen by the key that holds it."""
        lowered = key.lower()
        if isinstance(value, dict):
            if lowered == "tags":
                return {
                    self.whole(str(k), "tag"): self.walk(v, "description") for k, v in value.items()
                }
            if lowered == "metadata":
                return {k: self._metadata(str(k), v) for k, v in value.items()}
            return {self._dict_key(str(k)): self.walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            if lowered == "managementgroupancestorschain":
                return [self._management_group(v) for v in value]
            return [self.walk(v, key) for v in value]
        if not isinstance(value, str) or not value:
            return value
        if lowered in VOCAB_KEYS:
            return value
        if lowered == "condition":
            return self.condition(value)
        if lowered in NAME_KEYS:
            return self.whole(value, NAME_KEYS[lowered])
        if lowered in EMAIL_KEYS:
            return self.whole(value, "email")
        if lowered in FREE_TEXT_KEYS:
            return self.whole(value, "text")
        if lowered == "target":
            return self.target(value)
        return self.text(value)

    def _dict_key(self, key: str) -> str:
        """Dictionary keys are schema words, except ARM ids (userAssignedIdentities), GUIDs
        and e-mail addresses."""
        if key.startswith("/"):
            return self.text(key)
        if FULL_GUID.match(key):
            return self.guid(key)
        if "@" in key:
            return self.text(key)
        return key

    def _metadata(self, key: str, value: Any) -> Any:
        lowered = key.lower()
        if isinstance(value, str) and lowered.endswith("name") and lowered not in VOCAB_KEYS:
            return self.whole(value, NAME_KEYS.get(lowered, "res"))
        return self.walk(value, key)

    def _management_group(self, group: Any) -> Any:
        if not isinstance(group, dict):
            return self.walk(group)
        out: dict[Any, Any] = {}
        for key, value in group.items():
            if key.lower() in ("name", "displayname") and isinstance(value, str):
                out[key] = self.whole(value, "mg")
            else:
                out[key] = self.walk(value, key)
        return out

    def arm_object(self, item: dict[str, Any], list_name: str) -> dict[str, Any]:
        """An object of an ARM list: its name is the alias its id ends with; a built-in role
        definition keeps its name and description."""
        builtin = list_name == "roleDefinitions" and is_builtin_role(item)
        out: dict[str, Any] = {}
        for key, value in item.items():
            if key == "name" and isinstance(value, str):
                out[key] = self._object_name(item, value)
            elif builtin and key == "properties" and isinstance(value, dict):
                out[key] = {
                    k: (v if k.lower() in ("rolename", "description") else self.walk(v, k))
                    for k, v in value.items()
                }
            else:
                out[key] = self.walk(value, key)
        return out

    def principal(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A principal: its display name becomes `user-`, `group-` or `sp-` + hex (first-party
        apps keep theirs); user principal names and mail become e-mail aliases."""
        app = str(entry.get("appId") or "").lower()
        kind = PRINCIPAL_KINDS.get(str(entry.get("type") or "").lower(), "user")
        out: dict[str, Any] = {}
        for key, value in entry.items():
            if key == "displayName" and isinstance(value, str):
                out[key] = value if app in FIRST_PARTY_APPS else self.whole(value, kind)
            else:
                out[key] = self.walk(value, key)
        return out

    def snapshot(self, data: dict[str, Any]) -> dict[str, Any]:
        """A redacted copy of a snapshot v1 (call learn() first)."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in ARM_LISTS and isinstance(value, list):
                out[key] = [
                    self.arm_object(i, key) if isinstance(i, dict) else self.walk(i) for i in value
                ]
            elif key == "principals" and isinstance(value, list):
                out[key] = [
                    self.principal(p) if isinstance(p, dict) else self.walk(p) for p in value
                ]
            elif key == "target" and isinstance(value, dict):
                out[key] = {
                    k: (
                        self.whole(v, "proj")
                        if k == "project" and isinstance(v, str)
                        else self.walk(v, k)
                    )
                    for k, v in value.items()
                }
            elif key in ("schemaVersion", "collectedAt"):
                out[key] = value
            else:
                out[key] = self.walk(value, key)
        return out

    def requests(self, entries: Sequence[Any]) -> list[Any]:
        """The request log: paths, URLs, queries and errors redacted; method, status, timing
        and the Azure request and correlation ids kept."""
        out = []
        for entry in entries:
            if not isinstance(entry, dict):
                out.append(self.walk(entry))
                continue
            redacted: dict[Any, Any] = {}
            for key, value in entry.items():
                if key.lower() == "path" and isinstance(value, str) and is_arm_path(value):
                    redacted[key] = self.arm_path(value)
                elif key.lower() == "query" and isinstance(value, dict):
                    redacted[key] = {k: self.walk(v, k) for k, v in value.items()}
                else:
                    redacted[key] = self.walk(value, key)
            out.append(redacted)
        return out

    def argv(self, argv: Sequence[str]) -> list[str]:
        """The command line: file paths become `<path>.ext`; ids, names and addresses in the
        values are replaced; options stay."""
        out: list[str] = []
        path_next = False
        for arg in argv:
            if path_next:
                path_next = False
                out.append(_path_placeholder(arg))
                continue
            if arg.startswith("-") and len(arg) > 1:
                option, sep, value = arg.partition("=")
                if option in PATH_OPTIONS:
                    path_next = not sep
                    out.append(option + sep + _path_placeholder(value) if sep else arg)
                else:
                    out.append(option + sep + self._argument(value) if sep else arg)
                continue
            out.append(self._argument(arg))
        return out

    def _argument(self, value: str) -> str:
        if value.casefold() in self._aliases:
            return self._aliases[value.casefold()]
        if FULL_GUID.match(value.strip()):
            return self.guid(value.strip())
        return self.text(value)


def _path_placeholder(value: str) -> str:
    if value in ("", "-"):
        return value
    suffix = os.path.splitext(value.replace("\\", "/").rsplit("/", 1)[-1])[1]
    return "<path>" + suffix
