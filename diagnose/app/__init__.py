"""The application layer: the use cases every front end calls, in typed, frozen values.

    load(source)                  -> Loaded        read the demo or a snapshot, or collect live
    collect(live_options)         -> Collection    collect a live hub (`diagnose collect`)
    diagnose(source, options)     -> Diagnosis     load, run the checks, build the report
    diagnose_snapshot(snapshot)   -> Diagnosis     the same on a snapshot already read
    rediagnose(diagnosis)         -> Diagnosis     the same checks again (the UI's re-run)
    focus(diagnosis, principals)  -> Diagnosis     the same run, only about these principals
    plan(diagnosis)               -> fix plan      each change once, verified first
    export_plan(diagnosis, "bicep") -> PlanExport  the whole plan as one script or template
    access(snapshot, question)    -> AccessAnswer  one access question, with its evidence
    open_book(source).answer(q)   -> AccessAnswer  the same from a per-principal index, cached
    explain(text, snapshot)       -> Explanation   an Azure error message, explained
    list_checks(), check_named(id)                 the checks and their documentation

Data flows one way: collect -> snapshot -> model -> evaluate -> checks -> plan -> report ->
app -> front ends. The front ends (diagnose.cli, diagnose.tui, and the support bundle writer
diagnose.bundle below them) turn their input into these values, call a use case and render
what it returns; none of them imports another (the program, diagnose.program, hands the
command line the terminal UI as a Viewer), and nothing here knows about argparse or Textual.
tests/test_layers.py holds the rules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diagnose.app.access_index import AccessBook, open_book, open_snapshot_book
    from diagnose.app.checklist import CheckList, check_named, list_checks
    from diagnose.app.diagnosis import (
        DiagnoseOptions,
        Diagnosis,
        diagnose,
        diagnose_snapshot,
        focus,
        plan,
        rediagnose,
    )
    from diagnose.app.fixplan import PLAN_FORMATS, export_plan, plan_in, write_plan
    from diagnose.app.questions import (
        AccessAnswer,
        AccessQuestion,
        access,
        access_question,
        explain,
    )
    from diagnose.app.sources import (
        DemoSource,
        InputLimits,
        LiveOptions,
        LiveSource,
        Loaded,
        Progress,
        SnapshotSource,
        Source,
        collect,
        load,
        narrow_to_project,
    )
    from diagnose.app.viewer import Viewer

_WHERE = {
    "AccessAnswer": "diagnose.app.questions",
    "AccessBook": "diagnose.app.access_index",
    "AccessQuestion": "diagnose.app.questions",
    "CheckList": "diagnose.app.checklist",
    "DemoSource": "diagnose.app.sources",
    "DiagnoseOptions": "diagnose.app.diagnosis",
    "Diagnosis": "diagnose.app.diagnosis",
    "InputLimits": "diagnose.app.sources",
    "LiveOptions": "diagnose.app.sources",
    "LiveSource": "diagnose.app.sources",
    "Loaded": "diagnose.app.sources",
    "PLAN_FORMATS": "diagnose.app.fixplan",
    "Progress": "diagnose.app.sources",
    "SnapshotSource": "diagnose.app.sources",
    "Source": "diagnose.app.sources",
    "Viewer": "diagnose.app.viewer",
    "access": "diagnose.app.questions",
    "access_question": "diagnose.app.questions",
    "check_named": "diagnose.app.checklist",
    "collect": "diagnose.app.sources",
    "diagnose": "diagnose.app.diagnosis",
    "diagnose_snapshot": "diagnose.app.diagnosis",
    "explain": "diagnose.app.questions",
    "export_plan": "diagnose.app.fixplan",
    "focus": "diagnose.app.diagnosis",
    "list_checks": "diagnose.app.checklist",
    "load": "diagnose.app.sources",
    "narrow_to_project": "diagnose.app.sources",
    "open_book": "diagnose.app.access_index",
    "open_snapshot_book": "diagnose.app.access_index",
    "plan": "diagnose.app.diagnosis",
    "plan_in": "diagnose.app.fixplan",
    "rediagnose": "diagnose.app.diagnosis",
    "write_plan": "diagnose.app.fixplan",
}
"""Each name's module: imported on first use (PEP 562), so a front end that needs one use case
(`diagnose access`, answered from its cached index in a few milliseconds) does not pay for
importing every other one (the check engine, the report, the fix plans)."""


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "PLAN_FORMATS",
    "AccessAnswer",
    "AccessBook",
    "AccessQuestion",
    "CheckList",
    "DemoSource",
    "DiagnoseOptions",
    "Diagnosis",
    "InputLimits",
    "LiveOptions",
    "LiveSource",
    "Loaded",
    "Progress",
    "SnapshotSource",
    "Source",
    "Viewer",
    "access",
    "access_question",
    "check_named",
    "collect",
    "diagnose",
    "diagnose_snapshot",
    "explain",
    "export_plan",
    "focus",
    "list_checks",
    "load",
    "narrow_to_project",
    "open_book",
    "open_snapshot_book",
    "plan",
    "plan_in",
    "rediagnose",
    "write_plan",
]
