"""The two HTTP clients: ARM (azure-mgmt-core's ARMPipelineClient) and Microsoft Graph
(azure-core's PipelineClient), each with one explicit pipeline:

    headers, user agent, proxy, content decoding, retry (Retry-After honoured, bounded),
    bearer authentication, request log, read-only guard  ->  requests transport

There is no redirect policy (a redirect is reported, not followed) and no automatic
resource-provider registration (it would POST). Responses come back as JSON or as ApiError;
paging (ARM nextLink, Resource Graph $skipToken) is followed to the end with a guard against
a link that repeats or leaves the endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from diagnose import __version__
from diagnose.collect.guard import ARM_POSTS, GRAPH_POSTS, ReadOnlyPolicy, RefusedRequest
from diagnose.collect.requestlog import RequestLog, RequestLogPolicy

MAX_PAGES = 500
READ_TIMEOUT = 60
CONNECTION_TIMEOUT = 15
USER_AGENT = f"ai-hub-diagnose/{__version__}"


@dataclass
class RetrySettings:
    total: int = 4
    backoff_factor: float = 0.5
    backoff_max: int = 30


class ApiError(Exception):
    """A request that did not succeed: an HTTP error, a transport failure or a refusal."""

    def __init__(self, status: int | None, code: str | None, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def as_entry(self, scope: str, operation: str) -> dict[str, Any]:
        return {"scope": scope, "operation": operation, "status": self.status,
                "code": self.code, "message": self.message}


def _session(concurrency: int) -> Any:
    import requests
    from urllib3.util.retry import Retry

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=4, pool_maxsize=max(10, concurrency),
        max_retries=Retry(total=False, redirect=False, raise_on_status=False))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _policies(auth_policy: Any, log: RequestLog, service: str, endpoint: str,
              posts: Any, retry: RetrySettings) -> list[Any]:
    from azure.core.pipeline.policies import (
        ContentDecodePolicy,
        HeadersPolicy,
        ProxyPolicy,
        RetryPolicy,
        UserAgentPolicy,
    )

    return [
        HeadersPolicy(),
        UserAgentPolicy(base_user_agent=USER_AGENT),
        ProxyPolicy(),
        ContentDecodePolicy(),
        RetryPolicy(retry_total=retry.total, retry_backoff_factor=retry.backoff_factor,
                    retry_backoff_max=retry.backoff_max),
        auth_policy,
        RequestLogPolicy(log, service),
        ReadOnlyPolicy(endpoint, posts),
    ]


def _transport(concurrency: int) -> Any:
    from azure.core.pipeline.transport import RequestsTransport

    return RequestsTransport(session=_session(concurrency), session_owner=True,
                             connection_timeout=CONNECTION_TIMEOUT, read_timeout=READ_TIMEOUT)


class JsonClient:
    """GET and read-only POST returning decoded JSON, through one azure-core pipeline."""

    service = "http"

    def __init__(self, client: Any, endpoint: str) -> None:
        self._client = client
        self.endpoint = endpoint

    def close(self) -> None:
        self._client.close()

    def url(self, path: str) -> str:
        return self.endpoint + path

    def get(self, path_or_url: str, params: dict[str, str] | None = None) -> Any:
        return self._send("GET", path_or_url, params=params)

    def post(self, path: str, body: Any, params: dict[str, str] | None = None) -> Any:
        return self._send("POST", path, params=params, body=body)

    def _send(self, method: str, path_or_url: str, *, params: dict[str, str] | None = None,
              body: Any = None) -> Any:
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest

        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        request = HttpRequest(method, url, params=params, json=body)
        try:
            response = self._client.send_request(
                request, retry_on_methods=frozenset({"GET", "POST"}))
        except RefusedRequest as exc:
            raise ApiError(None, "RefusedByReadOnlyGuard", str(exc)) from None
        except AzureError as exc:
            raise ApiError(None, type(exc).__name__, _short(str(exc))) from None
        if not 200 <= response.status_code < 300:
            raise _error_of(response)
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise ApiError(response.status_code, "InvalidJson",
                           "the response body is not JSON") from None

    def get_pages(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        """All items of an ARM (or Graph) list, following nextLink / @odata.nextLink."""
        items: list[Any] = []
        seen: set[str] = set()
        page = self.get(path, params)
        for _ in range(MAX_PAGES):
            if not isinstance(page, dict):
                raise ApiError(200, "InvalidList", "a list response is not a JSON object")
            value = page.get("value")
            items.extend(value if isinstance(value, list) else [])
            link = page.get("nextLink") or page.get("@odata.nextLink")
            if not link:
                return items
            if link in seen:
                raise ApiError(200, "RepeatedNextLink",
                               f"the service returned the same nextLink twice after "
                               f"{len(items)} items; the list is incomplete")
            if not self._same_endpoint(link):
                raise ApiError(200, "ForeignNextLink",
                               "a nextLink points outside the endpoint; not followed")
            seen.add(link)
            page = self.get(link)
        raise ApiError(200, "TooManyPages", f"more than {MAX_PAGES} pages; stopped")

    def _same_endpoint(self, link: str) -> bool:
        link_parts, own = urlsplit(link), urlsplit(self.endpoint)
        return (link_parts.scheme.lower() == "https"
                and (link_parts.hostname or "").lower() == (own.hostname or "").lower()
                and (link_parts.port or 443) == (own.port or 443))


def _error_of(response: Any) -> ApiError:
    code, message = None, ""
    try:
        body = response.json()
    except Exception:  # not JSON: keep the reason phrase
        body = None
    if isinstance(body, dict):
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        code = error.get("code") if isinstance(error.get("code"), str) else None
        message = error.get("message") if isinstance(error.get("message"), str) else ""
    return ApiError(response.status_code, code,
                    _short(message) or getattr(response, "reason", "") or "request failed")


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
            page = self.post("/providers/Microsoft.ResourceGraph/resources", body,
                             {"api-version": apiversions.RESOURCE_GRAPH})
            if not isinstance(page, dict):
                raise ApiError(200, "InvalidResponse", "a Resource Graph response is not an object")
            data = page.get("data")
            rows.extend(data if isinstance(data, list) else [])
            token = page.get("$skipToken")
            if not token:
                return rows
            if token in seen:
                raise ApiError(200, "RepeatedSkipToken",
                               "Resource Graph returned the same $skipToken twice")
            seen.add(token)
            options["$skipToken"] = token
        raise ApiError(200, "TooManyPages", f"more than {MAX_PAGES} pages; stopped")


class GraphClient(JsonClient):
    service = "graph"


def arm_client(endpoint: str, credential: Any, scope: str, log: RequestLog, *,
               concurrency: int, retry: RetrySettings) -> ArmClient:
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

    auth = ARMChallengeAuthenticationPolicy(credential, scope)
    client = ARMPipelineClient(
        endpoint, policies=_policies(auth, log, "arm", endpoint, ARM_POSTS, retry),
        transport=_transport(concurrency))
    return ArmClient(client, endpoint)


def graph_client(endpoint: str, credential: Any, scope: str, log: RequestLog, *,
                 concurrency: int, retry: RetrySettings) -> GraphClient:
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy

    auth = BearerTokenCredentialPolicy(credential, scope)
    client = PipelineClient(
        endpoint, policies=_policies(auth, log, "graph", endpoint, GRAPH_POSTS, retry),
        transport=_transport(concurrency))
    return GraphClient(client, endpoint)
