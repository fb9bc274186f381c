"""The one explicit azure-core pipeline every client of a collection sends through:

    headers, user agent, proxy, [content decoding, for the Azure SDKs], retry (Retry-After
    honoured, each wait capped), the service's adaptive window of requests in flight
    (limit.py), deadline, bearer authentication, sent-token note, request log, read-only
    guard ->  transport: http.client's (httpclient.py), or requests' (below) when chosen
              (DIAGNOSE_HTTP_CLIENT=requests, or tests replaying with `responses`); the
              connections of either are watched by the deadline

The direct ARM and Graph clients decode each answer themselves (jsonbody.py), once; only
the Azure SDK clients' pipelines decode in a policy, which the SDK reads its answers from.

There is no redirect policy (a redirect is reported, not followed) and no automatic
resource-provider registration (it would POST). clients.py builds the ARM and Graph clients
on it.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from diagnose import __version__
from diagnose.collect.deadline import DEFAULT_TIMEOUT, Deadline, DeadlineExceeded, retry_after
from diagnose.collect.guard import ReadOnlyPolicy
from diagnose.collect.httppool import still_connected as _still_connected
from diagnose.collect.limit import AdaptiveLimit, ConcurrencyPolicy
from diagnose.collect.requestlog import RequestLog, RequestLogPolicy
from diagnose.collect.sent_tokens import SentTokenPolicy, SentTokens
from diagnose.collect.warm import Warmer

READ_TIMEOUT = 60
CONNECTION_TIMEOUT = 15
USER_AGENT = f"ai-hub-diagnose/{__version__}"


@dataclass
class RetrySettings:
    total: int = 4
    """The most retries of one request, a throttled or failed status's included."""
    backoff_factor: float = 0.5
    backoff_max: float = 30
    """The longest single wait between attempts, Retry-After included."""


@dataclass
class Connection:
    """What every client of one collection shares: its deadline and the tokens it sent."""

    deadline: Deadline
    tokens: SentTokens
    limits: dict[str, AdaptiveLimit] = field(default_factory=dict)
    """The window of requests in flight to each service (arm, graph), shared by all its
    clients."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def limit(self, service: str, ceiling: int) -> AdaptiveLimit:
        """The service's window (the first client of a service sets its ceiling)."""
        with self._lock:
            if service not in self.limits:
                self.limits[service] = AdaptiveLimit(ceiling)
            return self.limits[service]


def shared_connection(timeout: float = DEFAULT_TIMEOUT, *, watchdog: bool = True) -> Connection:
    """A deadline `timeout` seconds from now (its watchdog started) and an empty token note."""
    deadline = Deadline(timeout)
    return Connection(deadline.start() if watchdog else deadline, SentTokens())


