"""The http.client transport (httpclient.py, httppool.py, httpresponse.py) against loopback
servers: both azure-core request kinds, TLS trust, proxies, content decoding, keep-alive,
the error mapping, concurrency and the deadline. The end-to-end tests (tests/e2e) run the
whole collection on it."""

from __future__ import annotations

import concurrent.futures
import gzip
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from azure.core.exceptions import (
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpRequest as LegacyRequest
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from diagnose.collect import httpclient, httppool
from diagnose.collect.clients import RetrySettings, api_error, arm_client
from diagnose.collect.credentials import StaticTokenCredential
from diagnose.collect.deadline import Deadline
from diagnose.collect.hints import retry_hint
from diagnose.collect.httpclient import HttpClientTransport
from diagnose.collect.pipeline import HTTP_CLIENT_VARIABLE, http_client, transport
from diagnose.collect.requestlog import RequestLog
from diagnose.collect.sent_tokens import SentTokens
from diagnose.testing.armserver import ArmServer
from diagnose.testing.certs import make_certificate
from diagnose.testing.fixtures import FixtureSet, exchange
from diagnose.testing.proxy import TunnelProxy

PATH = "/subscriptions/0a0a0a0a-1111-2222-3333-444444444444/resourceGroups"
ITEMS = [{"name": f"rg-{i}"} for i in range(3)]
FIXTURES = FixtureSet("http", [exchange("GET", PATH, {"api-version": "1"}, body={"value": ITEMS})])
BEARER = {"Authorization": "Bearer test-t0ken"}
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_of_the_caller(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def _transport(deadline: Deadline | None = None, pool_size: int = 4) -> HttpClientTransport:
    deadline = deadline or Deadline(60)
    return HttpClientTransport(
        deadline,
        pool_size=pool_size,
        fallback=lambda: RequestsTransport(),
        connection_timeout=10,
        read_timeout=10,
    )


@pytest.fixture()
def served(monkeypatch) -> Iterator[ArmServer]:
    with ArmServer(FIXTURES) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_bundle))
        yield server


def _url(server: ArmServer) -> str:
    return f"{server.url}{PATH}?api-version=1"


class Scripted:
    """A TLS server on loopback whose every connection is handled by `script(index, tls)`
    (index: the connection's number, from 0); it counts the connections."""

    def __init__(self, directory: Path, script: Callable[[int, ssl.SSLSocket], None]) -> None:
        files = make_certificate(directory)
        self.ca_bundle = str(files.certificate)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(files.certificate, files.key)
        self._script = script
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self._listener.getsockname()[1]}"
        self.connections = 0
        self.release = threading.Event()
        """Set when the test is over: a script waiting on it ends."""
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            index, self.connections = self.connections, self.connections + 1
            threading.Thread(target=self._run, args=(index, conn), daemon=True).start()

    def _run(self, index: int, conn: socket.socket) -> None:
        try:
            with self._context.wrap_socket(conn, server_side=True) as tls:
                self._script(index, tls)
        except OSError:
            pass

    def close(self) -> None:
        self.release.set()
        self._listener.close()


def read_request(tls: ssl.SSLSocket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        piece = tls.recv(65536)
        if not piece:
            return head
        head += piece
    return head


@pytest.fixture()
def scripted(tmp_path, monkeypatch) -> Iterator[Callable[..., Scripted]]:
    made: list[Scripted] = []

    def make(script: Callable[[int, ssl.SSLSocket], None]) -> Scripted:
        server = Scripted(tmp_path / f"s{len(made)}", script)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def ok(body: bytes, *headers: str) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers).encode()
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


# -- the two request kinds ----------------------------------------------------------------


def test_a_rest_request_gets_a_rest_response_read_whole(served):
    with _transport() as sender:
        response = sender.send(HttpRequest("GET", _url(served), headers=BEARER))
    assert type(response).__name__ == "RestHttpClientResponse"
    assert response.status_code == 200 and response.reason == "OK"
    assert response.json() == {"value": ITEMS}
    assert response.headers["CONTENT-TYPE"] == response.headers["content-type"]
    assert response.content_type.startswith("application/json")
    assert b"".join(response.iter_bytes()) == response.content == response.body()
    assert response.text().startswith('{"value"')
    assert response.request.url == _url(served)
    assert response.internal_response.status == 200
    assert response.is_stream_consumed and response.is_closed


