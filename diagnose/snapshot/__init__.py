"""Snapshot format v1: load, validate and save.

A snapshot is one JSON object holding a hub's Azure state as ARM returns it. It is the
contract between collection and everything after it: support bundles and offline replays
depend on it, so it is validated on load against snapshot-v1.schema.json, the one
definition of the format.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.inputlimits import DEFAULT_MAX_INPUT_BYTES

# What reads a file (the decoder, bundles and their zip reader) is imported by the functions
# that read one: a model of data already read (`diagnose access` from its cached index) needs
# only the Snapshot class.

SCHEMA_VERSION = 1
SCHEMA_FILE = "snapshot-v1.schema.json"
LIST_KEYS = (
    "resources",
    "roleDefinitions",
    "roleAssignments",
    "denyAssignments",
    "roleEligibilities",
    "principals",
    "errors",
)
BULK_KEYS = ("roleAssignments", "roleEligibilities")
"""Arrays checked item by item with the specialised validator in fast.py."""


@dataclass(frozen=True)
class Snapshot:
    """A validated snapshot: `data` is the JSON object itself, unknown keys included."""

    data: dict[str, Any]
    source: str = "<memory>"
    warnings: tuple[str, ...] = ()
    """What the user should know about how it was read (a bundle read despite a hash
    mismatch); the report carries the same through the snapshot's errors."""

    def list(self, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.data[key]
        return items

    @property
    def target(self) -> dict[str, Any]:
        return self.data.get("target") or {}


@cache
def schema() -> dict[str, Any]:
    from importlib import resources

    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _fast_validator():  # type: ignore[no-untyped-def]
    import copy

    from diagnose.snapshot.compiled import compile_schema

    # fastjsonschema rewrites the $refs of the dict it is given: give it a copy, so schema()
    # stays the document itself.
    return compile_schema(copy.deepcopy(schema()))


def empty_snapshot() -> dict[str, Any]:
    return {"schemaVersion": SCHEMA_VERSION, **{key: [] for key in LIST_KEYS}}


def parse_snapshot(
    data: Any, source: str = "<memory>", *, bulk_depth_unchecked: bool = False
) -> Snapshot:
    """Validate a decoded JSON value as a snapshot v1, or raise BadInput naming the JSON path.

    bulk_depth_unchecked: the value was decoded with decode_json(apart=BULK_KEYS), so the
    nesting of those arrays' items is checked here, before anything else is said about them
    (as decode_json would have refused them first)."""
    if not isinstance(data, dict):
        raise BadInput(
            f"a snapshot is a JSON object, this is a {_json_type(data)}",
            where=source,
            fix="pass a file written by `diagnose collect`",
        )
    from diagnose.snapshot.decode import too_deep_item
    from diagnose.snapshot.fast import (
        INVALID,
        all_flat,
        unflat,
        valid_principal,
        valid_resource,
        valid_role_definition,
    )

    # One pass over the bulk arrays both validates their items and (for those decode_json
    # left apart) checks their nesting, which is said before anything else about them. An
    # array whose items are all proven flat (the usual case, at C speed) needs no such pass.
    invalid = False
    for key in BULK_KEYS:
        items = data.get(key)
        if type(items) is not list or all_flat(items):
            continue
        for item, shape in unflat(items):
            if bulk_depth_unchecked:
                too_deep = too_deep_item(item, source)
                if too_deep is not None:
                    raise too_deep
            invalid = invalid or shape == INVALID
    version = data.get("schemaVersion")
    if version != SCHEMA_VERSION:
        raise BadInput(
            f"$.schemaVersion is {version!r}; this version of the tool reads snapshot version 1",
            where=source,
            fix="collect the snapshot again with this version of ai-hub-diagnose, or install "
            "the version that wrote it",
        )
    import fastjsonschema

    # The generic validator is left what the specialised ones did not accept (and explains
    # any refusal from the whole document, below).
    bulk = {key: data.get(key) for key in BULK_KEYS}
    light = {**data, **{key: [] for key, value in bulk.items() if type(value) is list}}
    for key, valid in (
        ("principals", valid_principal),
        ("resources", valid_resource),
        ("roleDefinitions", valid_role_definition),
    ):
        items = data.get(key)
        if type(items) is list and all(map(valid, items)):
            light[key] = []
    try:
        _fast_validator()(light)
    except fastjsonschema.JsonSchemaException:
        raise _explain_invalid(data, source) from None
    if invalid:
        raise _explain_invalid(data, source)
    return Snapshot(data, source)


def _explain_invalid(data: Any, source: str) -> BadInput:
    """The slow, precise validator, run only once the fast one has said no."""
    import jsonschema

    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema()).iter_errors(data))
    if error is None:  # the two validators disagree: report what the fast one saw
        return BadInput("the snapshot does not match the snapshot v1 schema", where=source)
    path = json_path(error.absolute_path)
    return BadInput(
        f"{path}: {_short_message(error)}",
        where=source,
        fix="`diagnose schema snapshot` prints the format",
    )


