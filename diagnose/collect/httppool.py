"""Keep-alive connections for the http.client transport (httpclient.py): TLS trust, proxies
from the environment, and a bounded pool of idle connections per origin.

- Trust: the CA bundle requests would use (connection_verify, else REQUESTS_CA_BUNDLE /
  CURL_CA_BUNDLE, else certifi's), read once into one SSL context per bundle (and client
  certificate) for the whole process: reading certifi's bundle costs tens of milliseconds
  of CPU, and a collection opens dozens of connections at once. The context verifies as
  urllib3's does (urllib3's own context factory: chain required, host name matched).
- Proxies: read from the environment as requests reads them (HTTPS_PROXY, HTTP_PROXY,
  ALL_PROXY, NO_PROXY: requests' own functions), once per origin. https is tunnelled
  through an http:// proxy with CONNECT; credentials in the proxy's URL become a
  Proxy-Authorization header and are never part of a message.
- Pool: per (scheme, host, port, proxy, trust), a last-in-first-out queue of idle
  connections of bounded size, as urllib3's pool (whose interface the Warmer, warm.py,
  fills): a request takes the most recently used connection, or opens one; one returned to
  a full pool is closed.
- Deadline: every socket is given to the deadline as soon as it is connected (before the
  TLS handshake or the proxy's tunnel), so its watchdog can end any wait on it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import queue
import socket
import ssl
import threading
from typing import Any, NamedTuple

from diagnose.collect.deadline import Deadline
from diagnose.collect.headerparse import LeanHeadersResponse


class Proxy(NamedTuple):
    host: str
    port: int
    authorization: str | None
    """The Proxy-Authorization header value (Basic), from the URL's credentials."""

    def __repr__(self) -> str:  # never the credentials
        return f"Proxy({self.host}:{self.port})"


class Origin(NamedTuple):
    """What a connection is for: a pooled connection serves only requests of the same."""

    scheme: str
    host: str
    port: int
    proxy: Proxy | None
    verify: str | bool
    """The CA bundle (file or directory) a TLS connection trusts; False: none verified."""
    cert: str | tuple[str, str] | None

    def __repr__(self) -> str:
        through = f" through {self.proxy!r}" if self.proxy else ""
        return f"Origin({self.scheme}://{self.host}:{self.port}{through})"


class UnsupportedProxy(Exception):
    """A proxy this transport does not speak (https://, socks): requests' transport sends."""


def environment(url: str, no_proxy: str | None) -> tuple[dict[str, str], str | None]:
    """The environment's proxies for a URL (requests' get_environ_proxies: NO_PROXY
    applied) and the CA bundle requests would take from it."""
    from requests.utils import get_environ_proxies

    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return get_environ_proxies(url, no_proxy=no_proxy), bundle


def proxy_for(url: str, proxies: dict[str, str]) -> Proxy | None:
    """The proxy requests would send `url` through (requests' select_proxy), parsed; an
    https:// or socks proxy raises UnsupportedProxy."""
    if not proxies:
        return None
    from urllib.parse import urlsplit

    from requests.auth import _basic_auth_str
    from requests.utils import get_auth_from_url, prepend_scheme_if_needed, select_proxy

    chosen = select_proxy(url, proxies)
    if not chosen:
        return None
    chosen = prepend_scheme_if_needed(chosen, "http")
    parts = urlsplit(chosen)
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise UnsupportedProxy(parts.scheme)
    username, password = get_auth_from_url(chosen)
    authorization = _basic_auth_str(username, password) if username or password else None
    return Proxy(parts.hostname, parts.port or 80, authorization)


# -- trust -----------------------------------------------------------------------------

