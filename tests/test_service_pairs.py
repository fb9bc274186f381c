"""service_pairs (checks._common._pairs) remembers, per caller, the callees it was paired
with, and each workspace's chat resources once for the run (issue 15: thousands of candidate
pairs a call on a big hub, most seen already): the pairs, in their order, must be those of
checking every candidate against the set of pairs seen, as it was written first."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.synthetic import small_hub
from diagnose.checks._common import _pairs, chat_resources, workspace_chain
from diagnose.demo import load_demo
from diagnose.engine.context import CheckContext
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.model.resources import Resource
from diagnose.snapshot import parse_snapshot

KINDS = ("ai", "search", "blob")


def _reference(
    ctx: CheckContext, left: str, right: str, entra_only: bool
) -> list[tuple[Resource, Resource, Resource]]:
    seen: set[tuple[str, str]] = set()
    pairs = []
    for _, workspace in ctx.workspaces():
        chain = workspace_chain(ctx, workspace)
        callers = list(chain.group(left))
        if left == "ai" and right in ("search", "blob"):
            callers = chat_resources(callers)
        callees = [b for _, b in chain.group(right) if not entra_only or b.key in chain.keyless]
        own_callees = (
            [b for b in callees if b.key in chain.own] if workspace.is_hub_project else callees
        )
        for _, caller in callers:
            for callee in callees if caller.key in chain.own else own_callees:
                pair = (caller.key, callee.key)
                if pair[0] != pair[1] and pair not in seen:
                    seen.add(pair)
                    pairs.append((workspace, caller, callee))
    return pairs


def _contexts() -> list[CheckContext]:
    hubs = [small_hub(projects=p, seed=s, broken=0.3) for p, s in ((4, 1), (6, 2), (3, 7))]
    models = [Model(parse_snapshot(h)) for h in hubs] + [Model(load_demo())]
    return [Engine(model).context for model in models]


@pytest.mark.parametrize("context", _contexts())
def test_service_pairs_are_those_of_checking_every_candidate(context: CheckContext) -> None:
    found = 0
    for left, right in itertools.product(KINDS, repeat=2):
        for entra_only in (True, False):
            ours = _pairs(context, left, right, entra_only)
            theirs = _reference(context, left, right, entra_only)
            assert [(w.key, a.key, b.key) for w, a, b in ours] == [
                (w.key, a.key, b.key) for w, a, b in theirs
            ], (left, right, entra_only)
            found += len(ours)
    assert found >= 10  # not vacuous
