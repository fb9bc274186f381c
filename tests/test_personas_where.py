"""Personas keeps the words of each scope its evidence names (describe_scope, once per scope):
every piece of evidence still names its own scope."""

from __future__ import annotations

from benchmarks.synthetic import small_hub
from diagnose.demo import load_demo
from diagnose.engine.context import CheckContext, describe_scope
from diagnose.model.model import Model
from diagnose.snapshot import parse_snapshot


def test_each_evidence_names_its_own_scope() -> None:
    hub = small_hub(broken=0.03, seed=5)
    for snapshot in (load_demo(), parse_snapshot(hub, "synthetic")):
        model = Model(snapshot)
        ctx = CheckContext(model)
        seen = set()
        for _, workspace in ctx.workspaces():
            for person in ctx.personas.people(workspace):
                for evidence in person.evidence:
                    if evidence.declared is None:
                        expected = describe_scope(evidence.scope, model.resource(evidence.scope))
                        assert evidence.where == expected, evidence
                        seen.add((evidence.scope, evidence.role_id))
        # not vacuous: several scopes, and a role at more than one of them
        assert len({scope for scope, _ in seen}) > 1
        assert len({role for _, role in seen}) < len(seen)
