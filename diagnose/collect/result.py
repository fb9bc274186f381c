"""What a collection returns (no Azure imports here: the report path imports it freely)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diagnose.snapshot import Snapshot


@dataclass(frozen=True)
class Collection:
    """A collected snapshot and the log of every HTTP request made to collect it."""

    snapshot: Snapshot
    requests: list[dict[str, Any]]
    """One entry per HTTP attempt: service, method, path, query (secrets redacted), status,
    durationMs, requestId, correlationId, wave (and error when no response came)."""
    waves: int = 0
    """How many dependent rounds of requests the collection needed."""
