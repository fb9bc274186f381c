"""The collection's requests session (diagnose.collect.leanhttp): requests' own preparation
of what goes on the wire, without the cookie jar, the hooks and the 10 KB body reads."""

from __future__ import annotations

import http.client
import io
from types import SimpleNamespace

import pytest
import requests
import responses

from diagnose.collect.clients import ApiError, RetrySettings, arm_client
from diagnose.collect.credentials import StaticTokenCredential
from diagnose.collect.leanhttp import BODY_CHUNK
from diagnose.collect.pipeline import _environment_once_session
from diagnose.collect.requestlog import RequestLog

ARM = "https://management.azure.com"
HUB = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/hub"
)

pytestmark = pytest.mark.usefixtures("requests_transport")  # `responses` patches requests


def _client(endpoint: str = ARM):
    return arm_client(
        endpoint,
        StaticTokenCredential("a-bearer-token-value"),
        f"{endpoint}/.default",
        RequestLog(),
        concurrency=2,
        retry=RetrySettings(total=0),
    )


@responses.activate
def test_a_cookie_a_server_sets_is_neither_kept_nor_sent_back():
    responses.get(
        f"{ARM}{HUB}", json={"id": HUB}, headers={"Set-Cookie": "ARRAffinity=abc; Path=/"}
    )
    arm = _client()
    session = arm._client._pipeline._transport.session
    assert arm.get(HUB, {"api-version": "1"}) == {"id": HUB}
    assert arm.get(HUB, {"api-version": "1"}) == {"id": HUB}
    assert len(session.cookies) == 0
    assert "Cookie" not in responses.calls[1].request.headers


@responses.activate
def test_the_wire_request_is_what_requests_prepares():
    """Method, URL (query encoded, path quoted as requests quotes it), the session's default
    headers with the request's over them, and a JSON body with its length."""
    responses.post(f"{ARM}/providers/Microsoft.ResourceGraph/resources", json={"data": []})
    responses.get(f"{ARM}{HUB}/connections", json={"value": []})
    session = _environment_once_session()
    session.request(
        "post",
        f"{ARM}/providers/Microsoft.ResourceGraph/resources",
        params={"api-version": "2022-10-01", "$top": "5"},
        data=b'{"query": "x"}',
        headers={"Content-Type": "application/json", "Accept-Encoding": None},
        allow_redirects=False,
    )
    sent = responses.calls[0].request
    assert sent.method == "POST"
    assert (
        sent.url
        == f"{ARM}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01&%24top=5"
    )
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Content-Length"] == "14"
    assert "Accept-Encoding" not in sent.headers  # None drops a session header
    assert sent.headers["User-Agent"].startswith("python-requests/")
    session.request("GET", f"{ARM}{HUB}/connections", allow_redirects=False)
    assert responses.calls[1].request.url == f"{ARM}{HUB}/connections"


@responses.activate
def test_a_redirect_is_returned_not_followed():
    responses.get(f"{ARM}{HUB}", status=302, headers={"Location": "https://elsewhere.example/"})
    session = _environment_once_session()
    answer = session.request("GET", f"{ARM}{HUB}", allow_redirects=False)
    assert answer.status_code == 302 and len(responses.calls) == 1


@responses.activate
def test_a_body_is_read_in_large_pieces(monkeypatch):
    """A subscription's role-assignment listing is megabytes: read 10 KB at a time (requests'
    default) it cost thousands of Python-level reads."""
    sizes: list[int] = []
    iter_content = requests.Response.iter_content

    def recording(self, chunk_size=1, decode_unicode=False):
        if not self._content_consumed:  # a read from the connection, not of the kept body
            sizes.append(chunk_size)
        return iter_content(self, chunk_size, decode_unicode)

    monkeypatch.setattr(requests.Response, "iter_content", recording)
    body = b'{"value": [' + b",".join(b'{"id": "%d"}' % i for i in range(20000)) + b"]}"
    responses.get(f"{ARM}{HUB}/x", body=body, content_type="application/json")
    value = _client().get(f"{HUB}/x")
    assert len(value["value"]) == 20000
    assert sizes and min(sizes) >= BODY_CHUNK


