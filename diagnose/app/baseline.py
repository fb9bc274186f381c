"""--baseline REPORT: a CI that adopts the tool on an imperfect estate fails only on what is
new. The baseline is a JSON report of an earlier run; its findings are matched by id (which
wording never changes), still shown, marked, and left out of the exit code."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from diagnose.app.reports import read_report
from diagnose.report.model import Report


@dataclass(frozen=True)
class Baseline:
    source: str
    ids: frozenset[str]


def read_baseline(path: str, max_bytes: int) -> Baseline:
    """The finding ids of a JSON report; BadInput naming --baseline when it is not one."""
    report = read_report(path, max_bytes=max_bytes, flag="--baseline")
    return Baseline(path, frozenset(f.id for f in report.findings))


def against(report: Report, baseline: Baseline) -> Report:
    """The report with its findings that the baseline has marked (Report.baseline)."""
    known = frozenset(report.id_of(f) for f in report.findings if report.id_of(f) in baseline.ids)
    return dataclasses.replace(report, baseline=known)


def beyond(report: Report) -> Report:
    """The report without the findings its baseline has: what decides the exit code."""
    if report.baseline is None:
        return report
    return dataclasses.replace(
        report, findings=tuple(f for f in report.findings if not report.in_baseline(f))
    )
