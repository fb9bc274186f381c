"""Values computed once per object, found by the object's identity.

The checks hand the same lists of people to many needs and filters (every connection of a hub
shares its users), and a list is not hashable, nor is an equal list the same one. So answers
about a list are kept by its id, with the list itself beside the answer: while the entry lives
the list does too, and no other object can take its id.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ByIdentity(Generic[V]):
    """A memo keyed by the identity of some objects (and, optionally, a hashable tag)."""

    def __init__(self) -> None:
        self._found: dict[tuple[Hashable, ...], tuple[tuple[object, ...], V]] = {}

    def get(self, objects: tuple[object, ...], compute: Callable[[], V], tag: Hashable = None) -> V:
        key = (tag, *map(id, objects))
        found = self._found.get(key)
        # An entry keeps its objects alive, so no other object has any of their ids while it
        # lives: a key found is these very objects (a whole-plan round asks tens of
        # thousands of times; comparing them one by one again cost most of a look-up).
        if found is None:
            found = self._found[key] = (objects, compute())
        return found[1]

    def peek(self, objects: tuple[object, ...], tag: Hashable = None) -> V | None:
        """The value kept for these very objects, None when there is none (nothing is
        computed)."""
        found = self._found.get((tag, *map(id, objects)))
        return None if found is None else found[1]
