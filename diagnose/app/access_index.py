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
import re
import stat
import zlib
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from diagnose.app.access_cache import (
    IndexFile,
    blob_entries,
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
from diagnose.rbac import Evaluator
from diagnose.snapshot import Snapshot

SHARED_KEYS = ("schemaVersion", "roleDefinitions", "denyAssignments", "errors")
WHOLE_AFTER = 32
"""Principals asked about after which a book indexes the whole snapshot once and answers
every later question from it (a long --batch): a model per principal costs a few
milliseconds, a question on the whole model a fraction of one."""

Member = tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]
"""A principal's entry (None when the snapshot lists it only in assignments), its role
assignments and its PIM eligibilities, as the snapshot holds them."""
BUCKET_SIZE = 16
"""Principals per bucket table of an index file (about 2 KB to decode for each principal a
question's closure holds)."""
GUID = re.compile(r"\A[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")


class Parts(Protocol):
    """The snapshot, split for questions."""

    def shared(self) -> dict[str, Any]: ...

    def principals(self) -> list[dict[str, Any]]: ...

    def member(self, principal_id: str) -> Member: ...

    def members(self) -> list[str]:
        """Every principal id with an entry, assignments or eligibilities."""
        ...


def _model(shared: dict[str, Any], principals: list[dict[str, Any]], *held: list[Any]) -> Model:
    assignments, eligibilities = held or ([], [])
    data = {
        **shared,
        "principals": principals,
        "roleAssignments": assignments,
        "roleEligibilities": eligibilities,
    }
    return Model(Snapshot(data))


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

    def members(self) -> list[str]:
        return list(dict.fromkeys([*self.entries, *self.held]))

    def blobs(self, digest: str, warnings: tuple[str, ...]) -> tuple[dict[str, Any], list[bytes]]:
        """The index file's header and blobs: the shared parts, the principals, the ids of
        the principals that have an entry, assignments or eligibilities (in order), one blob
        for each of those, then the bucket tables that name them (bucket_of)."""
        import orjson  # only when an index is written: reading one needs the json module

        members = self.members()
        blobs = [orjson.dumps(self._shared), orjson.dumps(self._principals), orjson.dumps(members)]
        count = max(1, len(members) // BUCKET_SIZE)
        buckets: list[dict[str, int]] = [{} for _ in range(count)]
        for principal in members:
            buckets[bucket_of(principal, count)][principal] = len(blobs)
            blobs.append(orjson.dumps(self.member(principal)))
        entries = blob_entries(blobs)
        tables = [orjson.dumps({p: entries[at] for p, at in b.items()}) for b in buckets]
        end = entries[-1][0] + entries[-1][1]
        header = {
            "snapshot": digest,
            "warnings": list(warnings),
            "shared": entries[0],
            "principals": entries[1],
            "members": entries[2],
            "buckets": blob_entries(tables, end),
        }
        return header, blobs + tables


class IndexedSnapshot:
    """The parts of a snapshot read from its index file, each blob when first needed."""

    def __init__(self, index: IndexFile) -> None:
        self.index = index
        self._buckets: list[Any] = index.header["buckets"]
        if not isinstance(self._buckets, list) or not self._buckets:
            raise ValueError("a malformed index")
        self._tables: dict[int, dict[str, Any]] = {}
        self._shared: dict[str, Any] | None = None

    def _blob(self, name: str) -> Any:
        return self.index.blob(self.index.header[name])

    def shared(self) -> dict[str, Any]:
        if self._shared is None:
            found = self._blob("shared")
            if not isinstance(found, dict) or set(found) != {*SHARED_KEYS, "resources"}:
                raise ValueError("a malformed index")
            self._shared = found
        return self._shared

    def principals(self) -> list[dict[str, Any]]:
        found = self._blob("principals")
        if not isinstance(found, list):
            raise ValueError("a malformed index")
        return found

    def members(self) -> list[str]:
        self.index.read_everything()  # only the whole snapshot's model asks for every one
        found = self._blob("members")
        if not isinstance(found, list):
            raise ValueError("a malformed index")
        return found

    def member(self, principal_id: str) -> Member:
        bucket = bucket_of(principal_id, len(self._buckets))
        table = self._tables.get(bucket)
        if table is None:
            table = self.index.blob(self._buckets[bucket])
            if not isinstance(table, dict):
                raise ValueError("a malformed index")
            self._tables[bucket] = table
        where = table.get(principal_id)
        if where is None:  # in no list of the snapshot
            return None, [], []
        entry, assignments, eligibilities = self.index.blob(where)
        if not (isinstance(entry, dict | None) and isinstance(assignments, list)):
            raise ValueError("a malformed index")
        if not isinstance(eligibilities, list):
            raise ValueError("a malformed index")
        return entry, assignments, eligibilities


def bucket_of(principal_id: str, count: int) -> int:
    """The bucket table of an index file that names a principal's blob: a hash that is the
    same in every process (str hashes are salted per process)."""
    return zlib.crc32(principal_id.encode("utf-8", "surrogatepass")) % count


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
        self._models: dict[str, tuple[Model, Evaluator]] = {}
        self._whole: tuple[Model, Evaluator] | None = None

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
        principal = self._resolve(question.principal)
        found = self._whole or self._models.get(principal)
        if found is None:
            if len(self._models) < WHOLE_AFTER:
                model = self._model_of(principal)
                found = self._models[principal] = (model, Evaluator(model.authorization))
            else:
                model = _model(self.parts.shared(), *self._everything())
                found = self._whole = (model, Evaluator(model.authorization))
                self._models.clear()
        model, evaluator = found
        return access_in(model, question, principal_id=principal, evaluator=evaluator)

    def _everything(self) -> tuple[list[Any], list[Any], list[Any]]:
        """Every principal, assignment and eligibility, each principal's together."""
        principals = self.parts.principals()
        assignments: list[dict[str, Any]] = []
        eligibilities: list[dict[str, Any]] = []
        for member in self.parts.members():
            _, held, eligible = self.parts.member(member)
            assignments += held
            eligibilities += eligible
        return principals, assignments, eligibilities

    def _resolve(self, text: str) -> str:
        """The object id of --principal, found as diagnose.model.lookup finds it on the whole
        snapshot: it is asked on the principals whose names could match (the same answer,
        the same messages), without indexing every principal."""
        if GUID.match(text.strip()):
            return text.strip().lower()
        from diagnose.model.lookup import resolve_principal  # and diagnose.safe: names only

        lowered = text.strip().lower()
        latest = {entry["id"].lower(): entry for entry in self.parts.principals()}
        candidates = [
            entry
            for entry in latest.values()
            if lowered
            in {
                str(entry.get(key) or "").lower()
                for key in ("displayName", "userPrincipalName", "mail")
            }
        ]
        return resolve_principal(_model(self.parts.shared(), candidates), text)

    def _model_of(self, principal: str) -> Model:
        """The principal and its groups (followed through the entries' memberOf as
        diagnose.model.principals.Directory follows them), with their assignments and
        eligibilities. The model's own directory then computes the closure, its doubts
        included, from exactly the entries the whole snapshot's would use."""
        entries: list[dict[str, Any]] = []
        assignments: list[dict[str, Any]] = []
        eligibilities: list[dict[str, Any]] = []
        queue, seen = deque([principal]), {principal}
        while queue:
            entry, held, eligible = self.parts.member(queue.popleft())
            assignments += held
            eligibilities += eligible
            if entry is None:
                continue
            entries.append(entry)
            for group in entry.get("memberOf") or ():
                key = str(group).lower()
                if key not in seen:
                    seen.add(key)
                    queue.append(key)
        return _model(self.parts.shared(), entries, assignments, eligibilities)


def open_book(source: Any, *, use_cache: bool = True) -> AccessBook:
    """An AccessBook for a DemoSource or SnapshotSource: from the cached index when the
    snapshot has one, else read (and validated) now, with persist() writing its index."""
    from diagnose.app.sources import SnapshotSource

    if not isinstance(source, SnapshotSource):
        return _read(lambda: source)
    return open_snapshot_book(
        source.path,
        max_bytes=source.limits.max_bytes,
        verify_hashes=source.limits.verify_hashes,
        use_cache=use_cache,
    )


def open_snapshot_book(
    path_text: str, *, max_bytes: int, verify_hashes: bool, use_cache: bool = True
) -> AccessBook:
    """open_book for a snapshot file: what a front end calls so that a question answered
    from the cache imports nothing it does not need (the sources import the collector)."""

    def source() -> Any:
        from diagnose.app.sources import InputLimits, SnapshotSource

        return SnapshotSource(path_text, InputLimits(max_bytes, verify_hashes))

    path = Path(path_text)
    try:
        info = os.stat(path)
    except OSError:
        return _read(source)  # load() says what is wrong with the path
    folder = _cache_folder() if use_cache else None
    if folder is None or not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        return _read(source)
    absolute = path.resolve()
    variant = "h1" if verify_hashes else "h0"
    remembered = remembered_hash(folder, absolute, info)
    digest = remembered.digest if remembered is not None else None
    if remembered is not None and not remembered.settled:
        digest = _hash_again(folder, absolute, info)
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
                    parts,
                    warnings,
                    reload=lambda: _read(source, (folder, absolute, variant, info)),
                    cached=True,
                )
    return _read(source, (folder, absolute, variant, info))


