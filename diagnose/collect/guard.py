"""Read-only, enforced in one place: a pipeline policy that refuses a request before it is sent.

Every pipeline the collector builds (ARM and Microsoft Graph) ends with ReadOnlyPolicy, the
last policy before the transport, so nothing added earlier in a pipeline (retries,
authentication, a redirect, a nextLink from a response) can send what these rules refuse:

- only GET, plus POST to the documented read-only queries: Azure Resource Graph
  (/providers/Microsoft.ResourceGraph/resources) and Microsoft Graph
  /directoryObjects/getByIds and /directoryObjects/{id}/getMemberGroups;
- Microsoft Graph JSON batching (POST /v1.0/$batch) only when the body is a batch of at
  most 20 sub-requests each of which these same rules allow on its own (relative URL, GET or
  one of the read-only POSTs): a batch holding anything else is refused whole, nothing sent;
- never an action that returns a credential (listKeys, listSecrets, listQueryKeys, ...),
  whatever the method;
- only to the host the pipeline was built for, so a bearer token never leaves it.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import HttpRequest, HttpResponse

from diagnose.arm.ids import parse

ARM_POSTS = (re.compile(r"^/providers/microsoft\.resourcegraph/resources$"),)
GRAPH_POSTS = (
    re.compile(r"^/v1\.0/directoryobjects/getbyids$"),
    re.compile(r"^/v1\.0/directoryobjects/[0-9a-f-]{36}/getmembergroups$"),
)
GRAPH_BATCH = re.compile(r"^(/v1\.0)/\$batch$")
BATCH_LIMIT = 20
"""Microsoft Graph's limit of sub-requests in one JSON batch."""
READ_METHODS = frozenset({"GET"})
# The last path segment of an action that returns (or renews) a credential.
CREDENTIAL_ACTION = re.compile(
    r"^(list|regenerate|renew|get|generate|fetch|retrieve)?[a-z]*"
    r"(keys?|secrets?|credentials?|sas|token|tokens|connectionstrings?|password|passwords)$"
)


class RefusedRequest(RuntimeError):
    """A request the read-only guard would not send. It never reaches the network."""

    def __init__(self, method: str, url: str, reason: str) -> None:
        super().__init__(f"refused {method} {_without_query(url)}: {reason}")
        self.method = method
        self.reason = reason


def refusal(
    method: str,
    url: str,
    host: str,
    posts: tuple[re.Pattern[str], ...],
    body: Any = None,
    *,
    batch: bool = False,
) -> str | None:
    """Why this request may not be sent, or None when it is a permitted read. With `batch`
    (Microsoft Graph), POST .../$batch is judged by its `body` (the JSON text sent): every
    sub-request must be a permitted read."""
    method = method.upper()
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return "only https is allowed"
    if _origin(parts.netloc) != _origin(host):
        return f"host {parts.netloc!r} is not the endpoint {host!r}"
    path = unquote(parts.path).lower()
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if CREDENTIAL_ACTION.match(last) and not _is_plain_collection(path):
        return f"{last!r} returns credentials"
    if method in READ_METHODS:
        return None
    if method == "POST" and any(p.match(path.rstrip("/")) for p in posts):
        return None
    batched = GRAPH_BATCH.match(path.rstrip("/")) if batch and method == "POST" else None
    if batched is not None:
        return _batch_refusal(
            body, f"{parts.scheme}://{parts.netloc}{batched.group(1)}", host, posts
        )
    return f"{method} is not a read"


def batch_requests(body: Any) -> list[Any] | None:
    """The sub-requests of a JSON batch body (text, bytes or decoded), None when it is not one."""
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        return None
    return list(body["requests"])


def _batch_refusal(
    body: Any, base: str, host: str, posts: tuple[re.Pattern[str], ...]
) -> str | None:
    requests = batch_requests(body)
    if requests is None:
        return "a $batch whose body is not a JSON batch"
    if not 0 < len(requests) <= BATCH_LIMIT:
        return f"a $batch of {len(requests)} requests (1 to {BATCH_LIMIT} are allowed)"
    for item in requests:
        if not isinstance(item, dict):
            return "a $batch sub-request that is not a JSON object"
        method, url = item.get("method"), item.get("url")
        if not isinstance(method, str) or not isinstance(url, str):
            return "a $batch sub-request without a method and url"
        if not url.startswith("/") or url.startswith("//"):
            return f"a $batch sub-request to {url!r}, not a path relative to {base}"
        reason = refusal(method, base + url, host, posts)  # never a batch within a batch
        if reason is not None:
            return f"a $batch sub-request is refused: {method.upper()} {url}: {reason}"
    return None


def _is_plain_collection(path: str) -> bool:
    """A resource named like an action (e.g. a workspace called 'tokens') is not refused when
    the path is a resource's id: .../providers/<namespace>/<type>/<name>[/<type>/<name>...]."""
    parsed = parse(path)
    return parsed is not None and bool(parsed.parts) and parsed.parts[-1].complete


@functools.lru_cache(maxsize=64)
def _origin(netloc: str) -> str:
    """host:port, lower-case, with https's default port made explicit."""
    try:
        parts = urlsplit(f"https://{netloc}")
        return f"{(parts.hostname or '').lower()}:{parts.port or 443}"
    except ValueError:
        return f"invalid:{netloc}"


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class ReadOnlyPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Refuses, by raising RefusedRequest, anything but a permitted read to one host."""

    def __init__(
        self, endpoint: str, posts: tuple[re.Pattern[str], ...], *, batch: bool = False
    ) -> None:
        super().__init__()
        self._host = urlsplit(endpoint).netloc
        self._posts = posts
        self._batch = batch

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        http = request.http_request
        body = request_body(http) if self._batch and http.method.upper() == "POST" else None
        reason = refusal(http.method, http.url, self._host, self._posts, body, batch=self._batch)
        if reason is not None:
            raise RefusedRequest(http.method, http.url, reason)


def request_body(http: Any) -> Any:
    """The body a request will send (azure.core.rest's `content`, or the legacy `body`)."""
    content = getattr(http, "content", None)
    return content if content is not None else getattr(http, "body", None)
