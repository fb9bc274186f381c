"""Engine.met (diagnose.engine.runner.Met): the requirements a run found met, those met in bulk
kept as sets of ids rather than a key each. It must be met_keys exactly (as keys, and as `in`
answers), still_met of it must keep exactly the keys still_met keeps of met_keys, and an engine
given one takes its bulk keys as met."""

from __future__ import annotations

import random

import pytest

from benchmarks.synthetic import small_hub, with_shared_group_without_roles
from diagnose.demo import load_demo
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine, Met
from diagnose.model.model import Model
from diagnose.remediation.affected import Reach, still_met, touched
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import Snapshot, parse_snapshot
from tests.test_needs_cases import ACCOUNT, READ, USER, model_of, state, users

CHECKS = load_checks()[0]


def _hub(seed: int, stripped: bool = False) -> Snapshot:
    data = small_hub(seed=seed)
    if stripped:
        data = with_shared_group_without_roles(data, members=40)
    return parse_snapshot(data, f"synthetic-{seed}")


SNAPSHOTS = {
    "demo": load_demo,
    **{f"hub-{s}": (lambda s=s: _hub(s)) for s in random.Random(15).sample(range(1000), 2)},
    "stripped": lambda: _hub(3, stripped=True),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOTS))
def test_met_is_met_keys_and_still_met_keeps_the_same(name: str) -> None:
    model = Model(SNAPSHOTS[name]())
    engine = Engine(model, fixes=FixPlan)
    result = engine.run(CHECKS)
    met, keys = engine.met, engine.met_keys
    assert met.bulk and met.keys  # not vacuous: both kinds
    assert set(met) == keys and len(list(met)) == len(keys)
    assert all(key in met for key in keys)
    others = {("someone-else", *key[1:]) for key in keys} | {(*key[:3], not key[3]) for key in keys}
    assert not any(key in met for key in others - keys)
    # the plan's steps as a whole-plan round applies them
    fixes = [f for x in result.findings for f in x.remediations if f.alternative_to is None]
    changes = touched(model, fixes, only_roles=False)
    assert changes is not None
    reach = Reach(model, changes)
    kept = still_met(met, reach)
    # The bulk sets are met with the sets of who is reached at each scope, never a set of
    # scopes per principal: those cost hundreds of megabytes in a stripped hub.
    assert set(reach._reaching) <= {key[0].lower() for key in met.keys}
    expected = still_met(keys, Reach(model, changes))
    assert isinstance(kept, Met)
    assert set(kept) == expected
    assert all(key in kept for key in expected)
    assert not any(key in kept for key in keys - expected)
    if name != "demo":  # not vacuous: ids met in bulk that a step reaches are dropped
        assert sum(map(len, kept.bulk.values())) < sum(map(len, met.bulk.values()))


def test_an_engine_takes_a_key_of_a_bulk_set_as_met() -> None:
    """USER holds nothing: met only because the Met given says so (what a round is given of
    the first run's needs met in bulk)."""
    model = model_of([])
    resource = model.resource(ACCOUNT)
    assert resource is not None
    [user] = users(model, USER)
    requirement = state(resource, False, user)
    assert Engine(model).shortfall(requirement) is not None
    known = Met(frozenset(), {(resource.id, (READ,), False): frozenset({USER})})
    assert Engine(model, known_met=known).shortfall(requirement) is None
    elsewhere = Met(frozenset(), {(resource.id, (READ,), True): frozenset({USER})})
    assert Engine(model, known_met=elsewhere).shortfall(requirement) is not None