def _session(concurrency: int, deadline: Deadline, warm: int = 0) -> Any:
    from urllib3.util.retry import Retry

    session = _environment_once_session()
    adapter = _shared_trust_adapter()(
        pool_connections=4,
        # room for the connections opened ahead besides those of the requests in flight
        pool_maxsize=max(10, concurrency) + warm,
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    warmer = Warmer(warm, deadline, CONNECTION_TIMEOUT) if warm else None
    _watch_connections(adapter, deadline, warmer)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _shared_trust_adapter() -> Any:
    """A requests adapter whose TLS connections share one SSL context per trust bundle.

    requests hands urllib3 the bundle's path, and urllib3 then builds a context and reads
    the whole bundle for every connection it opens: certifi's bundle (or a corporate one in
    REQUESTS_CA_BUNDLE) costs tens of milliseconds of CPU each time, and a collection opens
    dozens of connections at once. Here the bundle is read once into a context that verifies
    as urllib3's own does (certificate chain required, host name matched), and the pools get
    that context instead of the path."""
    import ssl
    import threading
    from urllib.parse import urlsplit

    import requests
    from requests.models import Response
    from requests.structures import CaseInsensitiveDict
    from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers, select_proxy
    from urllib3.util.ssl_ import create_urllib3_context

    class SharedTrustAdapter(requests.adapters.HTTPAdapter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._contexts: dict[str, ssl.SSLContext] = {}
            self._contexts_lock = threading.Lock()
            self._pools: dict[tuple[Any, ...], Any] = {}
            super().__init__(*args, **kwargs)

        def get_connection_with_tls_context(
            self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
        ) -> Any:
            """requests' pool for a request, remembered per origin and TLS settings: finding
            it again (parsing the URL, building urllib3's pool key of some forty fields,
            checking the bundle exists) was a tenth of the CPU a request cost in this
            adapter, for the same pool every time (cert_verify still checks the bundle on
            each request). A request through a proxy, and a pool closed since, are looked
            up as requests does."""
            if proxies and select_proxy(request.url, proxies):
                return super().get_connection_with_tls_context(request, verify, proxies, cert)
            parts = urlsplit(request.url)
            key = (parts.scheme.lower(), parts.netloc.lower(), verify, cert)
            try:
                pool = self._pools.get(key)
            except TypeError:  # a setting that cannot be a key (a list): no memo
                return super().get_connection_with_tls_context(request, verify, proxies, cert)
            if pool is None or pool.pool is None:
                pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
                self._pools[key] = pool
            return pool

        def close(self) -> None:
            self._pools.clear()  # the pools go with the manager's, as requests closes them
            super().close()

        def build_response(self, req: Any, resp: Any) -> Any:
            """requests' Response, without the cookies the server set: nothing reads them
            (the session keeps none, leanhttp.py), and parsing them for the jar was a
            twentieth of each request's CPU in this adapter."""
            response: Any = Response()
            response.status_code = getattr(resp, "status", None)
            response.headers = CaseInsensitiveDict(getattr(resp, "headers", {}))
            response.encoding = get_encoding_from_headers(response.headers)
            response.raw = resp
            response.reason = resp.reason
            response.url = req.url.decode("utf-8") if isinstance(req.url, bytes) else req.url
            response.request = req
            response.connection = self
            return response

        def _context(self, location: str) -> ssl.SSLContext:
            with self._contexts_lock:
                context = self._contexts.get(location)
                if context is None:
                    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
                    if os.path.isdir(location):
                        context.load_verify_locations(capath=location)
                    else:
                        context.load_verify_locations(cafile=location)
                    self._contexts[location] = context
                return context

        def _trust(self, url: str, verify: Any, cert: Any) -> str | None:
            """The bundle a connection trusts, when it may share a context (https,
            verified, no client certificate)."""
            if not verify or cert or not str(url).lower().startswith("https:"):
                return None
            return verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH

        def build_connection_pool_key_attributes(
            self, request: Any, verify: Any, cert: Any = None
        ) -> tuple[dict[str, Any], dict[str, Any]]:
            host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
            location = self._trust(request.url, verify, cert)
            if location and os.path.exists(location):
                pool.pop("ca_certs", None)
                pool.pop("ca_cert_dir", None)
                pool["ssl_context"] = self._context(location)
            return host, pool

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)  # an absent bundle still raises
            location = self._trust(url, verify, cert)
            shared = self._contexts.get(location) if location else None
            if shared is not None and conn.conn_kw.get("ssl_context") is shared:
                conn.ca_certs = conn.ca_cert_dir = None  # in the context already

    return SharedTrustAdapter


def _environment_once_session() -> Any:
    """A requests session that reads the environment (HTTPS_PROXY / NO_PROXY and
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, as requests does) once per host, not on every
    request: requests re-reads os.environ, the proxy settings and ~/.netrc for each one, a
    few milliseconds of CPU per request. ~/.netrc is not read at all: its Basic credentials
    would replace the bearer token this collection sends. Nor are cookies kept or sent."""
    import os
    import threading
    from urllib.parse import urlsplit

    from requests.models import PreparedRequest
    from requests.sessions import merge_hooks, merge_setting
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_environ_proxies

    from diagnose.collect.leanhttp import lean_session_class

    class EnvironmentOnceSession(lean_session_class()):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.trust_env = False  # the environment is merged below, once per host
            self._environment: dict[tuple[str, str | None], tuple[dict[str, str], Any]] = {}
            self._environment_lock = threading.Lock()

        def merge_environment_settings(
            self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
        ) -> dict[str, Any]:
            parts = urlsplit(str(url))
            no_proxy = proxies.get("no_proxy") if proxies is not None else None
            key = (f"{parts.scheme}://{parts.netloc}".lower(), no_proxy)
            with self._environment_lock:
                known = self._environment.get(key)
            if known is None:
                bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                known = (get_environ_proxies(str(url), no_proxy=no_proxy), bundle)
                with self._environment_lock:
                    self._environment[key] = known
            environment_proxies, bundle = known
            if proxies is not None:
                for name, value in environment_proxies.items():
                    proxies.setdefault(name, value)
            if (verify is True or verify is None) and bundle:
                verify = bundle
            return {
                "proxies": _merged_proxies(proxies, self.proxies),
                "stream": _merged_scalar(stream, self.stream),
                "verify": _merged_scalar(verify, self.verify),
                "cert": _merged_scalar(cert, self.cert),
            }

        def prepare_request(self, request: Any) -> Any:
            """As requests prepares one, without cookies or netrc authentication: Azure
            Resource Manager and Microsoft Graph set no cookie this collection should send
            back, and merging and matching the (always empty) cookie jars was a tenth of the
            CPU each request cost. The bearer token is the pipeline's Authorization header."""
            prepared = PreparedRequest()
            prepared.prepare_method(request.method)
            prepared.prepare_url(request.url, request.params)
            prepared.prepare_headers(
                merge_setting(request.headers, self.headers, dict_class=CaseInsensitiveDict)
            )
            prepared.prepare_body(request.data, request.files, request.json)
            prepared.prepare_hooks(merge_hooks(request.hooks, self.hooks))
            return prepared

    return EnvironmentOnceSession()


def _merged_proxies(proxies: Any, session: Any) -> Any:
    """requests' merge_setting(proxies, session proxies) without its Mapping checks (nine
    tenths of the CPU of merging a request's settings) in the usual case: plain dicts, the
    session's empty."""
    if type(proxies) is dict and type(session) is dict and not session:
        return OrderedDict((k, v) for k, v in proxies.items() if v is not None)
    from requests.sessions import merge_setting

    return merge_setting(proxies, session)


def _merged_scalar(value: Any, session: Any) -> Any:
    """requests' merge_setting for stream, verify and cert, without its Mapping checks when
    the request's value is a plain scalar (which merge_setting returns as it is)."""
    if session is None:
        return value
    if value is None:
        return session
    if isinstance(value, (bool, str, tuple)):
        return value
    from requests.sessions import merge_setting

    return merge_setting(value, session)


def _watch_connections(adapter: Any, deadline: Deadline, warmer: Warmer | None = None) -> None:
    """Give the deadline every socket this adapter connects, so that its watchdog can end a
    read in progress (through a proxy, connections are not watched: the collection still
    ends on time, the proxied read is abandoned instead). With a warmer, the first TLS
    connection a pool opens starts opening more ahead (warm.py). Response headers are read
    by headerparse.py."""
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    from diagnose.collect.headerparse import LeanHeadersResponse

    class WatchedHTTPSConnection(HTTPSConnection):
        warm_pool: Any = None
        response_class = LeanHeadersResponse

        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)
            if self.warm_pool is not None and self.proxy is None:
                warmer.start(self.warm_pool)  # type: ignore[union-attr]

        @property
        def is_connected(self) -> bool:
            """urllib3's test (connected unless the socket is readable), except that TLS
            records the server sent after the handshake (TLS 1.3 session tickets), which
            make a connection opened ahead and never used yet readable, are read first."""
            return _still_connected(self.sock)

    class WatchedHTTPConnection(HTTPConnection):
        response_class = LeanHeadersResponse

        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class WatchedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPSConnection

        def _new_conn(self) -> Any:
            conn: Any = super()._new_conn()
            if warmer is not None:
                conn.warm_pool = self
            return conn

    class WatchedHTTPPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTPConnection

    adapter.poolmanager.pool_classes_by_scheme = {
        "http": WatchedHTTPPool,
        "https": WatchedHTTPSPool,
    }


