"""The responses of the http.client transport (httpclient.py), of the two kinds azure-core
has: for the legacy azure.core.pipeline.transport.HttpRequest (azure-mgmt-authorization's
generated code sends it) the legacy HttpResponse, and for azure.core.rest.HttpRequest the
rest HttpResponse, as azure-core's RequestsTransport returns them.

The body is always read whole before the response is built (as the collection's requests
session read it, leanhttp.py): `Received` holds it decoded (gzip, deflate), and the raw
bytes as they came when they were encoded (for iter_raw / stream_download(decompress=False)).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.transport import HttpResponse as LegacyHttpResponse
from azure.core.rest._http_response_impl import HttpResponseImpl


@dataclass(eq=False)
class Received:
    """What came back: the internal_response of both response kinds."""

    url: str
    status: int
    reason: str
    headers: Any
    """Case-insensitive (requests' CaseInsensitiveDict, as requests gives them)."""
    content: bytes
    """The body, decoded (Content-Encoding)."""
    raw: bytes | None = None
    """The body as it came, when it was encoded (else `content` is)."""
    version: int = 11

    @property
    def status_code(self) -> int:
        return self.status

    def close(self) -> None:
        """Nothing to release: the body was read, the connection went back to its pool."""

    def raw_bytes(self) -> bytes:
        return self.content if self.raw is None else self.raw


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    size = max(1, size)
    for start in range(0, len(data), size):
        yield data[start : start + size]


class _Download:
    """stream_download's iterator (a sized iterator, as azure-core's generator is)."""

    def __init__(self, received: Received, block_size: int, decompress: bool) -> None:
        data = received.content if decompress else received.raw_bytes()
        self._pieces = _pieces(data, block_size)
        self.content_length = int(received.headers.get("Content-Length") or 0)

    def __len__(self) -> int:
        return self.content_length

    def __iter__(self) -> _Download:
        return self

    def __next__(self) -> bytes:
        return next(self._pieces)


def _rest_download(
    pipeline: Any = None, response: Any = None, *, decompress: bool = True, **kwargs: Any
) -> Iterator[bytes]:
    if kwargs:
        raise TypeError(f"Got an unexpected keyword argument: {next(iter(kwargs))}")
    return _Download(response.internal_response, response._block_size, decompress)


class RestHttpClientResponse(HttpResponseImpl):
    """azure.core.rest.HttpResponse of a request sent by the http.client transport."""

    def __init__(self, *, request: Any, internal_response: Received, block_size: int) -> None:
        from azure.core.rest._requests_basic import _CaseInsensitiveDict

        headers = _CaseInsensitiveDict(internal_response.headers)
        super().__init__(
            request=request,
            internal_response=internal_response,
            block_size=block_size,
            status_code=internal_response.status,
            reason=internal_response.reason,
            content_type=headers.get("content-type"),
            headers=headers,
            stream_download_generator=_rest_download,
        )
        self._content = internal_response.content


class HttpClientTransportResponse(LegacyHttpResponse):
    """azure.core.pipeline.transport.HttpResponse of a request sent by the http.client
    transport: RequestsTransportResponse's contract (body, text, stream_download)."""

    internal_response: Received

    def __init__(self, request: Any, internal_response: Received, block_size: int) -> None:
        super().__init__(request, internal_response, block_size=block_size)
        self.status_code = internal_response.status
        self.headers = internal_response.headers
        self.reason = internal_response.reason
        self.content_type = internal_response.headers.get("content-type")

    def body(self) -> bytes:
        return self.internal_response.content

    def text(self, encoding: str | None = None) -> str:
        """The body as text, as RequestsTransportResponse decodes it: the encoding given
        (utf-8 read as utf-8-sig), else a UTF-8 BOM's, else the Content-Type's charset (or
        ISO-8859-1 for text/*, as requests), else UTF-8; undecodable bytes replaced."""
        body = self.body()
        if not encoding and body[:3] == b"\xef\xbb\xbf":
            encoding = "utf-8-sig"
        if encoding == "utf-8":
            encoding = "utf-8-sig"
        if not encoding:
            from requests.utils import get_encoding_from_headers

            encoding = get_encoding_from_headers(self.headers) or "utf-8"  # type: ignore[arg-type]
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:  # an unknown charset: as requests, str() of the bytes
            return body.decode("utf-8", errors="replace")

    def stream_download(self, pipeline: Any, **kwargs: Any) -> Iterator[bytes]:
        decompress = kwargs.pop("decompress", True)
        if kwargs:
            raise TypeError(f"Got an unexpected keyword argument: {next(iter(kwargs))}")
        return _Download(self.internal_response, self.block_size, decompress)
