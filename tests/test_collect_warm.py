"""Connections opened ahead (warm.py): once the first connection to a real server is up, more
are opened in the background and the requests that follow use them, instead of each opening
its own; nothing is opened for a test double that replaces the adapter's send."""

from __future__ import annotations

import concurrent.futures
import queue
import socket
import time

import pytest
import requests
import responses
import urllib3.connection

from diagnose.collect.deadline import Deadline
from diagnose.collect.pipeline import _session, _still_connected
from diagnose.collect.warm import Warmer
from diagnose.testing.armserver import ArmServer
from diagnose.testing.fixtures import FixtureSet, exchange

pytestmark = pytest.mark.usefixtures("requests_transport")  # `responses` patches requests

PATH = "/subscriptions/0a0a0a0a-1111-2222-3333-444444444444/resourceGroups"
BEARER = {"Authorization": "Bearer test-t0ken"}
FIXTURES = FixtureSet("warm", [exchange("GET", PATH, {"api-version": "1"}, body={"value": []})])


@pytest.fixture()
def connects(monkeypatch):
    """How many TLS connections were opened (handshakes done)."""
    opened: list[int] = []
    original = urllib3.connection.HTTPSConnection.connect

    def connect(self):
        original(self)
        opened.append(1)

    monkeypatch.setattr(urllib3.connection.HTTPSConnection, "connect", connect)
    return opened


def _warmed(session: requests.Session, url: str, count: int) -> None:
    """The first request, then wait until `count` connections sit in the pool (the first
    request's own counts once it is back: wait for all that will be there, or a warmer
    still in its handshake is missed)."""
    assert session.get(url, timeout=10, headers=BEARER).status_code == 200
    (pool,) = session.get_adapter(url)._pools.values()  # the one origin's pool
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ready = [c for c in list(pool.pool.queue) if c is not None and c.sock is not None]
        if len(ready) >= count:
            return
        time.sleep(0.01)
    raise AssertionError("the connections opened ahead never reached the pool")


def test_requests_after_the_first_use_the_connections_opened_ahead(monkeypatch, connects):
    with ArmServer(FIXTURES) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        session = _session(16, Deadline(60), warm=12)
        url = f"{server.url}{PATH}?api-version=1"
        _warmed(session, url, 13)  # the first request's own, and 12 ahead
        opened_ahead = len(connects)
        assert opened_ahead == 13  # the first request's own, and 12 ahead
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            answers = list(
                pool.map(lambda _: session.get(url, timeout=10, headers=BEARER), range(12))
            )
        session.close()
    assert all(a.status_code == 200 for a in answers)
    # TLS 1.3 session tickets the server sent after each handshake made the idle
    # connections readable; taken for dropped, each would have been opened again.
    assert len(connects) <= opened_ahead + 1


class _Conn:
    def __init__(self, fail: bool = False) -> None:
        self.fail, self.connected, self.closed, self.timeout = fail, False, False, None

    def connect(self) -> None:
        if self.fail:
            raise OSError("refused")
        self.connected = True

    def close(self) -> None:
        self.closed = True


class _Pool:
    """A urllib3 pool's queue and the two calls the warmer makes."""

    def __init__(self, size: int, fail_after: int | None = None) -> None:
        self.pool: queue.LifoQueue[object] = queue.LifoQueue(size)
        for _ in range(size):
            self.pool.put(None)
        self.made: list[_Conn] = []
        self._fail_after = fail_after

    def _new_conn(self) -> _Conn:
        fail = self._fail_after is not None and len(self.made) >= self._fail_after
        self.made.append(_Conn(fail))
        return self.made[-1]

    def _put_conn(self, conn: object) -> None:
        self.pool.put(conn, block=False)  # queue.Full when overfilled


def _warm(pool: _Pool, count: int) -> Warmer:
    warmer = Warmer(count, Deadline(60), 5.0)
    for thread in warmer.start(pool):
        thread.join(10)
    assert warmer.start(pool) == []  # once
    return warmer


def test_the_warmer_takes_no_more_places_than_the_pool_has():
    pool = _Pool(6)
    warmer = _warm(pool, 10)
    assert warmer.opened == 6 and len(pool.made) == 6
    assert pool.pool.full() and all(c is not None and c.connected for c in pool.pool.queue)


def test_a_connection_that_fails_to_open_ends_the_warming_and_frees_its_place():
    pool = _Pool(8, fail_after=3)
    warmer = _warm(pool, 8)
    assert warmer.opened < 8 and all(c.closed for c in pool.made if c.fail)
    assert pool.pool.full()  # every place taken is back, None where nothing was opened
    assert sum(c is None for c in pool.pool.queue) == 8 - warmer.opened


def test_no_connection_is_opened_ahead_without_warm(monkeypatch, connects):
    with ArmServer(FIXTURES) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        session = _session(16, Deadline(60))
        url = f"{server.url}{PATH}?api-version=1"
        assert session.get(url, timeout=10, headers=BEARER).status_code == 200
        time.sleep(0.2)
        session.close()
    assert len(connects) == 1


def test_a_test_double_of_the_adapter_gets_no_connection(connects):
    session = _session(16, Deadline(60), warm=16)
    url = f"https://management.azure.com{PATH}?api-version=1"
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, url, json={"value": []})
        assert session.get(url, timeout=10, headers=BEARER).status_code == 200
    time.sleep(0.2)
    session.close()
    assert connects == []


@pytest.mark.parametrize(
    ("peer", "usable"),
    [("idle", True), ("closed", False), ("unasked data", False)],
)
def test_an_idle_connection_is_usable_only_while_the_server_keeps_it_quiet(peer, usable):
    ours, theirs = socket.socketpair()
    try:
        if peer == "closed":
            theirs.close()
        elif peer == "unasked data":
            theirs.sendall(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
        time.sleep(0.05)
        assert _still_connected(ours) is usable
        assert ours.gettimeout() is None  # left as it was
    finally:
        ours.close()
        theirs.close()