_contexts: dict[tuple[Any, ...], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def default_bundle() -> str:
    """certifi's bundle (requests' DEFAULT_CA_BUNDLE_PATH; certifi is declared for it)."""
    import certifi

    return str(certifi.where())


def tls_context(verify: str | bool, cert: str | tuple[str, str] | None) -> ssl.SSLContext:
    """The process's one SSL context for a trust bundle (and client certificate), built
    again when the bundle's file changes."""
    stamp: tuple[int, int] | None = None
    if isinstance(verify, str):
        try:
            found = os.stat(verify)
        except OSError:
            raise FileNotFoundError(
                f"Could not find a suitable TLS CA certificate bundle, invalid path: {verify}"
            ) from None
        stamp = (found.st_mtime_ns, found.st_size)
    key = (verify, stamp, cert)
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = _new_context(verify, cert)
            _contexts[key] = context
        return context


def warm_trust() -> None:
    """Read the trust bundle the environment names (or certifi's) into its context now, while
    nothing waits on it: certifi's costs about 40 ms of CPU, which the first connection of
    a process would otherwise pay. A bundle that cannot be read is left to that connection
    to report."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    with contextlib.suppress(OSError, ValueError):
        tls_context(bundle or default_bundle(), None)


def _new_context(verify: str | bool, cert: str | tuple[str, str] | None) -> ssl.SSLContext:
    from urllib3.util.ssl_ import create_urllib3_context

    if verify:
        context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
        context.check_hostname = True
        assert isinstance(verify, str)
        if os.path.isdir(verify):
            context.load_verify_locations(capath=verify)
        else:
            context.load_verify_locations(cafile=verify)
    else:
        context = create_urllib3_context(cert_reqs=ssl.CERT_NONE)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert:
        certificate, key = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certificate, key)
    context.set_alpn_protocols(["http/1.1"])
    return context


# -- connections -------------------------------------------------------------------------


class _Watched:
    """What both connection classes add to http.client's: the deadline watches the socket
    from the moment it is connected, and `stage` says how far connecting got (tcp, tunnel,
    tls, done), for the error a failure maps to (httpclient.py)."""

    deadline: Deadline
    stage = "tcp"
    host: str
    port: int
    timeout: float | None
    source_address: Any
    _tunnel_host: str | None
    _create_connection: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # http.client connects through this instance attribute (set in its __init__)
        self._create_connection = self._connected

    def _connected(self, address: Any, timeout: Any = None, source: Any = None) -> Any:
        sock = socket.create_connection(address, timeout, source)
        self.deadline.watch(sock)
        self.stage = "tunnel" if self._tunnel_host else "tls"
        return sock


class HTTPConnection(_Watched, http.client.HTTPConnection):
    response_class = LeanHeadersResponse

    def connect(self) -> None:
        super().connect()
        self.stage = "done"


class HTTPSConnection(_Watched, http.client.HTTPSConnection):
    response_class = LeanHeadersResponse

    def _tunnel(self) -> None:
        super()._tunnel()  # type: ignore[misc]
        self.stage = "tls"

    def connect(self) -> None:
        super().connect()
        self.deadline.watch(self.sock)  # the TLS socket (the plain one is detached)
        self.stage = "done"


def still_connected(sock: Any) -> bool:
    """Whether an idle TLS connection is still usable: nothing to read (urllib3's test), or
    only TLS records without application data (a session ticket, which makes a connection
    opened ahead and never used yet readable); not when the server closed it or sent
    something unasked."""
    from urllib3.util.wait import wait_for_read

    if sock is None:
        return False
    if not wait_for_read(sock, timeout=0.0):
        return True
    timeout = sock.gettimeout()
    try:
        sock.settimeout(0.0)
        sock.recv(1)  # data nobody asked for, or b"" (closed): not usable
        return False
    except ssl.SSLWantReadError:  # records read, no application data: still connected
        return True
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):  # closed meanwhile
            sock.settimeout(timeout)


class HostPool:
    """Idle connections of one origin: a last-in-first-out queue of `size` places, a place
    empty (None) until a connection returned fills it, as urllib3's pool (warm.py takes its
    places and puts connections opened ahead in them)."""

    def __init__(self, origin: Origin, size: int, deadline: Deadline) -> None:
        self.origin = origin
        self._deadline = deadline
        self.pool: queue.LifoQueue[Any] | None = queue.LifoQueue(size)
        for _ in range(size):
            self.pool.put(None)

    def _new_conn(self) -> HTTPConnection | HTTPSConnection:
        origin = self.origin
        target_host, target_port = origin.host, origin.port
        host, port = target_host, target_port
        if origin.proxy is not None:
            host, port = origin.proxy.host, origin.proxy.port
        conn: Any
        if origin.scheme == "https":
            conn = HTTPSConnection(host, port, context=tls_context(origin.verify, origin.cert))
            if origin.proxy is not None:
                headers = {"Proxy-Authorization": origin.proxy.authorization}
                conn.set_tunnel(
                    target_host, target_port, headers if origin.proxy.authorization else None
                )
        else:
            conn = HTTPConnection(host, port)
        conn.deadline = self._deadline
        return conn

    def take(self) -> tuple[Any, bool]:
        """A connection and whether it was connected already (idle in the pool). One
        the server closed meanwhile is dropped and a new one opened in its place."""
        place = self.pool
        conn = None
        if place is not None:
            with contextlib.suppress(queue.Empty):
                conn = place.get(block=False)
        if conn is not None:
            if still_connected(conn.sock):
                return conn, True
            conn.close()
        return self._new_conn(), False

    def _put_conn(self, conn: Any) -> None:
        """Return a connection (None: a place given back); closed when there is no room."""
        place = self.pool
        if place is not None:
            try:
                place.put(conn, block=False)
                return
            except queue.Full:
                pass
        if conn is not None:
            conn.close()

    def close(self) -> None:
        place, self.pool = self.pool, None
        while place is not None:
            try:
                conn = place.get(block=False)
            except queue.Empty:
                break
            if conn is not None:
                conn.close()