def test_a_legacy_request_gets_a_legacy_response(served):
    from azure.core.pipeline.transport import HttpResponse as LegacyResponse

    with _transport() as sender:
        response = sender.send(LegacyRequest("GET", _url(served), headers=BEARER))
    assert isinstance(response, LegacyResponse) and not hasattr(response, "content")
    assert response.status_code == 200 and response.reason == "OK"
    assert response.body().startswith(b'{"value"')
    assert response.text() == response.body().decode()
    assert response.headers["X-MS-REQUEST-ID"] == response.headers["x-ms-request-id"]
    assert b"".join(response.stream_download(None)) == response.body()
    assert response.request.url == _url(served)


def test_a_body_of_either_kind_goes_out_as_requests_sends_it(scripted):
    seen: list[bytes] = []

    def script(index: int, tls: ssl.SSLSocket) -> None:
        while True:
            head = read_request(tls)
            if not head:
                return
            found = head.lower().split(b"content-length: ")
            length = int(found[1].split(b"\r\n")[0]) if len(found) > 1 else 0
            body = head.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                body += tls.recv(65536)
            seen.append(head.split(b"\r\n\r\n")[0] + b"|" + body)
            tls.sendall(ok(b"{}"))

    server = scripted(script)
    legacy = LegacyRequest("POST", f"{server.url}/q?a=1")
    legacy.set_json_body({"query": "é"})
    with _transport() as sender:
        sender.send(HttpRequest("POST", f"{server.url}/q?a=1", json={"query": "é"}))
        sender.send(legacy)
        sender.send(HttpRequest("GET", f"{server.url}/q?a=1"))
    rest, old, get = seen
    assert rest.split(b"|")[1] == old.split(b"|")[1] == b'{"query": "\\u00e9"}'
    for head in (rest, old):
        assert b"\r\nContent-Length: 19|" in head
        assert b"\r\nAccept-Encoding: gzip, deflate\r\n" in head
    assert b"Content-Length" not in get


def test_the_target_is_quoted_as_requests_quotes_it():
    from requests.models import PreparedRequest

    origin = httppool.Origin("https", "h", 443, None, False, None)
    for path in (
        "/subscriptions/x/resourceGroups/rg-ü (1)/providers?api-version=1",
        "/a%7Eb/%41?$filter=name eq 'x'&b=%2f",
        "/plain/path?api-version=2022-04-01&$top=5",
        "/x?%24skiptoken=eyJ%2B%3D&$filter=atScope%28%29",
        "/x?a=%7e%7E&b=[1]",
        "/x?a=%7E&b=%2F",
    ):
        request = HttpRequest("GET", f"https://h{path}")
        prepared = PreparedRequest()
        prepared.prepare(method="GET", url=f"https://h{path}")
        parts = urlsplit(request.url)
        assert httpclient._request_line(origin, parts, request, None)[0] == prepared.path_url


# -- trust ----------------------------------------------------------------------------------


def test_the_bundle_of_requests_ca_bundle_is_trusted_and_read_once(served, monkeypatch):
    built: list[object] = []
    original = httppool._new_context
    monkeypatch.setattr(httppool, "_new_context", lambda *a: built.append(a) or original(*a))
    httppool._contexts.clear()
    with _transport() as one, _transport() as two:
        for sender in (one, two):
            assert sender.send(HttpRequest("GET", _url(served), headers=BEARER)).status_code == 200
    assert len(built) == 1  # one context for the bundle, shared by both transports


def test_a_bundle_changed_on_disk_is_read_again(served, tmp_path, monkeypatch):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(Path(served.ca_bundle).read_bytes())
    first = httppool.tls_context(str(bundle), None)
    assert httppool.tls_context(str(bundle), None) is first
    bundle.write_bytes(Path(served.ca_bundle).read_bytes() * 2)
    assert httppool.tls_context(str(bundle), None) is not first


def test_a_server_no_bundle_vouches_for_is_refused_with_the_same_hint(monkeypatch):
    with ArmServer(FIXTURES) as trusted, ArmServer(FIXTURES) as stranger:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(trusted.ca_bundle))
        with _transport() as sender:
            assert sender.send(HttpRequest("GET", _url(trusted), headers=BEARER)).status_code == 200
            with pytest.raises(ServiceRequestError) as raised:
                sender.send(HttpRequest("GET", _url(stranger), headers=BEARER))
        assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)
        assert str(raised.value).startswith("SSLError")  # in the handshake, not connecting
        assert stranger.requests() == []
        error = api_error(raised.value, SentTokens()).as_entry("/x", "Microsoft.Resources/read")
    assert error["code"] == "ServiceRequestError"
    assert retry_hint(error) == "retry later (Azure was busy or unreachable)"


