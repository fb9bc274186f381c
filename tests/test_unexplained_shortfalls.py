"""requirements.evaluate(explain=False), as the engine first asks every requirement: the same
answer as explained (met or not, status, cause, what is missing, each decision's outcome),
without near misses and without its sentence, which only an explained evaluation writes (the
engine explains again the shortfalls that become findings). Over every requirement the checks
state on every per-check fixture, and the people of every Need."""

from __future__ import annotations

from diagnose.engine.api import Need, Requirement
from diagnose.engine.requirements import evaluate
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.snapshot import load_snapshot
from tests.checks_support import all_checks, all_fixtures


def _requirements(engine: Engine) -> list[Requirement]:
    found: list[Requirement] = []
    for info in all_checks():
        try:
            outputs = list(info.run(engine.context))
        except Exception:  # a check's own error is another test's business
            continue
        for output in outputs:
            if isinstance(output, Need):
                found += [output.state(user) for user in output.users]
            elif isinstance(output, Requirement):
                found.append(output)
    return found


def test_an_unexplained_evaluation_answers_as_the_explained_one_without_its_words():
    shortfalls = 0
    for path in all_fixtures():
        model = Model(load_snapshot(path))
        engine = Engine(model)
        collected = engine.context.collected_at
        for requirement in _requirements(engine):
            plain = evaluate(requirement, engine.evaluator, collected, explain=False)
            full = evaluate(requirement, engine.evaluator, collected)
            assert (plain.met, plain.status, plain.cause, plain.missing) == (
                full.met,
                full.status,
                full.cause,
                full.missing,
            ), (path.name, requirement)
            assert [d.decision for d in plain.decisions] == [d.decision for d in full.decisions]
            if not full.met:
                shortfalls += 1
                assert full.message, (path.name, requirement)
    assert shortfalls > 50  # the fixtures fail in many ways
