"""Many access questions about one snapshot, fast: the snapshot split by principal, kept in the
user's cache directory (diagnose.app.access_cache) so that the next `diagnose access` on the
same file reads only what its question needs.

An answer depends only on the principal and its groups (their role assignments and PIM
eligibilities), the deny assignments, the role definitions, the read errors and the
management group chains of the subscriptions (diagnose/rbac/evaluator.py). So the index keeps
those shared parts once, every principal (for names and group closures), and each principal's
own assignments and eligibilities apart; a question builds a model of the few principals in
its closure and asks the same evaluator the full model would (tests/test_access_index.py holds
the two to the same answers).

    book = open_book(source)        # the index from the cache, or the snapshot read once
    answer = book.answer(question)  # as diagnose.app.questions.access would answer it
    book.persist()                  # write the index for the next run (after answering)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import orjson

from diagnose.app.access_cache import (
    IndexFile,
    cache_dir,
    file_identity,
    index_path,
    open_index,
    remember_hash,
    remembered_hash,
    sha256_of,
    usable_dir,
    write_index,
)
from diagnose.app.questions import AccessAnswer, AccessQuestion, access_in
from diagnose.model.model import Model
from diagnose.model.resources import SUBSCRIPTION
from diagnose.snapshot import Snapshot

SHARED_KEYS = ("schemaVersion", "roleDefinitions", "denyAssignments", "errors")
MODELS_KEPT = 64
"""Models of principals kept between questions (--batch asks about the same people often)."""

Member = tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]
"""A principal's entry (None when the snapshot lists it only in assignments), its role
assignments and its PIM eligibilities, as the snapshot holds them."""


class Parts(Protocol):
    """The snapshot, split for questions."""

    def shared(self) -> dict[str, Any]: ...

    def principals(self) -> list[dict[str, Any]]: ...

    def member(self, principal_id: str) -> Member: ...


class SplitSnapshot:
    """The parts of a snapshot in memory (read just now)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._shared = {key: data[key] for key in SHARED_KEYS}
        self._shared["resources"] = [
            item
            for item in data["resources"]
            if str(item.get("type") or "").lower() == SUBSCRIPTION
        ]
        self._principals: list[dict[str, Any]] = data["principals"]
        self.entries: dict[str, dict[str, Any]] = {}
        for entry in self._principals:
            self.entries[entry["id"].lower()] = entry  # the last wins, as in the Directory
        self.held: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for index, key in enumerate(("roleAssignments", "roleEligibilities")):
            for item in data[key]:
                principal = item["properties"]["principalId"].lower()
                self.held.setdefault(principal, ([], []))[index].append(item)

    def shared(self) -> dict[str, Any]:
        return self._shared

    def principals(self) -> list[dict[str, Any]]:
        return self._principals

    def member(self, principal_id: str) -> Member:
        assignments, eligibilities = self.held.get(principal_id, ([], []))
        return self.entries.get(principal_id), assignments, eligibilities

    def blobs(self, digest: str, warnings: tuple[str, ...]) -> tuple[dict[str, Any], list[bytes]]:
        """The index file's header and blobs: the shared parts, the principals, then one
        blob per principal that has an entry, assignments or eligibilities."""
        blobs = [orjson.dumps(self._shared), orjson.dumps(self._principals)]
        members: dict[str, int] = {}
        for principal in dict.fromkeys([*self.entries, *self.held]):
            members[principal] = len(blobs)
            blobs.append(orjson.dumps(self.member(principal)))
        header = {
            "snapshot": digest,
            "warnings": list(warnings),
            "shared": 0,
            "principals": 1,
            "members": members,
        }
        return header, blobs


class IndexedSnapshot:
    """The parts of a snapshot read from its index file, each blob when first needed."""

    def __init__(self, index: IndexFile) -> None:
        self.index = index
        header = index.header
        self._blobs: list[Any] = header["blobs"]
        self._members: dict[str, int] = header["members"]
        if not isinstance(self._members, dict):
            raise ValueError("a malformed index")
        self._shared: dict[str, Any] | None = None

    def _blob(self, position: int) -> Any:
        return self.index.blob(self._blobs[position])

    def shared(self) -> dict[str, Any]:
        if self._shared is None:
            found = self._blob(self.index.header["shared"])
            if not isinstance(found, dict) or set(found) != {*SHARED_KEYS, "resources"}:
                raise ValueError("a malformed index")
            self._shared = found
        return self._shared

    def principals(self) -> list[dict[str, Any]]:
        found = self._blob(self.index.header["principals"])
        if not isinstance(found, list):
            raise ValueError("a malformed index")
        return found

    def member(self, principal_id: str) -> Member:
        position = self._members.get(principal_id)
        if position is None:
            return None, [], []
        entry, assignments, eligibilities = self._blob(position)
        if not (isinstance(assignments, list) and isinstance(eligibilities, list)):
            raise ValueError("a malformed index")
        return entry, assignments, eligibilities


