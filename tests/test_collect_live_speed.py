"""Live collection near the latency floor (issue 15), without giving up a guarantee:

- the window of requests in flight adapts: it grows while answers are healthy, halves once
  per throttling episode, waits out Retry-After, never past the deadline; against a
  loopback server that throttles what it cannot take, the collection finishes complete,
  with the same snapshot, and keeps few requests refused;
- requests stay bounded per scenario (at most 3 per project + 100), memberships go in Graph
  batches and role assignments are listed per scope family, never per principal;
- the faster pieces read exactly what the slower ones did (JSON decoding, the relevance
  short cut for the unrelated scopes of a big listing).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.arm.scopes import scope_key, segments_of
from diagnose.collect.clients import RetrySettings
from diagnose.collect.credentials import Credentials, StaticTokenCredential
from diagnose.collect.deadline import Deadline, DeadlineExceeded
from diagnose.collect.jsonbody import loads, response_json
from diagnose.collect.limit import AdaptiveLimit, throttled
from diagnose.collect.relevance import Relevance
from diagnose.collect.run import collect
from diagnose.collect.scheduler import LEAF, Scheduler
from diagnose.collect.settings import settings_from_args
from diagnose.testing.armserver import ArmServer, Faults
from diagnose.testing.scenarios import FOUNDRY, HUB, big_foundry, big_hub


# -- the adaptive window -------------------------------------------------------------------
def test_the_window_grows_by_one_per_healthy_answer_up_to_the_ceiling():
    limit = AdaptiveLimit(ceiling=40, start=4)
    for _ in range(100):
        limit.release(limit.acquire(), 200)
    assert limit.window == 40 and limit.largest == 40


def test_the_window_holds_while_answers_come_back_slower_than_the_fastest_did():
    """Answers that take twice as long as the fastest mean requests queue (at the service,
    or in this process, whose threads share one interpreter lock): a wider window would
    only add to the queue, so it stops growing, and grows again once answers speed up."""
    limit = AdaptiveLimit(ceiling=64, start=4)
    for _ in range(4):
        limit.acquire()
        limit.release(time.monotonic() - 0.05, 200)  # 50 ms answers
    assert limit.window == 8
    for _ in range(30):
        limit.acquire()
        limit.release(time.monotonic() - 0.5, 200)  # ten times slower: queueing
    held = limit.window
    assert held < 8 + 30 and limit.largest == held
    for _ in range(40):
        limit.acquire()
        limit.release(time.monotonic() - 0.05, 200)
    assert limit.window > held


def test_a_throttle_halves_the_window_once_per_episode():
    limit = AdaptiveLimit(ceiling=64, start=32)
    sent = [limit.acquire() for _ in range(32)]
    for at in sent:  # the whole round comes back throttled: one episode, one halving
        limit.release(at, 429, {"Retry-After": "0"})
    assert limit.window == 16 and limit.halvings == 1
    at = limit.acquire()  # sent after the halving: its throttle is a new episode
    limit.release(at, 429, {})
    assert limit.window == 8 and limit.halvings == 2
    for _ in range(8):  # past a throttle it grows by 1/window per answer: slowly
        limit.release(limit.acquire(), 200)
    assert limit.window == 8
    limit.release(limit.acquire(), 200)
    assert limit.window == 9


def test_a_wait_for_a_slot_never_outlasts_the_deadline():
    limit = AdaptiveLimit(ceiling=1)
    limit.acquire()  # the only slot, never given back
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        limit.acquire(Deadline(0.3))
    assert time.monotonic() - start < 2


def test_a_full_window_makes_the_next_request_wait_for_a_slot():
    limit = AdaptiveLimit(ceiling=2, start=2)
    first, second = limit.acquire(), limit.acquire()
    let_go = threading.Event()

    def third() -> None:
        limit.acquire()
        let_go.set()

    threading.Thread(target=third, daemon=True).start()
    assert not let_go.wait(0.2)
    limit.release(first, 200)
    assert let_go.wait(2)
    limit.release(second, 200)


def test_a_first_in_line_request_takes_the_next_slot_and_the_others_still_get_theirs():
    """The scan's reads for every hub (limit.first_in_line) go before requests that were
    waiting already; once they have their slots, the others get the next ones (none left
    waiting while a slot is free)."""
    from diagnose.collect.limit import first_in_line

    limit = AdaptiveLimit(ceiling=2, start=2)
    held = [limit.acquire(), limit.acquire()]
    order: list[str] = []

    def ask(name: str, first: bool) -> None:
        if first:
            first_in_line()
        limit.acquire()
        order.append(name)

    def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert condition()

    others = [threading.Thread(target=ask, args=(f"other-{n}", False)) for n in range(2)]
    for thread in others:
        thread.start()
    until(lambda: len(limit._cond._waiters) == 2)  # type: ignore[attr-defined]
    ahead = threading.Thread(target=ask, args=("ahead", True))
    ahead.start()
    until(lambda: limit._first_waiting == 1)
    limit.release(held.pop(), 200)
    ahead.join(10)
    assert order == ["ahead"]
    limit.release(held.pop(), 200)  # one slot: one of the others
    until(lambda: len(order) == 2)
    limit.release(time.monotonic(), 200)  # the last one's turn
    for thread in others:
        thread.join(10)
    assert sorted(order[1:]) == ["other-0", "other-1"]


@pytest.mark.parametrize(
    ("status", "headers", "pause"),
    [
        (429, {"Retry-After": "2"}, 2.0),
        (429, {}, 0.0),
        (503, {"Retry-After": "1"}, 1.0),
        (503, {}, None),  # a fault, not a throttle
        (500, {"Retry-After": "1"}, None),
        (200, {}, None),
        (None, {}, None),
    ],
)
def test_what_counts_as_a_throttle(status, headers, pause):
    assert throttled(status, headers) == pause


# -- against the loopback server -------------------------------------------------------------
def _collect(server: ArmServer, concurrency: int, retries: int = 0, hub: str = HUB):
    args = SimpleNamespace(
        hub=hub, arm_endpoint=server.url, graph_endpoint=server.url, concurrency=concurrency
    )
    credentials = Credentials(StaticTokenCredential("arm-t0ken"), StaticTokenCredential("gr-t0ken"))
    return collect(
        settings_from_args(args),
        credentials,
        retry=RetrySettings(total=retries, backoff_factor=0.01, backoff_max=1),
    )


@pytest.fixture()
def trusting(monkeypatch):
    def trust(server: ArmServer) -> ArmServer:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        return server

    return trust


def _content(collection) -> dict:
    data = dict(collection.snapshot.data)
    data.pop("collectedAt", None)
    return data


def test_a_throttling_server_shrinks_the_window_and_the_collection_is_complete(trusting):
    """The server answers 429 (Retry-After 0.05 s) to whatever arrives while 4 requests to
    the same service are being answered; the collection may send up to 32 at once. It ends
    without an error and with the snapshot of an unthrottled run, and fewer requests are
    refused than answered: the window came down to what the server takes. (With a fixed 32
    at once, the same run is refused two to three times as often as it is answered, and
    requests run out of retries.)"""
    fixtures = big_hub(20, 2, people_per_project=5)
    with trusting(ArmServer(fixtures, Faults(latency=0.01))) as server:
        calm = _collect(server, concurrency=32)
    faults = Faults(latency=0.01, max_in_flight=4, crowded_retry_after=0.05)
    with trusting(ArmServer(fixtures, faults)) as server:
        busy = _collect(server, concurrency=32, retries=20)
        refused = [r for r in server.requests() if r.status == 429]
        answered = [r for r in server.requests() if r.status == 200 and not r.in_batch]
    assert busy.snapshot.data["errors"] == []
    assert _content(busy) == _content(calm)
    assert refused, "the server never throttled: the test proves nothing"
    assert len(refused) < len(answered), (len(refused), len(answered))


def test_a_healthy_server_sees_more_at_once_than_the_first_window(trusting):
    with trusting(ArmServer(big_hub(20, 2, people_per_project=5), Faults(latency=0.5))) as server:
        _collect(server, concurrency=64)
        assert server.most_in_flight > 16


def test_requests_stay_within_three_per_project_and_a_hundred(trusting):
    """20 projects, 2 connections and 5 people each: memberships go 20 to a Graph batch,
    role assignments are listed per subscription (scope family), never per principal."""
    with trusting(ArmServer(big_hub(20, 2, people_per_project=5), Faults())) as server:
        collection = _collect(server, concurrency=16)
        received = server.requests()
    assert collection.snapshot.data["errors"] == []
    assert len(collection.requests) <= 3 * 20 + 100
    listings = [r for r in received if r.path.endswith("/roleAssignments")]
    assert len(listings) == 1 and "$filter" not in listings[0].query
    assert not any("assignedTo" in str(r.query) or "principalId" in str(r.query) for r in received)
    alone = [r for r in received if not r.in_batch]
    assert not any(r.path.endswith("/getMemberGroups") for r in alone)
    people = {p["id"] for p in collection.snapshot.data["principals"]}
    assert len(people) > 100  # the 100 people, the identities, the group...
    batches = [r for r in alone if r.path == "/v1.0/$batch"]
    # 20 to a batch, less where principals turn up a few at a time (when depends on timing)
    assert len(batches) * 10 <= len(people)


# -- the order of the steps ------------------------------------------------------------------
def test_the_deeper_wave_goes_first_and_leaves_go_last():
    """One worker: what a wide wave's first answer leads to runs before the rest of the wide
    wave (its round trips then pass while the wide wave is read, instead of after its last
    answer); leaves still wait for every step that leads somewhere, and go oldest first."""
    ran: list[tuple[str, int]] = []
    scheduler = Scheduler(1)

    def step(wave: int, name: str, then: tuple = ()) -> None:
        ran.append((name, wave))
        for child, grandchildren, priority in then:
            scheduler.submit(wave + 1, step, child, grandchildren, priority=priority)

    deep = (("deep", (("deeper", (), 0), ("deeper leaf", (), LEAF)), 0),)
    wide = (("wide-1", deep, 0), ("leaf", (), LEAF), ("wide-2", (), 0), ("wide-3", (), 0))
    scheduler.submit(0, step, "root", wide)
    scheduler.wait()
    assert ran == [
        ("root", 0),
        ("wide-1", 1),
        ("deep", 2),
        ("deeper", 3),
        ("wide-2", 1),
        ("wide-3", 1),
        ("leaf", 1),  # leaves: the oldest wave first
        ("deeper leaf", 3),
    ]


def test_a_foundry_resources_chain_is_read_while_its_projects_are(trusting):
    """The Cosmos DB account the projects' connections name, and its SQL role assignments,
    are read while the projects' own children still wait for a worker, not after the last
    of them."""
    fixtures = big_foundry(20, 40, 100)
    with trusting(ArmServer(fixtures, Faults(latency=0.01))) as server:
        collection = _collect(server, concurrency=4, hub=FOUNDRY)
        received = server.requests()
    assert collection.snapshot.data["errors"] == []
    projects = [r.at for r in received if "/projects/" in r.path]
    chain = [r.at for r in received if r.path.endswith("/sqlRoleAssignments")]
    assert len(projects) == 40 and len(chain) == 1
    assert chain[0] < sorted(projects)[-8], "the chain waited for the projects' last round"


# -- what the faster pieces read ---------------------------------------------------------------
BODIES = [
    b'{"value": [1, 2.5, "x", null, true, -0.0, 1e308]}',
    b'{"n": NaN, "i": Infinity}',  # orjson refuses these; the standard library reads them
    b'{"big": 123456789012345678901234567890}',
    b'{"s": "\\ud800"}',
    b'{"a": 1, "a": 2}',
    '{"name": "caf\u00e9 \u2028"}'.encode(),
]


@pytest.mark.parametrize("body", BODIES)
def test_bodies_decode_to_what_the_standard_library_reads(body):
    assert repr(loads(body)) == repr(json.loads(body))


class _Response:
    """What response_json reads of an azure-core response."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def json(self):  # azure-core's own decoding: charset and byte-order mark handled
        return json.loads(self.content.decode("utf-8-sig"))


