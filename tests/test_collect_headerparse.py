"""headerparse.py: a plain header block gives the message http.client's own parser gives;
any other block is left to that parser."""

from __future__ import annotations

import email.parser
import http.client
import io

import pytest

from diagnose.collect.headerparse import LeanHeadersResponse, parse_headers, plain_headers

PLAIN = [
    b"Content-Type: application/json; charset=utf-8\r\nContent-Length: 12\r\n\r\n",
    b"x-ms-request-id: abc\r\nX-MS-Request-Id: second\r\n"
    b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
    b"Empty:\r\nBlanks:   \t  lead  \r\nTrailing: value   \r\n\r\n",
    b"Odd-But-Plain!#$%&'*+.^_`|~: v:with:colons\r\n\r\n",
    b"Latin: caf\xe9\r\nBare-LF: yes\n\n",
    b"\r\n",
]
NOT_PLAIN = [
    b"Folded: first\r\n  second\r\n\r\n",  # obs-fold: a continuation line
    b"Stray: a\rb\r\n\r\n",  # a lone carriage return inside a value
    b"From someone\r\nA: b\r\n\r\n",  # a mailbox envelope line
    b": no name\r\nA: b\r\n\r\n",
    b"No colon here\r\nA: b\r\n\r\n",
    b"Space Name: v\r\n\r\n",
    b"A: b\r\n",  # cut short: no blank line
    b" leading: continuation\r\nA: b\r\n\r\n",
]


def email_parsed(block: bytes) -> http.client.HTTPMessage:
    text = block.decode("iso-8859-1")
    return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)


def lines_of(block: bytes) -> list[bytes]:
    return http.client._read_headers(io.BytesIO(block))  # type: ignore[attr-defined]


def same(ours: http.client.HTTPMessage, theirs: http.client.HTTPMessage) -> None:
    assert type(ours) is type(theirs)
    assert vars(ours) == vars(theirs) | {"policy": ours.policy, "defects": ours.defects}
    assert ours.policy is theirs.policy
    assert ours.defects == theirs.defects == []
    assert ours.items() == theirs.items()
    for name in {n.lower() for n in theirs}:
        assert ours.get_all(name) == theirs.get_all(name)
        assert ours.get(name) == theirs.get(name)


@pytest.mark.parametrize("block", PLAIN)
def test_a_plain_block_is_the_message_the_email_parser_gives(block):
    ours = plain_headers(lines_of(block))
    assert ours is not None
    same(ours, email_parsed(block))


@pytest.mark.parametrize("block", NOT_PLAIN)
def test_any_other_block_goes_to_the_email_parser(block):
    assert plain_headers(lines_of(block)) is None
    ours, theirs = parse_headers(io.BytesIO(block)), email_parsed(b"".join(lines_of(block)))
    assert ours.items() == theirs.items()
    assert [type(d) for d in ours.defects] == [type(d) for d in theirs.defects]


class _Socket:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self._data))


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\n{}",
        b"HTTP/1.1 100 Continue\r\nX-Skip: 1\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nFolded: a\r\n b\r\n\r\nbody",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    ],
)
def test_a_response_begins_as_http_clients_own(raw):
    ours = LeanHeadersResponse(_Socket(raw), method="GET")  # type: ignore[arg-type]
    theirs = http.client.HTTPResponse(_Socket(raw), method="GET")  # type: ignore[arg-type]
    ours.begin()
    theirs.begin()
    fields = ("status", "reason", "version", "chunked", "chunk_left", "length", "will_close")
    assert {f: getattr(ours, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
    assert ours.msg.items() == theirs.msg.items()
    assert ours.read() == theirs.read()


def test_a_collections_connections_read_their_headers_this_way():
    from diagnose.collect import httppool
    from diagnose.collect.deadline import Deadline
    from diagnose.collect.pipeline import requests_transport

    sender = requests_transport(4, Deadline(60))
    try:
        pools = sender.session.get_adapter("https://x").poolmanager.pool_classes_by_scheme
        for scheme in ("http", "https"):
            assert pools[scheme].ConnectionCls.response_class is LeanHeadersResponse
    finally:
        sender.close()
    for connection in (httppool.HTTPConnection, httppool.HTTPSConnection):
        assert connection.response_class is LeanHeadersResponse
