"""The JSON Schema of the report (report-v1.schema.json), the contract for scripts and CI."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("report-v1.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
