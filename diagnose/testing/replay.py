"""Replay a fixture set through the real SDK pipelines with `responses` (tests only).

Every exchange becomes a registered response matched on method, URL, exact query and JSON
body. A request the fixtures do not cover is not passed through: `responses` raises, the
collection records a transport error for it, and `ReplayResult.unmatched` lists it so the
test fails. With assert_all_requests_are_fired, an exchange the collector never asked for
fails the test too.

A Microsoft Graph JSON batch (POST /v1.0/$batch) is answered 200 with one sub-response per
sub-request, each from the registered response its single call would have matched (so a
fixture set of single calls serves batches unchanged, and an exchange a batch used counts as
fired); `ReplayResult.sub_calls` lists them, and a sub-request nothing matched is unmatched.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from diagnose.testing.fixtures import GRAPH_HOST, FixtureSet

_ids = itertools.count(1)


@dataclass
class ReplayResult:
    calls: list[Any] = field(default_factory=list)
    """The HTTP calls, a JSON batch as one."""
    sub_calls: list[Any] = field(default_factory=list)
    """The sub-requests of JSON batches (request, response), each as if sent on its own."""

    @property
    def unmatched(self) -> list[str]:
        """Requests (and sub-requests of batches) no fixture answered."""
        import requests

        return [
            f"{c.request.method} {c.request.url}"
            for c in [*self.calls, *self.sub_calls]
            if isinstance(c.response, requests.exceptions.ConnectionError)
        ]

    @property
    def all_calls(self) -> list[Any]:
        """The calls, each batch followed by its sub-requests."""
        return [*self.calls, *self.sub_calls]

    @property
    def methods(self) -> set[str]:
        return {c.request.method for c in self.calls}


@contextlib.contextmanager
def replay(fixtures: FixtureSet, *, all_fired: bool = True) -> Iterator[ReplayResult]:
    """Replay `fixtures`; the transports built meanwhile are requests' (`responses` patches
    requests' adapter, which the default http.client transport never reaches)."""
    import responses
    from responses import matchers

    from diagnose.collect.pipeline import http_client

    result = ReplayResult()
    with (
        http_client("requests"),
        responses.RequestsMock(assert_all_requests_are_fired=all_fired) as mock,
    ):
        mock.passthru_prefixes = ()
        for exchange in fixtures.exchanges:
            match = [matchers.query_param_matcher(exchange.query, strict_match=True)]
            if exchange.has_json:
                match.append(matchers.json_params_matcher(exchange.json, strict_match=True))
            headers = {**_request_ids(exchange.service), **exchange.headers}
            if exchange.by_ids:
                mock.add_callback(
                    exchange.method,
                    exchange.host + exchange.path,
                    callback=_by_ids(exchange, headers),
                    match=match,
                    content_type="application/json",
                )
                continue
            mock.add(
                responses.Response(
                    exchange.method,
                    exchange.host + exchange.path,
                    json=exchange.body,
                    status=exchange.status,
                    headers=headers,
                    match=match,
                )
            )
        batches = mock.add_callback(
            "POST",
            f"{GRAPH_HOST}/v1.0/$batch",
            callback=_batch(mock, result),
            content_type="application/json",
        )
        try:
            yield result
        finally:
            result.calls = list(mock.calls)
            if not batches.call_count:  # not a fixture: never required
                mock.remove(batches)


def _batch(mock: Any, result: ReplayResult) -> Any:
    """Answer a JSON batch: each sub-request from the response registered for it."""
    import requests
    from responses import Call

    adapter = requests.adapters.HTTPAdapter()

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        items = (json.loads(request.body or b"null") or {}).get("requests") or []
        answers = []
        for item in items:
            sub: Any = requests.Request(
                item["method"],
                f"{GRAPH_HOST}/v1.0{item['url']}",
                json=item.get("body"),
                headers=item.get("headers") or {},
            ).prepare()
            sub.params = mock._parse_request_params(sub.path_url)  # as responses does
            sub.req_kwargs = {}
            match, _ = mock._find_match(sub)
            if match is None:
                missing = requests.exceptions.ConnectionError(f"no fixture for {sub.url}")
                result.sub_calls.append(Call(sub, missing))
                status, headers = 404, {}
                body: Any = {"error": {"code": "NoFixture"}}
            else:
                response: Any = adapter.build_response(sub, match.get_response(sub))
                match.calls.add(sub, response)
                result.sub_calls.append(Call(sub, response))
                status, headers = response.status_code, dict(response.headers)
                body = response.json() if response.content else None
            answers.append({"id": item["id"], "status": status, "headers": headers, "body": body})
        return 200, _request_ids("graph"), json.dumps({"responses": answers[::-1]})

    return answer


def _by_ids(exchange: Any, headers: dict[str, str]) -> Any:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        body = exchange.body_for(json.loads(request.body or b"null"))
        return exchange.status, headers, json.dumps(body)

    return answer


def _request_ids(service: str) -> dict[str, str]:
    number = next(_ids)
    if service == "graph":
        return {"request-id": f"00000000-0000-0000-0000-{number:012d}"}
    return {
        "x-ms-request-id": f"00000000-0000-0000-0001-{number:012d}",
        "x-ms-correlation-request-id": f"00000000-0000-0000-0002-{number:012d}",
    }