@pytest.mark.parametrize("body", [*BODIES, b'\xef\xbb\xbf{"bom": 1}'])
def test_a_response_is_decoded_once_as_azure_core_would(body):
    response = _Response(body)
    first = response_json(response)
    assert repr(first) == repr(json.loads(body.decode("utf-8-sig")))
    assert response_json(response) is first


def test_a_body_that_is_not_json_is_still_a_value_error():
    with pytest.raises(ValueError):
        loads(b"<html>busy</html>")


SUB = "/subscriptions/00000000-1111-2222-3333-444444444444"
PART = st.sampled_from(
    ["resourceGroups", "rg-a", "RG-A", "rg-b", "providers", "Microsoft.X", "a", "b", "c"]
)
SCOPE = st.one_of(
    st.lists(PART, max_size=7).map(lambda p: "/".join([SUB, *p])),
    st.just("/providers/Microsoft.Management/managementGroups/mg"),
    st.just("/"),
)


def _keeps_slowly(relevant: set[str], scope: str) -> bool:
    """Relevance.keeps as it was before its short cut: at, above or below a relevant one."""
    key = scope_key(scope)
    if not key.startswith("/subscriptions/"):
        return True
    keys = {scope_key(r) for r in relevant}
    if key in keys or any(r.startswith(key + "/") for r in keys):
        return True
    segments = segments_of(key)
    return any("/" + "/".join(segments[:end]) in keys for end in range(2, len(segments)))


@settings(max_examples=400, deadline=None)
@given(relevant=st.sets(SCOPE, max_size=4), scope=SCOPE)
def test_the_short_cut_for_unrelated_resource_groups_keeps_what_the_scan_kept(relevant, scope):
    relevance = Relevance()
    for resource in relevant:
        relevance.add(resource)
    assert relevance.keeps(scope) == _keeps_slowly(relevant, scope)


@settings(max_examples=300, deadline=None)
@given(relevant=st.sets(SCOPE, max_size=4), scopes=st.lists(SCOPE, max_size=12))
def test_a_listings_keeper_keeps_what_keeps_keeps(relevant, scopes):
    """keeper() works out once per resource group what keeps_key works out per key: for a
    batch of keys (the relevant resources unchanged) it answers the same for each."""
    relevance = Relevance()
    for resource in relevant:
        relevance.add(resource)
    keeps = relevance.keeper()
    keys = [scope_key(s) for s in scopes]
    assert [keeps(k) for k in keys] == [_keeps_slowly(relevant, k) for k in keys]