class AccessBook:
    """Answers access questions about one snapshot, each from the part it needs."""

    def __init__(
        self,
        parts: Parts,
        warnings: tuple[str, ...] = (),
        *,
        reload: Callable[[], AccessBook] | None = None,
        save: Callable[[], None] | None = None,
        cached: bool = False,
    ) -> None:
        self.parts = parts
        self.warnings = warnings
        """What the user should know about how the snapshot was read."""
        self.cached = cached
        """Answered from an index file written by an earlier run."""
        self._reload = reload
        self._save = save
        self._base: Model | None = None
        self._models: dict[str, Model] = {}

    def answer(self, question: AccessQuestion) -> AccessAnswer:
        """As diagnose.app.questions.access answers it on the whole snapshot. An index file
        that turns out damaged is a miss: the snapshot is read again and the index rewritten."""
        try:
            return self._answer(question)
        except (ValueError, KeyError, TypeError, AttributeError, OSError):
            if self._reload is None:
                raise
            fresh = self._reload()
            self.__dict__.update(fresh.__dict__)
            return self._answer(question)

    def persist(self) -> None:
        """Write the index for the next run, once (nothing when it came from the cache or
        there is no usable cache directory)."""
        save, self._save = self._save, None
        if save is not None:
            save()

    def _answer(self, question: AccessQuestion) -> AccessAnswer:
        from diagnose.model.lookup import resolve_principal

        base = self._base_model()
        principal = resolve_principal(base, question.principal)
        model = self._models.get(principal)
        if model is None:
            if len(self._models) >= MODELS_KEPT:
                self._models.pop(next(iter(self._models)))
            model = self._models[principal] = self._model_of(base, principal)
        return access_in(model, question, principal_id=principal)

    def _base_model(self) -> Model:
        """Every principal and the shared parts, no assignment: names and group closures."""
        if self._base is None:
            data = {
                **self.parts.shared(),
                "principals": self.parts.principals(),
                "roleAssignments": [],
                "roleEligibilities": [],
            }
            self._base = Model(Snapshot(data))
        return self._base

    def _model_of(self, base: Model, principal: str) -> Model:
        """The principal and its groups, with their assignments and eligibilities."""
        entries: list[dict[str, Any]] = []
        assignments: list[dict[str, Any]] = []
        eligibilities: list[dict[str, Any]] = []
        for member in base.authorization.directory.closure(principal).via:
            entry, held, eligible = self.parts.member(member)
            if entry is not None:
                entries.append(entry)
            assignments += held
            eligibilities += eligible
        data = {
            **self.parts.shared(),
            "principals": entries,
            "roleAssignments": assignments,
            "roleEligibilities": eligibilities,
        }
        return Model(Snapshot(data))


def open_book(source: Any, *, use_cache: bool = True) -> AccessBook:
    """An AccessBook for a DemoSource or SnapshotSource: from the cached index when the
    snapshot has one, else read (and validated) now, with persist() writing its index."""
    from diagnose.app.sources import SnapshotSource

    if not isinstance(source, SnapshotSource):
        return _read(source)
    path = Path(source.path)
    try:
        info = os.stat(path)
    except OSError:
        return _read(source)  # load() says what is wrong with the path
    folder = usable_dir(cache_dir()) if use_cache else None
    if folder is None or not stat.S_ISREG(info.st_mode) or info.st_size > source.limits.max_bytes:
        return _read(source)
    absolute = path.resolve()
    variant = "h1" if source.limits.verify_hashes else "h0"
    digest = remembered_hash(folder, absolute, info)
    if digest is not None:
        index = open_index(index_path(folder, digest, variant), digest)
        if index is not None:
            try:
                parts = IndexedSnapshot(index)
                warnings = tuple(str(w) for w in index.header["warnings"])
            except (KeyError, TypeError, ValueError):
                index.close()
            else:
                return AccessBook(
                    parts, warnings, reload=lambda: _read(source, folder, info), cached=True
                )
    return _read(source, folder, info)


def _read(
    source: Any, folder: Path | None = None, seen: os.stat_result | None = None
) -> AccessBook:
    """Read and validate the snapshot; with a cache folder, persist() writes its index (when
    the file is still the one `seen` before it was read)."""
    from diagnose.app.sources import SnapshotSource, load

    snapshot = load(source).snapshot
    parts = SplitSnapshot(snapshot.data)
    save = None
    if folder is not None and isinstance(source, SnapshotSource):
        path = Path(source.path).resolve()
        variant = "h1" if source.limits.verify_hashes else "h0"

        def save() -> None:
            try:
                hashed = sha256_of(path)
            except OSError:
                return
            if hashed is None or seen is None or file_identity(hashed[1]) != file_identity(seen):
                return  # the file changed since it was read: index nothing
            digest, info = hashed
            header, blobs = parts.blobs(digest, snapshot.warnings)
            write_index(index_path(folder, digest, variant), header, blobs)
            remember_hash(folder, path, info, digest)

    return AccessBook(parts, snapshot.warnings, save=save)

