"""The two HTTP clients: ARM (azure-mgmt-core's ARMPipelineClient) and Microsoft Graph
(azure-core's PipelineClient), each with one explicit pipeline:

    headers, user agent, proxy, content decoding, retry (Retry-After honoured, each wait
    capped), deadline, bearer authentication, sent-token note, request log, read-only guard
    ->  requests transport (connections watched by the deadline)

There is no redirect policy (a redirect is reported, not followed) and no automatic
resource-provider registration (it would POST). Responses come back as JSON or as ApiError;
paging (ARM nextLink, Resource Graph $skipToken) is followed to the end with a guard against
a link that repeats or leaves the endpoint. A 200 list without its `value` (or `data`) array
is an error, never an empty list. Every message taken from a response is cleaned of
credentials, the bearer tokens this collection sent included.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from diagnose import __version__
from diagnose.collect.deadline import DEFAULT_TIMEOUT, Deadline, DeadlineExceeded, retry_after
from diagnose.collect.guard import ARM_POSTS, GRAPH_POSTS, ReadOnlyPolicy, RefusedRequest
from diagnose.collect.requestlog import RequestLog, RequestLogPolicy
from diagnose.collect.sent_tokens import SentTokenPolicy, SentTokens
from diagnose.snapshot.codes import TIMEOUT_CODE

MAX_PAGES = 500
READ_TIMEOUT = 60
CONNECTION_TIMEOUT = 15
USER_AGENT = f"ai-hub-diagnose/{__version__}"


TIMEOUT = TIMEOUT_CODE
"""The code of an errors entry for a read the deadline cut short or never let start."""


@dataclass
class RetrySettings:
    total: int = 4
    backoff_factor: float = 0.5
    backoff_max: float = 30
    """The longest single wait between attempts, Retry-After included."""


@dataclass
class Connection:
    """What every client of one collection shares: its deadline and the tokens it sent."""

    deadline: Deadline
    tokens: SentTokens


class ApiError(Exception):
    """A request that did not succeed: an HTTP error, a transport failure or a refusal."""

    def __init__(
        self, status: int | None, code: str | None, message: str, tenant: str | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.tenant = tenant
        """For a 401: the tenant the service named in its challenge, if it did."""

    def as_entry(self, scope: str, operation: str) -> dict[str, Any]:
        return {
            "scope": scope,
            "operation": operation,
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }


def _session(concurrency: int, deadline: Deadline) -> Any:
    import requests
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=4,
        pool_maxsize=max(10, concurrency),
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    _watch_connections(adapter, deadline)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _watch_connections(adapter: Any, deadline: Deadline) -> None:
    """Give the deadline every socket this adapter connects, so that its watchdog can end a
    read in progress (through a proxy, connections are not watched: the collection still
    ends on time, the proxied read is abandoned instead)."""
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class WatchedHTTPSConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class WatchedHTTPConnection(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class WatchedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPSConnection

    class WatchedHTTPPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTPConnection

    adapter.poolmanager.pool_classes_by_scheme = {
        "http": WatchedHTTPPool,
        "https": WatchedHTTPSPool,
    }


def _retry_policy(retry: RetrySettings, deadline: Deadline) -> Any:
    from azure.core.pipeline.policies import RetryPolicy

    class BoundedRetryPolicy(RetryPolicy):
        """azure-core's retries, with Retry-After read strictly (seconds or an HTTP date;
        anything else means the normal backoff), every wait capped at retry.backoff_max and
        counted against the deadline (a wait past it is not begun)."""

        def get_retry_after(self, response: Any) -> float | None:
            return retry_after(response.http_response.headers)

        def sleep(self, settings: Any, transport: Any, response: Any = None) -> None:
            wait = self.get_retry_after(response) if response is not None else None
            if wait is None:
                wait = self.get_backoff_time(settings)
            deadline.sleep(min(wait, retry.backoff_max))

    return BoundedRetryPolicy(
        retry_total=retry.total,
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


def _policies(
    auth_policy: Any,
    log: RequestLog,
    service: str,
    endpoint: str,
    posts: Any,
    retry: RetrySettings,
    shared: Connection,
) -> list[Any]:
    from azure.core.pipeline.policies import (
        ContentDecodePolicy,
        HeadersPolicy,
        ProxyPolicy,
        UserAgentPolicy,
    )

    return [
        HeadersPolicy(),
        UserAgentPolicy(base_user_agent=USER_AGENT),
        ProxyPolicy(),
        ContentDecodePolicy(),
        _retry_policy(retry, shared.deadline),
        _deadline_policy(shared.deadline),
        auth_policy,
        SentTokenPolicy(shared.tokens),
        RequestLogPolicy(log, service, shared.tokens.clean),
        ReadOnlyPolicy(endpoint, posts),
    ]


def _transport(concurrency: int, deadline: Deadline) -> Any:
    from azure.core.pipeline.transport import RequestsTransport

    return RequestsTransport(
        session=_session(concurrency, deadline),
        session_owner=True,
        connection_timeout=CONNECTION_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )


class JsonClient:
    """GET and read-only POST returning decoded JSON, through one azure-core pipeline."""

    service = "http"

    def __init__(self, client: Any, endpoint: str, tokens: SentTokens | None = None) -> None:
        self._client = client
        self.endpoint = endpoint
        self._tokens = tokens or SentTokens()

    def close(self) -> None:
        self._client.close()

    def url(self, path: str) -> str:
        return self.endpoint + path

    def get(self, path_or_url: str, params: dict[str, str] | None = None) -> Any:
        return self._send("GET", path_or_url, params=params)

    def post(self, path: str, body: Any, params: dict[str, str] | None = None) -> Any:
        return self._send("POST", path, params=params, body=body)

    def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest

        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        request = HttpRequest(method, url, params=params, json=body)
        try:
            response = self._client.send_request(
                request, retry_on_methods=frozenset({"GET", "POST"})
            )
        except RefusedRequest as exc:
            raise ApiError(None, "RefusedByReadOnlyGuard", str(exc)) from None
        except DeadlineExceeded as exc:
            raise ApiError(None, TIMEOUT, str(exc)) from None
        except AzureError as exc:
            raise ApiError(None, type(exc).__name__, _short(self._tokens.clean(str(exc)))) from None
        if not 200 <= response.status_code < 300:
            raise _error_of(response, self._tokens)
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise ApiError(
                response.status_code, "InvalidJson", "the response body is not JSON"
            ) from None

    def get_pages(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        """All items of an ARM (or Graph) list, following nextLink / @odata.nextLink."""
        items: list[Any] = []
        seen: set[str] = set()
        page = self.get(path, params)
        for _ in range(MAX_PAGES):
            if not isinstance(page, dict):
                raise ApiError(200, "InvalidList", "a list response is not a JSON object")
            items.extend(list_value(page, "value", len(items)))
            link = page.get("nextLink") or page.get("@odata.nextLink")
            if not link:
                return items
            if link in seen:
                raise ApiError(
                    200,
                    "RepeatedNextLink",
                    f"the service returned the same nextLink twice after "
                    f"{len(items)} items; the list is incomplete",
                )
            if not self._same_endpoint(link):
                raise ApiError(
                    200, "ForeignNextLink", "a nextLink points outside the endpoint; not followed"
                )
            seen.add(link)
            page = self.get(link)
        raise ApiError(200, "TooManyPages", f"more than {MAX_PAGES} pages; stopped")

    def _same_endpoint(self, link: str) -> bool:
        link_parts, own = urlsplit(link), urlsplit(self.endpoint)
        return (
            link_parts.scheme.lower() == "https"
            and (link_parts.hostname or "").lower() == (own.hostname or "").lower()
            and (link_parts.port or 443) == (own.port or 443)
        )


def list_value(page: dict[str, Any], name: str, so_far: int = 0) -> list[Any]:
    """The array a 200 list answer must carry (`value`, or Resource Graph's `data`): without
    it the list is unknown, never empty."""
    value = page.get(name)
    if isinstance(value, list):
        return value
    after = f" after {so_far} items" if so_far else ""
    what = "has no" if value is None else "has a non-array"
    raise ApiError(
        200,
        "InvalidList",
        f"the service answered 200 but the list {what} '{name}'{after}: its content is unknown",
    )


# The tenant in a 401's challenge: Bearer authorization_uri="https://login.../<tenant>", ...
_TENANT = re.compile(r'authorization(?:_uri)?="https://[^/"]+/([0-9a-f-]{36})', re.IGNORECASE)


def _error_of(response: Any, tokens: SentTokens) -> ApiError:
    code: str | None = None
    message = ""
    try:
        body = response.json()
    except Exception:  # not JSON: keep the reason phrase
        body = None
    if isinstance(body, dict):
        error: dict[str, Any] = body["error"] if isinstance(body.get("error"), dict) else body
        code = error["code"] if isinstance(error.get("code"), str) else None
        message = error["message"] if isinstance(error.get("message"), str) else ""
    tenant = None
    if response.status_code == 401:
        found = _TENANT.search(str(response.headers.get("WWW-Authenticate") or ""))
        tenant = found.group(1).lower() if found else None
    reason = str(getattr(response, "reason", "") or "")
    return ApiError(
        response.status_code,
        _short(tokens.clean(code))[:100] if code else None,
        _short(tokens.clean(message or reason)) or "request failed",
        tenant,
    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:497] + "..."


class ArmClient(JsonClient):
    service = "arm"

    def resource_graph(self, query: str, subscriptions: list[str] | None = None) -> list[Any]:
        """All rows of an Azure Resource Graph query, following $skipToken."""
        from diagnose.collect import apiversions

        rows: list[Any] = []
        seen: set[str] = set()
        options: dict[str, Any] = {"resultFormat": "objectArray"}
        for _ in range(MAX_PAGES):
            body: dict[str, Any] = {"query": query, "options": dict(options)}
            if subscriptions:
                body["subscriptions"] = subscriptions
            page = self.post(
                "/providers/Microsoft.ResourceGraph/resources",
                body,
                {"api-version": apiversions.RESOURCE_GRAPH},
            )
            if not isinstance(page, dict):
                raise ApiError(200, "InvalidResponse", "a Resource Graph response is not an object")
            rows.extend(list_value(page, "data", len(rows)))
            token = page.get("$skipToken")
            if not token:
                return rows
            if token in seen:
                raise ApiError(
                    200, "RepeatedSkipToken", "Resource Graph returned the same $skipToken twice"
                )
            seen.add(token)
            options["$skipToken"] = token
        raise ApiError(200, "TooManyPages", f"more than {MAX_PAGES} pages; stopped")


class GraphClient(JsonClient):
    service = "graph"


def shared_connection(timeout: float = DEFAULT_TIMEOUT, *, watchdog: bool = True) -> Connection:
    """A deadline `timeout` seconds from now (its watchdog started) and an empty token note."""
    deadline = Deadline(timeout)
    return Connection(deadline.start() if watchdog else deadline, SentTokens())


def arm_client(
    endpoint: str,
    credential: Any,
    scope: str,
    log: RequestLog,
    *,
    concurrency: int,
    retry: RetrySettings,
    shared: Connection | None = None,
) -> ArmClient:
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

    shared = shared or shared_connection(watchdog=False)
    auth = ARMChallengeAuthenticationPolicy(credential, scope)
    client: Any = ARMPipelineClient(
        endpoint,
        policies=_policies(auth, log, "arm", endpoint, ARM_POSTS, retry, shared),
        transport=_transport(concurrency, shared.deadline),
    )
    return ArmClient(client, endpoint, shared.tokens)


def graph_client(
    endpoint: str,
    credential: Any,
    scope: str,
    log: RequestLog,
    *,
    concurrency: int,
    retry: RetrySettings,
    shared: Connection | None = None,
) -> GraphClient:
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy

    shared = shared or shared_connection(watchdog=False)
    auth = BearerTokenCredentialPolicy(credential, scope)
    client: Any = PipelineClient(
        endpoint,
        policies=_policies(auth, log, "graph", endpoint, GRAPH_POSTS, retry, shared),
        transport=_transport(concurrency, shared.deadline),
    )
    return GraphClient(client, endpoint, shared.tokens)
