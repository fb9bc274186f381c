"""Reading the snapshot out of a support bundle (a zip), within limits, and checking it against
the bundle's SHA-256 manifest.

The zip is refused before anything is decompressed when it could not have come from
`diagnose --bundle`: too many members, more bytes uncompressed than --max-input-bytes, a
member that expands more than MAX_COMPRESSION_RATIO times (a zip bomb), an encrypted member,
or two members with the same name (different tools would read different ones). Then every file
manifest.json lists is hashed (streamed, in bounded memory) and compared: a mismatch means the
bundle changed after it was written. That catches accidents and naive edits; anyone can write
a new manifest, so it proves nothing against a determined forger.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from diagnose.errors import BadInput
from diagnose.inputlimits import (
    MAX_COMPRESSION_RATIO,
    MAX_ZIP_MEMBERS,
    RATIO_CHECKED_ABOVE,
    too_large,
)
from diagnose.snapshot.reading import READ_CHUNK

SNAPSHOT_NAME = "snapshot.json"
MANIFEST_NAME = "manifest.json"
MAX_MANIFEST_BYTES = 1024**2
UNREADABLE_ZIP = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    NotImplementedError,
)
"""What zipfile raises on damaged or unusual archives (NotImplementedError: a compression
method it does not know)."""
IGNORE_FIX = (
    "ask for the bundle again, or read it anyway with --ignore-bundle-hashes: the "
    "report then says so"
)


@dataclass(frozen=True)
class BundleRead:
    """The snapshot member's bytes, where they came from, and what did not match the manifest
    (empty unless hashes are ignored: otherwise a mismatch is an error)."""

    raw: bytes
    source: str
    mismatches: tuple[str, ...]


def read_bundle(
    raw: bytes | bytearray, where: str, *, max_bytes: int, verify_hashes: bool
) -> BundleRead:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as bundle:
            infos = bundle.infolist()
            _check_shape(infos, max_bytes, where)
            snapshot = _snapshot_member(infos, where)
            source = f"{where}!{snapshot.filename}"
            data = _read_member(bundle, snapshot, source)
            prefix = snapshot.filename[: -len(SNAPSHOT_NAME)]
            mismatches = _check_manifest(bundle, infos, prefix, data, where)
    except BadInput:
        raise
    except UNREADABLE_ZIP as exc:
        raise BadInput(
            f"damaged zip file ({type(exc).__name__}: {exc})",
            where=where,
            fix="pass a bundle written by `diagnose --bundle`",
        ) from None
    if mismatches and verify_hashes:
        more = f" (and {len(mismatches) - 1} more)" if len(mismatches) > 1 else ""
        raise BadInput(f"{mismatches[0]}{more}", where=where, fix=IGNORE_FIX)
    return BundleRead(data, source, tuple(mismatches))


def _check_shape(infos: list[zipfile.ZipInfo], max_bytes: int, where: str) -> None:
    if len(infos) > MAX_ZIP_MEMBERS:
        raise BadInput(
            f"the zip has {len(infos)} members, more than the {MAX_ZIP_MEMBERS} "
            "a bundle may have (a bundle written by diagnose has 7)",
            where=where,
            fix="unzip it yourself and pass its snapshot.json",
        )
    twice = sorted(name for name, count in Counter(i.filename for i in infos).items() if count > 1)
    if twice:
        raise BadInput(
            f"the zip holds more than one member named {twice[0]!r}",
            where=where,
            fix="pass a bundle written by `diagnose --bundle`",
        )
    if sum(info.file_size for info in infos) > max_bytes:
        raise too_large("the zip's content, uncompressed,", max_bytes, where)
    for info in infos:
        if info.flag_bits & 0x1:
            raise BadInput(
                f"{info.filename!r} is encrypted; bundles never are",
                where=where,
                fix="unzip it yourself and pass its snapshot.json",
            )
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > RATIO_CHECKED_ABOVE and ratio > MAX_COMPRESSION_RATIO:
            raise BadInput(
                f"{info.filename!r} expands {ratio} times when uncompressed, more "
                f"than the {MAX_COMPRESSION_RATIO} a bundle ever needs (a zip bomb?)",
                where=where,
                fix="unzip it yourself, if you trust it, and pass its snapshot.json",
            )


def _snapshot_member(infos: list[zipfile.ZipInfo], where: str) -> zipfile.ZipInfo:
    found = [
        i
        for i in infos
        if not i.is_dir()
        and (i.filename == SNAPSHOT_NAME or i.filename.endswith("/" + SNAPSHOT_NAME))
    ]
    if not found:
        raise BadInput(
            f"this zip has no {SNAPSHOT_NAME}",
            where=where,
            fix="pass a bundle written by `diagnose --bundle`",
        )
    # the top-level snapshot.json, else the shallowest one (a zipped folder)
    return min(found, key=lambda i: (i.filename.count("/"), i.filename))


def _read_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> bytes:
    """The member's bytes; zipfile stops at the size the zip declares (checked above) and
    checks the CRC, so a member that lies about its size fails instead of growing."""
    try:
        return bundle.read(info)
    except RuntimeError as exc:  # zipfile's "encrypted, password required"
        raise BadInput(f"cannot be read ({exc})", where=source) from None


def _check_manifest(
    bundle: zipfile.ZipFile, infos: list[zipfile.ZipInfo], prefix: str, snapshot: bytes, where: str
) -> list[str]:
    """What does not match the manifest next to the snapshot. A zip with no manifest (a zipped
    snapshot, not a bundle) has nothing to check."""
    by_name = {info.filename: info for info in infos}
    manifest_info = by_name.get(prefix + MANIFEST_NAME)
    if manifest_info is None:
        return []
    listed = _listed_files(bundle, manifest_info, where)
    if isinstance(listed, str):
        return [listed]
    problems = []
    if SNAPSHOT_NAME not in listed:
        problems.append(f"{MANIFEST_NAME} does not list {SNAPSHOT_NAME}")
    for name, (digest, size) in sorted(listed.items()):
        info = by_name.get(prefix + name)
        if info is None:
            problems.append(f"{MANIFEST_NAME} lists {name!r}, which the bundle lacks")
            continue
        if name == SNAPSHOT_NAME:
            actual, actual_size = hashlib.sha256(snapshot).hexdigest(), len(snapshot)
        else:
            try:
                actual, actual_size = _sha256(bundle, info)
            except UNREADABLE_ZIP as exc:
                problems.append(f"{info.filename!r} cannot be read ({type(exc).__name__}: {exc})")
                continue
        if actual != digest or actual_size != size:
            problems.append(
                f"{info.filename!r} does not match its SHA-256 in {MANIFEST_NAME}: "
                "it changed after the bundle was written"
            )
    return problems


def _listed_files(
    bundle: zipfile.ZipFile, info: zipfile.ZipInfo, where: str
) -> dict[str, tuple[str, int]] | str:
    """{name: (sha256, size)} from manifest.json, or what is wrong with it."""
    from diagnose.snapshot.decode import decode_json

    damaged = f"{info.filename!r} is damaged"
    if info.file_size > MAX_MANIFEST_BYTES:
        return f"{damaged}: larger than {MAX_MANIFEST_BYTES} bytes"
    try:
        document: Any = decode_json(bundle.read(info), f"{where}!{info.filename}")
    except BadInput as exc:
        return f"{damaged}: {exc.what}"
    except UNREADABLE_ZIP as exc:
        return f"{damaged}: {type(exc).__name__}: {exc}"
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        return f'{damaged}: it has no "files" object'
    listed = {}
    for name, entry in files.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        size = entry.get("size") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or type(size) is not int:
            return f"{damaged}: the entry for {name!r} has no sha256 and size"
        listed[name] = (digest.lower(), size)
    return listed


def _sha256(bundle: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with bundle.open(info) as stream:
        while chunk := stream.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