def jittered_backoff(
    backoff: float, uniform: Callable[[float, float], float] = random.uniform
) -> float:
    """A wait between a half and the whole of azure-core's exponential backoff: the requests
    a fault refused together (dozens at once in a collection) come back spread out, not in
    the same instant to meet the same fault."""
    return uniform(backoff / 2, backoff)


def after_retry_after(
    seconds: float, uniform: Callable[[float, float], float] = random.uniform
) -> float:
    """What the service asked for, and up to a tenth more (at most a second): never sooner
    (but for the cap on every wait, RetrySettings.backoff_max), and the requests it throttled
    together do not all return in the same instant."""
    return seconds + uniform(0, min(1.0, seconds / 10))


def _retry_policy(retry: RetrySettings, deadline: Deadline) -> Any:
    from azure.core.pipeline.policies import RetryPolicy

    class BoundedRetryPolicy(RetryPolicy):
        """azure-core's retries, with Retry-After read strictly (seconds or an HTTP date;
        anything else means the normal backoff), every wait capped at retry.backoff_max and
        counted against the deadline (a wait past it is not begun)."""

        def get_retry_after(self, response: Any) -> float | None:
            return retry_after(response.http_response.headers)

        def sleep(self, settings: Any, transport: Any, response: Any = None) -> None:
            told = self.get_retry_after(response) if response is not None else None
            if told is None:
                wait = jittered_backoff(self.get_backoff_time(settings))
            else:
                wait = after_retry_after(told)
            deadline.sleep(min(wait, retry.backoff_max))

    return BoundedRetryPolicy(
        retry_total=retry.total,
        # azure-core retries a bad status (429, 5xx) only 3 times whatever the total: a
        # request a busy service throttled four times running (those refused together come
        # back together after the same Retry-After) became an error with retries to spare
        retry_status=retry.total,
        retry_backoff_factor=retry.backoff_factor,
        retry_backoff_max=retry.backoff_max,
    )


