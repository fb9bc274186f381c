"""manifest.json and the zip itself.

The manifest lists every other member with its SHA-256 and size in bytes, the bundle format
version, the tool that wrote it and whether the bundle is redacted (with a fingerprint of the
redaction key: two redacted bundles share aliases exactly when their fingerprints match; the
fingerprint is an HMAC of a constant, it does not reveal the key).

The zip is deterministic: members in a fixed order, a fixed timestamp (1980-01-01, the zip
epoch), fixed permissions, deflate at a fixed level, no extra fields. The same content gives
the same bytes. diagnose.outfile writes it (a temporary file beside the target renamed into
place, so a failed write never leaves half a bundle behind); the file is readable by its owner
only (0600), like the redaction map: both hold tenant data.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from typing import IO, Any

from diagnose import TOOL_NAME, __version__

BUNDLE_FORMAT = 1
MANIFEST_NAME = "manifest.json"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def dump_json(value: Any) -> bytes:
    """Stable JSON: sorted keys, one-space indent, UTF-8, final newline."""
    return (json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def manifest(
    members: dict[str, bytes], *, redacted: bool, key_fingerprint: str | None
) -> dict[str, Any]:
    return {
        "bundleFormat": BUNDLE_FORMAT,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "redacted": redacted,
        "redactionKeyFingerprint": key_fingerprint,
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in members.items()
        },
    }


def write_zip(stream: IO[bytes], members: dict[str, bytes]) -> None:
    """Write the members, in order, as a zip into stream (from diagnose.outfile.open_output,
    which makes the file appear whole or not at all). An unseekable stream (a FIFO, a pipe)
    gets a valid zip too, with data descriptors after each member."""
    with zipfile.ZipFile(stream, "w") as bundle:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the permissions below are read
            info.external_attr = 0o100644 << 16
            bundle.writestr(info, data, compresslevel=6)
