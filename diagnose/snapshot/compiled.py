"""The snapshot schema's generic validators (fastjsonschema), kept as compiled code that a scan's
worker process (diagnose/collect/scanworker.py) takes ready-made.

fastjsonschema.compile generates a validator's Python source from the schema and compiles it:
for the whole snapshot and the deny assignment's shape, about 35 ms of CPU, which each worker
process of a scan spent again as it started, while the scan waited for its hubs. Here a
validator is made from the same generated code (fastjsonschema.compile_to_code: the code
compile runs, with the regular expressions and imports it needs), and that code is kept,
marshalled, by a digest of the definition: `export()` gives it to a worker, whose `adopt()`
lets it run the code instead of generating it (marshal.loads and exec: well under a
millisecond). Only for the same definition, and only by the same interpreter version (the
bytecode's magic number): anything else is generated as before.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import re
import threading
from collections.abc import Callable
from importlib.util import MAGIC_NUMBER
from typing import Any

Made = dict[str, tuple[str, bytes]]
"""Definition digest -> (the validator's function name, its module's marshalled code)."""

_ENTRY = re.compile(r"^def (\w+)\(", re.MULTILINE)
"""The validator's own function: the first the generated code defines (the definitions it
refers to follow)."""
_made: Made = {}
_lock = threading.Lock()


def compile_schema(definition: dict[str, Any]) -> Callable[[Any], Any]:
    """fastjsonschema.compile(definition): the same validator (as `definition` is rewritten
    in the process, pass a document of your own)."""
    key = _digest(definition)
    with _lock:
        made = _made.get(key)
    if made is None:
        import fastjsonschema

        source = fastjsonschema.compile_to_code(definition)
        entry = _ENTRY.search(source)
        if entry is None:  # pragma: no cover - every generated validator defines one
            return fastjsonschema.compile(definition)
        code = compile(source, f"<fastjsonschema {entry.group(1)}>", "exec")
        with _lock:
            made = _made.setdefault(key, (entry.group(1), marshal.dumps(code)))
    name, blob = made
    namespace: dict[str, Any] = {}
    exec(marshal.loads(blob), namespace)  # the code generated above, or by the scan's process
    validator: Callable[[Any], Any] = namespace[name]
    return validator


def export() -> tuple[bytes, Made]:
    """Every validator compiled in this process so far, for a worker process to adopt."""
    with _lock:
        return MAGIC_NUMBER, dict(_made)


def adopt(exported: tuple[bytes, Made] | None) -> None:
    """Take validators another process of this scan compiled (export), if this interpreter
    reads their bytecode."""
    if not exported or exported[0] != MAGIC_NUMBER:
        return
    with _lock:
        for key, made in exported[1].items():
            _made.setdefault(key, made)


def _digest(definition: dict[str, Any]) -> str:
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = ["adopt", "compile_schema", "export"]
