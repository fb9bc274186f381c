"""Recorded ARM and Microsoft Graph exchanges: what a request was and what Azure answered.

A fixture set is a directory with an `exchanges.json` manifest:

    {
      "extends": "hub-basic",                       (optional: a sibling set to start from)
      "exchanges": [
        {"request": {"method": "GET", "path": "/subscriptions/.../workspaces/hub-ai",
                     "query": {"api-version": "2024-10-01"}},
         "response": {"status": 200, "file": "arm/hub-ai.json"}},
        {"request": {"method": "POST", "path": "/v1.0/directoryObjects/getByIds",
                     "json": {"ids": ["..."], "types": ["user", "group", "servicePrincipal"]}},
         "response": {"status": 403, "json": {"error": {"code": "...", "message": "..."}},
                      "headers": {"Retry-After": "1"}}}
      ],
      "remove": [{"method": "GET", "path": "...", "query": {...}}]      (optional)
    }

A response with "byIds": true (Graph getByIds, matched on any body) answers with just the
objects whose ids the request asked for.

Response bodies are ARM (or Graph) JSON exactly as the service returns them, kept in files
next to the manifest. A request in an extending set replaces the base set's exchange with the
same method, path (compared case-insensitively), query and JSON body. Paths under /v1.0/ are
Microsoft Graph; all others are ARM. Bodies name the real hosts (https://management.azure.com,
https://graph.microsoft.com); the loopback server rewrites them to itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ARM_HOST = "https://management.azure.com"
GRAPH_HOST = "https://graph.microsoft.com"
MANIFEST = "exchanges.json"


def fixtures_root() -> Path:
    """The repository's fixtures/arm directory (next to the package in a source checkout,
    else under the current directory)."""
    beside = Path(__file__).resolve().parents[2] / "fixtures" / "arm"
    return beside if beside.is_dir() else Path.cwd() / "fixtures" / "arm"


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    has_json: bool = False
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    by_ids: bool = False
    """Graph getByIds: answer with the objects of `body.value` whose id was asked for, in any
    batch, as Graph does (the collector's batches depend on timing)."""

    def body_for(self, request_json: Any) -> Any:
        if not self.by_ids or not isinstance(self.body, dict):
            return self.body
        wanted = {str(i).lower() for i in (request_json or {}).get("ids") or []}
        return dict(
            self.body,
            value=[
                o for o in self.body.get("value") or [] if str(o.get("id", "")).lower() in wanted
            ],
        )

    @property
    def service(self) -> str:
        return "graph" if self.path.lower().startswith("/v1.0/") else "arm"

    @property
    def host(self) -> str:
        return GRAPH_HOST if self.service == "graph" else ARM_HOST

    @property
    def key(self) -> tuple[Any, ...]:
        return request_key(self.method, self.path, self.query, self.json if self.has_json else None)

    def matches(self, method: str, path: str, query: dict[str, str], body: Any) -> bool:
        if method.upper() != self.method or normal_path(path) != normal_path(self.path):
            return False
        if query != self.query:
            return False
        return not self.has_json or body == self.json


def normal_path(path: str) -> str:
    return unquote(path).rstrip("/").lower()


def request_key(method: str, path: str, query: dict[str, str], body: Any) -> tuple[Any, ...]:
    return (
        method.upper(),
        normal_path(path),
        tuple(sorted(query.items())),
        json.dumps(body, sort_keys=True) if body is not None else None,
    )


@dataclass
class FixtureSet:
    name: str
    exchanges: list[Exchange]
    _index: dict[tuple[str, str], list[Exchange]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def find(self, method: str, path: str, query: dict[str, str], body: Any) -> Exchange | None:
        if self._index is None:  # by method and path: a scale scenario has thousands
            index: dict[tuple[str, str], list[Exchange]] = {}
            for item in self.exchanges:
                index.setdefault((item.method, normal_path(item.path)), []).append(item)
            self._index = index
        for exchange in self._index.get((method.upper(), normal_path(path)), []):
            if exchange.matches(method, path, query, body):
                return exchange
        return None

    def replaced(self, *exchanges: Exchange) -> FixtureSet:
        """A copy where these exchanges replace (or join) those with the same request."""
        return FixtureSet(self.name, _merge(self.exchanges, list(exchanges)))

    def without(self, *keys: tuple[Any, ...]) -> FixtureSet:
        drop = set(keys)
        return FixtureSet(self.name, [e for e in self.exchanges if e.key not in drop])


def load_fixture_set(name_or_path: str | Path) -> FixtureSet:
    directory = Path(name_or_path)
    if not directory.is_absolute() and not (directory / MANIFEST).exists():
        directory = fixtures_root() / directory
    manifest = json.loads((directory / MANIFEST).read_text("utf-8"))
    base: list[Exchange] = []
    if manifest.get("extends"):
        base = load_fixture_set(directory.parent / manifest["extends"]).exchanges
    removed = {
        request_key(r["method"], r["path"], r.get("query") or {}, r.get("json"))
        for r in manifest.get("remove") or []
    }
    base = [e for e in base if e.key not in removed]
    own = [_exchange(item, directory) for item in manifest.get("exchanges") or []]
    return FixtureSet(directory.name, _merge(base, own))


def _merge(base: list[Exchange], own: list[Exchange]) -> list[Exchange]:
    replacing = {e.key for e in own}
    return [e for e in base if e.key not in replacing] + own


def _exchange(item: dict[str, Any], directory: Path) -> Exchange:
    request, response = item["request"], item.get("response") or {}
    if "file" in response:
        body = json.loads((directory / response["file"]).read_text("utf-8"))
    else:
        body = response.get("json")
    return Exchange(
        method=request["method"].upper(),
        path=request["path"],
        query=dict(request.get("query") or {}),
        json=request.get("json"),
        has_json="json" in request,
        status=int(response.get("status", 200)),
        body=body,
        headers=dict(response.get("headers") or {}),
        by_ids=bool(response.get("byIds")),
    )


def exchange(
    method: str,
    path: str,
    query: dict[str, str] | None = None,
    *,
    json_body: Any = None,
    status: int = 200,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Exchange:
    """Build an exchange in code (benchmarks, tests that vary one response)."""
    return Exchange(
        method.upper(),
        path,
        dict(query or {}),
        json_body,
        json_body is not None,
        status,
        body,
        dict(headers or {}),
    )
