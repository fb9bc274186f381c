"""An azure-core HTTP transport straight on http.client: the live collection's default.

A live collection is CPU-bound on its HTTP client, and of the ~0.7 ms of CPU a request
cost through the pipeline, azure-core's policies were a tenth: the rest was requests,
urllib3 and http.client. This transport sends on http.client's keep-alive connections
(pooled by httppool.py) and keeps every contract the requests transport kept:

- what goes on the wire: the request's headers over requests' defaults (Accept-Encoding:
  gzip, deflate; Accept: */*; Connection: keep-alive), its URL re-quoted as requests does,
  a str body as UTF-8 with its Content-Length;
- what comes back: azure-core's response of the request's kind (httpresponse.py), headers
  case-insensitive (repeated ones joined), the body read whole and decoded (gzip, deflate);
- timeouts: connection_timeout for connecting (TCP, tunnel, TLS handshake), read_timeout
  for each wait on the answer (both capped by the deadline: pipeline.DeadlinePolicy), and
  the deadline's watchdog shutting every socket at the deadline (httppool.py);
- errors: azure-core's exceptions, as RequestsTransport maps requests' and urllib3's (see
  `_connect_error` and `_exchange_error`), so retries, the errors entries and their hints
  are unchanged; an idle connection the server closed is retried once on a new one, only
  when nothing of the answer was read;
- TLS trust, client certificates and proxies as requests takes them (httppool.py).

What it does not speak goes to requests' transport unchanged (`fallback`): a body that is
neither bytes nor text (forms, files, streams), a scheme other than http(s), a proxy other
than http://. DIAGNOSE_HTTP_CLIENT=requests makes every request go there (pipeline.py).
"""

from __future__ import annotations

import http.client
import re
import ssl
import threading
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, urlsplit

