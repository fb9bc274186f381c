"""`--principal P` ("why can't P ...?"): the report keeps P's requirements (P a builder whatever
roles P holds), the service identities' and the findings about resources; every other
person's finding is left out, however the check found that person (members, PIM eligibility,
orphaned assignments)."""

from __future__ import annotations

from diagnose.app.diagnosis import DiagnoseOptions, diagnose_snapshot
from diagnose.demo import load_demo
from diagnose.engine.api import Finding
from diagnose.engine.personas import Persona, Personas
from diagnose.model.model import Model
from diagnose.rbac.evaluator import Evaluator


def _people_named(findings: tuple[Finding, ...], services: set[str]) -> set[str]:
    named = set()
    for finding in findings:
        ids = {a.id for a in finding.affected_principals}
        if finding.principal is not None:
            ids.add(finding.principal.id)
        named |= ids - services
    return named


def test_a_focused_run_names_no_other_person() -> None:
    whole = diagnose_snapshot(load_demo())
    focus = diagnose_snapshot(load_demo(), DiagnoseOptions(principals=("Chen Wei",)))
    chen = next(p.id for p in focus.declarations.focus)
    services = {
        p.id
        for p in whole.model.authorization.directory.principals.values()
        if _is_service(whole.model, p.id)
    }
    # The unfocused demo names other people (PIM-eligible, orphaned, project members) ...
    assert _people_named(whole.findings, services) - {chen}
    # ... the focused run names Chen Wei alone, as a builder, beside services and resources.
    assert _people_named(focus.findings, services) == {chen}
    about_chen = [f for f in focus.findings if f.principal and f.principal.id == chen]
    assert about_chen
    assert all(
        f.persona is not None and f.persona.persona is Persona.BUILDER
        for f in about_chen
        if f.persona is not None
    )
    # settings and service identities are still checked
    assert any(f.principal is None for f in focus.findings)
    assert any(f.check_id.startswith("OYD") for f in focus.findings)


def _is_service(model: Model, principal_id: str) -> bool:
    return (
        Personas(model, Evaluator(model.authorization)).service_identity(principal_id) is not None
    )