def _hash_again(folder: Path, path: Path, info: os.stat_result) -> str | None:
    """The content hash of a file whose remembered hash its identity cannot vouch for (it
    was modified just before it was hashed), remembered anew; None when it changed while
    being read (then it is read as a file never seen)."""
    try:
        hashed = sha256_of(path)
    except OSError:
        return None
    if hashed is None or file_identity(hashed.info) != file_identity(info):
        return None
    remember_hash(folder, path, hashed)
    return hashed.digest


def _cache_folder() -> Path | None:
    try:
        return usable_dir(cache_dir())
    except (RuntimeError, OSError, KeyError):  # no home directory to keep a cache in
        return None


def _read(
    source: Callable[[], Any], cache: tuple[Path, Path, str, os.stat_result] | None = None
) -> AccessBook:
    """Read and validate the snapshot; with a cache (folder, snapshot path, variant, the
    file's identity before it was read), persist() writes its index, when the file is still
    the one that was read."""
    from diagnose.app.sources import load

    snapshot = load(source()).snapshot
    parts = SplitSnapshot(snapshot.data)
    if cache is None:
        return AccessBook(parts, snapshot.warnings)
    folder, path, variant, seen = cache

    def save() -> None:
        try:
            hashed = sha256_of(path)
        except OSError:
            return
        if hashed is None or file_identity(hashed.info) != file_identity(seen):
            return  # the file changed since it was read: index nothing
        header, blobs = parts.blobs(hashed.digest, snapshot.warnings)
        write_index(index_path(folder, hashed.digest, variant), header, blobs)
        remember_hash(folder, path, hashed)

    return AccessBook(parts, snapshot.warnings, save=save)