@responses.activate
def test_a_redirect_from_arm_is_an_api_error_not_a_crash():
    """requests' redirect bookkeeping read a cookie jar this session never made: a 3xx
    answer raised AttributeError out of the collection."""
    responses.get(f"{ARM}{HUB}", status=302, headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(ApiError) as raised:
        _client().get(HUB, {"api-version": "1"})
    assert raised.value.status == 302


# -- the adapter: its pool remembered, its responses without the cookie jar ------------------
def _adapter():
    from diagnose.collect.pipeline import _shared_trust_adapter

    return _shared_trust_adapter()(pool_connections=4, pool_maxsize=10)


def _prepared(url: str) -> requests.PreparedRequest:
    return requests.Request("GET", url).prepare()


def test_the_pool_of_an_origin_is_looked_up_once_while_it_is_open(monkeypatch):
    adapter = _adapter()
    looked_up: list[dict] = []
    find = adapter.poolmanager.connection_from_host

    def counted(*args, **kwargs):
        looked_up.append(kwargs)
        return find(*args, **kwargs)

    monkeypatch.setattr(adapter.poolmanager, "connection_from_host", counted)
    first = adapter.get_connection_with_tls_context(_prepared(f"{ARM}{HUB}"), True)
    again = adapter.get_connection_with_tls_context(_prepared(f"{ARM}/other?x=1"), True)
    assert again is first and len(looked_up) == 1
    # other TLS settings or another origin: found as requests finds them
    adapter.get_connection_with_tls_context(_prepared(f"{ARM}{HUB}"), False)
    graph = adapter.get_connection_with_tls_context(_prepared("https://graph.microsoft.com/"), True)
    assert graph is not first and len(looked_up) == 3
    adapter.close()  # the session's end: nothing is kept for a pool looked up after it
    after = adapter.get_connection_with_tls_context(_prepared(f"{ARM}{HUB}"), True)
    assert after is not first and after.pool is not None and len(looked_up) == 4
    after.close()  # closed: looked up again, whatever the pool manager then answers
    adapter.get_connection_with_tls_context(_prepared(f"{ARM}{HUB}"), True)
    assert len(looked_up) == 5


def test_a_request_through_a_proxy_gets_the_proxys_pool():
    adapter = _adapter()
    direct = adapter.get_connection_with_tls_context(_prepared(f"{ARM}{HUB}"), True)
    proxied = adapter.get_connection_with_tls_context(
        _prepared(f"{ARM}{HUB}"), True, proxies={"https": "http://proxy.example:8080"}
    )
    assert proxied is not direct
    assert proxied.proxy is not None and proxied.proxy.host == "proxy.example"


def test_a_response_is_requests_own_without_the_cookies():
    from requests.adapters import HTTPAdapter
    from urllib3 import HTTPResponse

    def raw() -> HTTPResponse:
        # what requests reads the cookies from: http.client's own response message
        message = http.client.parse_headers(
            io.BytesIO(b"Set-Cookie: ARRAffinity=abc; Path=/\r\n\r\n")
        )
        return HTTPResponse(
            body=io.BytesIO(b"{}"),
            original_response=SimpleNamespace(  # type: ignore[arg-type]
                msg=message, isclosed=lambda: False, close=lambda: None
            ),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Set-Cookie": "ARRAffinity=abc; Path=/",
                "x-ms-request-id": "r-1",
            },
            status=202,
            reason="Accepted",
            preload_content=False,
        )

    adapter, request = _adapter(), _prepared(f"{ARM}{HUB}?api-version=1")
    ours, theirs = (
        adapter.build_response(request, raw()),
        HTTPAdapter.build_response(adapter, request, raw()),
    )
    fields = ("status_code", "encoding", "reason", "url", "request", "connection")
    assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert dict(ours.headers) == dict(theirs.headers)
    assert ours.headers["X-MS-REQUEST-ID"] == "r-1"  # case-insensitive, as requests' are
    assert ours.content == theirs.content == b"{}"
    assert len(theirs.cookies) == 1 and len(ours.cookies) == 0


SETTINGS = [None, True, False, "/bundle.pem", ("c.pem", "k.pem"), {}, {"https": "p:1"}]
PROXIES = [None, {}, {"https": "http://p:1", "no_proxy": None}, {"http": None}]
SESSION_PROXIES = [None, {}, {"https": "http://s:2"}, {"http": "http://s:3", "https": None}]


def test_a_requests_settings_merge_as_requests_merges_them():
    from requests.sessions import merge_setting

    from diagnose.collect.pipeline import _merged_proxies, _merged_scalar

    for value in SETTINGS:
        for session in SETTINGS:
            assert _merged_scalar(value, session) == merge_setting(value, session)
    for proxies in PROXIES:
        for session in SESSION_PROXIES:
            ours, theirs = _merged_proxies(proxies, session), merge_setting(proxies, session)
            assert ours == theirs
            assert list((ours or {}).items()) == list((theirs or {}).items())


@responses.activate
def test_a_body_of_known_length_is_read_in_one_piece(monkeypatch):
    """Each piece is copied on its way up (http.client, urllib3's buffer, the join): a
    body whose length the server gave is read at once."""
    sizes: list[int] = []
    iter_content = requests.Response.iter_content

    def recording(self, chunk_size=1, decode_unicode=False):
        if not self._content_consumed:
            sizes.append(chunk_size)
        return iter_content(self, chunk_size, decode_unicode)

    monkeypatch.setattr(requests.Response, "iter_content", recording)
    body = b'{"value": [' + b",".join(b'{"id": "%07d"}' % i for i in range(200000)) + b"]}"
    assert len(body) > 2 * BODY_CHUNK
    responses.get(
        f"{ARM}{HUB}/x",
        body=body,
        content_type="application/json",
        auto_calculate_content_length=True,
    )
    assert len(_client().get(f"{HUB}/x")["value"]) == 200000
    assert sizes == [len(body)]


def test_the_piece_size_is_the_length_given_within_bounds():
    from diagnose.collect.leanhttp import MAX_CHUNK, _chunk_size

    assert _chunk_size(None) == _chunk_size("") == _chunk_size("x") == BODY_CHUNK
    assert _chunk_size("12") == _chunk_size("-5") == BODY_CHUNK
    assert _chunk_size(str(BODY_CHUNK * 3)) == BODY_CHUNK * 3
    assert _chunk_size(str(MAX_CHUNK * 4)) == MAX_CHUNK


def test_a_body_shorter_than_its_length_is_an_error_not_a_short_answer(tmp_path, monkeypatch):
    """Read at once or in pieces, a connection that ends before Content-Length's bytes
    came is a failed request (urllib3 checks the length)."""
    import socket
    import ssl
    import threading

    from diagnose.testing.certs import make_certificate

    files = make_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.certificate, files.key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(files.certificate))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5000000\r\n\r\n" + b'{"value": [' + b" " * 100000
            )

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    client = _client(f"https://127.0.0.1:{port}")
    try:
        with pytest.raises(ApiError) as caught:
            client.get(f"{HUB}/x")
        assert caught.value.status is None
        assert "IncompleteRead" in caught.value.message
    finally:
        client.close()
        server.join(10)
        listener.close()
