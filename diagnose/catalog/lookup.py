"""An operation name looked up in the provider operation catalogs (operations.json): its plane,
its spelling there, and the nearest catalogued names when it is not there.

`diagnose access` asks this before it evaluates anything, so that a data action asked as an
action (Owner's `*` would match it) or a misspelt operation (no role would match it) is refused
with the right flag or the likely name instead of answered. Lookups are case-insensitive, as
Azure matches operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class CatalogEntry:
    """An operation as the catalog spells it, and the planes it is listed in (one Key Vault
    operation is listed in both)."""

    name: str
    control: bool
    data: bool

    def in_plane(self, data_action: bool) -> bool:
        return self.data if data_action else self.control


@cache
def _listed() -> dict[str, tuple[str, bool, bool]]:
    """Lower-cased name -> (name, control, data), in the catalog's order: what one look-up
    needs, without an object for each of the thousands of operations (that took a
    millisecond or more of every `diagnose access` question)."""
    from diagnose.catalog import read_json

    catalog = read_json("operations.json")
    found: dict[str, tuple[str, bool, bool]] = {}
    for plane in ("controlPlane", "dataPlane"):
        data = plane == "dataPlane"
        for name in catalog[plane]:
            key = name.lower()
            known = found.get(key)
            if known is None:
                found[key] = (name, not data, data)
            else:
                found[key] = (known[0], known[1] or not data, known[2] or data)
    return found


@cache
def _entries() -> dict[str, CatalogEntry]:
    """Lower-cased name -> entry, in the catalog's order."""
    return {key: CatalogEntry(*listed) for key, listed in _listed().items()}


@cache
def _by_provider() -> dict[str, tuple[CatalogEntry, ...]]:
    grouped: dict[str, list[CatalogEntry]] = {}
    for key, entry in _entries().items():
        grouped.setdefault(key.split("/", 1)[0], []).append(entry)
    return {provider: tuple(entries) for provider, entries in grouped.items()}


def find_operation(operation: str) -> CatalogEntry | None:
    """The catalog's entry for an operation (any case), or None."""
    listed = _listed().get(operation.strip().lower())
    return CatalogEntry(*listed) if listed is not None else None


def provider_of(operation: str) -> str:
    return operation.strip().split("/", 1)[0]


def provider_is_catalogued(operation: str) -> bool:
    """Whether the catalogs hold the operations of this operation's provider namespace (then
    an operation missing from them is most likely misspelt)."""
    return provider_of(operation).lower() in _providers()


@cache
def _providers() -> frozenset[str]:
    return frozenset(key.split("/", 1)[0] for key in _listed())


def similar_operations(operation: str, limit: int = 3) -> list[CatalogEntry]:
    """The provider's catalogued operations nearest to `operation` by edit distance (at most
    `limit`, nearest first, none further than a third of the name): the "did you mean" of a
    misspelt name."""
    lowered = operation.strip().lower()
    candidates = _by_provider().get(lowered.split("/", 1)[0], ())
    bound = max(3, len(lowered) // 3)
    scored: list[tuple[int, str, CatalogEntry]] = []
    for entry in candidates:
        distance = bounded_distance(lowered, entry.name.lower(), bound)
        if distance is not None:
            scored.append((distance, entry.name.lower(), entry))
    scored.sort(key=lambda item: item[:2])
    return [entry for _, _, entry in scored[:limit]]


def bounded_distance(a: str, b: str, bound: int) -> int | None:
    """The Levenshtein distance of two strings when it is at most `bound`, else None.

    Operation names of one provider share long prefixes and suffixes, which cannot change the
    distance: they are cut first, so the table is built only over the part that differs."""
    if abs(len(a) - len(b)) > bound:
        return None
    start = 0
    shortest = min(len(a), len(b))
    while start < shortest and a[start] == b[start]:
        start += 1
    end = 0
    while end < shortest - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    if not a or not b:
        return len(a) + len(b) if len(a) + len(b) <= bound else None
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        if min(current) > bound:
            return None
        previous = current
    return previous[-1] if previous[-1] <= bound else None
