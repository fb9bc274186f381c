"""What the loopback server (armserver.py) gets wrong on purpose: what Azure Resource Manager
and Microsoft Graph do on a bad day, and what a hostile or broken server would try.

    Faults(latency=0.05)                                   every answer 50 ms late
    Faults(rules=[Faults.throttle("^GET .*/connections$", retry_after="86400")])
    Faults(rules=[Faults.refuse(r"/getMemberGroups$", "Authorization_RequestDenied")])
    Faults(left_out=[ALICE])                               getByIds answers without Alice
    Faults(without_value=[r"/roleAssignments$"])           200 lists with no `value`
    Faults(trickle=[r"/roleAssignments$"])                 a body one byte at a time
    Faults(rules=[Faults.echo(r"/vaults/")])               the bearer token echoed back
    Faults(max_in_flight=4)                                429 beyond 4 requests at once
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FOREVER = 1_000_000
"""`times` for a rule that never wears off."""


@dataclass
class Rule:
    """Answer the first `times` requests whose "METHOD path" matches `pattern` (a regular
    expression, case-insensitive, searched) with `status` instead of the fixture."""

    pattern: str
    status: int
    times: int = 1
    retry_after: float | str | None = None
    """The Retry-After header: seconds, or any text as given (an HTTP date, garbage)."""
    code: str = ""
    hits: int = 0
    echo_token: bool = False
    """Echo the request's Authorization value in the error body, in x-ms-request-id and in
    the message: what a careless (or hostile) server does."""
    headers: dict[str, str] = field(default_factory=dict)

    def applies(self, method: str, path: str) -> bool:
        return self.hits < self.times and _matches(self.pattern, method, path)


@dataclass
class Faults:
    latency: float = 0.0
    """Seconds added to every response."""
    rules: list[Rule] = field(default_factory=list)
    forbidden_scopes: list[str] = field(default_factory=list)
    """ARM path prefixes (scopes) answered with 403 AuthorizationFailed, everything under them
    included."""
    graph_forbidden: bool = False
    """Answer every Microsoft Graph request with 403 Authorization_RequestDenied."""
    page_size: int | None = None
    """Split every list ("value") into pages of this size, linked with nextLink."""
    left_out: list[str] = field(default_factory=list)
    """Object ids Graph getByIds leaves out of its answers (as it does when it lags or
    throttles); a direct read of the id still finds them."""
    without_value: list[str] = field(default_factory=list)
    """Patterns ("METHOD path") of lists answered 200 without their `value` (or Resource
    Graph `data`) array."""
    trickle: list[str] = field(default_factory=list)
    """Patterns of requests whose answer comes one byte every `trickle_interval` seconds."""
    trickle_interval: float = 0.5
    max_in_flight: int = 0
    """Answer 429 TooManyRequests (with Retry-After: crowded_retry_after) to a request that
    arrives while this many are already being answered, as a throttling service does (0: no
    limit)."""
    crowded_retry_after: float | str = 0.1

    @staticmethod
    def throttle(pattern: str, times: int = 1, retry_after: float | str = 1) -> Rule:
        return Rule(pattern, 429, times, retry_after, "TooManyRequests")

    @staticmethod
    def server_error(pattern: str, times: int = 1) -> Rule:
        return Rule(pattern, 500, times, None, "InternalServerError")

    @staticmethod
    def refuse(
        pattern: str,
        code: str = "Authorization_RequestDenied",
        status: int = 403,
        times: int = FOREVER,
    ) -> Rule:
        """Refuse what matches, every time (e.g. getMemberGroups without GroupMember.Read.All;
        404 Request_ResourceNotFound for a directory that hides its objects)."""
        return Rule(pattern, status, times, None, code)

    @staticmethod
    def echo(pattern: str, status: int = 400, times: int = FOREVER) -> Rule:
        return Rule(pattern, status, times, None, "InvalidRequest", echo_token=True)

    @staticmethod
    def reject_token(tenant: str) -> Rule:
        """Every request: 401 InvalidAuthenticationToken with ARM's challenge naming the
        tenant."""
        return Rule(
            ".",
            401,
            FOREVER,
            None,
            "InvalidAuthenticationToken",
            headers={
                "WWW-Authenticate": f'Bearer authorization_uri="https://login.windows.net/{tenant}"'
                ', error="invalid_token", error_description="The access token '
                'is invalid."'
            },
        )

    def lists_without_value(self, method: str, path: str) -> bool:
        return any(_matches(p, method, path) for p in self.without_value)

    def trickles(self, method: str, path: str) -> bool:
        return any(_matches(p, method, path) for p in self.trickle)


def _matches(pattern: str, method: str, path: str) -> bool:
    return re.search(pattern, f"{method} {path}", re.IGNORECASE) is not None
