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

__all__ = [
    "PLAN_FORMATS",
    "AccessAnswer",
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
    "plan",
    "plan_in",
    "rediagnose",
    "write_plan",
]
