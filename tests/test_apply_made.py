"""Each whole-plan round applies every step of the round before again
(remediation.whole_plan.apply): the role assignments it makes of a step are made once and
taken again, and the copy is the one apply makes afresh."""

from __future__ import annotations

from diagnose.app.diagnosis import diagnose_snapshot
from diagnose.demo import load_demo
from diagnose.engine.api import RemediationKind
from diagnose.remediation.whole_plan import Made, apply


def test_a_round_takes_the_assignments_made_of_the_same_steps() -> None:
    diagnosis = diagnose_snapshot(load_demo())
    steps = [
        f.remediation
        for f in diagnosis.fix_plan
        if f.remediation.kind is RemediationKind.ROLE_ASSIGNMENT
        and f.remediation.alternative_to is None
    ]
    assert len(steps) >= 3
    model = diagnosis.model
    made: Made = {}
    first = apply(model, steps[:-1], made)
    again = apply(model, steps, made)
    fresh = apply(model, steps)
    mine, theirs = again.authorization.assignments, fresh.authorization.assignments
    assert mine == theirs  # the same assignments, in the same order
    before = {id(a) for a in first.authorization.assignments}
    extra = mine[len(model.authorization.assignments) :]
    assert len(extra) >= len(steps)
    # those of the steps applied before are the very objects made then; the new step's are new
    assert [id(a) in before for a in extra].count(False) == len(extra) - len(
        first.authorization.assignments[len(model.authorization.assignments) :]
    )
    # a step replaced by another fix with the same key is made anew, not taken
    other = "Group" if steps[0].principal_type != "Group" else "User"
    changed = steps[0].changed(principal_type=other)
    assert changed.dedupe_key == steps[0].dedupe_key
    redone = apply(model, [changed, *steps[1:]], made)
    assert (
        redone.authorization.assignments
        == apply(model, [changed, *steps[1:]]).authorization.assignments
    )
