"""Reports as inputs: a finding told by its id, whether it comes from this run or from a JSON
report written earlier (`diagnose --json`), so that a baseline (--baseline REPORT) and a diff
(`diagnose diff`) compare findings by the same stable id (diagnose.report.model.finding_id)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diagnose.errors import BadInput
from diagnose.report.model import Report
from diagnose.snapshot import Snapshot

REPORT_FIX = "give the JSON report written by `diagnose --json` (or `--format json`)"


@dataclass(frozen=True)
class FindingSummary:
    """A finding, as much as a diff or a baseline needs to say which one it is."""

    id: str
    check_id: str
    status: str
    severity: str
    title: str
    resource: str
    principal: str | None
    """The principal's display name (else its object id), None when it concerns none."""
    message: str


@dataclass(frozen=True)
class ReportFile:
    """The findings of a JSON report read from a file."""

    source: str
    findings: tuple[FindingSummary, ...]
    target: dict[str, Any]


def summaries_of(report: Report) -> tuple[FindingSummary, ...]:
    """A report's findings, by the ids its JSON gives them."""
    return tuple(
        FindingSummary(
            id=report.id_of(f),
            check_id=f.check_id,
            status=f.status.value,
            severity=f.severity.value,
            title=f.title,
            resource=f.resource,
            principal=(f.principal.display_name or f.principal.id) if f.principal else None,
            message=f.message,
        )
        for f in report.findings
    )


def is_report(document: Any) -> bool:
    """A JSON report, not a snapshot: its findings and fix plan are what a snapshot lacks."""
    return isinstance(document, dict) and "findings" in document and "fixPlan" in document


def report_from(document: Any, source: str) -> ReportFile:
    """The findings of a decoded JSON report; BadInput saying what is wrong when the document
    is not one (a finding without a string id cannot be matched, so it is refused)."""
    if not is_report(document):
        raise BadInput(
            "is not a JSON report (it has no findings and fix plan)", where=source, fix=REPORT_FIX
        )
    if document.get("schemaVersion") != 1:
        raise BadInput(
            f"is a report of schema version {document.get('schemaVersion')!r}; this version "
            "reads version 1",
            where=source,
            fix=REPORT_FIX,
        )
    findings = document["findings"]
    if not isinstance(findings, list):
        raise BadInput("its findings are not a list", where=source, fix=REPORT_FIX)
    read = []
    for number, finding in enumerate(findings):
        if not isinstance(finding, dict) or not isinstance(finding.get("id"), str):
            raise BadInput(
                f"finding {number} has no id",
                where=f"{source}: findings[{number}]",
                fix=REPORT_FIX,
            )
        principal = finding.get("principal")
        read.append(
            FindingSummary(
                id=finding["id"],
                check_id=str(finding.get("checkId") or "?"),
                status=str(finding.get("status") or "?"),
                severity=str(finding.get("severity") or "?"),
                title=str(finding.get("title") or ""),
                resource=str(finding.get("resource") or ""),
                principal=(
                    str(principal.get("displayName") or principal.get("id"))
                    if isinstance(principal, dict)
                    else None
                ),
                message=str(finding.get("message") or ""),
            )
        )
    target = document.get("target")
    return ReportFile(source, tuple(read), target if isinstance(target, dict) else {})


def read_report_or_snapshot(
    path: str, *, max_bytes: int, verify_hashes: bool = True
) -> ReportFile | Snapshot:
    """What the file holds: a JSON report, or a snapshot (a snapshot file or a support
    bundle); BadInput for anything else, or a file that cannot be read."""
    from diagnose.snapshot import load_snapshot, parse_snapshot
    from diagnose.snapshot.decode import decode_json
    from diagnose.snapshot.reading import read_bounded

    try:
        raw = read_bounded(Path(path).expanduser(), max_bytes)
    except FileNotFoundError:
        raise BadInput("no such file", where=path, fix="check the path") from None
    except IsADirectoryError:
        raise BadInput("is a directory, not a snapshot, bundle or report", where=path) from None
    except PermissionError:
        raise BadInput("cannot be read (permission denied)", where=path) from None
    except OSError as exc:
        raise BadInput(f"cannot be read ({exc.strerror or exc})", where=path) from None
    if raw[:1] not in (b"{", b" ", b"\n", b"\r", b"\t", b"\xef"):
        # a bundle (or something that is not JSON: load_snapshot says which)
        return load_snapshot(path, max_bytes=max_bytes, verify_hashes=verify_hashes)
    document = decode_json(raw, path)
    if is_report(document):
        return report_from(document, path)
    return parse_snapshot(document, path)


def read_report(path: str, *, max_bytes: int, flag: str) -> ReportFile:
    """A JSON report (--baseline REPORT); BadInput naming the flag otherwise."""
    read = read_report_or_snapshot(path, max_bytes=max_bytes)
    if isinstance(read, Snapshot):
        raise BadInput(
            "is a snapshot, not a report",
            where=f"{flag} {path}",
            fix="write the report with `diagnose --snapshot FILE --json > report.json` and "
            "give that",
        )
    return read
