"""Run the real collector against recorded fixtures (tests and benchmarks)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from diagnose.testing.fixtures import FixtureSet

HUB_BASIC = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ai/"
    "providers/Microsoft.MachineLearningServices/workspaces/hub-ai"
)
FOUNDRY_BASIC = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-foundry/"
    "providers/Microsoft.CognitiveServices/accounts/fdy-ai"
)
"""The Foundry resource of fixtures/arm/foundry-basic."""
ARM_TOKEN = "arm-token-for-tests"
GRAPH_TOKEN = "graph-token-for-tests"


def token_like_entra(audience: str) -> str:
    """A made-up token of an Entra access token's shape and size (a JWT of about 1.6 KB),
    for benchmarks: a collection remembers every token it sent and makes sure none is left in
    its snapshot, which a short test token (under sent_tokens.MIN_LENGTH) never costs."""
    header = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6ImJlbmNoIn0"
    claims = "eyJhdWQiOi" + audience.encode().hex() + "Qk" * 500
    return f"{header}.{claims}.{'c2lnbmF0dXJl' * 40}"


def cli_args(hub: str = HUB_BASIC, **overrides: Any) -> SimpleNamespace:
    """An argparse-like namespace with the live-collection flags and their defaults."""
    values: dict[str, Any] = {
        "hub": hub,
        "subscription": None,
        "resource_group": None,
        "project": None,
        "auth": "default",
        "cloud": "AzureCloud",
        "arm_endpoint": None,
        "graph_endpoint": None,
        "concurrency": 8,
        "quiet": True,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def collect_replayed(
    fixtures: FixtureSet,
    *,
    graph: bool = True,
    all_fired: bool = True,
    retries: int = 0,
    **overrides: Any,
) -> tuple[Any, Any]:
    """Collect through the real pipelines while `responses` replays the fixtures.

    Returns (Collection, ReplayResult). Retries are off unless asked for (retry_total=0).
    """
    from diagnose.collect.clients import RetrySettings
    from diagnose.collect.credentials import Credentials, StaticTokenCredential
    from diagnose.collect.run import collect
    from diagnose.collect.settings import settings_from_args
    from diagnose.testing.replay import replay

    settings = settings_from_args(cli_args(**overrides))
    credentials = Credentials(
        StaticTokenCredential(ARM_TOKEN),
        StaticTokenCredential(GRAPH_TOKEN) if graph else None,
        "" if graph else "no Microsoft Graph token (test)",
    )
    with replay(fixtures, all_fired=all_fired) as result:
        collection = collect(
            settings, credentials, retry=RetrySettings(total=retries, backoff_factor=0.01)
        )
    return collection, result