def test_the_trust_read_ahead_is_the_one_connections_use(served, monkeypatch):
    built: list[object] = []
    original = httppool._new_context
    monkeypatch.setattr(httppool, "_new_context", lambda *a: built.append(a) or original(*a))
    httppool._contexts.clear()
    httppool.warm_trust()
    assert len(built) == 1
    with _transport() as sender:
        assert sender.send(HttpRequest("GET", _url(served), headers=BEARER)).status_code == 200
    assert len(built) == 1
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nowhere/bundle.pem")
    httppool.warm_trust()  # left to the request that needs it to report


def test_a_client_certificate_is_part_of_the_context(served, tmp_path):
    files = make_certificate(tmp_path / "client")
    plain = httppool.tls_context(str(served.ca_bundle), None)
    mine = httppool.tls_context(str(served.ca_bundle), (str(files.certificate), str(files.key)))
    assert mine is not plain
    assert (
        httppool.tls_context(str(served.ca_bundle), (str(files.certificate), str(files.key)))
        is mine
    )


def test_a_missing_bundle_is_a_request_error_not_a_crash(served, monkeypatch, tmp_path):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "absent.pem"))
    with _transport() as sender, pytest.raises(ServiceRequestError, match="invalid path"):
        sender.send(HttpRequest("GET", _url(served), headers=BEARER))


def test_an_unreadable_bundle_is_a_request_error_not_a_crash(served, monkeypatch, tmp_path):
    """A bundle that is there but cannot be read (permissions: ssl raises PermissionError)
    is urllib3's SSLError under requests (ServiceRequestError), not an OSError out of send."""
    bundle = tmp_path / "unreadable.pem"
    bundle.write_text("")

    def unreadable(verify, cert):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.setattr(httppool, "_new_context", unreadable)
    with _transport() as sender, pytest.raises(ServiceRequestError, match="Permission"):
        sender.send(HttpRequest("GET", _url(served), headers=BEARER))


# -- proxies ---------------------------------------------------------------------------------


def test_https_is_tunnelled_through_the_environments_proxy(served, monkeypatch):
    with TunnelProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with _transport() as sender:
            for _ in range(3):
                assert (
                    sender.send(HttpRequest("GET", _url(served), headers=BEARER)).status_code == 200
                )
    port = served.url.rsplit(":", 1)[1]
    assert [t.target for t in proxy.tunnels] == [f"127.0.0.1:{port}"]  # kept alive
    assert proxy.tunnels[0].authorization is None
    assert len(served.requests()) == 3


def test_the_proxys_credentials_go_in_proxy_authorization_only(served, monkeypatch):
    with TunnelProxy(("alice", "p@ss word")) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://alice:p%40ss%20word@127.0.0.1:{proxy.port}")
        with _transport() as sender:
            assert sender.send(HttpRequest("GET", _url(served), headers=BEARER)).status_code == 200
            assert "p%40ss" not in repr(list(sender._pools))
            assert "Basic" not in repr(list(sender._pools))
        monkeypatch.setenv("HTTPS_PROXY", f"http://alice:wrong@127.0.0.1:{proxy.port}")
        with _transport() as sender, pytest.raises(ServiceRequestError) as raised:
            sender.send(HttpRequest("GET", _url(served), headers=BEARER))
    assert proxy.tunnels[0].allowed and not proxy.tunnels[1].allowed
    assert "407" in str(raised.value) and "wrong" not in str(raised.value)
    assert str(raised.value).startswith(f"Unable to connect to proxy 127.0.0.1:{proxy.port}")
    assert "alice" not in str(raised.value)
    assert len(served.requests()) == 1


def test_no_proxy_bypasses_the_proxy_for_its_hosts_only(served, monkeypatch):
    with TunnelProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with _transport() as sender:
            assert sender.send(HttpRequest("GET", _url(served), headers=BEARER)).status_code == 200
            # the origin is remembered per host: another host is still proxied
            localhost = _url(served).replace("127.0.0.1", "localhost")
            assert sender.send(HttpRequest("GET", localhost, headers=BEARER)).status_code == 200
    assert [t.target.split(":")[0] for t in proxy.tunnels] == ["localhost"]


