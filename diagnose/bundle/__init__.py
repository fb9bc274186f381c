"""The support bundle: one zip with everything Azure support needs to see what the tool saw.

`diagnose ... --bundle FILE.zip [--redact [--redaction-map MAP.json]]` writes:

    snapshot.json     the snapshot v1 the findings come from (at the root, so
                      `diagnose --snapshot FILE.zip` replays the bundle)
    report.json       the JSON report (report v1), as `--json` prints it
    report.md         the Markdown report
    environment.json  tool, Python and package versions, OS, creation time (environment.py)
    command.json      {"argv": [...], "redacted": bool}: the command line, secrets removed
    requests.jsonl    one JSON object per request made (method, path, query, status,
                      duration, x-ms-request-id and x-ms-correlation-request-id); empty for
                      --snapshot and --demo runs
    manifest.json     SHA-256 and size of every other file, the bundle format version,
                      whether the bundle is redacted (manifest.py)

JSON members use sorted keys and UTF-8; the zip has fixed timestamps; the same run gives the
same bytes (environment.json's createdAt aside; SOURCE_DATE_EPOCH fixes it).

Order of work, so that nothing unsafe is ever written:

1. Credentials are scrubbed from the snapshot, the request log and the command line
   (diagnose/secrets/), redacted or not.
2. With --redact, the scrubbed data is redacted (the redact package, diagnose/bundle/redact/)
   with one Redactor, so an id gets the same alias in every file.
3. The reports are rendered (through the report format registry) by re-running the checks
   on exactly the snapshot that goes into the bundle, through the application layer
   (diagnose.app.diagnose_snapshot; when scrubbing changed nothing and there is no
   redaction, the Diagnosis's own report is used): the bundled reports are what an engineer
   gets by replaying the bundle, and with --redact they contain aliases only. The re-run
   keeps the checks that ran (from the report), the creator the Diagnosis resolved on the
   original snapshot and what --principal and --personas resolved to (the focus and the
   declared personas, as object ids: aliased with --redact, where the personas file's name
   is hidden as the command line hides every path).
   A replay with plain `diagnose --snapshot FILE.zip` runs every check, so it matches the
   bundled report exactly when the original run selected none.
4. The rendered reports are scrubbed too (a no-op unless a check echoes a credential).
5. The zip is written atomically; then, only when asked, the redaction map (alias ->
   original, plus the key so the customer can reuse it through DIAGNOSE_REDACTION_KEY) is
   written to its own file, readable by its owner only. The key is never in the zip.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from diagnose.app import DiagnoseOptions, Diagnosis, diagnose_snapshot
from diagnose.bundle.environment import environment
from diagnose.bundle.manifest import (
    MANIFEST_NAME,
    dump_json,
    manifest,
    write_zip,
)
from diagnose.bundle.redact import Redactor, key_fingerprint, load_key, well_known_guids
from diagnose.engine.api import PrincipalRef
from diagnose.engine.personas import Declarations
from diagnose.errors import BadInput
from diagnose.outfile import check_writable, open_output, write_bytes
from diagnose.report.formats import render_report
from diagnose.secrets import scrub_argv, scrub_document, scrub_json, scrub_request

__all__ = ["MEMBERS", "REDACTED_SOURCE", "check_output_paths", "write_bundle"]

MEMBERS = (
    "snapshot.json",
    "report.json",
    "report.md",
    "environment.json",
    "command.json",
    "requests.jsonl",
    MANIFEST_NAME,
)
REDACTED_SOURCE = "snapshot.json"
"""The snapshot source named in the reports of a redacted bundle (never a local path)."""


def write_bundle(
    path: str | os.PathLike[str],
    run: Diagnosis,
    *,
    argv: Sequence[str],
    redact: bool = False,
    redaction_map: str | os.PathLike[str] | None = None,
) -> None:
    """Write the support bundle of a Diagnosis to path.

    argv is the command line (without the program name), kept for the record only: what the
    re-run needs (the checks that ran, the creator, the focus and declared personas) is in
    the Diagnosis. Raises BadInput
    (exit 2) when a path cannot be written or the redaction key is unusable.
    """
    bundle_path, map_path = check_output_paths(path, redaction_map, redact=redact)
    snapshot_data = scrub_json(run.snapshot.data)
    requests = [scrub_request(_plain(entry)) for entry in run.requests or ()]
    command = scrub_argv([str(a) for a in argv])
    rerun_options = _rerun_options(run)
    declared = run.declarations
    fingerprint: str | None = None
    redactor: Redactor | None = None
    key = b""
    if redact:
        key, _ = load_key()
        fingerprint = key_fingerprint(key)
        redactor = Redactor(key, well_known_guids(snapshot_data))
        redactor.learn(snapshot_data, requests)
        snapshot_data = redactor.snapshot(snapshot_data)
        requests = redactor.requests(requests)
        command = redactor.argv(command)
        if rerun_options.creator:
            rerun_options = dataclasses.replace(
                rerun_options, creator=redactor.guid(rerun_options.creator)
            )
        if declared is not None:
            declared = _redacted_declarations(declared, redactor, snapshot_data)
        result = _rerun(rerun_options, snapshot_data, REDACTED_SOURCE, requests, declared)
    elif snapshot_data != run.snapshot.data:
        result = _rerun(rerun_options, snapshot_data, run.snapshot.source, requests, declared)
    else:
        result = run
    members = {
        "snapshot.json": dump_json(snapshot_data),
        "report.json": scrub_document(render_report(result.report, "json")).encode(),
        "report.md": scrub_document(render_report(result.report, "markdown")).encode(),
        "environment.json": dump_json(scrub_json(environment())),
        "command.json": dump_json({"argv": command, "redacted": redact}),
        "requests.jsonl": "".join(
            json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
            for entry in requests
        ).encode(),
    }
    members[MANIFEST_NAME] = dump_json(
        manifest(members, redacted=redact, key_fingerprint=fingerprint)
    )
    with open_output(bundle_path, private=True, flag="--bundle") as stream:
        write_zip(stream, members)
    if redactor is not None and map_path is not None:
        document = {
            "format": "ai-hub-diagnose redaction map",
            "version": 1,
            "bundle": bundle_path.name,
            "keyFingerprint": fingerprint,
            "key": key.hex(),
            "note": "Keep this file private: it turns the bundle's aliases back into your "
            "ids and names. Set DIAGNOSE_REDACTION_KEY to `key` to get the same "
            "aliases in a later bundle.",
            "aliases": redactor.mapping,
        }
        write_bytes(map_path, dump_json(document), private=True, flag="--redaction-map")


def check_output_paths(
    bundle: str | os.PathLike[str], redaction_map: Any = None, *, redact: bool = False
) -> tuple[Path, Path | None]:
    """The bundle and map paths, or BadInput saying why they cannot be written. Cheap: the
    CLI may call it before running the checks."""
    bundle_path = _writable(bundle, "--bundle")
    map_path = None
    if redaction_map:
        if not redact:
            raise BadInput("--redaction-map needs --redact", fix="add --redact")
        map_path = _writable(redaction_map, "--redaction-map")
        if map_path.resolve() == bundle_path.resolve():
            raise BadInput(
                "--redaction-map and --bundle name the same file",
                where=str(map_path),
                fix="keep the map in a separate file: it undoes the redaction",
            )
    return bundle_path, map_path


def _writable(value: str | os.PathLike[str], flag: str) -> Path:
    text = os.fspath(value)
    if not text.strip():
        raise BadInput(f"{flag} needs a file name", fix=f"e.g. {flag} support.zip")
    check_writable(text, flag)
    return Path(text).expanduser()


def _plain(entry: Any) -> Any:
    if isinstance(entry, dict | list | str | int | float | bool) or entry is None:
        return entry
    from diagnose.jsonable import to_jsonable

    return to_jsonable(entry)


def _rerun_options(run: Diagnosis) -> DiagnoseOptions:
    """The run's checks and creator, for re-running them on the bundled snapshot: the checks
    that ran (from the report, so a check that failed to load is not asked for by name) and
    the creator's object id, as the run resolved it."""
    checks = list(run.report.target.get("checks") or [])
    if checks:
        return DiagnoseOptions(select=(",".join(checks),), creator=run.creator)
    ignore = (",".join(sorted({c.id for c in run.checks})),) if run.checks else ()
    return DiagnoseOptions(ignore=ignore, creator=run.creator)  # nothing ran: run nothing


