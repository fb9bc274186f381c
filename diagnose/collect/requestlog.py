"""The request log: one entry per HTTP attempt, never a token or a credential.

Each entry: service (arm | graph), method, path, query (only api-version, $filter, $select,
$top and includeAll, the flag azure-mgmt-cognitiveservices sends with a connection list, are
kept; any other value is replaced by "<redacted>"), status (None when no response
came), durationMs, requestId / correlationId from the response headers, wave (the dependency
depth of the step that made it), for a Microsoft Graph JSON batch (POST /v1.0/$batch)
subRequests (how many requests it carried) and, for a request that was not sent or failed
in transport, error. What a server controls (the path of a nextLink it gave, its id
headers, an error's text) goes through a cleaner first, which removes credentials and the
tokens sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy

from diagnose.collect.guard import batch_requests, request_body

KEPT_QUERY = frozenset({"api-version", "$filter", "$select", "$top", "includeall"})
REDACTED = "<redacted>"
MAX_HEADER = 200
"""Longest request or correlation id kept (real ones are GUIDs)."""

_current = threading.local()


def set_wave(wave: int | None) -> None:
    """Tag requests made by this thread from now on with a wave number."""
    _current.wave = wave


def current_wave() -> int | None:
    return getattr(_current, "wave", None)


class RequestLog:
    """Thread-safe list of request entries, with an optional listener (progress display)."""

    def __init__(self, listener: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self.listener = listener

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)
        if self.listener is not None:
            self.listener(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def safe_query(url: str) -> dict[str, str]:
    return {
        key: (value if key.lower() in KEPT_QUERY else REDACTED)
        for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True)
    }


class RequestLogPolicy(HTTPPolicy):
    """Times each attempt (it sits after the retry policy) and records it."""

    def __init__(
        self, log: RequestLog, service: str, clean: Callable[[str], str] = lambda text: text
    ) -> None:
        super().__init__()
        self._log = log
        self._service = service
        self._clean = clean

    def send(self, request: PipelineRequest) -> PipelineResponse:
        http = request.http_request
        entry: dict[str, Any] = {
            "service": self._service,
            "method": http.method,
            "path": self._clean(unquote(urlsplit(http.url).path)),
            "query": safe_query(http.url),
            "wave": current_wave(),
        }
        if http.method.upper() == "POST" and entry["path"].endswith("/$batch"):
            requests = batch_requests(request_body(http))
            entry["subRequests"] = len(requests) if requests is not None else None
        start = time.perf_counter()
        try:
            response = self.next.send(request)
        except BaseException as exc:
            entry.update(
                status=None,
                durationMs=_ms(start),
                requestId=None,
                correlationId=None,
                error=self._clean(f"{type(exc).__name__}: {exc}")[:300],
            )
            self._log.add(entry)
            raise
        headers = response.http_response.headers
        entry.update(
            status=response.http_response.status_code,
            durationMs=_ms(start),
            requestId=self._header(headers, "x-ms-request-id", "request-id"),
            correlationId=self._header(headers, "x-ms-correlation-request-id", "client-request-id"),
        )
        self._log.add(entry)
        return response

    def _header(self, headers: Any, *names: str) -> str | None:
        value = next((headers.get(n) for n in names if headers.get(n)), None)
        return self._clean(str(value))[:MAX_HEADER] if value else None


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
