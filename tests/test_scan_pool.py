"""The scan's hubs on one pool of workers (diagnose.collect.scanpool, scanrun): at most
--concurrency requests of the whole scan at once, and at the deadline every hub, started or
not, still gets a snapshot that says what the deadline cut short."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from diagnose.collect.clients import RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential
from diagnose.collect.scan import ScanCollection, ScanScope
from diagnose.collect.scanpool import Gate, HubSteps, unwrap
from diagnose.collect.scanrun import scan
from diagnose.collect.scheduler import Scheduler
from diagnose.collect.settings import settings_from_args
from diagnose.snapshot.codes import TIMEOUT_CODE
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.fixtures import FixtureSet
from diagnose.testing.tenant import SyntheticTenant
from tests.test_scan_workers import assert_graph_asked_once


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArmServer]:
    tenant = SyntheticTenant(hubs=8, subscriptions=2)
    with ArmServer(FixtureSet("generated", []), Faults(latency=0.2), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        yield server


def _scan(
    server: ArmServer,
    concurrency: int,
    timeout: float | None = None,
    processes: int | None = None,
) -> ScanCollection:
    settings = settings_from_args(
        SimpleNamespace(
            hub="scan",
            arm_endpoint=server.url,
            graph_endpoint=server.url,
            concurrency=concurrency,
            timeout=timeout,
            quiet=True,
        )
    )
    credentials = Credentials(StaticTokenCredential("t"), StaticTokenCredential("t"))
    return scan(
        settings, credentials, ScanScope(), retry=RetrySettings(total=0), processes=processes
    )


def test_the_whole_scan_keeps_to_its_concurrency(served: ArmServer) -> None:
    result = _scan(served, 3)
    assert len(result.hubs) == 8
    assert all(h.collection and not h.collection.snapshot.data["errors"] for h in result.hubs)
    assert 1 < served.most_in_flight <= 3  # in parallel, but never more than asked


def test_at_the_deadline_every_hub_has_a_snapshot_saying_what_was_cut_short(
    served: ArmServer,
) -> None:
    # One step at a time, 0.2 s a request: Resource Graph and the look-ups take most of the
    # 2 seconds, and most hubs are not even started when the deadline passes.
    result = _scan(served, 1, timeout=2.0)
    assert [h.target.rsplit("/", 1)[-1] for h in result.hubs] == sorted(
        (f"hub{i}" for i in range(8)), key=lambda n: SyntheticTenant(8, 2).hub_id(int(n[3:]))
    )
    cut = 0
    for hub in result.hubs:
        assert hub.collection is not None, hub
        data = hub.collection.snapshot.data
        assert data["target"]["hub"] == hub.target
        assert data["resources"], hub.target  # the hub itself, as Resource Graph read it
        timeouts = [e for e in data["errors"] if e["code"] == TIMEOUT_CODE]
        cut += bool(timeouts)
        # what was cut short is named: the connections only the hub has
        if timeouts:
            assert any(e["scope"].lower() == hub.target.lower() for e in timeouts), timeouts
    assert cut >= 4  # most hubs


def test_a_hub_finishes_once_after_its_last_step_and_not_when_claimed() -> None:
    pool = Scheduler(2)
    finished: list[HubSteps] = []
    seen: list[int] = []

    def step(wave: int, n: int) -> None:
        seen.append(n)
        if n < 3:
            steps.submit(wave + 1, step, n + 1)

    steps = HubSteps(pool, finished.append)
    steps.submit(0, step, 0)
    pool.wait()
    assert seen == [0, 1, 2, 3] and finished == [steps] and steps.deepest == 3
    assert not steps.claim()  # finished already: nobody assembles it again
    late = HubSteps(Scheduler(1), finished.append)
    assert late.claim() and not late.claim()
    late.submit(1, step, 9)  # after the claim: recorded, never run
    assert late.left_behind == [(step, (9,))] and seen == [0, 1, 2, 3]
    assert unwrap(late.run, (step, 9)) == (late, step, (9,))
    assert unwrap(step, (9,)) == (None, step, (9,))


def test_steps_at_the_gate_hold_no_worker_and_run_once_it_opens() -> None:
    """A step that reads what is read ahead for every hub waits parked, not on a worker:
    with one worker, the step submitted after it runs first; it runs when the gate opens,
    and a hub claimed before that leaves it behind, unrun."""
    pool = Scheduler(1)
    seen: list[str] = []
    finished: list[HubSteps] = []
    opened = threading.Event()

    def ahead(wave: int, name: str) -> None:
        seen.append(name)

    def other(wave: int, name: str) -> None:
        seen.append(name)
        opened.wait(5)

    gate = Gate(lambda step, args: step is ahead)
    steps = HubSteps(pool, finished.append, gate)
    claimed = HubSteps(pool, finished.append, gate)
    steps.submit(0, ahead, "parked")
    claimed.submit(0, ahead, "never")
    steps.submit(0, other, "first")
    assert claimed.claim()
    gate.open()
    opened.set()
    pool.wait()
    assert seen == ["first", "parked"] and finished == [steps]
    assert claimed.left_behind == [(ahead, ("never",))] and not claimed.parked
    late = HubSteps(pool, finished.append, gate)
    assert not gate.parks(late, (0, ahead, ("open",), 0))  # open: nothing waits


def test_hubs_left_behind_at_the_deadline_are_assembled_with_what_they_had(
    served: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read stuck past the deadline and its grace (the watchdog could not end it) leaves
    its step running (the Scheduler gives up 2 s after the deadline) and every hub not yet
    started waiting: each hub still gets a snapshot, the stuck read and whatever a hub never
    started written as timed out."""
    import time

    from diagnose.collect.served import ServedArm

    stuck = threading.Event()
    original = ServedArm.get_pages

    def slow(self: ServedArm, path: str, params: dict[str, str] | None = None) -> list[object]:
        if path.endswith("/connections"):
            stuck.set()
            time.sleep(8)  # deaf to the deadline
        return original(self, path, params)

    monkeypatch.setattr(ServedArm, "get_pages", slow)
    begun = time.monotonic()
    result = _scan(served, 1, timeout=3.0)
    assert stuck.is_set() and time.monotonic() - begun < 7
    assert len(result.hubs) == 8
    for hub in result.hubs:
        assert hub.collection is not None, hub
        errors = hub.collection.snapshot.data["errors"]
        assert any(
            e["code"] == TIMEOUT_CODE and e["scope"].lower() == hub.target.lower() for e in errors
        ), (hub.target, errors)