def test_a_proxy_it_does_not_speak_goes_to_requests_transport(monkeypatch):
    sent: list[object] = []

    class Fallback:
        def send(self, request, **kwargs):
            sent.append((request, kwargs))
            return "requests' answer"

        def close(self):
            pass

    monkeypatch.setenv("HTTPS_PROXY", "socks5://127.0.0.1:9")
    sender = HttpClientTransport(Deadline(60), pool_size=2, fallback=Fallback)
    request = HttpRequest("GET", "https://example.invalid/x")
    assert sender.send(request, read_timeout=5) == "requests' answer"
    assert sent[0][0] is request and sent[0][1]["read_timeout"] == 5
    sender.close()


def test_an_http_url_through_a_proxy_is_asked_in_absolute_form():
    proxy = httppool.Proxy("proxy", 3128, "Basic eDp5")
    origin = httppool.Origin("http", "h", 80, proxy, False, None)
    request = HttpRequest("GET", "http://user:pw@h/x?y=1#frag")
    target, headers = httpclient._request_line(origin, urlsplit(request.url), request, None)
    assert target == "http://h/x?y=1"
    assert ("Proxy-Authorization", "Basic eDp5") in headers


# -- content ---------------------------------------------------------------------------------


def test_a_gzip_body_is_decoded(scripted):
    body = b'{"value": [' + b'"x", ' * 1000 + b'"y"]}'
    squeezed = gzip.compress(body)

    def script(index: int, tls: ssl.SSLSocket) -> None:
        while read_request(tls):
            tls.sendall(ok(squeezed, "Content-Encoding: gzip"))

    server = scripted(script)
    with _transport() as sender:
        response = sender.send(HttpRequest("GET", f"{server.url}/x"))
        assert response.content == body
        streamed = sender.send(HttpRequest("GET", f"{server.url}/x"), stream=True)
        assert b"".join(streamed.iter_raw()) == squeezed


def test_deflate_and_unknown_codings_as_urllib3_reads_them():
    import zlib

    assert httpclient.decode(zlib.compress(b"abc"), "deflate") == b"abc"
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert httpclient.decode(raw.compress(b"abc") + raw.flush(), "deflate") == b"abc"
    assert httpclient.decode(gzip.compress(b"a") + gzip.compress(b"b"), "gzip") == b"ab"
    assert httpclient.decode(b"abc", "br") == b"abc"  # not asked for: left as it came


def test_a_body_its_encoding_does_not_decode_is_a_response_error(scripted):
    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)
        tls.sendall(ok(b"not gzip at all", "Content-Encoding: gzip"))

    server = scripted(script)
    with _transport() as sender, pytest.raises(ServiceResponseError):
        sender.send(HttpRequest("GET", f"{server.url}/x"))


# -- keep-alive and failures -----------------------------------------------------------------


def test_a_kept_connection_the_server_closed_is_retried_once_on_a_new_one(scripted, monkeypatch):
    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)
        tls.sendall(ok(b'{"n": %d}' % index))
        read_request(tls)  # the next request on this connection: hang up unanswered

    server = scripted(script)
    # the server closes while the connection is handed out (not seen idle beforehand)
    monkeypatch.setattr(httppool, "still_connected", lambda sock: True)
    with _transport() as sender:
        first = sender.send(HttpRequest("GET", f"{server.url}/x"))
        second = sender.send(HttpRequest("GET", f"{server.url}/x"))
    assert first.json() == {"n": 0} and second.json() == {"n": 1}
    assert server.connections == 2


def test_a_new_connection_hung_up_on_is_not_retried(scripted):
    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)

    server = scripted(script)
    with _transport() as sender, pytest.raises(ServiceResponseError):
        sender.send(HttpRequest("GET", f"{server.url}/x"))
    assert server.connections == 1


def test_an_answer_cut_short_on_a_kept_connection_is_not_sent_again(scripted, monkeypatch):
    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)
        tls.sendall(ok(b"{}"))
        read_request(tls)
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")

    server = scripted(script)
    monkeypatch.setattr(httppool, "still_connected", lambda sock: True)
    with _transport() as sender:
        sender.send(HttpRequest("GET", f"{server.url}/x"))
        with pytest.raises(IncompleteReadError, match="IncompleteRead"):
            sender.send(HttpRequest("GET", f"{server.url}/x"))
    assert server.connections == 1