def _redacted_declarations(
    declared: Declarations, redactor: Redactor, snapshot: dict[str, Any]
) -> Declarations:
    """The focus and the declared personas of a run, for its re-run on the redacted snapshot:
    object ids aliased, the focus named as the redacted snapshot names it, and the personas
    file's name hidden like any path of the command line."""
    names = {
        str(entry.get("id") or "").lower(): entry.get("displayName") or None
        for entry in snapshot.get("principals") or ()
        if isinstance(entry, dict)
    }

    def alias(principal_id: str) -> str:
        return str(redactor.walk(principal_id, "id"))  # as the snapshot's principals get it

    def aliased(principal: PrincipalRef) -> PrincipalRef:
        found = alias(principal.id)
        return PrincipalRef(found, principal.type, names.get(found.lower()))

    flag, _, name = declared.source.partition(" ")
    return Declarations(
        personas={alias(i).lower(): persona for i, persona in declared.personas.items()},
        source=" ".join(redactor.argv([flag, name])) if name else redactor.text(flag),
        focus=tuple(aliased(p) for p in declared.focus),
    )


def _rerun(
    options: DiagnoseOptions,
    data: dict[str, Any],
    source: str,
    requests: list[Any],
    declared: Declarations | None,
) -> Diagnosis:
    from diagnose.snapshot import parse_snapshot

    return diagnose_snapshot(
        parse_snapshot(data, source), options, requests=requests, declared=declared
    )
