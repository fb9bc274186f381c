"""End to end: `python -m diagnose mcp` over stdio, driven by the mcp SDK's own client, on the
demo and on a live hub of the loopback HTTPS ARM/Graph server (read-only, and the server's
credentials never come back)."""

from __future__ import annotations

import json
import sys

import anyio
from mcp import Client, StdioServerParameters

from diagnose.testing.harness import HUB_BASIC
from tests.e2e.environment import SOURCE
from tests.e2e.test_collect_cli import TOKENS, serving


def stdio(*args: str, **env: str) -> StdioServerParameters:
    """The server as a client starts it: a fresh process whose package comes from this
    checkout (several worktrees share one environment)."""
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "diagnose", "mcp", *args],
        env={"PYTHONPATH": SOURCE, **env},
        cwd=SOURCE,
    )


def test_the_tools_over_stdio_on_the_demo():
    async def work():
        async with Client(stdio(), read_timeout_seconds=120) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            answer = await client.call_tool("diagnose", {"demo": True})
            refused = await client.call_tool("diagnose", {"snapshot": "/no/such.json"})
            return names, answer, refused

    names, answer, refused = anyio.run(work)
    assert names == {
        "diagnose",
        "access",
        "explain",
        "explain_check",
        "fix_plan",
        "list_checks",
        "diff",
    }
    assert not answer.is_error and answer.structured_content["summary"]["findings"] == 40
    assert answer.content[0].text.startswith("40 checks,")
    assert refused.is_error
    assert refused.content[0].text.startswith("/no/such.json: no such file")


def test_a_live_hub_is_collected_read_only_with_the_servers_credentials(tmp_path):
    with serving() as server:
        parameters = stdio(
            "--arm-endpoint",
            server.url,
            "--graph-endpoint",
            server.url,
            REQUESTS_CA_BUNDLE=str(server.ca_bundle),
            **TOKENS,
        )

        async def work():
            async with Client(parameters, read_timeout_seconds=120) as client:
                return await client.call_tool("diagnose", {"hub": HUB_BASIC, "detail": "full"})

        answer = anyio.run(work)
        received = server.requests()
        assert server.non_read_requests() == []
    assert not answer.is_error, answer.content[0].text
    assert answer.structured_content["target"]["hubName"] == "hub-ai"
    assert received and all(r.is_read and r.has_authorization for r in received)
    returned = json.dumps(answer.structured_content) + answer.content[0].text
    assert all(token not in returned for token in TOKENS.values())
