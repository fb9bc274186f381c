"""The whole plan's verdict on a fix (Remediation.changed) copies the fix's fields
instead of calling dataclasses.replace, which cost ~50 ms a plan of the 200-project hub: it
must be exactly replace's Remediation, for every fix a run of the small hub plans, and
Remediation must stay a dataclass such a copy is right for."""

from __future__ import annotations

import dataclasses
import functools

from benchmarks.synthetic import small_hub
from diagnose.engine.api import Remediation
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import parse_snapshot


def test_verdict_equals_dataclasses_replace_on_a_runs_fixes() -> None:
    model = Model(parse_snapshot(small_hub(projects=3, broken=0.3)))
    result = Engine(model, fixes=FixPlan).run(load_checks()[0])
    fixes = [fix for finding in result.findings for fix in finding.remediations]
    assert len(fixes) > 20  # not vacuous
    for index, fix in enumerate(fixes):
        verified = bool(index % 2) != fix.verified  # both ways, and changed
        verification = f"judged {index}"
        ours = fix.changed(verified=verified, verification=verification)
        theirs = dataclasses.replace(fix, verified=verified, verification=verification)
        assert type(ours) is type(theirs)
        assert ours == theirs
        assert vars(ours) == vars(theirs)
        assert (ours.verified, ours.verification) == (verified, verification)
        assert (fix.verified, fix.verification) != (verified, verification)  # fix untouched


def test_remediation_is_a_dataclass_a_field_copy_is_right_for() -> None:
    assert not hasattr(Remediation, "__post_init__")
    assert not hasattr(Remediation, "__slots__")
    assert all(f.init for f in dataclasses.fields(Remediation))
    cached = [
        name
        for name, value in vars(Remediation).items()
        if isinstance(value, functools.cached_property)
    ]
    assert not cached