def test_an_idle_connection_the_server_closed_is_not_used(scripted, monkeypatch):
    closed = threading.Event()

    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)
        tls.sendall(ok(b"{}", "Keep-Alive: timeout=0"))
        if index == 0:
            tls.close()
            closed.set()
        else:
            read_request(tls)

    server = scripted(script)
    used: list[object] = []
    exchange = httpclient._exchange
    monkeypatch.setattr(
        httpclient, "_exchange", lambda conn, *a: used.append(conn) or exchange(conn, *a)
    )
    with _transport() as sender:
        sender.send(HttpRequest("GET", f"{server.url}/x"))
        assert closed.wait(10)
        (pool,) = sender._pools.values()
        (idle,) = [c for c in pool.pool.queue if c is not None]
        assert not httppool.still_connected(idle.sock)
        assert sender.send(HttpRequest("GET", f"{server.url}/x")).status_code == 200
    assert server.connections == 2
    assert used.count(idle) == 1  # seen closed when taken: nothing was sent on it again


def test_a_refused_connection_is_a_request_error():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    with _transport() as sender, pytest.raises(ServiceRequestError) as raised:
        sender.send(HttpRequest("GET", f"https://127.0.0.1:{port}/x"))
    assert not isinstance(raised.value, ServiceRequestTimeoutError)
    assert "Failed to establish a new connection" in str(raised.value)


def test_an_answer_that_never_comes_is_a_response_timeout(scripted):
    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)
        server.release.wait(30)

    server = scripted(script)
    with _transport() as sender, pytest.raises(ServiceResponseTimeoutError):
        sender.send(HttpRequest("GET", f"{server.url}/x"), read_timeout=0.2)


def test_connect_failures_map_as_requests_maps_them():
    conn = httppool.HTTPSConnection("h", 1)
    for stage, error, expected in (
        ("tcp", TimeoutError("timed out"), ServiceRequestTimeoutError),
        ("tcp", ConnectionRefusedError(111, "refused"), ServiceRequestError),
        ("tunnel", OSError("Tunnel connection failed: 407"), ServiceRequestError),
        ("tls", ssl.SSLCertVerificationError("verify failed"), ServiceRequestError),
        ("tls", TimeoutError("handshake"), ServiceResponseTimeoutError),
        ("tls", ConnectionResetError(104, "reset"), ServiceResponseError),
    ):
        conn.stage = stage
        assert type(httpclient._connect_error(conn, error)) is expected, (stage, error)


# -- concurrency and the deadline ------------------------------------------------------------


def test_many_threads_share_a_bounded_pool(served):
    with _transport(pool_size=4) as sender:
        with concurrent.futures.ThreadPoolExecutor(64) as pool:
            answers = list(
                pool.map(
                    lambda _: sender.send(HttpRequest("GET", _url(served), headers=BEARER)),
                    range(256),
                )
            )
        (host_pool,) = sender._pools.values()
        assert host_pool.pool is not None and host_pool.pool.qsize() <= 4
    assert all(a.status_code == 200 and a.json() == {"value": ITEMS} for a in answers)
    assert len(served.requests()) == 256


def _cut_by_the_deadline(scripted, head: bytes) -> None:
    """A server that sends `head`, then a space every 50 ms (so no read timeout fires): the
    deadline, expired 0.3 s in as its watchdog expires it, must end the read as an answer
    cut short."""

    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)
        tls.sendall(head)
        for _ in range(200):
            if server.release.wait(0.05):
                return
            tls.sendall(b" ")
        server.release.wait(30)

    server = scripted(script)
    deadline = Deadline(60)
    threading.Timer(0.3, deadline.expire).start()  # what the watchdog does at the deadline
    with _transport(deadline) as sender, pytest.raises(IncompleteReadError):
        sender.send(HttpRequest("GET", f"{server.url}/x"))


