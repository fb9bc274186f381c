"""A scan's hubs shared with worker processes (diagnose.collect.scanworker): each hub's
snapshot is the one the scan's own process would have made, every read is still made once,
the worker signs with the scan's credential, and a worker that fails fails its hubs only."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from diagnose.collect import scanrun
from diagnose.collect.clients import RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential
from diagnose.collect.scan import ScanCollection, ScanScope
from diagnose.collect.scanrun import scan
from diagnose.collect.scanworker import MIN_HUBS, WORKER_FAILED, processes_for, split
from diagnose.collect.settings import settings_from_args
from diagnose.collect.target import Target
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.faults import Rule
from diagnose.testing.fixtures import FixtureSet
from diagnose.testing.tenant import SyntheticTenant

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TOKEN = "relayed-token-7f3a"


@pytest.fixture
def tenant() -> SyntheticTenant:
    return SyntheticTenant(hubs=9, subscriptions=3, foundry=2)


@pytest.fixture
def served(tenant: SyntheticTenant, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArmServer]:
    with ArmServer(FixtureSet("generated", []), Faults(), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        yield server


class CountingCredential(StaticTokenCredential):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.asked = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.asked += 1
        return super().get_token(*scopes, **kwargs)


def _scan(
    server: ArmServer, processes: int | None, concurrency: int = 6, arm: Any = None
) -> ScanCollection:
    settings = settings_from_args(
        SimpleNamespace(
            hub="scan",
            arm_endpoint=server.url,
            graph_endpoint=server.url,
            concurrency=concurrency,
            quiet=True,
        )
    )
    credentials = Credentials(arm or StaticTokenCredential(TOKEN), StaticTokenCredential(TOKEN))
    server.reset()
    return scan(
        settings,
        credentials,
        ScanScope(),
        retry=RetrySettings(total=0),
        now=NOW,
        processes=processes,
    )


def assert_graph_asked_once(received: list[Any]) -> None:
    """Each Microsoft Graph look-up of a scan (a $batch's sub-request, a getByIds) went out
    once, whichever process or thread asked for it first."""
    graph = Counter(
        (r.method, r.path.lower(), r.in_batch) for r in received if r.path.startswith("/v1.0/")
    )
    assert all(n == 1 for key, n in graph.items() if key[2] or "getbyids" in key[1]), graph


def _snapshots(result: ScanCollection) -> list[tuple[str, Any]]:
    return [(h.target, h.collection and h.collection.snapshot.data) for h in result.hubs]


def test_hubs_collected_in_workers_have_the_snapshots_one_process_makes(
    served: ArmServer,
) -> None:
    alone = _scan(served, 1)
    alone_reads = Counter((r.method, r.path.lower(), r.in_batch) for r in served.requests())
    shared = _scan(served, 3)
    shared_reads = Counter((r.method, r.path.lower(), r.in_batch) for r in served.requests())
    assert len(alone.hubs) == 11
    assert all(h.collection and not h.collection.snapshot.data["errors"] for h in shared.hubs)
    assert _snapshots(shared) == _snapshots(alone)
    # The same reads, each as often: a subscription's deny assignments and eligibility once,
    # in the process that has its hubs.
    assert shared_reads == alone_reads
    assert len(shared.requests) == len(alone.requests)
    assert shared.waves == alone.waves
    assert served.most_in_flight <= 6  # the workers' shares of --concurrency, together


def test_a_worker_signs_with_the_scans_credential_and_keeps_no_token(
    tenant: SyntheticTenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every hub's connection listing answers with the token it was sent, echoed: the hubs
    # collected in the worker must have it redacted as the scan's own are.
    echo = Rule(r"GET .*/connections", 500, times=1000, echo_token=True)
    with ArmServer(FixtureSet("generated", []), Faults(rules=[echo]), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        arm = CountingCredential(TOKEN)
        result = _scan(server, 2, arm=arm)
    assert arm.asked == 1  # the worker's requests signed with the scan's token, asked once
    assert all(h.collection for h in result.hubs)
    text = json.dumps([data for _, data in _snapshots(result)]) + json.dumps(result.requests)
    assert TOKEN not in text
    echoed = [
        e
        for h in result.hubs
        if h.collection
        for e in h.collection.snapshot.data["errors"]
        if e["scope"].lower().endswith("/connections") or "connection" in e["operation"].lower()
    ]
    assert len(echoed) >= len(result.hubs)  # every hub, the worker's too, met the echo


def test_a_worker_that_fails_fails_its_hubs_and_no_others(
    served: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = scanrun.Share

    def broken(*args: Any) -> Any:
        return real(*args[:2], None, *args[3:])  # no index: the worker fails on it

    monkeypatch.setattr(scanrun, "Share", broken)
    result = _scan(served, 2)
    failed = [h for h in result.hubs if h.collection is None]
    fine = [h for h in result.hubs if h.collection is not None]
    assert failed and fine
    for hub in failed:
        assert hub.error is not None and hub.error.code == WORKER_FAILED
        assert "Traceback" in hub.error.message
    subscriptions = {h.target.split("/")[2] for h in failed}
    assert not subscriptions & {h.target.split("/")[2] for h in fine}


def _target(subscription: int, name: str) -> Target:
    return Target(
        {
            "id": f"/subscriptions/{subscription:08d}-0000-0000-0000-000000000000/resourceGroups"
            f"/rg/providers/Microsoft.MachineLearningServices/workspaces/{name}",
            "type": "Microsoft.MachineLearningServices/workspaces",
        }
    )


def test_shares_are_whole_subscriptions_as_even_as_they_allow() -> None:
    targets = [
        _target(s, f"h{s}-{i}") for s, n in ((1, 5), (2, 3), (3, 2), (4, 1)) for i in range(n)
    ]
    shares = split(targets, 2)
    assert sorted(len(s) for s in shares) == [5, 6]
    for share in shares:
        assert share == [t for t in targets if t in share]  # in the scan's order
    owners = [{t.id.split("/")[2] for t in share} for share in shares]
    assert not owners[0] & owners[1]
    assert split(targets[:5], 3) == [targets[:5]]  # one subscription: one share
    assert split([], 2) == []


def test_small_scans_stay_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("diagnose.collect.scanworker.cores", lambda: 2)
    assert processes_for(MIN_HUBS - 1, 64) == 1
    assert processes_for(2 * MIN_HUBS, 64) == 2
    assert processes_for(50 * MIN_HUBS, 64) == 2  # no more than the cores
    assert processes_for(2 * MIN_HUBS, 1) == 1  # each process needs a request in flight
    assert processes_for(3, 64, asked=8) == 3


def test_a_workers_hubs_start_before_the_reads_made_ahead_reach_it_and_ask_nothing_twice(
    tenant: SyntheticTenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's hubs start as soon as it is up, while the scan's process makes the reads
    for every hub (the app and what is inherited, getByIds, the principals' groups): here
    those reach the worker only once the server has seen its hubs list their connections.
    Their reads of what was read ahead wait for it, parked, and ask nothing again."""
    import threading
    import time

    from diagnose.collect.scanworker import Worker

    targets = sorted(
        [Target({"id": tenant.hub_id(i)}) for i in range(9)]
        + [Target({"id": tenant.foundry_id(i)}) for i in range(2)],
        key=lambda t: t.id.lower(),
    )
    theirs = {t.id.lower() + "/connections" for t in split(targets, 2)[1]}
    sent: list[float] = []
    real = Worker.ahead

    def late(worker: Worker, arm: Any, graph: Any) -> None:
        def send() -> None:
            until = time.monotonic() + 60
            while time.monotonic() < until and not any(
                r.path.lower() in theirs for r in server.requests()
            ):
                time.sleep(0.02)
            sent.append(time.monotonic())
            real(worker, arm, graph)

        threading.Thread(target=send, daemon=True).start()

    monkeypatch.setattr(Worker, "ahead", late)
    with ArmServer(FixtureSet("generated", []), Faults(latency=0.1), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        result = _scan(server, 2, concurrency=32)
        received = server.requests()
    assert all(h.collection and not h.collection.snapshot.data["errors"] for h in result.hubs)
    connections = [r.at for r in received if r.path.lower() in theirs]
    assert connections and sent and min(connections) < sent[0]
    assert_graph_asked_once(received)


def test_a_worker_that_cannot_be_started_leaves_its_hubs_to_the_scan(
    served: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = _scan(served, 1)

    def no_process() -> None:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(scanrun, "Worker", no_process)
    shared = _scan(served, 3)
    assert _snapshots(shared) == _snapshots(alone)


def test_a_worker_still_at_work_is_ended_at_once_when_the_scan_stops() -> None:
    """An interrupted scan (or one past its time) does not wait on its workers: a worker
    that has not sent everything is terminated, not waited for."""
    import threading
    import time

    from diagnose.collect.scan import TenantIndex
    from diagnose.collect.scanworker import Share, Worker

    hub = SyntheticTenant(hubs=1, subscriptions=1).hub_id(0)
    resource = {"id": hub, "type": "Microsoft.MachineLearningServices/workspaces", "kind": "hub"}
    settings = settings_from_args(
        SimpleNamespace(hub="scan", arm_endpoint="https://127.0.0.1:9", quiet=True)
    )
    asked = threading.Event()

    class Stuck:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            asked.set()
            time.sleep(30)  # the sign-in never ends

    index = TenantIndex(resources={hub.lower(): resource})
    share = Share(settings, RetrySettings(total=0), index, (resource,), 2, 60.0, False, "", None)
    worker = Worker()
    worker.collect(share, {"arm": Stuck()}, None)
    assert asked.wait(30)  # the worker is at work, waiting for its token
    began = time.monotonic()
    worker.stop()
    assert time.monotonic() - began < 1.5
    assert worker._process.returncode is not None


def test_a_worker_starts_while_resource_graph_is_read(
    served: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's interpreter and imports take as long as Resource Graph's round trips: it
    is started before them, and is the one that collects the second share."""
    from diagnose.collect.scanworker import Worker

    events: list[str] = []
    started: list[Worker] = []

    class Recorded(Worker):
        def __init__(self) -> None:
            events.append("worker started")
            super().__init__()
            started.append(self)

        def collect(self, *args: Any) -> None:
            events.append("worker given its share")
            super().collect(*args)

    read = scanrun.read_tenant

    def reading(*args: Any, **kwargs: Any) -> Any:
        events.append("Resource Graph read")
        return read(*args, **kwargs)

    monkeypatch.setattr(scanrun, "Worker", Recorded)
    monkeypatch.setattr(scanrun, "read_tenant", reading)
    alone = _scan(served, 1)
    events.clear()
    shared = _scan(served, 2)
    assert events == ["worker started", "Resource Graph read", "worker given its share"]
    assert _snapshots(shared) == _snapshots(alone)
    assert started[0].hubs  # it collected


def test_a_worker_started_early_that_the_scan_does_not_need_is_ended_at_once(
    tenant: SyntheticTenant, served: ArmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too few hubs for a second process (MIN_HUBS): the worker started while Resource
    Graph was read is ended as soon as that is known (terminated, not left to finish its
    imports and wait for the scan to end), and the scan's own process collects them all."""
    from diagnose.collect.scanworker import Worker

    started: list[Worker] = []

    class Recorded(Worker):
        def __init__(self) -> None:
            super().__init__()
            started.append(self)

    monkeypatch.setattr("diagnose.collect.scanworker.cores", lambda: 2)
    monkeypatch.setattr(scanrun, "Worker", Recorded)
    alone = _scan(served, 1)
    assert not started
    result = _scan(served, None)  # 11 hubs: one process
    assert len(started) == 1 and started[0]._process.returncode is not None
    assert started[0]._process.returncode < 0  # terminated, before the scan ended
    assert not started[0].hubs
    assert _snapshots(result) == _snapshots(alone)


def test_the_scans_own_process_takes_a_smaller_share_than_a_worker() -> None:
    """It also reads what every hub needs read once: with 20 subscriptions of 25 hubs, it
    takes 9 of them and the worker 11 (even shares left it 0.3-0.8 s behind its worker)."""
    targets = [_target(s, f"h{s}-{i}") for s in range(20) for i in range(25)]
    assert [len(share) for share in split(targets, 2)] == [225, 275]
    assert [len(share) for share in split(targets, 2, own=1.0)] == [250, 250]


def _recorded(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """How many hubs each call of owner.name handed over."""
    handed: list[int] = []
    real = getattr(owner, name)

    def record(*args: Any) -> Any:
        answer = real(*args)
        handed.append(len(answer))
        return answer

    monkeypatch.setattr(owner, name, record)
    return handed


@pytest.mark.parametrize("own", [100.0, 0.01])
def test_a_process_whose_hubs_have_all_begun_takes_a_subscription_the_other_has_not_begun(
    monkeypatch: pytest.MonkeyPatch, own: float
) -> None:
    """Shared out badly (the scan's own process with all but one subscription, or with one
    only), one request in flight each, 0.1 s a request: the process done beginning its
    hubs first takes a whole subscription the other has not begun, and every hub's snapshot
    and every read is still what one process makes, each read as often."""
    from diagnose.collect import scanworker

    tenant = SyntheticTenant(hubs=12, subscriptions=6)
    with ArmServer(FixtureSet("generated", []), Faults(latency=0.1), tenant=tenant) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        alone = _scan(server, 1, concurrency=2)
        alone_reads = Counter((r.method, r.path.lower(), r.in_batch) for r in server.requests())
        monkeypatch.setattr(scanworker.split, "__defaults__", (own,))
        to_worker = _recorded(monkeypatch, scanrun.Hubs, "give")
        to_scan = _recorded(monkeypatch, scanworker.Worker, "take")
        shared = _scan(server, 2, concurrency=2)
        shared_reads = Counter((r.method, r.path.lower(), r.in_batch) for r in server.requests())
    # the process with less to do took a subscription of the other's
    assert any(to_worker if own > 1 else to_scan), (to_worker, to_scan)
    assert _snapshots(shared) == _snapshots(alone)
    assert shared_reads == alone_reads


def test_a_worker_that_has_ended_gives_nothing_at_once_however_often_it_is_asked() -> None:
    """With two workers or more, the scan's own process asks each for hubs again whenever
    the hubs it took have all begun; a worker that has ended answers nothing, at once, each
    time. Before, only its first answer came (its end); the next ask waited for the scan's
    deadline, and a 4-core scan of 500 hubs hung for minutes in about one run in six."""
    import threading

    from diagnose.collect.scan import TenantIndex
    from diagnose.collect.scanworker import Share, Worker

    settings = settings_from_args(
        SimpleNamespace(hub="scan", arm_endpoint="https://127.0.0.1:9", quiet=True)
    )
    share = Share(settings, RetrySettings(total=0), TenantIndex(), (), 2, 60.0, False, "", None)
    worker = Worker()
    try:
        worker.collect(share, {"arm": StaticTokenCredential(TOKEN)}, None)
        worker.ahead({}, None)
        assert worker._reader is not None
        worker._reader.join(30)  # a share of no hubs: the worker ends at once
        assert not worker._reader.is_alive() and worker.failure is None
        answers: list[list[Any]] = []
        asking = threading.Thread(
            target=lambda: answers.extend(worker.take(60.0) for _ in "abc"), daemon=True
        )
        asking.start()
        asking.join(30)  # far less than the 3 x 60 s that waiting for each would take
        assert not asking.is_alive()
        assert answers == [[], [], []]
    finally:
        worker.stop()
