"""A whole-plan round leaves the affected principals out of the lists the round before kept
(remediation.affected._Origin.less): a few by slicing between them, many through a mask,
and only once the list is read. Either way the list is the original less exactly those users,
in their order, however the removals add up round after round."""

from __future__ import annotations

import random

from diagnose.remediation.affected import FEW_REMOVED, _Origin


class _User:
    def __init__(self, principal_id: str) -> None:
        self.principal = self
        self.id = principal_id


def test_less_is_the_list_without_those_users_round_after_round() -> None:
    rng = random.Random(20261204)
    sizes_seen: set[bool] = set()
    for _ in range(300):
        users = [_User(f"p-{i:04d}") for i in range(rng.randrange(0, 80))]
        origin = _Origin.of(users)
        assert origin is not None
        gone: set[str] = set()
        for _round in range(rng.randrange(1, 4)):
            if not users:
                break
            # a few (sliced), or many (masked): both ways, on lists already narrowed
            count = rng.choice([1, 2, FEW_REMOVED, FEW_REMOVED + 1, rng.randrange(len(users) + 1)])
            ids = set(rng.sample([u.id for u in users], min(count, len(users))))
            origin = origin.less(ids - gone)
            gone |= ids
            sizes_seen.add(len(gone) > FEW_REMOVED)
            expected = [u for u in users if u.id not in gone]
            assert len(origin.users) == len(expected)
            assert list(origin.users) == expected
            assert [origin.users[i] for i in range(len(expected))] == expected
            assert origin.removed == frozenset(gone)
            assert origin.root is users
    assert sizes_seen == {True, False}


class _Watched(list):  # type: ignore[type-arg]
    """A list that counts how often its items are read."""

    reads = 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        _Watched.reads += 1
        return super().__getitem__(index)

    def __iter__(self):  # type: ignore[no-untyped-def]
        _Watched.reads += 1
        return super().__iter__()


def test_a_list_less_some_users_is_put_together_only_when_read() -> None:
    users = _Watched(_User(f"p-{i:04d}") for i in range(40))
    order = [u.id for u in list.__iter__(users)]
    origin = _Origin.of(users, (order, frozenset(order)))
    assert origin is not None
    _Watched.reads = 0
    few = origin.less({"p-0003"})
    many = few.less({f"p-{i:04d}" for i in range(10, 30)})
    assert (len(few.users), len(many.users), bool(many.users)) == (39, 19, True)
    assert _Watched.reads == 0, "leaving users out read the list"
    assert [u.id for u in many.users] == [
        f"p-{i:04d}" for i in (*range(3), *range(4, 10), *range(30, 40))
    ]
    assert _Watched.reads > 0