def test_each_validator_is_compiled_once_however_many_hubs_need_it_at_once(
    served: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fastjsonschema

    from diagnose import snapshot
    from diagnose.collect import shapes
    from diagnose.snapshot import compiled as compiled_code

    shapes._validator.cache_clear()
    snapshot._fast_validator.cache_clear()
    monkeypatch.setattr(compiled_code, "_made", {})  # nothing compiled yet in this process
    compiled: list[object] = []
    original = fastjsonschema.compile_to_code

    def counted(definition: object, *args: object, **kwargs: object) -> object:
        compiled.append(definition)
        time.sleep(0.05)  # as slow as on a busy machine: every hub arrives meanwhile
        return original(definition, *args, **kwargs)

    monkeypatch.setattr(fastjsonschema, "compile_to_code", counted)
    served.faults.latency = 0.0
    result = _scan(served, 16)
    assert all(h.collection is not None for h in result.hubs)
    distinct = {json.dumps(d, sort_keys=True) for d in compiled}
    # the deny assignment's shape (role assignments, resources and role definitions have
    # their own fast validators: test_collect_shapes.py) and the whole snapshot
    assert len(distinct) == 2
    assert len(compiled) == len(distinct)  # each once, however many hubs raced for it


def test_the_app_is_looked_up_while_the_inherited_assignments_are_read(
    served: ArmServer,
) -> None:
    """Two reads made once ahead of the hubs, independent of each other: one round trip
    (0.2 s here), not two; the principals are looked up after both."""
    _scan(served, 8)
    received = served.requests()
    app = [r.at for r in received if r.path.startswith("/v1.0/servicePrincipals(appId=")]
    inherited = [
        r.at
        for r in received
        if r.query.get("$filter") == "atScope()" and r.path.lower().endswith("/roleassignments")
    ]
    looked_up = [r.at for r in received if r.path.lower().endswith("/getbyids")]
    assert len(app) == 1 and inherited and looked_up
    assert abs(app[0] - min(inherited)) < 0.15
    assert min(looked_up) > max([*inherited, *app])


def test_the_collector_leaves_the_heap_before_the_scan_alone_until_it_returns(
    served: ArmServer,
) -> None:
    """During the scan the collector passes over what the scan makes, less often, and
    leaves what was there before frozen; as it was once the scan returns."""
    import gc

    before = gc.get_threshold()
    seen: list[tuple[int, tuple[int, int, int]]] = []
    settings = settings_from_args(
        SimpleNamespace(
            hub="scan",
            arm_endpoint=served.url,
            graph_endpoint=served.url,
            concurrency=4,
            quiet=True,
        )
    )
    credentials = Credentials(StaticTokenCredential("t"), StaticTokenCredential("t"))
    scan(
        settings,
        credentials,
        ScanScope(),
        retry=RetrySettings(total=0),
        done=lambda hub: seen.append((gc.get_freeze_count(), gc.get_threshold())),
    )
    assert seen and all(frozen > 0 and young > before[0] for frozen, (young, _, _) in seen)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_scans_at_once_share_the_collectors_settings_the_last_restores_them() -> None:
    """Two scans in threads of one process: the first to end leaves the settings to the
    other; the last restores those from before the first began."""
    import gc

    from diagnose.collect.scanrun import _fewer_collections

    before = gc.get_threshold()
    first, second = _fewer_collections(), _fewer_collections()
    first.__enter__()
    during = gc.get_threshold()
    second.__enter__()
    assert gc.get_threshold() == during and during[0] > before[0]
    first.__exit__(None, None, None)
    assert gc.get_threshold() == during and gc.get_freeze_count() > 0
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_the_scans_own_hubs_start_while_the_reads_for_every_hub_are_made(
    served: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's own process starts its hubs at once, as a worker does: their reads of
    what is read ahead for every hub (the principals looked up in Graph) wait, parked, for
    it. Here the look-ups end only once the server has seen a hub list its connections;
    before, the hubs began after the look-ups, so that never happened (for 60 s). Every
    hub is complete and no principal is looked up twice."""

    from diagnose.collect.served import SharedGraph

    real = SharedGraph.prefetch
    ended: list[float] = []

    def late(graph: SharedGraph, ids: object, parallel: int = 16) -> int:
        until = time.monotonic() + 60
        while time.monotonic() < until and not any(
            r.path.lower().endswith("/connections") for r in served.requests()
        ):
            time.sleep(0.02)
        rounds = real(graph, ids, parallel)  # type: ignore[arg-type]
        ended.append(time.monotonic())
        return rounds

    monkeypatch.setattr(SharedGraph, "prefetch", late)
    result = _scan(served, 8, processes=1)
    received = served.requests()
    assert all(h.collection and not h.collection.snapshot.data["errors"] for h in result.hubs)
    listed = [r.at for r in received if r.path.lower().endswith("/connections")]
    assert listed and ended and min(listed) < ended[0]
    assert_graph_asked_once(received)


def test_the_scans_arm_clients_share_one_pool_of_connections(
    served: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resource Graph, the hubs' ARM reads and the SDK's listings go out on one transport
    (its pool of connections), as in a single collection; Microsoft Graph has its own."""
    from diagnose.collect.httpclient import HttpClientTransport

    built: list[HttpClientTransport] = []
    original = HttpClientTransport.__init__

    def counted(self: HttpClientTransport, *args: object, **kwargs: object) -> None:
        built.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(HttpClientTransport, "__init__", counted)
    served.faults.latency = 0.0
    result = _scan(served, 8, processes=1)
    assert all(h.collection and not h.collection.snapshot.data["errors"] for h in result.hubs)
    assert len(built) == 2  # ARM's and Graph's
