"""One JSON document in the other shapes -o offers: coloured JSON (jsonc) and YAML. Shared by
the report and by the commands that answer with one document (access, explain, checks,
schema)."""

from __future__ import annotations

import json
import re
from typing import Any

from diagnose.safe import safe_json

_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*")(?=\s*:)'
    r'|(?P<string>"(?:[^"\\]|\\.)*")'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)"
)
_COLOURS = {"key": "34", "string": "32", "number": "36", "literal": "35"}
_RESET = "\x1b[0m"


def colour_json(text: str) -> str:
    """JSON text with its keys, strings, numbers and literals coloured (ANSI SGR), as `az -o
    jsonc` shows them. The escapes are ours alone: a JSON encoder writes every control
    character inside a string as \\u001b and the like, so Azure's strings cannot add one."""

    def paint(match: re.Match[str]) -> str:
        kind = match.lastgroup or "string"
        return f"\x1b[{_COLOURS[kind]}m{match.group(0)}{_RESET}"

    return _TOKEN.sub(paint, text)


def json_text(document: Any) -> str:
    """Indented JSON, every unsafe character escaped (diagnose.safe.safe_json)."""
    return safe_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def yaml_text(document: Any) -> str:
    """The document as YAML (block style, keys in their JSON order). Every character outside
    ASCII is written as an escape (allow_unicode=False): a bidi control or an invisible
    character in a name from Azure reaches neither a terminal nor a reviewer raw, and a YAML
    parser reads the same strings back."""
    import yaml

    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(
        yaml.dump(
            document,
            Dumper=dumper,
            sort_keys=False,
            allow_unicode=False,
            default_flow_style=False,
            width=2**16,
        )
    )


def render_document(document: Any, fmt: str, *, colour: bool = True) -> str:
    """The document as json, jsonc or yaml (text is the command's own rendering)."""
    if fmt == "yaml":
        return yaml_text(document)
    text = json_text(document)
    return colour_json(text) if fmt == "jsonc" and colour else text
