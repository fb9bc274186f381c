"""Response bodies decoded once.

A subscription's role-assignment listing is megabytes of JSON on the collection's critical
path, and every answer paid for two decodes (azure-core's ContentDecodePolicy, then the
client's own `response.json()`; an Azure SDK list, three). Here a body is decoded once, from
its bytes, by the standard library, and the SDKs read that same value.

orjson (a declared dependency) was measured for this and left out: on the 17 MB listing of
the Foundry benchmark it was no faster than the standard library (the time goes into
building the strings and dicts, not parsing), and it reads an integer beyond 64 bits as a
float, silently, where the standard library keeps it exact.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from azure.core.pipeline.policies import ContentDecodePolicy
from azure.core.rest._helpers import get_charset_encoding
from azure.core.rest._http_response_impl import _HttpResponseBaseImpl


def loads(data: bytes) -> Any:
    """The JSON value of a body; ValueError (json.JSONDecodeError) when it is not JSON."""
    return json.loads(data)


def response_json(response: Any) -> Any:
    """The decoded JSON of an azure-core response (ValueError when it is not JSON). Once per
    response: the value is kept on it, as azure-core's own json() keeps it."""
    cached = getattr(response, "_diagnose_json", _NONE)
    if cached is not _NONE:
        return cached
    charset = str(_encoding(response) or "utf-8").lower().replace("_", "-")
    try:
        if charset not in ("utf-8", "utf8"):
            raise ValueError(charset)  # a body in another charset: as azure-core decodes it
        value = loads(_body(response))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        value = response.json()  # azure-core's decoding (charset, BOM): it raises for non-JSON
    response._diagnose_json = value
    return value


_NONE = object()


def _encoding(response: Any) -> Any:
    """response.encoding, as azure-core works it out, without its email-package parse of
    the Content-Type header on every response (a twentieth of a request's CPU): the
    answer for each distinct header value is kept. A response whose class answers
    `encoding` another way, or whose encoding was set, is asked."""
    own = getattr(type(response), "encoding", None) is _HttpResponseBaseImpl.encoding
    if not own or hasattr(response, "_encoding"):
        return getattr(response, "encoding", None)
    content_type = response.headers.get("Content-Type")
    try:
        encoding = _CHARSETS[content_type]
    except KeyError:
        encoding = get_charset_encoding(SimpleNamespace(headers={"Content-Type": content_type}))
        if len(_CHARSETS) < MAX_CHARSETS:
            _CHARSETS[content_type] = encoding
    except TypeError:  # a header value that is no key
        return getattr(response, "encoding", None)
    response._encoding = encoding  # as the property keeps it
    return encoding


_CHARSETS: dict[Any, str | None] = {}
MAX_CHARSETS = 64
"""Distinct Content-Type values remembered (a service sends one or two)."""


def _body(response: Any) -> Any:
    # The legacy transport responses (azure-mgmt-authorization's generator sends the legacy
    # HttpRequest) have body() where the newer ones have content.
    return response.content if hasattr(response, "content") else response.body()


class JsonDecodePolicy(ContentDecodePolicy):
    """ContentDecodePolicy (what the Azure SDKs read their answers from) decoding JSON with
    response_json, so that the SDK and the collector share one decode of each body."""

    @classmethod
    def deserialize_from_http_generics(cls, response: Any, encoding: str | None = None) -> Any:
        content_type = str(response.headers.get("content-type") or "").lower()
        if encoding is None and "json" in content_type and _body(response):
            try:
                return response_json(response)
            except ValueError:
                pass  # azure-core's own decoding raises its usual DecodeError
        return super().deserialize_from_http_generics(response, encoding)
