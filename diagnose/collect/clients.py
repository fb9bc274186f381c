"""The two HTTP clients: ARM (azure-mgmt-core's ARMPipelineClient) and Microsoft Graph
(azure-core's PipelineClient), each sending through the pipeline that pipeline.py builds.

Responses come back as JSON or as ApiError; paging (ARM nextLink, Resource Graph $skipToken)
is followed to the end with a guard against a link that repeats or leaves the endpoint. A 200
list without its `value` (or `data`) array is an error, never an empty list. Every message
taken from a response is cleaned of credentials, the bearer tokens this collection sent
included.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

from diagnose.collect.deadline import Deadline, DeadlineExceeded, retry_after
from diagnose.collect.guard import ARM_POSTS, BATCH_LIMIT, GRAPH_POSTS, RefusedRequest
from diagnose.collect.jsonbody import response_json
from diagnose.collect.limit import AdaptiveLimit, throttled
from diagnose.collect.pipeline import (
    Connection,
    RetrySettings,
    policies,
    shared_connection,
    transport,
)
from diagnose.collect.requestlog import RequestLog
from diagnose.collect.sent_tokens import SentTokens
from diagnose.snapshot.codes import TIMEOUT_CODE

MAX_PAGES = 500


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

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields, not from Exception.args (the one formatted message): a
        # scan's worker process sends the errors it met back to the scan (scanworker.py).
        return (type(self), (self.status, self.code, self.message, self.tenant))

    def untraced(self) -> ApiError:
        """This error without its traceback and the exception it replaced, to be kept
        past the step that met it: their frames hold the step's collector (or directory
        reader) and what it was reading, so an error kept in the collection's state made
        a reference cycle of everything the collection read, which only a pass of the
        cyclic garbage collector could free (tens of milliseconds as a collection ends)."""
        self.__traceback__ = self.__context__ = self.__cause__ = None
        return self

    def as_entry(self, scope: str, operation: str) -> dict[str, Any]:
        return {
            "scope": scope,
            "operation": operation,
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }


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
        except (RefusedRequest, DeadlineExceeded, AzureError) as exc:
            raise api_error(exc, self._tokens) from None
        if not 200 <= response.status_code < 300:
            raise _error_of(response, self._tokens)
        try:
            return response_json(response)
        except ValueError:
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


def api_error(exc: BaseException, tokens: SentTokens) -> ApiError:
    """The ApiError for what a pipeline raised: the read-only guard's refusal, the deadline,
    an HTTP error an Azure SDK operation raised (read from its response, as a direct request's
    is), or a transport failure. Anything else is a bug and is raised again."""
    from azure.core.exceptions import AzureError, HttpResponseError

    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RefusedRequest):
        return ApiError(None, "RefusedByReadOnlyGuard", str(exc))
    if isinstance(exc, DeadlineExceeded):
        return ApiError(None, TIMEOUT_CODE, str(exc))
    if isinstance(exc, HttpResponseError) and getattr(exc, "response", None) is not None:
        status = getattr(exc.response, "status_code", None)
        if isinstance(status, int) and not 200 <= status < 300:
            return _error_of(exc.response, tokens)
    if isinstance(exc, AzureError):
        return ApiError(None, type(exc).__name__, _short(tokens.clean(str(exc))))
    raise exc


# The tenant in a 401's challenge: Bearer authorization_uri="https://login.../<tenant>", ...
_TENANT = re.compile(r'authorization(?:_uri)?="https://[^/"]+/([0-9a-f-]{36})', re.IGNORECASE)


def _error_of(response: Any, tokens: SentTokens) -> ApiError:
    code: str | None = None
    message = ""
    try:
        # a legacy transport response (azure-mgmt-authorization's) has no json()
        body = response.json() if hasattr(response, "json") else response_json(response)
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


RETRIED_STATUS = frozenset({408, 429, 500, 502, 503, 504})
"""Sub-responses of a batch tried again, as azure-core's retry policy retries single calls."""


class SubRequest:
    """One request inside a Microsoft Graph JSON batch: a path relative to the version
    (/directoryObjects/{id}/getMemberGroups) and, for a POST, its JSON body."""

    __slots__ = ("body", "method", "url")

    def __init__(self, method: str, url: str, body: Any = None) -> None:
        self.method, self.url, self.body = method.upper(), url, body

    def as_json(self, request_id: str) -> dict[str, Any]:
        item: dict[str, Any] = {"id": request_id, "method": self.method, "url": self.url}
        if self.body is not None:
            item["body"] = self.body
            item["headers"] = {"Content-Type": "application/json"}
        return item


