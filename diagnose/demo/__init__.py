"""The bundled demo hub: a realistic hub with a handful of misconfigurations
(regenerate with scripts/make_demo.py)."""

from __future__ import annotations

import json
from importlib import resources

from diagnose.snapshot import Snapshot, parse_snapshot

DEMO_NAME = "demo_hub.json"


def load_demo() -> Snapshot:
    text = resources.files(__package__).joinpath(DEMO_NAME).read_text(encoding="utf-8")
    return parse_snapshot(json.loads(text), "<demo: hub-contoso>")
