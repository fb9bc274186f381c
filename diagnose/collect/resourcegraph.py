"""Azure Resource Graph through azure-mgmt-resourcegraph, on the collection's own pipeline.

The ResourceGraphClient is built as sdk.py builds the other management clients: `policies=`
(retries, the deadline, authentication, the sent-token note, the request log and the
read-only guard, which lets exactly this POST through) and `transport=` of this collection,
the ARM endpoint as base_url, so the SDK's own default policies (one of which registers
resource providers with a POST) are never used. What is kept is the JSON Resource Graph
returned (`cls` takes the body), never a model serialised again.

A query runs over a batch of subscriptions (at most SUBSCRIPTION_BATCH per request), a
management group or, with neither, every subscription the caller can read; its pages of at
most PAGE_ROWS rows are followed by `$skipToken` to the end, with a guard against a token
that repeats. A 200 answer without its `data` array is an error, never an empty list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from diagnose.collect import apiversions
from diagnose.collect.clients import MAX_PAGES, ApiError, api_error, list_value
from diagnose.collect.guard import ARM_POSTS
from diagnose.collect.pipeline import Connection, RetrySettings, policies, transport
from diagnose.collect.requestlog import RequestLog

PAGE_ROWS = 1000
"""Rows per page: Resource Graph's maximum."""
SUBSCRIPTION_BATCH = 100
"""Subscriptions named in one request. Resource Graph allows up to 1,000, but throttles per
query (15 in 5 seconds by default); batches of 100 keep a tenant of thousands of
subscriptions to a few dozen queries while a refused batch still narrows down quickly."""


class ResourceGraph:
    """Resource Graph queries of one collection (thread-safe: one client, one transport)."""

    def __init__(
        self,
        endpoint: str,
        credential: Any,
        scope: str,
        log: RequestLog,
        *,
        concurrency: int,
        retry: RetrySettings,
        shared: Connection,
        connections: Any = None,
    ) -> None:
        """`connections`: a transport (pipeline.transport) shared with the other ARM clients
        of the collection, whose requests then reuse the connections its pages were read on."""
        from azure.core.pipeline.policies import CustomHookPolicy
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
        from azure.mgmt.resourcegraph import ResourceGraphClient

        self._shared = shared
        self._transport = connections or transport(concurrency, shared.deadline)
        auth = ARMChallengeAuthenticationPolicy(credential, scope)
        self._client = ResourceGraphClient(
            credential,
            base_url=endpoint,
            api_version=apiversions.RESOURCE_GRAPH,
            policies=[
                CustomHookPolicy(),
                *policies(auth, log, "arm", endpoint, ARM_POSTS, retry, shared),
            ],
            transport=self._transport,
            credential_scopes=[scope],
        )
        # What is kept is the body (cls=_raw_body); the SDK would first turn every row of the
        # page into its models and hand them to `cls` unused (20 ms of CPU a 1,000-row page,
        # while every hub waits for Resource Graph). Its error path is left as it is.
        deserialize = getattr(self._client, "_deserialize", None)
        if deserialize is not None:
            self._client._deserialize = _BodyKept(deserialize)  # type: ignore[assignment]
        self._lock = threading.Lock()
        self.pages = 0
        """Pages read so far (the benchmark's measure of what Resource Graph served)."""

    def close(self) -> None:
        self._client.close()

    def query(
        self,
        query: str,
        *,
        subscriptions: list[str] | None = None,
        management_group: str | None = None,
        proceed: Callable[[], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Every row of the query over these subscriptions (or this management group, or
        every subscription readable), following $skipToken. Rows that are not JSON objects
        are an error: the answer's content is unknown. With `proceed`, a query asked before
        it is known to be wanted: asked before each page after the first, and when it says
        no, the query ends with Abandoned."""
        from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        token: str | None = None
        for _ in range(MAX_PAGES):
            request = QueryRequest(
                query=query,
                subscriptions=subscriptions or None,
                management_groups=[management_group] if management_group else None,
                options=QueryRequestOptions(
                    top=PAGE_ROWS, skip_token=token, result_format="objectArray"
                ),
            )
            try:
                page = self._client.resources(request, cls=_raw_body)
            except Exception as exc:
                raise api_error(exc, self._shared.tokens) from None
            with self._lock:
                self.pages += 1
            if not isinstance(page, dict):
                raise ApiError(200, "InvalidResponse", "a Resource Graph response is not an object")
            data = list_value(page, "data", len(rows))
            if not all(isinstance(row, dict) for row in data):
                raise ApiError(200, "UnexpectedShape", "a Resource Graph row is not an object")
            rows.extend(data)
            token = page.get("$skipToken") or None
            if not token:
                return rows
            if proceed is not None and not proceed():
                raise Abandoned()
            if token in seen:
                raise ApiError(
                    200, "RepeatedSkipToken", "Resource Graph returned the same $skipToken twice"
                )
            seen.add(token)
        raise ApiError(200, "TooManyPages", f"more than {MAX_PAGES} pages; stopped")


class Abandoned(Exception):
    """A query asked ahead of knowing it was wanted, not followed past its first page."""


class _BodyKept:
    """The client's deserializer, except for the query's answer: `cls` reads that from the
    response itself."""

    def __init__(self, deserialize: Any) -> None:
        self._deserialize = deserialize

    def __call__(self, target: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
        if target == "QueryResponse":
            return None
        return self._deserialize(target, data, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # failsafe_deserialize, for errors
        return getattr(self._deserialize, name)


def _raw_body(pipeline_response: Any, deserialized: Any, headers: Any) -> Any:
    try:
        return pipeline_response.http_response.json()
    except ValueError:
        raise ApiError(
            pipeline_response.http_response.status_code, "InvalidJson", "the body is not JSON"
        ) from None


def batches(subscriptions: list[str], size: int = SUBSCRIPTION_BATCH) -> list[list[str]]:
    """The subscriptions in request-sized batches, in order."""
    return [subscriptions[i : i + size] for i in range(0, len(subscriptions), size)]


__all__ = ["PAGE_ROWS", "SUBSCRIPTION_BATCH", "Abandoned", "ResourceGraph", "batches"]
