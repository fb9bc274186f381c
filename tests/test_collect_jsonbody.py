"""jsonbody.py: a response's charset as azure-core works it out, kept per Content-Type."""

from __future__ import annotations

import pytest
import requests
from azure.core.rest import HttpRequest
from azure.core.rest._requests_basic import RestRequestsTransportResponse

from diagnose.collect import jsonbody

CONTENT_TYPES = [
    None,
    "",
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=UTF-8",
    'application/json; charset="utf-8"',
    "application/json;charset=utf_8",
    "text/plain; charset=ISO-8859-1",
    "application/json; charset=no-such-charset",
    "application/json; odata.metadata=minimal; charset=utf-16",
]


def _response(content_type: str | None, body: bytes = b"{}") -> RestRequestsTransportResponse:
    internal = requests.Response()
    internal.status_code = 200
    internal._content = body
    if content_type is not None:
        internal.headers["Content-Type"] = content_type
    return RestRequestsTransportResponse(
        request=HttpRequest("GET", "https://x/y"), internal_response=internal
    )


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_the_charset_is_azure_cores_the_first_time_and_after(content_type, monkeypatch):
    monkeypatch.setattr(jsonbody, "_CHARSETS", {})
    for _ in range(2):  # worked out, then remembered
        ours = jsonbody._encoding(_response(content_type))
        assert ours == _response(content_type).encoding


def test_an_encoding_set_on_the_response_is_the_one_used():
    response = _response("application/json; charset=utf-8")
    response.encoding = "latin-1"
    assert jsonbody._encoding(response) == "latin-1"