from azure.core.exceptions import (
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpTransport
from requests.utils import default_user_agent

from diagnose.collect.deadline import Deadline
from diagnose.collect.httppool import (
    HostPool,
    Origin,
    UnsupportedProxy,
    default_bundle,
    environment,
    proxy_for,
)
from diagnose.collect.httpresponse import (
    HttpClientTransportResponse,
    Received,
    RestHttpClientResponse,
)
from diagnose.collect.warm import Warmer

DEFAULT_HEADERS = (
    ("User-Agent", default_user_agent()),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
)
"""requests' session headers, under the request's own (azure-core sets the User-Agent)."""
_PLAIN_TARGET = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")
"""A path and query that requests sends as it is: only characters it leaves unquoted, and
%-escapes in upper case (requests, through urllib3, upper-cases them) ..."""
_ESCAPE = re.compile(r"%([0-9A-F]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
"""... none of which stands for an unreserved character (requests decodes those)."""
STALE = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)
"""Failures of a reused connection before any of the answer came: the server had closed it
while it was idle (it may do so at any moment), so the request goes again on a new one."""


SENDING = (OSError, http.client.HTTPException, ValueError)
"""Failures of the connection or of what was sent or received (ValueError: a header value
http.client refuses), mapped to azure-core's errors; anything else is a bug, raised."""
READING = (*SENDING, zlib.error)
MAX_CODINGS = 5
"""The longest Content-Encoding chain decoded (urllib3's MultiDecoder.max_decode_links)."""


class _Fallback(Exception):
    """A request this transport leaves to requests'."""


class HttpClientTransport(HttpTransport):
    """azure-core's HttpTransport on http.client; thread-safe (one pool per origin)."""

    def __init__(
        self,
        deadline: Deadline,
        *,
        pool_size: int,
        fallback: Callable[[], HttpTransport],
        warm: int = 0,
        connection_timeout: float = 300,
        read_timeout: float = 300,
        block_size: int = 4096,
    ) -> None:
        self._deadline = deadline
        self._pool_size = pool_size
        self._connection_timeout = connection_timeout
        self._read_timeout = read_timeout
        self._block_size = block_size
        self._make_fallback = fallback
        self._fallback: HttpTransport | None = None
        self._warmer = Warmer(warm, deadline, connection_timeout) if warm else None
        self._lock = threading.Lock()
        self._pools: dict[Origin, HostPool] = {}
        self._origins: dict[tuple[Any, ...], Origin] = {}
        """Origin of each (scheme://host:port, verify, cert, proxies): the environment is
        read once per origin (requests read it, and ~/.netrc, on every request)."""

    def __enter__(self) -> HttpClientTransport:
        self.open()
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def open(self) -> None:
        """Nothing to open: connections are opened as requests need them."""

    def close(self) -> None:
        """Close every idle connection (one in use is closed when it comes back)."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
            fallback, self._fallback = self._fallback, None
        for pool in pools:
            pool.close()
        if fallback is not None:
            fallback.close()

    def send(self, request: Any, *, proxies: Any = None, **kwargs: Any) -> Any:
        from azure.core.pipeline._tools import is_rest

        connect_timeout = kwargs.pop("connection_timeout", self._connection_timeout)
        if isinstance(connect_timeout, tuple):
            if "read_timeout" in kwargs:
                raise ValueError("Cannot set tuple connection_timeout and read_timeout together")
            connect_timeout, read_timeout = connect_timeout
        else:
            read_timeout = kwargs.pop("read_timeout", self._read_timeout)
        verify = kwargs.get("connection_verify", True)
        cert = kwargs.get("connection_cert")
        try:
            body = _body(request)
            parts = urlsplit(request.url)
            origin = self._origin(parts, request.url, proxies, verify, cert)
        except _Fallback:
            return self._fall_back(request, proxies, connect_timeout, read_timeout, kwargs)
        received = self._send(origin, parts, request, body, connect_timeout, read_timeout)
        if is_rest(request):
            response = RestHttpClientResponse(
                request=request, internal_response=received, block_size=self._block_size
            )
            if not kwargs.get("stream"):
                response.read()
                response.close()
            return response
        return HttpClientTransportResponse(request, received, self._block_size)

    # -- where to --------------------------------------------------------------------------
    def _origin(self, parts: SplitResult, url: str, proxies: Any, verify: Any, cert: Any) -> Origin:
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise _Fallback
        proxy_key = tuple(sorted(proxies.items())) if proxies else None
        key = (scheme, parts.netloc.lower(), verify, cert, proxy_key)
        try:
            known = self._origins.get(key)
        except TypeError:  # a setting that cannot be a key (a list): as requests has it
            raise _Fallback from None
        if known is not None:
            return known
        requested = dict(proxies or {})
        found, bundle = environment(url, requested.get("no_proxy"))
        for name, value in found.items():
            requested.setdefault(name, value)
        try:
            proxy = proxy_for(url, {k: v for k, v in requested.items() if v is not None})
        except UnsupportedProxy:
            raise _Fallback from None
        if scheme == "https":
            if verify is True or verify is None:
                verify = bundle or default_bundle()
            elif verify is not False:
                verify = str(verify)
        else:
            verify, cert = False, None
        port = parts.port or (443 if scheme == "https" else 80)
        origin = Origin(scheme, parts.hostname, port, proxy, verify, cert or None)
        with self._lock:
            self._origins[key] = origin
        return origin

    def _pool(self, origin: Origin) -> HostPool:
        pool = self._pools.get(origin)
        if pool is None:
            with self._lock:
                pool = self._pools.get(origin)
                if pool is None:
                    pool = HostPool(origin, self._pool_size, self._deadline)
                    self._pools[origin] = pool
        return pool

    def _fall_back(
        self, request: Any, proxies: Any, connect: Any, read: Any, kwargs: dict[str, Any]
    ) -> Any:
        with self._lock:
            if self._fallback is None:
                self._fallback = self._make_fallback()
            fallback = self._fallback
        return fallback.send(
            request, proxies=proxies, connection_timeout=connect, read_timeout=read, **kwargs
        )

    # -- the exchange ----------------------------------------------------------------------
    def _send(
        self,
        origin: Origin,
        parts: SplitResult,
        request: Any,
        body: bytes | None,
        connect: float,
        read: float,
    ) -> Received:
        pool = self._pool(origin)
        target, headers = _request_line(origin, parts, request, body)
        conn, reused = _take(pool)
        while True:
            try:
                if not reused:
                    _connect(conn, connect)
                    if self._warmer is not None and origin.scheme == "https" and not origin.proxy:
                        self._warmer.start(pool)
                response = _exchange(conn, request.method, target, headers, body, read)
                break
            except STALE as error:
                conn.close()
                if reused and not self._deadline.passed:
                    conn, reused = _take(pool, new=True)  # once: a new connection's
                    continue  # failure is the server's answer
                pool._put_conn(None)
                raise _exchange_error(error) from error
            except SENDING as error:
                conn.close()
                pool._put_conn(None)
                raise _exchange_error(error) from error
            except BaseException:  # a connection failure (mapped by _connect), or a bug
                conn.close()
                pool._put_conn(None)
                raise
        try:
            to_the_close = response.length is None and not response.chunked
            received = _received(request.url, response)
            if to_the_close and self._deadline.passed:
                # the watchdog's shutdown reads as the end of a body delimited by the close
                raise http.client.IncompleteRead(received.raw_bytes())
        except READING as error:
            conn.close()
            pool._put_conn(None)
            raise _body_error(error) from error
        except BaseException:
            conn.close()
            pool._put_conn(None)
            raise
        if response.will_close:
            conn.close()
            pool._put_conn(None)
        else:
            pool._put_conn(conn)
        return received


def _take(pool: HostPool, *, new: bool = False) -> tuple[Any, bool]:
    """A connection of the pool (a new one with `new`), and whether it was in use before;
    the trust bundle (or client certificate) missing or unreadable is a ServiceRequestError,
    as urllib3 wraps any OSError of loading them in its SSLError (an ssl.SSLError is one)."""
    try:
        return (pool._new_conn(), False) if new else pool.take()
    except OSError as error:
        raise ServiceRequestError(str(error), error=error) from error


def _body(request: Any) -> bytes | None:
    """The request's body as bytes (a str as UTF-8, as urllib3 2 sends it); anything else
    (forms, files, streams) is requests' to send."""
    if getattr(request, "files", None):
        raise _Fallback
    data = request.data
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytearray):
        return bytes(data)
    raise _Fallback


