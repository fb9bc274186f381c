"""Replay a fixture set through the real SDK pipelines with `responses` (tests only).

Every exchange becomes a registered response matched on method, URL, exact query and JSON
body. A request the fixtures do not cover is not passed through: `responses` raises, the
collection records a transport error for it, and `ReplayResult.unmatched` lists it so the
test fails. With assert_all_requests_are_fired, an exchange the collector never asked for
fails the test too.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from diagnose.testing.fixtures import FixtureSet

_ids = itertools.count(1)


@dataclass
class ReplayResult:
    calls: list[Any] = field(default_factory=list)

    @property
    def unmatched(self) -> list[str]:
        """Requests no fixture answered."""
        import requests

        return [
            f"{c.request.method} {c.request.url}"
            for c in self.calls
            if isinstance(c.response, requests.exceptions.ConnectionError)
        ]

    @property
    def methods(self) -> set[str]:
        return {c.request.method for c in self.calls}


@contextlib.contextmanager
def replay(fixtures: FixtureSet, *, all_fired: bool = True) -> Iterator[ReplayResult]:
    import responses
    from responses import matchers

    result = ReplayResult()
    with responses.RequestsMock(assert_all_requests_are_fired=all_fired) as mock:
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
        try:
            yield result
        finally:
            result.calls = list(mock.calls)


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
