"""Files of the access index cache (diagnose.app.access_index): where they live, how one is
written and read back, and how an unchanged snapshot is recognised without hashing it again.

Where: $DIAGNOSE_CACHE_DIR, else the platform's user cache directory ($XDG_CACHE_HOME or
~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows) + ai-hub-diagnose. The
directory is made private (0700); one that another user owns or others can write is not used.

An index file is

    MAGIC | header length (8 bytes, big-endian) | SHA-256 of the header | header | blobs

where the header (JSON) names the snapshot's SHA-256, the tool's version and the format, and
holds the offset, length and SHA-256 of the blobs it names (JSON too), which name the others
the same way (diagnose.app.access_index: a question decodes a few KB, not a table of every
principal). Nothing is trusted beyond its hash: a header or blob whose hash differs, a short
file, a wrong version are a miss, and the snapshot is read again. The files hold plain JSON
(written by orjson; read by the standard library's json, which the command imports anyway,
where importing orjson would take longer than decoding the few KB a question reads), never
pickled objects: reading one cannot run code.

A snapshot is found by its content hash. So that a second question need not read and hash an
80 MB file again, the hash is remembered with the file's identity (device, inode, size,
modification and change times, as git's index does); a file whose identity differs is read
again, and one modified shortly before it was hashed (SETTLED_NS) is hashed again, since a
second write within the same tick of the file system's clock leaves its identity as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from diagnose import __version__

ENV_CACHE_DIR = "DIAGNOSE_CACHE_DIR"
APP_DIR = "ai-hub-diagnose"
MAGIC = b"AHDACX1\n"
FORMAT = 2
"""2: the header names the shared blobs and a few hundred bucket tables, each naming the
blobs of the principals that hash to it (format 1 named every principal's blob in the header:
600 KB decoded for each question on a 5,000-principal hub)."""
KEEP_INDEXES = 4
"""Index files kept (the most recently used): one per snapshot, tens of MB each for a large
hub."""
SETTLED_NS = 2_000_000_000
"""How long before its hash was taken a file must have last been modified for its identity
to tell any later write: a write within one tick of the file system's clock (a few ms on
Linux, 2 s on FAT) leaves the modification time as it was, and not every system has a change
time that any write moves (Windows' st_ctime is the creation time). The hash remembered for a
file changed more recently than that is checked against the content again (git's "racily
clean" entries)."""
_PREFIX = len(MAGIC) + 8 + 32


def cache_dir() -> Path:
    """The directory the access index cache lives in (not created here)."""
    chosen = os.environ.get(ENV_CACHE_DIR)
    if chosen:
        return Path(chosen)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_DIR
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / APP_DIR


def usable_dir(folder: Path) -> Path | None:
    """The cache directory, created private if missing; None when it cannot be made or is not
    ours alone (another user's, or writable by others: what they wrote there could answer
    our questions)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    if hasattr(os, "getuid") and (
        info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        return None
    return folder


# -- a snapshot's identity -----------------------------------------------------------------


def file_identity(info: os.stat_result) -> list[int]:
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def _memo_path(folder: Path, snapshot: Path) -> Path:
    name = hashlib.sha256(os.fsencode(snapshot)).hexdigest()[:40]
    return folder / f"{name}.path"


class Hashed(NamedTuple):
    digest: str
    """The SHA-256 of the content."""
    info: os.stat_result
    """The file's identity before it was read."""
    started_ns: int
    """The wall clock when the reading started."""


class Remembered(NamedTuple):
    digest: str
    settled: bool
    """The file had last been modified SETTLED_NS before it was hashed: a later write would
    have changed its identity. Otherwise the content must be hashed again to be sure."""


def remembered_hash(folder: Path, snapshot: Path, info: os.stat_result) -> Remembered | None:
    """The content hash remembered for this file, if its identity is unchanged."""
    try:
        memo = json.loads(_memo_path(folder, snapshot).read_bytes())
        if memo["path"] == os.fsdecode(snapshot) and memo["identity"] == file_identity(info):
            digest, started = memo["sha256"], memo["hashedAt"]
            if isinstance(digest, str) and len(digest) == 64 and isinstance(started, int):
                return Remembered(digest, info.st_mtime_ns + SETTLED_NS < started)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def remember_hash(folder: Path, snapshot: Path, hashed: Hashed) -> None:
    memo = {
        "path": os.fsdecode(snapshot),
        "identity": file_identity(hashed.info),
        "sha256": hashed.digest,
        "hashedAt": hashed.started_ns,
    }
    write_atomically(_memo_path(folder, snapshot), [json.dumps(memo).encode()])


# -- index files ---------------------------------------------------------------------------


def index_path(folder: Path, digest: str, variant: str) -> Path:
    version = "".join(c if c.isalnum() or c in ".-" else "_" for c in __version__)
    return folder / f"{digest}.f{FORMAT}.{version}.{variant}.idx"


@dataclass
class IndexFile:
    """An index file opened and its header verified; blobs are read (and verified) on
    demand."""

    path: Path
    header: dict[str, Any]
    header_length: int
    _stream: Any
    loads: Callable[[bytes], Any] = json.loads
    """The decoder: json for the few KB one question reads; read_everything() gives orjson,
    which decodes the whole index (90 MB on a large hub) in half the time."""

    def read_everything(self) -> None:
        """Every blob is about to be read (a long --batch indexes the whole snapshot)."""
        import orjson

        self.loads = orjson.loads

    def blob(self, entry: Any) -> Any:
        """The JSON value of a blob the header names as [offset, length, sha256]; ValueError
        when it does not match its hash."""
        offset, length, digest = entry
        if not (isinstance(offset, int) and isinstance(length, int) and min(offset, length) >= 0):
            raise ValueError("a malformed blob entry")
        self._stream.seek(_PREFIX + self.header_length + offset)
        data = self._stream.read(length)
        if len(data) != length or hashlib.sha256(data).hexdigest() != digest:
            raise ValueError("a blob does not match its hash")
        return self.loads(data)

    def close(self) -> None:
        self._stream.close()


def open_index(path: Path, digest: str) -> IndexFile | None:
    """The index file for a snapshot hash, verified; None when it is missing, not ours, or
    does not verify (a miss: the caller rebuilds it)."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 - kept open for the blobs, closed by close()
    except OSError:
        return None
    try:
        if not _ours(os.fstat(stream.fileno())):
            raise ValueError("not our file")
        prefix = stream.read(_PREFIX)
        if len(prefix) != _PREFIX or not prefix.startswith(MAGIC):
            raise ValueError("not an index file")
        length = int.from_bytes(prefix[len(MAGIC) : len(MAGIC) + 8], "big")
        raw = stream.read(length)
        if len(raw) != length or hashlib.sha256(raw).digest() != prefix[len(MAGIC) + 8 :]:
            raise ValueError("the header does not match its hash")
        header = json.loads(raw)
        if (
            not isinstance(header, dict)
            or header.get("format") != FORMAT
            or header.get("version") != __version__
            or header.get("snapshot") != digest
        ):
            raise ValueError("another snapshot, version or format")
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: kept when older ones are evicted
        return IndexFile(path, header, length, stream)
    except (OSError, ValueError, TypeError):
        stream.close()
        return None


def blob_entries(blobs: list[bytes], offset: int = 0) -> list[list[Any]]:
    """The [offset, length, sha256] entry of each blob, laid out one after the other (from
    offset) as write_index writes them: what IndexFile.blob reads one back by."""
    entries: list[list[Any]] = []
    for blob in blobs:
        entries.append([offset, len(blob), hashlib.sha256(blob).hexdigest()])
        offset += len(blob)
    return entries


def write_index(path: Path, header: dict[str, Any], blobs: list[bytes]) -> None:
    """Write an index: the header (holding the blob_entries of the blobs it names) and the
    blobs."""
    import orjson

    raw = orjson.dumps({**header, "format": FORMAT, "version": __version__})
    prefix = MAGIC + len(raw).to_bytes(8, "big") + hashlib.sha256(raw).digest()
    write_atomically(path, [prefix, raw, *blobs])
    _evict(path.parent)


def write_atomically(path: Path, chunks: list[bytes]) -> bool:
    """Write a file whole or not at all: a private temporary file renamed over the target,
    and only over a target this cache wrote (a regular file of ours; never a link, a
    directory or another user's file). No fsync: a file cut short by a crash fails its hash
    and is rebuilt. False when it was not written."""
    try:
        existing = os.lstat(path)
    except FileNotFoundError:
        existing = None
    except OSError:
        return False
    if existing is not None and not _ours(existing):
        return False
    import tempfile  # only when writing: a question answered from the cache writes nothing

    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
        os.replace(temporary, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False


def _ours(info: os.stat_result) -> bool:
    if not stat.S_ISREG(info.st_mode):
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _evict(folder: Path) -> None:
    """Keep the KEEP_INDEXES most recently used index files of ours, of any format and
    version (an older one's are never read again); leave anything else."""
    found: list[tuple[int, Path]] = []
    for path in _index_files(folder):
        with contextlib.suppress(OSError):
            info = os.lstat(path)
            if _ours(info):
                found.append((info.st_mtime_ns, path))
    found.sort(reverse=True)
    for _, path in found[KEEP_INDEXES:]:
        with contextlib.suppress(OSError):
            path.unlink()


def _index_files(folder: Path) -> Iterator[Path]:
    try:
        yield from folder.glob("*.f*.idx")
    except OSError:
        return


def sha256_of(path: Path) -> Hashed | None:
    """The content hash of a regular file, with its identity before reading; None when it
    changed while being read."""
    digest = hashlib.sha256()
    started = time.time_ns()
    with open(path, "rb") as stream:
        before = os.fstat(stream.fileno())
        while chunk := stream.read(1 << 22):
            digest.update(chunk)
    after = os.stat(path)
    if file_identity(after) != file_identity(before):
        return None
    return Hashed(digest.hexdigest(), before, started)
