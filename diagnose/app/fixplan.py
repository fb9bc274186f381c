"""The fix plan written out whole (`diagnose fix-plan`, the terminal UI's "copy whole plan"):
one runnable script or template in a fix language, or the plan alone as JSON, in the shape of
the `--json` report's `fixPlan` (the input of a later re-check)."""

from __future__ import annotations

from collections.abc import Sequence

from diagnose.app.diagnosis import Diagnosis
from diagnose.errors import BadInput
from diagnose.remediation.export import (
    EXPORTS,
    LANGUAGE_OF_TAB,
    PlanExport,
    PlanItem,
    render_plan,
)

PLAN_FORMATS = (*EXPORTS, "json")
"""What `--as` takes: az, powershell, bicep, terraform, json."""


def fix_plan_json(plan: Sequence[PlanItem]) -> str:
    """The plan alone, as the report's `fixPlan` (the same values, the same escaping)."""
    import orjson

    from diagnose.jsonable import to_jsonable
    from diagnose.safe import safe_json

    text = orjson.dumps([to_jsonable(item) for item in plan], option=orjson.OPT_INDENT_2).decode()
    return safe_json(text) + "\n"


def write_plan(plan: Sequence[PlanItem], language: str, *, hub: str = "") -> PlanExport:
    """The whole plan in `language` (one of PLAN_FORMATS): BadInput for any other."""
    if language == "json":
        return PlanExport("json", fix_plan_json(plan), len(plan), len(plan), 0)
    if language not in EXPORTS:
        raise BadInput(
            f"no fix plan export {language!r}",
            fix="choose one of " + ", ".join(PLAN_FORMATS),
        )
    return render_plan(plan, language, hub=hub)


def export_plan(diagnosis: Diagnosis, language: str) -> PlanExport:
    """A diagnosis's fix plan in `language` (one of PLAN_FORMATS)."""
    hub = str(diagnosis.report.target.get("hubName") or "")
    return write_plan(diagnosis.report.fix_plan, language, hub=hub)


def plan_in(plan: Sequence[PlanItem], fix_language: str, *, hub: str = "") -> PlanExport:
    """The whole plan in a fix language named by its short id (diagnose.remediation.languages:
    "cli", "powershell", "bicep", "terraform"), as a front end that shows fixes by language
    names them: the same text as `fix-plan --as` (BadInput for a language with no export)."""
    export = LANGUAGE_OF_TAB.get(fix_language)
    if export is None:
        raise BadInput(f"no whole-plan export for the fix language {fix_language!r}")
    return write_plan(plan, export, hub=hub)