def _request_line(
    origin: Origin, parts: SplitResult, request: Any, body: bytes | None
) -> tuple[str, list[tuple[str, str]]]:
    """The request target and the headers, as requests prepares them (`parts`: the URL's)."""
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    if not _plain(target):
        from requests.models import PreparedRequest

        prepared = PreparedRequest()
        prepared.prepare_url(request.url, None)
        target = str(prepared.path_url)
    merged = {name.lower(): (name, value) for name, value in DEFAULT_HEADERS}
    for name, value in request.headers.items():
        if value is None:
            merged.pop(name.lower(), None)
        else:
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            if "\r" in text or "\n" in text:
                # requests refuses any (InvalidHeader); http.client sends a folded one
                raise ServiceResponseError(
                    f"Invalid header value of {name!r}: a carriage return or line feed"
                )
            merged[name.lower()] = (name, value)
    merged.pop("content-length", None)  # requests sets it from the body
    if body is not None:
        merged["content-length"] = ("Content-Length", str(len(body)))
    elif request.method.upper() not in ("GET", "HEAD"):
        merged["content-length"] = ("Content-Length", "0")
    if origin.scheme == "http" and origin.proxy is not None:
        # absolute form to the proxy, without credentials or fragment (requests' urldefragauth)
        target = f"http://{parts.netloc.rpartition('@')[2]}{target}"
        if origin.proxy.authorization:
            merged["proxy-authorization"] = ("Proxy-Authorization", origin.proxy.authorization)
    return target, list(merged.values())


def _plain(target: str) -> bool:
    """Whether requests would send this path and query unchanged."""
    if not _PLAIN_TARGET.fullmatch(target):
        return False
    return "%" not in target or not any(
        chr(int(code, 16)) in _UNRESERVED for code in _ESCAPE.findall(target)
    )


def _connect(conn: Any, timeout: float) -> None:
    conn.timeout = timeout
    try:
        conn.connect()
    except (*SENDING, FileNotFoundError) as error:
        raise _connect_error(conn, error) from error


def _exchange(
    conn: Any,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    read: float,
) -> Any:
    conn.sock.settimeout(read)
    skip_host = any(name.lower() == "host" for name, _ in headers)
    conn.putrequest(method, target, skip_host=skip_host, skip_accept_encoding=True)
    for name, value in headers:
        conn.putheader(name, value)
    conn.endheaders(body)
    response = conn.getresponse()
    _one_length(response)
    return response


def _one_length(response: Any) -> None:
    """The body's length as urllib3 takes it: Content-Length headers (or a list in one) that
    disagree are an invalid answer (urllib3's InvalidHeader), not the first one's length
    (http.client's, which would cut the body short and report it whole); ones that agree
    are that length (http.client reads "2, 2" as no length, to the close; it has let the
    connection go by then, so it is not kept)."""
    values = response.msg.get_all("content-length")
    if not values or response.chunked:
        return
    try:
        lengths = {int(v) for value in values for v in value.split(",")}
    except ValueError:
        return  # as urllib3: no length, the body is read to the close
    if len(lengths) > 1:
        raise http.client.HTTPException(
            f"Content-Length contained multiple unmatching values ({', '.join(values)})"
        )
    length = lengths.pop()
    if response.length is None and length >= 0:
        no_body = response.status in (204, 304) or 100 <= response.status < 200
        if not no_body and response._method != "HEAD":
            response.length = length


def _received(url: str, response: Any) -> Received:
    from requests.structures import CaseInsensitiveDict

    data = response.read()
    merged: dict[str, tuple[str, str]] = {}
    for name, value in response.msg.items():
        key = name.lower()
        known = merged.get(key)
        merged[key] = (name, value) if known is None else (known[0], f"{known[1]}, {value}")
    headers: Any = CaseInsensitiveDict(merged.values())
    coding = headers.get("content-encoding")
    raw = None
    if coding and data:
        decoded = decode(data, coding)
        if decoded is not data:
            raw, data = data, decoded
    return Received(url, response.status, response.reason, headers, data, raw, response.version)