class _SubResponse:
    """A batch's sub-response, shaped like an HTTP response for _error_of."""

    def __init__(self, status: int, headers: dict[str, str], body: Any) -> None:
        from azure.core.utils import CaseInsensitiveDict

        self.status_code = status
        self.headers = CaseInsensitiveDict(headers)
        self.reason = _reason(status)
        self._body = body

    def json(self) -> Any:
        return self._body


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class GraphClient(JsonClient):
    service = "graph"

    def __init__(
        self,
        client: Any,
        endpoint: str,
        tokens: SentTokens | None = None,
        *,
        deadline: Deadline | None = None,
        retry: RetrySettings | None = None,
        limit: AdaptiveLimit | None = None,
    ) -> None:
        super().__init__(client, endpoint, tokens)
        self._deadline = deadline
        self._retry = retry or RetrySettings()
        self._limit = limit

    def batch(self, requests: list[SubRequest]) -> list[Any]:
        """Send these requests in JSON batches of at most 20 (POST /v1.0/$batch); answer,
        in their order, each one's decoded JSON body or the ApiError its single call would
        have raised. Sub-responses Graph throttled or failed for the moment (429, 503, 504,
        ...) are sent again in a later batch after their Retry-After (each wait capped, none
        past the deadline), as many times as a single call would be retried. A batch that
        fails as a whole is each of its requests' failure."""
        results: list[Any] = [None] * len(requests)
        for start in range(0, len(requests), BATCH_LIMIT):
            chunk = range(start, min(start + BATCH_LIMIT, len(requests)))
            self._send_batch(requests, list(chunk), results)
        return results

    def _send_batch(self, requests: list[SubRequest], pending: list[int], out: list[Any]) -> None:
        attempt = 0
        while True:
            body = {"requests": [requests[i].as_json(str(i)) for i in pending]}
            sent_at = time.monotonic()
            try:
                answers = _batch_answers(self.post("/v1.0/$batch", body))
            except ApiError as exc:
                for i in pending:
                    out[i] = exc
                return
            again: list[int] = []
            waits: list[float] = []
            for i in pending:
                answer = answers.get(str(i))
                if answer is None:
                    out[i] = ApiError(
                        200,
                        "InvalidBatchResponse",
                        "the $batch answer has no response for this request: its answer is unknown",
                    )
                    continue
                status, headers, content = answer
                if 200 <= status < 300:
                    out[i] = content
                    continue
                out[i] = _error_of(_SubResponse(status, headers, content), self._tokens)
                if status in RETRIED_STATUS:
                    again.append(i)
                    wait = retry_after(headers)
                    if wait is not None:
                        waits.append(wait)
                if self._limit is not None and throttled(status, headers) is not None:
                    self._limit.throttle(sent_at)  # fewer at once from now on
            if not again or attempt >= self._retry.total:
                return
            attempt += 1
            wait = max(waits) if waits else self._backoff(attempt)
            try:
                if self._deadline is not None:
                    self._deadline.sleep(min(wait, self._retry.backoff_max))
                else:
                    time.sleep(min(wait, self._retry.backoff_max))
            except DeadlineExceeded as exc:
                timeout = api_error(exc, self._tokens)
                for i in again:
                    out[i] = timeout
                return
            pending = again

    def _backoff(self, attempt: int) -> float:
        return float(
            min(self._retry.backoff_factor * (2 ** (attempt - 1)), self._retry.backoff_max)
        )


def _batch_answers(answer: Any) -> dict[str, tuple[int, dict[str, str], Any]]:
    """The sub-responses of a $batch answer by id: (status, headers, body)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("responses"), list):
        raise ApiError(
            200,
            "InvalidBatchResponse",
            "the $batch answer has no 'responses' array: its content is unknown",
        )
    answers: dict[str, tuple[int, dict[str, str], Any]] = {}
    for item in answer["responses"]:
        if not isinstance(item, dict) or not isinstance(item.get("status"), int):
            continue
        headers = item.get("headers")
        headers = {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}
        answers[str(item.get("id"))] = (item["status"], headers, item.get("body"))
    return answers


def arm_client(
    endpoint: str,
    credential: Any,
    scope: str,
    log: RequestLog,
    *,
    concurrency: int,
    retry: RetrySettings,
    shared: Connection | None = None,
    connections: Any = None,
) -> ArmClient:
    """The ARM client; `connections`: a transport (pipeline.transport) to share with the
    Azure SDK clients of the same collection, so that all ARM reads reuse one pool of TLS
    connections instead of opening a pool each."""
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

    shared = shared or shared_connection(watchdog=False)
    auth = ARMChallengeAuthenticationPolicy(credential, scope)
    client: Any = ARMPipelineClient(
        endpoint,
        policies=policies(
            auth, log, "arm", endpoint, ARM_POSTS, retry, shared, concurrency=concurrency
        ),
        transport=connections or transport(concurrency, shared.deadline),
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
        policies=policies(
            auth, log, "graph", endpoint, GRAPH_POSTS, retry, shared, concurrency=concurrency
        ),
        transport=transport(concurrency, shared.deadline),
    )
    return GraphClient(
        client,
        endpoint,
        shared.tokens,
        deadline=shared.deadline,
        retry=retry,
        limit=shared.limit("graph", concurrency),
    )


__all__ = [
    "ApiError",
    "ArmClient",
    "Connection",
    "GraphClient",
    "JsonClient",
    "RetrySettings",
    "SubRequest",
    "api_error",
    "arm_client",
    "graph_client",
    "list_value",
    "shared_connection",
]
