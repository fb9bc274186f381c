"""The environment the end-to-end tests run `diagnose` in: nothing of the caller's Azure or
diagnose settings, this checkout's package first on the path (several worktrees share one
venv), and, for a loopback server, its TLS trust and bearer tokens made for the test."""

from __future__ import annotations

import os
from pathlib import Path

from diagnose.testing.armserver import ArmServer

SOURCE = str(Path(__file__).resolve().parents[2])
"""The checkout under test: the `diagnose` command imports its package from here, not from
wherever the shared environment installed it."""


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DIAGNOSE_", "AZURE_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"))
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SOURCE, env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def served_env(server: ArmServer, tokens: str = "e2e", **extra: str) -> dict[str, str]:
    """clean_env for a run against the loopback server: its CA, and tokens named
    `{tokens}-arm-token` / `{tokens}-graph-token` (a test can look for them in outputs)."""
    return clean_env(
        REQUESTS_CA_BUNDLE=str(server.ca_bundle),
        DIAGNOSE_ARM_TOKEN=f"{tokens}-arm-token",
        DIAGNOSE_GRAPH_TOKEN=f"{tokens}-graph-token",
        **extra,
    )
