"""Learning the names a bundle holds, with their kinds, before anything is redacted.

Part of diagnose.bundle.redact (see its package docstring for the policy). Names are gathered
from the structured fields (ARM ids and objects, name keys, host names, principals, the
snapshot's target), each with the kind that names it best (vocabulary.KIND_ORDER), then each
gets its alias and, unless it is an e-mail address or a host, a place in the free-text matcher
(text.py): so a name gets the same alias wherever it appears, free text included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from diagnose.bundle.redact.arm import ARM_ANYWHERE, arm_names
from diagnose.bundle.redact.hosts import CUSTOMER_SUFFIXES, HOSTLIKE
from diagnose.bundle.redact.identifiers import FIRST_PARTY_APPS, FULL_GUID, is_builtin_role
from diagnose.bundle.redact.text import FreeText
from diagnose.bundle.redact.vocabulary import (
    ARM_LISTS,
    EMAIL_KEYS,
    KEEP_SEGMENTS,
    KIND_ORDER,
    NAME_KEYS,
    PHRASE_KEYS,
    TYPE_KINDS,
)

PRINCIPAL_KINDS = {"user": "user", "group": "group", "serviceprincipal": "sp"}
"""The kind of a principal's display name, by its type (lower-case); others are users."""


class Learning(FreeText):
    """Registers every name the structured data holds (learn), before redacting."""

    def __init__(self, key: bytes, keep_guids: Iterable[str] = ()) -> None:
        super().__init__(key, keep_guids)
        self._candidates: dict[str, tuple[int, str, str]] = {}
        self._seen: set[tuple[str, str]] = set()

    def _candidate(self, value: Any, kind: str) -> None:
        if not isinstance(value, str) or not value.strip() or FULL_GUID.match(value):
            return
        if kind not in ("email", "host") and value.casefold() in KEEP_SEGMENTS:
            return
        rank = KIND_ORDER.index(kind)
        folded = value.casefold()
        current = self._candidates.get(folded)
        if current is None or rank < current[0]:
            self._candidates[folded] = (rank, kind, value)

    def learn(self, snapshot: dict[str, Any], requests: Sequence[Any] = ()) -> None:
        """Register every name the structured data holds, with its kind, then build the
        free-text matcher. Call once, before redacting."""
        self._learn_any(snapshot)
        self._learn_any(list(requests))
        for key in ARM_LISTS:
            for item in snapshot.get(key) or ():
                if isinstance(item, dict):
                    self._learn_arm_object(item, key)
        for entry in snapshot.get("principals") or ():
            if isinstance(entry, dict):
                self._learn_principal(entry)
        target = snapshot.get("target")
        if isinstance(target, dict):
            self._candidate(target.get("project"), "proj")
        for folded in sorted(self._candidates):
            _, kind, original = self._candidates[folded]
            known = folded in self._aliases  # then it is already as findable as it will be
            alias = self.name(original, kind)
            if not known and kind not in ("email", "host"):
                self._index(original, alias)
        self._candidates.clear()
        self._seen.clear()
        self._texts.clear()

    def _learn_any(self, value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                self._learn_any(str(name))
                self._learn_any(item, str(name))
        elif isinstance(value, list):
            for item in value:
                self._learn_any(item, key)
        elif isinstance(value, str):
            if (key, value) in self._seen:
                return
            self._seen.add((key, value))
            lowered = key.lower()
            if lowered in NAME_KEYS:
                self._candidate(value, NAME_KEYS[lowered])
            elif lowered in EMAIL_KEYS:
                self._candidate(value, "email")
            for match in ARM_ANYWHERE.finditer(value):
                self._learn_arm_path(match.group(0))
            if "://" in value:
                self._learn_hosts(value)
            elif lowered == "target" and HOSTLIKE.match(value.strip()):
                self._learn_hosts("https://" + value.strip())

    def _learn_arm_path(self, path: str) -> None:
        for segment, kind in arm_names(path):
            if kind not in (None, "struct", "keep"):
                self._candidate(segment, kind)

    def _learn_hosts(self, text: str) -> None:
        for token in re.findall(r"[a-z][a-z0-9+.-]*://([^/\s\"'<>:?#]+)", text, re.IGNORECASE):
            host = token.rsplit("@", 1)[-1].lower()
            for suffix, kind in CUSTOMER_SUFFIXES:
                if host.endswith("." + suffix):
                    for label in host[: -len(suffix) - 1].split("."):
                        self._candidate(label, kind)
                    break

    def _learn_arm_object(self, item: dict[str, Any], list_name: str) -> None:
        name = item.get("name")
        arm_id = item.get("id")
        if not isinstance(name, str) or not isinstance(arm_id, str):
            return
        resource_type = str(item.get("type") or "").lower()
        kind = TYPE_KINDS.get(resource_type, "res")
        if resource_type == "microsoft.machinelearningservices/workspaces":
            kind = {"hub": "hub", "project": "proj"}.get(str(item.get("kind") or "").lower(), "ws")
        if (
            list_name == "resources"
            and name.casefold() == arm_id.rstrip("/").rsplit("/", 1)[-1].casefold()
        ):
            self._candidate(name, kind)
        properties = item.get("properties")
        if not isinstance(properties, dict):
            return
        if list_name == "roleDefinitions" and is_builtin_role(item):
            return
        for key, value in properties.items():
            if key.lower() in PHRASE_KEYS:
                self._candidate(value, PHRASE_KEYS[key.lower()])
        chain = properties.get("managementGroupAncestorsChain")
        for group in chain if isinstance(chain, list) else ():
            if isinstance(group, dict):
                self._candidate(group.get("name"), "mg")

    def _learn_principal(self, entry: dict[str, Any]) -> None:
        kind = PRINCIPAL_KINDS.get(str(entry.get("type") or "").lower(), "user")
        if str(entry.get("appId") or "").lower() not in FIRST_PARTY_APPS:
            self._candidate(entry.get("displayName"), kind)
        for key in ("userPrincipalName", "mail"):
            self._candidate(entry.get(key), "email")
