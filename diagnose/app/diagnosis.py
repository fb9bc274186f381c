"""Diagnosing: run the checks on a snapshot and build the report, as one typed value.

A Diagnosis is what every front end reads: the command line renders its report, the terminal
UI shows it, the support bundle writes it. It also carries the options it was made with, so
anything that re-runs the checks (the UI's re-run, the bundle's redacted report) runs the
same checks for the same creator.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from diagnose.app.sources import Progress, Source, load
from diagnose.engine.api import CheckInfo, Finding
from diagnose.engine.personas import Declarations
from diagnose.inputlimits import DEFAULT_MAX_INPUT_BYTES
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator
from diagnose.report.model import CollectionError, PlannedFix, Report
from diagnose.snapshot import Snapshot


@dataclass(frozen=True)
class DiagnoseOptions:
    """Which checks run, and for whom (--select, --ignore, --creator)."""

    select: tuple[str, ...] = ()
    """Check ids or prefixes, each entry possibly comma-separated (as --select takes them);
    empty: every check."""
    ignore: tuple[str, ...] = ()
    creator: str | None = None
    """Also check that this principal can create hubs: an object id, or a display name or
    user principal name the snapshot knows."""
    principals: tuple[str, ...] = ()
    """"Why can't P ...?" (--principal, repeatable): object ids, user principal names or
    display names. Only their requirements (each as a builder, whatever roles it holds) and
    those of the service identities remain."""
    personas: str | None = None
    """The organisation's personas file (--personas FILE, JSON or YAML): principal or group ->
    reader | builder | administrator, overriding what the roles suggest."""
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    """The most the personas file may hold (--max-input-bytes)."""


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """One run of the checks on one snapshot: what every renderer and front end reads."""

    snapshot: Snapshot
    report: Report
    """The report model (diagnose.report.model): findings, fix plan, summary, errors."""
    checks: tuple[CheckInfo, ...]
    """Every check that could be loaded (the report says which of them ran)."""
    model: Model
    evaluator: Evaluator
    requests: tuple[dict[str, Any], ...] = ()
    """The request log of a live collection (empty for a snapshot or the demo)."""
    options: DiagnoseOptions = field(default_factory=DiagnoseOptions)
    creator: str | None = None
    """The object id options.creator resolved to in this snapshot."""
    declarations: Declarations | None = None
    """What options.principals and options.personas resolved to in this snapshot (object
    ids), None when neither was given."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.report.findings

    @property
    def fix_plan(self) -> tuple[PlannedFix, ...]:
        return self.report.fix_plan

    @property
    def collection_errors(self) -> tuple[CollectionError, ...]:
        return self.report.collection_errors

    @property
    def summary(self) -> dict[str, Any]:
        return self.report.summary


def diagnose(
    source: Source,
    options: DiagnoseOptions | None = None,
    *,
    progress: Progress | None = None,
    keep_alive: list[object] | None = None,
) -> Diagnosis:
    """Read or collect the source, then run the checks (see diagnose_snapshot). BadInput for
    what the user must change: an unreadable source, an unknown check id, an unknown
    creator or principal, a personas file that cannot be used. keep_alive: as
    diagnose_snapshot's."""
    if options is not None and options.personas:  # a bad file fails before a collection
        from diagnose.app.personas import read_personas

        read_personas(options.personas, options.max_input_bytes)
    loaded = load(source, progress)
    if progress is not None:
        progress.stage(f"running the checks on {len(loaded.snapshot.data['resources'])} resources")
    return diagnose_snapshot(
        loaded.snapshot, options, requests=loaded.requests, keep_alive=keep_alive
    )


def diagnose_snapshot(
    snapshot: Snapshot,
    options: DiagnoseOptions | None = None,
    *,
    requests: Iterable[dict[str, Any]] = (),
    declared: Declarations | None = None,
    keep_alive: list[object] | None = None,
) -> Diagnosis:
    """Run the selected checks on a snapshot already read, and build the report. Checks that
    could not be loaded are reported as check errors, never dropped silently.

    keep_alive: what the run built besides the Diagnosis (the engine's answers, the whole-plan
    check's patched copies) is appended to it rather than freed on return: a process about
    to end (diagnose.program.run) need not spend tens of milliseconds freeing it.

    declared: what --principal and --personas resolved to, given already resolved (the
    support bundle re-runs a run on its scrubbed or redacted snapshot, where the names of the
    personas file may mean nothing): used instead of options.principals and options.personas.
    """
    from diagnose.app.personas import declarations
    from diagnose.engine.registry import load_checks, select_checks
    from diagnose.engine.runner import CheckError, Engine
    from diagnose.model.lookup import resolve_principal
    from diagnose.remediation.affected import Outputs
    from diagnose.remediation.plan import FixPlan
    from diagnose.remediation.whole_plan import converge
    from diagnose.report.model import build_report

    options = options or DiagnoseOptions()
    checks, load_errors = load_checks()
    selected = select_checks(checks, list(options.select), list(options.ignore))
    model = Model(snapshot)
    creator = resolve_principal(model, options.creator, "--creator") if options.creator else None
    if declared is None:
        declared = declarations(
            model, options.principals, options.personas, max_bytes=options.max_input_bytes
        )
    # Each default role fix is proven by the whole-plan check below, not alone first.
    plan = functools.partial(FixPlan, prove_defaults=False)
    engine = Engine(model, creator=creator, fixes=plan, declarations=declared)
    outputs = Outputs()  # what the checks about people say, for the whole-plan check's rounds
    result = engine.run(outputs.wrap(selected, engine.context))
    # the checks as loaded, not their recording wrappers (which hold the run's context)
    result = dataclasses.replace(result, checks=tuple(selected))
    if load_errors:
        extra = tuple(CheckError("-", e.entry_point, e.error) for e in load_errors)
        result = dataclasses.replace(result, check_errors=result.check_errors + extra)
    # The plan as a whole: applied together to a copy of the snapshot, every check run again.
    whole = converge(
        model,
        result,
        plan,
        creator=creator,
        declarations=declared,
        evaluator=engine.evaluator,
        met=engine.met,
        outputs=outputs,
        needs=engine.needs,
    )
    report = build_report(result, model, engine.evaluator, declared, whole, creator)
    if keep_alive is not None:
        keep_alive.append((engine, outputs, result, whole))
    return Diagnosis(
        snapshot,
        report,
        tuple(checks),
        model,
        engine.evaluator,
        tuple(requests),
        options,
        creator,
        declared,
    )


def rediagnose(diagnosis: Diagnosis, options: DiagnoseOptions | None = None) -> Diagnosis:
    """The same checks run again on the same snapshot (the UI's re-run of a snapshot or the
    demo): a fresh evaluation, the same options (the focus and the personas file, read
    again, included), or the options given (the UI's focus on a principal)."""
    return diagnose_snapshot(
        diagnosis.snapshot, options or diagnosis.options, requests=diagnosis.requests
    )


def focus(diagnosis: Diagnosis, principals: tuple[str, ...]) -> Diagnosis:
    """The same run focused on these principals ("why can't P ...?"), or on everyone again
    when there are none: BadInput when a name answers to no principal, or several."""
    options = dataclasses.replace(diagnosis.options, principals=tuple(principals))
    return rediagnose(diagnosis, options)


def plan(diagnosis: Diagnosis) -> tuple[PlannedFix, ...]:
    """The fix plan: each change once, in order (prerequisites first, an alternative beside
    its default), checked as a whole, with who can make it."""
    return diagnosis.report.fix_plan