def test_the_deadline_cuts_a_trickling_body(scripted):
    _cut_by_the_deadline(scripted, b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")


def test_the_deadline_cutting_a_body_read_to_the_close_is_not_a_whole_body(scripted):
    """A body without a length ends when the connection does: the watchdog shutting the
    socket at the deadline looks like that end, and what came so far was handed back as
    the whole answer (a 200 with a cut body). Read to the close while the deadline passed,
    it is an answer cut short, as one with a length is."""
    _cut_by_the_deadline(scripted, b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"value": [1')


def test_connections_are_opened_ahead_after_the_first(served):
    sender = HttpClientTransport(
        Deadline(60), pool_size=8, fallback=RequestsTransport, warm=4, connection_timeout=10
    )
    with sender:
        assert sender.send(HttpRequest("GET", _url(served), headers=BEARER)).status_code == 200
        (pool,) = sender._pools.values()
        idle: list[httppool.HTTPSConnection] = []
        for _ in range(1000):  # until the first request's and the four opened ahead are in
            idle = [c for c in list(pool.pool.queue) if c is not None]
            if len(idle) >= 5:
                break
            threading.Event().wait(0.01)
        assert len(idle) == 5 and all(c.stage == "done" for c in idle)
        assert sender._warmer is not None and sender._warmer.opened == 4


def test_no_connection_opens_once_the_deadline_has_passed(served):
    deadline = Deadline(60)
    deadline.expire()
    with _transport(deadline) as sender, pytest.raises((ServiceRequestError, ServiceResponseError)):
        sender.send(HttpRequest("GET", _url(served), headers=BEARER))
    assert served.requests() == []


# -- selection -------------------------------------------------------------------------------


def test_the_live_collection_uses_http_client_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(HTTP_CLIENT_VARIABLE, raising=False)
    default = transport(4, Deadline(60))
    monkeypatch.setenv(HTTP_CLIENT_VARIABLE, "requests")
    escape = transport(4, Deadline(60))
    monkeypatch.setenv(HTTP_CLIENT_VARIABLE, "http.client")
    with http_client("requests"):
        forced = transport(4, Deadline(60))
    try:
        assert isinstance(default, HttpClientTransport)
        assert isinstance(escape, RequestsTransport)
        assert isinstance(forced, RequestsTransport)
    finally:
        for sender in (default, escape, forced):
            sender.close()


def test_the_arm_client_reads_through_it(served):
    client = arm_client(
        served.url,
        StaticTokenCredential("a-bearer-token-value"),
        f"{served.url}/.default",
        RequestLog(),
        concurrency=2,
        retry=RetrySettings(total=0),
    )
    try:
        assert isinstance(client._client._pipeline._transport, HttpClientTransport)
        assert client.get_pages(PATH, {"api-version": "1"}) == ITEMS
    finally:
        client.close()


# -- what urllib3 and requests refused, refused here too ---------------------------------


def test_content_lengths_that_disagree_are_an_error_not_a_short_body(scripted):
    """urllib3 refuses an answer whose Content-Length headers disagree (InvalidHeader):
    http.client reads the first and would hand back a body cut to it as complete."""

    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)
        tls.sendall(
            b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 11\r\n\r\n{"a": 1234}'
        )
        server.release.wait(5)

    server = scripted(script)
    with _transport() as sender, pytest.raises(ServiceResponseError, match="Content-Length"):
        sender.send(HttpRequest("GET", f"{server.url}/x"))


def test_content_lengths_that_agree_are_one_length(scripted):
    def script(index: int, tls: ssl.SSLSocket) -> None:
        while read_request(tls):
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\n{}")

    server = scripted(script)
    deadline = Deadline(60)
    with _transport(deadline) as sender:
        sender._read_timeout = 2
        # the length known: no wait for a close that does not come (a read timeout)
        assert sender.send(HttpRequest("GET", f"{server.url}/x")).content == b"{}"


def test_a_line_break_in_a_header_value_is_never_sent(scripted):
    """requests refuses any CR or LF in a header value; http.client lets a folded one
    ("\\r\\n " + more) through to the wire. The message does not echo the value (it may be a
    token)."""
    seen: list[bytes] = []

    def script(index: int, tls: ssl.SSLSocket) -> None:
        seen.append(read_request(tls))
        tls.sendall(ok(b"{}"))

    server = scripted(script)
    for value in ("secret\r\n X-Injected: 1", "secret\n\tmore", "secret\r more"):
        with _transport() as sender, pytest.raises(ServiceResponseError) as raised:
            sender.send(HttpRequest("GET", f"{server.url}/x", headers={"x-ms-test": value}))
        assert "secret" not in str(raised.value)
    assert server.connections == 0 and not seen


def test_a_chain_of_more_than_five_encodings_is_refused_as_urllib3_does(scripted):
    body = b'{"a": 1}'
    for _ in range(6):
        body = gzip.compress(body)

    def script(index: int, tls: ssl.SSLSocket) -> None:
        read_request(tls)
        tls.sendall(ok(body, "Content-Encoding: " + ", ".join(["gzip"] * 6)))

    server = scripted(script)
    with _transport() as sender, pytest.raises(ServiceResponseError, match="encodings"):
        sender.send(HttpRequest("GET", f"{server.url}/x"))
    assert httpclient.decode(gzip.compress(gzip.compress(b"a")), "gzip, gzip") == b"a"
