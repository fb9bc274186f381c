"""diagnose.byidentity: one answer per object, never another object's."""

from __future__ import annotations

from diagnose.byidentity import ByIdentity


def test_an_answer_is_kept_per_object_and_tag_not_per_equal_content() -> None:
    memo: ByIdentity[int] = ByIdentity()
    calls: list[str] = []

    def count(name: str, value: int) -> int:
        calls.append(name)
        return value

    first, equal = [1, 2], [1, 2]
    assert memo.get((first,), lambda: count("first", 1)) == 1
    assert memo.get((first,), lambda: count("again", 9)) == 1  # kept
    assert memo.get((equal,), lambda: count("equal", 2)) == 2  # equal is not the same
    assert memo.get((first,), lambda: count("tagged", 3), "other") == 3
    assert memo.get((first, equal), lambda: count("pair", 4)) == 4
    assert calls == ["first", "equal", "tagged", "pair"]


def test_an_object_is_kept_alive_by_its_entry_so_its_id_is_never_another_s() -> None:
    memo: ByIdentity[str] = ByIdentity()
    memo.get(([1],), lambda: "first list")
    # The first list lives in the memo: a new list cannot take its id and its answer.
    for _ in range(1000):
        assert memo.get(([2],), lambda: "a new list") == "a new list"
