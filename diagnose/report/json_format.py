"""The report as JSON (the contract for scripts and CI: report-v1.schema.json).

write_json streams it: the report's head, then each finding and each planned fix encoded on
its own and written at once, so a report of tens of thousands of findings never exists as one
string (or one tree of dicts) in memory. render_json is the same bytes as one string, for the
callers that want text (the format registry, the support bundle, the terminal UI's export).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from diagnose.bulk import bulk_allocation
from diagnose.engine.api import Finding
from diagnose.jsonable import to_jsonable, to_jsonable_with
from diagnose.rbac.decision import Decision
from diagnose.report.evidence import DEFAULT_EVIDENCE, EVIDENCE_LEVELS, decision_json
from diagnose.report.model import REPORT_SCHEMA_VERSION, Report
from diagnose.safe import safe_json

__all__ = ["finding_json", "render_json", "report_json", "write_json"]

_INDENT = orjson.OPT_INDENT_2


def finding_json(
    report: Report, finding: Finding, evidence: str = DEFAULT_EVIDENCE
) -> dict[str, Any]:
    # The evidence is encoded once, at the chosen level, in its place among the keys.
    body = to_jsonable_with(finding, evidence=[_decision(d, evidence) for d in finding.evidence])
    if report.baseline is not None:
        body["inBaseline"] = report.in_baseline(finding)
    return {"id": report.id_of(finding), **body}


def report_json(report: Report, evidence: str = DEFAULT_EVIDENCE) -> dict[str, Any]:
    """The whole report as one JSON value (what write_json streams)."""
    return {
        **_head(report, evidence),
        "findings": [finding_json(report, f, evidence) for f in report.findings],
        "fixPlan": [to_jsonable(p) for p in report.fix_plan],
        **_tail(report),
    }


def render_json(report: Report, evidence: str = DEFAULT_EVIDENCE) -> str:
    """The report as indented JSON text: exactly what write_json writes."""
    out = io.BytesIO()
    write_json(report, out, evidence)
    return out.getvalue().decode("utf-8")


def write_json(report: Report, stream: IO[bytes], evidence: str = DEFAULT_EVIDENCE) -> None:
    """Write the report to a binary stream as indented JSON (UTF-8), one finding and one
    planned fix at a time. The bytes are those of json.dumps(report_json(report), indent=2,
    ensure_ascii=False) with the unsafe characters escaped (diagnose.safe.safe_json)."""
    if evidence not in EVIDENCE_LEVELS:
        raise ValueError(f"evidence must be one of {EVIDENCE_LEVELS}, not {evidence!r}")
    with bulk_allocation():
        for chunk in _chunks(report, evidence):
            stream.write(_safe(chunk))


@dataclass(frozen=True)
class _Each:
    """A top-level list written element by element: each item converted, then encoded."""

    convert: Callable[[Any], Any]
    items: Iterable[Any]


def _chunks(report: Report, evidence: str) -> Iterator[bytes]:
    """The report's JSON in pieces. Each member of the top-level object is encoded by orjson
    with two-space indentation and shifted one level in; the two long lists (findings, fix
    plan) element by element, two levels in. Shifting is inserting spaces after each newline:
    orjson escapes every newline inside a string, so each raw newline is indentation."""
    members: list[tuple[str, Any]] = [
        *_head(report, evidence).items(),
        ("findings", _Each(lambda f: finding_json(report, f, evidence), report.findings)),
        ("fixPlan", _Each(to_jsonable, report.fix_plan)),
        *_tail(report).items(),
    ]
    for number, (key, value) in enumerate(members):
        yield (b"{\n  " if number == 0 else b",\n  ") + orjson.dumps(key) + b": "
        if isinstance(value, _Each):
            yield from _array(value)
        else:
            yield _shift(orjson.dumps(value, option=_INDENT), b"\n  ")
    yield b"\n}\n"


def _array(each: _Each) -> Iterator[bytes]:
    empty = True
    for item in each.items:
        encoded = _shift(orjson.dumps(each.convert(item), option=_INDENT), b"\n    ")
        yield (b"[\n    " if empty else b",\n    ") + encoded
        empty = False
    yield b"[]" if empty else b"\n  ]"


def _shift(encoded: bytes, newline: bytes) -> bytes:
    return encoded.replace(b"\n", newline) if b"\n" in encoded else encoded


def _safe(chunk: bytes) -> bytes:
    # Lossless: a parser reads the same strings; a terminal gets no raw C1, bidi or invisible
    # character from Azure's names (orjson escapes only C0 controls). ASCII, the usual case,
    # is written as it is, without a decode and re-encode.
    if chunk.isascii():
        return chunk
    return safe_json(chunk.decode("utf-8")).encode("utf-8")


def _head(report: Report, evidence: str) -> dict[str, Any]:
    head: dict[str, Any] = {
        "schemaVersion": REPORT_SCHEMA_VERSION,
        "tool": report.tool,
        "target": report.target,
        "summary": report.summary,
    }
    if evidence != "full":  # a full report keeps the exact shape of earlier versions
        head["evidence"] = evidence
    return head


def _tail(report: Report) -> dict[str, Any]:
    return {
        "planCheck": report.plan_check,
        "checkErrors": [to_jsonable(e) for e in report.check_errors],
        "collectionErrors": [to_jsonable(e) for e in report.collection_errors],
    }


def _decision(decision: Any, evidence: str) -> Any:
    return (
        decision_json(decision, evidence)
        if isinstance(decision, Decision)
        else to_jsonable(decision)
    )
