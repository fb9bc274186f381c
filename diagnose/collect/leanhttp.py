"""requests' per-request path, without the parts this collection never uses.

A live collection is CPU-bound on its HTTP client: on a 200-project hub, requests' own
bookkeeping around urllib3 was close to half of each request's CPU. Most of it serves
features the collection does not use: cookie jars (filled from every response and never
sent: ARM and Graph set no cookie this collection should return), response hooks (none
registered), redirects (never followed: azure-core sends allow_redirects=False and a
redirect is reported), typing-protocol checks on every merged setting, and a body read in
10 KB pieces (1,700 Python-level reads for a subscription's 17 MB role-assignment
listing).

LeanSession keeps requests' own steps for everything that reaches the wire: the URL and
body are prepared by PreparedRequest, the headers merged as requests merges them (a None
value drops a session header), the adapter (and so whatever replaces HTTPAdapter.send, such
as the `responses` library in tests) sends, and the body is read through requests'
iter_content, whose exceptions azure-core maps. Anything else (cookies, auth, hooks, a
redirect to follow, a streamed body) goes to requests' own implementation unchanged.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

BODY_CHUNK = 1 << 20
"""Bytes per read of a response body of unknown length (requests reads 10 KB at a time)."""
MAX_CHUNK = 1 << 26
"""The most read at once, whatever Content-Length says (a buffer this size is allocated
before the read; a body longer than that is read in pieces)."""


def _chunk_size(length: Any) -> int:
    """Bytes per read of a body: all of it in one read when the server said how long it is
    (each piece is copied on its way up through http.client, urllib3's buffer and the
    final join: for a 17 MB listing, four copies in 1 MB pieces cost more than the TLS
    reads), else BODY_CHUNK. A length that turns out wrong is urllib3's to report, as
    before: it checks the bytes read against Content-Length either way."""
    try:
        size = int(length) if length else 0
    except ValueError:
        size = 0
    return min(max(BODY_CHUNK, size), MAX_CHUNK)


@cache
def lean_session_class() -> type:
    """requests.Session with the lean request path (built once: requests is imported
    lazily, as pipeline.py imports it)."""
    import requests
    from requests.models import PreparedRequest
    from requests.sessions import preferred_clock
    from requests.structures import CaseInsensitiveDict

    class LeanSession(requests.Session):
        def request(
            self,
            method: str,
            url: Any,
            params: Any = None,
            data: Any = None,
            headers: Any = None,
            cookies: Any = None,
            files: Any = None,
            auth: Any = None,
            timeout: Any = None,
            allow_redirects: bool = True,
            proxies: Any = None,
            hooks: Any = None,
            stream: Any = None,
            verify: Any = None,
            cert: Any = None,
            json: Any = None,
        ) -> Any:
            if cookies or auth or hooks or allow_redirects or stream or any(self.hooks.values()):
                return super().request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    cookies=cookies,
                    files=files,
                    auth=auth,
                    timeout=timeout,
                    allow_redirects=allow_redirects,
                    proxies=proxies,
                    hooks=hooks,
                    stream=stream,
                    verify=verify,
                    cert=cert,
                    json=json,
                )
            if isinstance(url, bytes):
                url = url.decode("utf-8")
            prepared = PreparedRequest()
            prepared.prepare_method(method)
            # {}, None and "" encode alike; "" skips a protocol check (isinstance of a
            # typing Protocol, slow) that requests makes of any other value
            prepared.prepare_url(url, params or "")
            prepared.prepare_headers(self._merged_headers(headers))
            prepared.prepare_body(data or {}, files, json)
            prepared.hooks = {"response": []}
            settings = self.merge_environment_settings(
                str(prepared.url), proxies or {}, stream, verify, cert
            )
            return self._send_read(prepared, timeout, settings)

        def _merged_headers(self, headers: Any) -> Any:
            """The session's headers updated with the request's, None dropping one: what
            requests' merge_setting gives, without its per-call protocol checks."""
            merged = CaseInsensitiveDict(self.headers)
            if headers:
                merged.update(headers)
            for name in [name for name, value in merged.items() if value is None]:
                del merged[name]
            return merged

        def _send_read(self, request: Any, timeout: Any, settings: dict[str, Any]) -> Any:
            """Session.send for a request with no hooks, no cookies and no redirect to
            follow, its body read at once in large pieces."""
            adapter = self.get_adapter(url=request.url)
            start = preferred_clock()
            response = adapter.send(
                request,
                stream=True,
                timeout=timeout,
                verify=settings["verify"],
                cert=settings["cert"],
                proxies=settings["proxies"],
            )
            response.elapsed = timedelta(seconds=preferred_clock() - start)
            if (
                response._content is False
                and response.status_code != 0
                and response.raw is not None
            ):
                chunk = _chunk_size(response.headers.get("content-length"))
                response._content = b"".join(response.iter_content(chunk)) or b""
            response.content  # noqa: B018  (marks the body consumed, as requests does)
            return response

    return LeanSession
