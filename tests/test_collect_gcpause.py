"""The cyclic garbage collector stays out of a live collection (diagnose.collect.gcpause)."""

from __future__ import annotations

import gc
import threading

import pytest

from diagnose.collect.gcpause import collector_paused
from diagnose.testing.fixtures import load_fixture_set
from diagnose.testing.harness import FOUNDRY_BASIC, collect_replayed


def test_no_cyclic_collection_runs_while_collecting_and_it_is_enabled_after():
    passes: list[int] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            passes.append(info["generation"])

    fixtures = load_fixture_set("hub-basic")
    import diagnose.collect.run as run

    collect = run._collect  # all of a collection but the pause around it

    def watched(*args, **kwargs):
        gc.callbacks.append(note)
        try:
            return collect(*args, **kwargs)
        finally:
            gc.callbacks.remove(note)

    assert gc.isenabled()
    run._collect = watched  # type: ignore[assignment]
    try:
        collection, _ = collect_replayed(fixtures)
    finally:
        run._collect = collect  # type: ignore[assignment]
    assert collection.snapshot.data["resources"]
    assert passes == []
    assert gc.isenabled()


def test_overlapping_collections_share_the_pause():
    """The collector comes back when the last collection running ends, not the first."""
    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first has ended: still paused for this one

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "fixture_set",
    # a principal Graph no longer finds (errors kept in records), a subscription listing
    # refused to a scan's collector (the refusal kept in State), a Foundry resource (the SDK
    # clients' reads)
    [("hub-basic", None), ("resource-group-reader", None), ("foundry-basic", FOUNDRY_BASIC)],
    ids=["hub-basic", "resource-group-reader", "foundry-basic"],
)
def test_what_a_collection_read_is_freed_without_the_cyclic_collector(monkeypatch, fixture_set):
    name, hub = fixture_set
    """The collector and everything it read (State, the directory's records, a listing's
    pending assignments) go by reference counting as the collection returns: left in a
    reference cycle, they waited for a pass of the cyclic collector that scanned all of it
    right after the pause (30-100 ms of a Foundry collection)."""
    import weakref

    import diagnose.collect.run as run

    made: list[weakref.ref] = []

    class Watched(run.FoundryCollector):
        def __init__(self, *args, **kwargs):
            # The refused subscription listings are asked for by a scan's collector only.
            per_group = name != "resource-group-reader"
            super().__init__(*args, **kwargs, per_group=per_group)
            made.append(weakref.ref(self))
            made.append(weakref.ref(self.directory))

    monkeypatch.setattr(run, "FoundryCollector", Watched)
    gc.collect()
    gc.disable()
    try:
        target = {"hub": hub} if hub else {}
        collection, _ = collect_replayed(load_fixture_set(name), **target)
        assert collection.snapshot.data["resources"]
        assert len(made) == 2
        assert [ref() for ref in made] == [None, None]
    finally:
        gc.enable()


def test_a_scans_worker_process_collects_with_the_collector_paused(monkeypatch):
    """A scan's worker process (scanworker.py) collects its hubs with the cyclic garbage
    collector off, as a single collection does (gcpause.py: its passes rescanned every hub
    read so far), and ends without enabling it again: the first pass would go over every
    hub it collected once more while the scan waits for it to end."""
    from diagnose.collect import scanworker

    seen: list[bool] = []

    class Collection:
        def __init__(self, share, connection) -> None:
            pass

        def run(self) -> None:
            seen.append(gc.isenabled())

    class Connection:
        def recv(self):
            return object()  # a share

        def send(self, message) -> None:
            raise AssertionError(f"the worker failed: {message}")

        def close(self) -> None:
            pass

    class Exited(Exception):
        pass

    def exit_(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(scanworker, "_Collection", Collection)
    monkeypatch.setattr(scanworker.os, "_exit", exit_)
    try:
        with pytest.raises(Exited):
            scanworker.serve(Connection())  # it ends its process once done
        # ... without a pass over all it collected first
        assert seen == [False] and not gc.isenabled()
    finally:
        gc.enable()
