"""TLS connections of a collection share one SSL context per trust bundle (pipeline.py):
the bundle is read once, not once per connection, and every connection still verifies the
server's certificate."""

from __future__ import annotations

import concurrent.futures

import pytest
import requests
import urllib3.connection

from diagnose.collect.deadline import Deadline
from diagnose.collect.pipeline import _session
from diagnose.testing.armserver import ArmServer
from diagnose.testing.fixtures import FixtureSet, exchange

PATH = "/subscriptions/0a0a0a0a-1111-2222-3333-444444444444/resourceGroups"
BEARER = {"Authorization": "Bearer test-t0ken"}
FIXTURES = FixtureSet("tls", [exchange("GET", PATH, {"api-version": "1"}, body={"value": []})])


@pytest.fixture()
def wrapped(monkeypatch):
    """(ca_certs, ssl_context) of every TLS connection opened."""
    seen: list[tuple[object, object]] = []
    original = urllib3.connection.ssl_wrap_socket

    def wrap(*args, **kwargs):
        seen.append((kwargs.get("ca_certs"), kwargs.get("ssl_context")))
        return original(*args, **kwargs)

    monkeypatch.setattr(urllib3.connection, "ssl_wrap_socket", wrap)
    return seen


def test_many_connections_read_the_trust_bundle_once(monkeypatch, wrapped):
    with ArmServer(FIXTURES) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        session = _session(16, Deadline(60))
        url = f"{server.url}{PATH}?api-version=1"
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            answers = list(
                pool.map(lambda _: session.get(url, timeout=10, headers=BEARER), range(48))
            )
    assert all(a.status_code == 200 for a in answers)
    assert len(wrapped) > 1, "one connection proves nothing"
    assert {ca for ca, _ in wrapped} == {None}  # no bundle read per connection
    assert len({id(context) for _, context in wrapped}) == 1


def test_a_server_the_bundle_does_not_vouch_for_is_refused(monkeypatch):
    with ArmServer(FIXTURES) as trusted, ArmServer(FIXTURES) as stranger:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(trusted.ca_bundle))
        session = _session(4, Deadline(60))
        assert (
            session.get(
                f"{trusted.url}{PATH}?api-version=1", timeout=10, headers=BEARER
            ).status_code
            == 200
        )
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"{stranger.url}{PATH}?api-version=1", timeout=10, headers=BEARER)