def decode(data: bytes, coding: str) -> bytes:
    """The body under its Content-Encoding, as urllib3 decodes it (gzip of one or more
    members, deflate with or without its zlib header, a list applied in order); an
    encoding it does not know leaves the body as it came."""
    codings = [c.strip().lower() for c in coding.split(",")]
    if len(codings) > MAX_CODINGS:
        raise zlib.error(f"Too many content encodings in the chain: {len(codings)} > {MAX_CODINGS}")
    if not all(c in ("gzip", "x-gzip", "deflate", "identity", "") for c in codings):
        return data
    for name in reversed(codings):
        if name in ("gzip", "x-gzip"):
            data = _gunzip(data)
        elif name == "deflate":
            data = _inflate(data)
    return data


def _gunzip(data: bytes) -> bytes:
    out: list[bytes] = []
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out.append(inflater.decompress(data))
        except zlib.error:
            if out:  # bytes after the last member: ignored, as urllib3 and gzip do
                break
            raise
        if not inflater.eof:
            raise zlib.error("the gzip body ends before its last member does")
        data = inflater.unused_data
    return b"".join(out)


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)


# -- errors, as requests and urllib3 report them to RequestsTransport --------------------


def _where(conn: Any) -> str:
    """host:port of a connection (the proxy's, never its credentials)."""
    return f"{conn.host}:{conn.port}"


def _connect_error(conn: Any, error: BaseException) -> Exception:
    """A failure to connect: ServiceRequestError (through a proxy, requests' ProxyError,
    the same), ServiceRequestTimeoutError for a TCP connect timeout. During the TLS
    handshake, urllib3 reports a timeout as a read timeout and a reset as an aborted
    connection (ServiceResponse*), a TLS failure (an unknown CA) as an SSLError
    (ServiceRequestError)."""
    stage = getattr(conn, "stage", "tcp")
    if isinstance(error, FileNotFoundError):  # the CA bundle named is not there
        return ServiceRequestError(str(error), error=error)
    if stage == "tunnel":
        return ServiceRequestError(
            f"Unable to connect to proxy {_where(conn)}: {error}", error=error
        )
    if stage == "tcp":
        if isinstance(error, TimeoutError):
            return ServiceRequestTimeoutError(
                f"Connection to {_where(conn)} timed out. (connect timeout={conn.timeout})",
                error=error,
            )
        return ServiceRequestError(
            f"Failed to establish a new connection to {_where(conn)}: {error}", error=error
        )
    if isinstance(error, TimeoutError):
        return ServiceResponseTimeoutError(
            f"Read timed out during the TLS handshake: {error}", error=error
        )
    if isinstance(error, (ssl.SSLError, ssl.CertificateError)):
        return ServiceRequestError(f"SSLError: {error}", error=error)
    return ServiceResponseError(f"Connection aborted: {error!r}", error=error)


def _exchange_error(error: BaseException) -> Exception:
    """A failure sending the request or reading the answer's head: urllib3's read timeout
    (ServiceResponseTimeoutError) or aborted connection (ServiceResponseError); an invalid
    header value is requests' InvalidHeader (ServiceResponseError too)."""
    if isinstance(error, TimeoutError):
        return ServiceResponseTimeoutError(f"Read timed out: {error}", error=error)
    if isinstance(error, ssl.SSLError) and not isinstance(error, ssl.SSLEOFError):
        return ServiceRequestError(f"SSLError: {error}", error=error)
    return ServiceResponseError(f"Connection aborted: {error!r}", error=error)


def _body_error(error: BaseException) -> Exception:
    """A failure reading the body: requests' ChunkedEncodingError (IncompleteReadError for a
    body cut short, else HttpResponseError), a read timeout (ServiceResponseTimeoutError),
    a body its Content-Encoding does not decode (requests' ContentDecodingError:
    ServiceResponseError)."""
    if isinstance(error, TimeoutError):
        return ServiceResponseTimeoutError(f"Read timed out: {error}", error=error)
    if isinstance(error, zlib.error):
        return ServiceResponseError(
            f"Received response with content-encoding it does not decode: {error}", error=error
        )
    if isinstance(error, ssl.SSLError) and not isinstance(error, ssl.SSLEOFError):
        return ServiceRequestError(f"SSLError: {error}", error=error)
    if isinstance(error, http.client.IncompleteRead):
        return IncompleteReadError(f"Connection broken: {error!r}", error=error)
    if isinstance(error, (OSError, http.client.HTTPException, ValueError)):
        return HttpResponseError(f"Connection broken: {error!r}", error=error)
    return error  # type: ignore[return-value]