def _deadline_policy(deadline: Deadline) -> Any:
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class DeadlinePolicy(SansIOHTTPPolicy):
        """Before each attempt: none starts past the deadline, and none may wait longer for a
        connection or a byte than the time left."""

        def on_request(self, request: Any) -> None:
            left = deadline.remaining()
            if left <= 0:
                raise DeadlineExceeded(deadline.message)
            options = request.context.options
            options["connection_timeout"] = min(CONNECTION_TIMEOUT, left)
            options["read_timeout"] = min(READ_TIMEOUT, left)

    return DeadlinePolicy()


def policies(
    auth_policy: Any,
    log: RequestLog,
    service: str,
    endpoint: str,
    posts: Any,
    retry: RetrySettings,
    shared: Connection,
    *,
    sdk: bool = False,
    concurrency: int | None = None,
    user_agent: str = USER_AGENT,
) -> list[Any]:
    """The policies of a pipeline; with `concurrency`, its requests share the service's
    adaptive window (limit.py), whose ceiling it is."""
    from azure.core.pipeline.policies import HeadersPolicy, ProxyPolicy, UserAgentPolicy

    from diagnose.collect.jsonbody import JsonDecodePolicy

    return [
        HeadersPolicy(),
        UserAgentPolicy(base_user_agent=user_agent),
        ProxyPolicy(),
        *([JsonDecodePolicy()] if sdk else []),
        _retry_policy(retry, shared.deadline),
        *(
            [ConcurrencyPolicy(shared.limit(service, concurrency), shared.deadline)]
            if concurrency
            else []
        ),
        _deadline_policy(shared.deadline),
        auth_policy,
        SentTokenPolicy(shared.tokens),
        RequestLogPolicy(log, service, shared.tokens.clean),
        ReadOnlyPolicy(endpoint, posts, batch=service == "graph"),
    ]


HTTP_CLIENT_VARIABLE = "DIAGNOSE_HTTP_CLIENT"
"""`requests`: send through requests' transport instead of http.client's (an escape hatch,
in the README)."""
_forced: list[str] = []


@contextlib.contextmanager
def http_client(name: str) -> Iterator[None]:
    """Build the transports of this block with the client named (tests that replay with the
    `responses` library, which patches requests, choose "requests")."""
    _forced.append(name)
    try:
        yield
    finally:
        _forced.pop()


def chosen_http_client() -> str:
    """ "requests" or "http.client": the block's choice (http_client), else the
    environment's (DIAGNOSE_HTTP_CLIENT), else http.client."""
    if _forced:
        return _forced[-1]
    told = os.environ.get(HTTP_CLIENT_VARIABLE, "").strip().lower()
    return "requests" if told == "requests" else "http.client"


def transport(concurrency: int, deadline: Deadline, *, warm: int = 0) -> Any:
    """The transport of a pipeline: http.client's (httpclient.py), or requests' when chosen
    (chosen_http_client). With `warm`, up to that many connections are opened ahead once the
    first is up (warm.py)."""
    if chosen_http_client() == "requests":
        return requests_transport(concurrency, deadline, warm=warm)
    from diagnose.collect.httpclient import HttpClientTransport
    from diagnose.collect.leanhttp import BODY_CHUNK

    return HttpClientTransport(
        deadline,
        # room for the connections opened ahead besides those of the requests in flight
        pool_size=max(10, concurrency) + warm,
        fallback=lambda: requests_transport(concurrency, deadline),
        warm=warm,
        connection_timeout=CONNECTION_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        block_size=BODY_CHUNK,
    )


def requests_transport(concurrency: int, deadline: Deadline, *, warm: int = 0) -> Any:
    """The requests transport of a pipeline; with `warm`, up to that many connections are
    opened ahead once the first is up (warm.py)."""
    from azure.core.pipeline.transport import RequestsTransport

    from diagnose.collect.leanhttp import BODY_CHUNK

    return RequestsTransport(
        session=_session(concurrency, deadline, warm),
        session_owner=True,
        connection_timeout=CONNECTION_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        # azure-core re-reads each kept body in pieces of this size (4 KB by default)
        connection_data_block_size=BODY_CHUNK,
    )
