"""GET /v1.0/groups/{id}/transitiveMembers, answered from a fixture set's own directory.

A fixture set records each principal's groups as Graph's getMemberGroups answers them; the
same directory, read from the groups' side, is the list of principals whose answer names a
group. The loopback server (armserver.py) answers this listing from that, as Microsoft Graph
does (Graph's "List group transitive members" reference): 200 with `value`
(each member's `@odata.type` and `id`, the types from the set's getByIds objects), pages of
`$top` (default 100, at most 999) linked by `@odata.nextLink`, and 404
Request_ResourceNotFound for a group the directory does not hold. So both ways of reading
memberships see one directory, and a fixture set needs no second copy of it.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlencode

from diagnose.testing.fixtures import FixtureSet

GROUP_MEMBERS = re.compile(r"^/v1\.0/groups/([0-9a-f-]{36})/transitiveMembers$", re.IGNORECASE)
MEMBER_GROUPS = re.compile(r"^/v1\.0/directoryObjects/([0-9a-f-]{36})/getMemberGroups$", re.I)
DEFAULT_PAGE, LARGEST_PAGE = 100, 999
GROUP_TYPE = "#microsoft.graph.group"


class Members:
    """The members of each group in a fixture set (built on first use)."""

    def __init__(self, fixtures: FixtureSet) -> None:
        self._fixtures = fixtures
        self._lock = threading.Lock()
        self._members: dict[str, list[str]] | None = None
        self._types: dict[str, str] = {}

    def answer(
        self, group_id: str, query: dict[str, str], base_url: str
    ) -> tuple[int, dict[str, Any]]:
        members = self._index().get(group_id.lower())
        if members is None:
            return 404, _error(
                "Request_ResourceNotFound",
                f"Resource '{group_id}' does not exist or one of its queried "
                "reference-property objects are not present.",
            )
        try:
            top = int(query.get("$top") or DEFAULT_PAGE)
            start = int(query.get("$skiptoken") or 0)
        except ValueError:
            return 400, _error("Request_BadRequest", "Invalid value for $top or $skiptoken.")
        if not 1 <= top <= LARGEST_PAGE or start < 0:
            return 400, _error("Request_BadRequest", f"Invalid page size {top}.")
        page = members[start : start + top]
        body: dict[str, Any] = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
            "value": [
                {"@odata.type": self._types.get(m, "#microsoft.graph.directoryObject"), "id": m}
                for m in page
            ],
        }
        if start + top < len(members):
            following = urlencode({**query, "$skiptoken": str(start + top)})
            body["@odata.nextLink"] = (
                f"{base_url}/v1.0/groups/{group_id}/transitiveMembers?{following}"
            )
        return 200, body

    def _index(self) -> dict[str, list[str]]:
        with self._lock:
            if self._members is None:
                self._members = self._build()
            return self._members

    def _build(self) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {}
        for exchange in self._fixtures.exchanges:
            if exchange.by_ids and isinstance(exchange.body, dict):
                for item in exchange.body.get("value") or []:
                    if isinstance(item, dict) and isinstance(item.get("id"), str):
                        key = item["id"].lower()
                        self._types[key] = str(item.get("@odata.type") or "")
                        if self._types[key].lower() == GROUP_TYPE:
                            found.setdefault(key, set())
            match = MEMBER_GROUPS.match(exchange.path) if exchange.method == "POST" else None
            if match is None or exchange.status != 200 or not isinstance(exchange.body, dict):
                continue
            for group in exchange.body.get("value") or []:
                if isinstance(group, str):
                    found.setdefault(group.lower(), set()).add(match.group(1).lower())
        return {group: sorted(members) for group, members in found.items()}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
