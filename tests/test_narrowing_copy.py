"""The narrowed Need (remediation.affected._with_users) is built with Need's constructor
rather than dataclasses.replace, which cost ~65 ms a whole-plan round of the 200-project
hub: it must be exactly replace's Need, field by field, for any need."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from diagnose.engine.api import Need
from diagnose.remediation.affected import _with_users


def _random_need(rng: random.Random) -> Need:
    # Distinct opaque values per field: a field dropped or two fields swapped shows.
    def token(name: str) -> Any:
        return (name, rng.random())

    return Need(
        users=[token("user") for _ in range(rng.randrange(4))],
        resource=token("resource"),
        operations=tuple(token("op") for _ in range(rng.randrange(1, 3))),
        state=token("state"),
        scope=rng.choice([None, f"/subscriptions/{rng.random()}"]),
        builtin_roles_only=rng.choice([False, True]),
    )


def test_with_users_equals_dataclasses_replace_on_random_needs() -> None:
    rng = random.Random(20261204)
    for _ in range(500):
        need = _random_need(rng)
        users = [("kept", rng.random()) for _ in range(rng.randrange(3))]
        ours = _with_users(need, users)
        theirs = dataclasses.replace(need, users=users)
        assert type(ours) is type(theirs)
        assert ours == theirs
        assert ours.users is users


def test_need_fields_are_the_ones_the_copy_passes() -> None:
    # A field added to Need (or an __post_init__) must be carried by _with_users too.
    assert [f.name for f in dataclasses.fields(Need)] == [
        "users",
        "resource",
        "operations",
        "state",
        "scope",
        "builtin_roles_only",
    ]
    assert not hasattr(Need, "__post_init__")