MAX_MESSAGE = 200


def _short_message(error: Any) -> str:
    """The validator's message, with a long offending value cut short (it may be a whole
    object)."""
    message = " ".join(str(error.message).split())
    if len(message) <= MAX_MESSAGE:
        return message
    shown = " ".join(repr(error.instance).split())
    if len(shown) > 60 and shown in message:
        message = message.replace(shown, shown[:57] + "...", 1)
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def json_path(parts: Any) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _json_type(value: Any) -> str:
    return {
        list: "list",
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def load_snapshot(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES, verify_hashes: bool = True
) -> Snapshot:
    """Read a snapshot from a JSON file or from a support bundle (.zip), reading at most
    max_bytes (--max-input-bytes) and, for a bundle, checking its manifest's SHA-256 hashes.
    With verify_hashes=False (--ignore-bundle-hashes) a mismatch is no error: it is recorded
    in the snapshot's errors, so every report says so, and in Snapshot.warnings."""
    from diagnose.snapshot.archive import read_bundle
    from diagnose.snapshot.codes import HASH_MISMATCH_CODE
    from diagnose.snapshot.decode import decode_json
    from diagnose.snapshot.reading import read_bounded

    path = Path(path)
    source = str(path)
    try:
        raw = read_bounded(path, max_bytes)
    except FileNotFoundError:
        raise BadInput(
            "no such file",
            where=source,
            fix="check the path, or run `diagnose --demo` to try the tool",
        ) from None
    except IsADirectoryError:
        raise BadInput("is a directory, not a snapshot file", where=source) from None
    except PermissionError:
        raise BadInput("cannot be read (permission denied)", where=source) from None
    except OSError as exc:
        raise BadInput(f"cannot be read ({exc.strerror or exc})", where=source) from None
    if not _is_zip(raw):
        return parse_snapshot(
            decode_json(raw, source, apart=BULK_KEYS), source, bulk_depth_unchecked=True
        )
    bundle = read_bundle(raw, source, max_bytes=max_bytes, verify_hashes=verify_hashes)
    snapshot = parse_snapshot(
        decode_json(bundle.raw, bundle.source, apart=BULK_KEYS),
        bundle.source,
        bulk_depth_unchecked=True,
    )
    if not bundle.mismatches:
        return snapshot
    warnings = tuple(
        f"{source}: {problem} (read anyway: --ignore-bundle-hashes)"
        for problem in bundle.mismatches
    )
    # no local path in the scope: a redacted bundle made from this snapshot would carry it
    snapshot.data["errors"] = [
        *snapshot.data["errors"],
        *(
            {
                "scope": "support bundle",
                "operation": "check the files against manifest.json",
                "status": None,
                "code": HASH_MISMATCH_CODE,
                "message": f"{problem}; read anyway because --ignore-bundle-hashes was given",
            }
            for problem in bundle.mismatches
        ),
    ]
    return dataclasses.replace(snapshot, warnings=warnings)


def _is_zip(raw: bytes | bytearray) -> bool:
    """A zip starts with a local header, or (a self-extracting or odd one) has an end record:
    a JSON snapshot starts with "{" or whitespace, so it is never mistaken for one."""
    if raw[:2] == b"PK":
        return True
    import io
    import zipfile

    first = bytes(raw[:1])
    return first not in (b"{", b" ", b"\n", b"\r", b"\t") and zipfile.is_zipfile(io.BytesIO(raw))


def dump_snapshot(data: dict[str, Any]) -> str:
    """Stable, readable JSON for a snapshot (sorted keys keep diffs and hashes meaningful)."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
