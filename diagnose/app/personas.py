"""Who the user says people are: the principals of `--principal` ("why can't P ...") and an
organisation's personas file (`--personas FILE`), turned into the core's Declarations.

The personas file maps a principal or a group (object id, user principal name or display
name) to reader, builder or administrator, overriding what the roles suggest; a group's
persona is its members'. JSON or YAML (YAML is read with yaml.safe_load):

    # personas.yaml
    grp-ai-developers: builder
    ana.lopez@contoso.com: administrator
    3a59c84a-f7be-5c02-8ef1-ae6657f556c9: reader

The file is read within the input limits of diagnose.inputlimits (--max-input-bytes, the
nesting depth; YAML aliases are refused, so a few lines cannot expand into gigabytes), and
every problem (the file missing, bad syntax with its line, a persona or a principal unknown,
a shape that is not "name: persona") is one BadInput naming the file and the line.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diagnose.engine.api import PrincipalRef
from diagnose.engine.personas import DECLARABLE, Declarations, Persona, parse_persona
from diagnose.errors import BadInput
from diagnose.inputlimits import DEFAULT_MAX_INPUT_BYTES, MAX_JSON_DEPTH, too_large
from diagnose.model.model import Model

FLAG = "--personas"
CHOICES = " | ".join(p.value for p in DECLARABLE)
SHAPE_FIX = (
    "write one `name: persona` per line, the name an object id, user principal name or "
    f"display name and the persona one of {CHOICES} (see the README, 'Personas')"
)
READ_CHUNK = 1024**2


@dataclass(frozen=True)
class PersonaLine:
    """One declaration of the file, as written: the name, its persona and its line (None when
    the line is not known)."""

    name: str
    persona: Persona
    line: int | None = None


def declarations(
    model: Model,
    principals: tuple[str, ...] = (),
    personas_file: str | None = None,
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
) -> Declarations | None:
    """The Declarations of `--principal` and `--personas FILE` resolved against the snapshot
    (None when neither is given). BadInput for a principal that no one, or several, answer
    to, and for anything wrong with the file."""
    if not principals and not personas_file:
        return None
    focus = focus_of(model, principals)
    if not personas_file:
        return Declarations(focus=focus)
    lines = read_personas(personas_file, max_bytes)
    return Declarations(
        personas=resolve_personas(model, lines, personas_file),
        source=f"{FLAG} {Path(personas_file).name}",
        focus=focus,
    )


def focus_of(model: Model, principals: tuple[str, ...]) -> tuple[PrincipalRef, ...]:
    """The principals `--principal` names, each once, in the order given."""
    from diagnose.model.lookup import resolve_principal

    found: dict[str, PrincipalRef] = {}
    for text in principals:
        if not text.strip():
            raise BadInput("--principal needs a principal", fix="give an object id, UPN or name")
        principal_id = resolve_principal(model, text, "--principal")
        entry = model.authorization.directory.get(principal_id)
        found.setdefault(
            principal_id,
            PrincipalRef(entry.id, entry.type, entry.display_name)
            if entry is not None
            else PrincipalRef(principal_id, "User"),
        )
    return tuple(found.values())


def resolve_personas(model: Model, lines: tuple[PersonaLine, ...], path: str) -> dict[str, Persona]:
    """Object id (lower-case) -> persona; BadInput naming the line for a name that no
    principal, or several, answer to, or two lines giving one principal two personas."""
    from diagnose.model.lookup import resolve_principal

    resolved: dict[str, tuple[Persona, PersonaLine]] = {}
    for entry in lines:
        where = _where(path, entry.line)
        try:
            principal_id = resolve_principal(model, entry.name, "the principal")
        except BadInput as exc:
            raise BadInput(exc.what, where=where, fix=exc.fix) from None
        earlier = resolved.get(principal_id)
        if earlier is not None and earlier[0] is not entry.persona:
            first = earlier[1]
            raise BadInput(
                f"{entry.name!r} is declared {entry.persona.value} here and "
                f"{first.persona.value} as {first.name!r}"
                + (f" on line {first.line}" if first.line else ""),
                where=where,
                fix="give each principal one persona",
            )
        resolved.setdefault(principal_id, (entry.persona, entry))
    return {principal_id: persona for principal_id, (persona, _) in resolved.items()}


def read_personas(path: str, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> tuple[PersonaLine, ...]:
    """The declarations of the file, checked for shape and personas (not yet for names,
    which need the snapshot): JSON when the file name ends in .json, else YAML."""
    raw = _read(path, max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("is not UTF-8 text", where=path, fix=SHAPE_FIX) from None
    if path.lower().endswith(".json"):
        document, key_lines = _load_json(text, path)
    else:
        document, key_lines = _load_yaml(text, path)
    return _declarations_in(document, key_lines, path)


# -- reading ------------------------------------------------------------------------------
def _read(path: str, limit: int) -> bytes:
    """At most limit bytes of the file (a pipe or device is read only until the limit is
    passed); BadInput when it cannot be read or is larger."""
    try:
        with open(os.path.expanduser(path), "rb") as stream:
            info = os.fstat(stream.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(path)
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise too_large("the personas file", limit, path)
            data = bytearray()
            while len(data) <= limit:
                chunk = stream.read(min(READ_CHUNK, limit + 1 - len(data)))
                if not chunk:
                    break
                data += chunk
    except FileNotFoundError:
        raise BadInput(
            "no such file", where=path, fix=f"give {FLAG} the path of a JSON or YAML file"
        ) from None
    except IsADirectoryError:
        raise BadInput(
            "is a directory", where=path, fix=f"give {FLAG} the path of a JSON or YAML file"
        ) from None
    except OSError as exc:
        raise BadInput(
            f"cannot be read: {exc.strerror or exc}", where=path, fix="check the path"
        ) from None
    if len(data) > limit:
        raise too_large("the personas file", limit, path)
    return bytes(data)


def _load_json(text: str, path: str) -> tuple[Any, dict[str, int]]:
    import orjson

    from diagnose.snapshot.decode import nesting_deeper_than

    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        message = str(getattr(exc, "msg", "") or exc)
        if "depth" in message.lower() or "recursion" in message.lower():
            raise _too_deep(path) from None
        raise BadInput(
            f"not valid JSON: {message} at line {exc.lineno} column {exc.colno}",
            where=path,
            fix=SHAPE_FIX,
        ) from None
    if nesting_deeper_than(document, MAX_JSON_DEPTH):
        raise _too_deep(path)
    key_lines = _json_key_lines(text, document)
    if isinstance(document, dict):
        _no_duplicate_keys(text, path, key_lines)
    return document, key_lines


def _no_duplicate_keys(text: str, path: str, key_lines: dict[str, int]) -> None:
    """A name written twice (orjson, like every JSON parser, keeps the last silently)."""
    import json

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                first = key_lines.get(key)
                raise BadInput(
                    f"{key!r} is declared twice" + (f" (first on line {first})" if first else ""),
                    where=path,
                    fix="give each principal one line",
                )
            seen.add(key)
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)  # valid and shallow: orjson read it


def _json_key_lines(text: str, document: Any) -> dict[str, int]:
    """The line of each top-level key, for messages (the first place it is written as a
    key)."""
    import json

    if not isinstance(document, dict):
        return {}
    lines: dict[str, int] = {}
    for key in document:
        match = re.search(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:", text)
        if match is not None:
            lines[key] = text.count("\n", 0, match.start()) + 1
    return lines


def _load_yaml(text: str, path: str) -> tuple[Any, dict[str, int]]:
    """yaml.safe_load, after a pass over the events that refuses aliases (a billion laughs)
    and nesting past the limit (PyYAML builds nested values recursively), finds duplicate
    top-level keys (safe_load keeps the last silently) and notes each key's line."""
    import yaml

    try:
        key_lines = _scan_yaml(text, path)
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise BadInput(f"not valid YAML: {problem}{at}", where=path, fix=SHAPE_FIX) from None
    except yaml.YAMLError as exc:
        raise BadInput(
            f"not valid YAML: {' '.join(str(exc).split())}", where=path, fix=SHAPE_FIX
        ) from None
    return document, key_lines


def _scan_yaml(text: str, path: str) -> dict[str, int]:
    import yaml

    depth = 0
    stack: list[list[Any]] = []
    """For each open collection: [is a mapping, events seen in it]."""
    key_lines: dict[str, int] = {}
    documents = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise BadInput(
                f"uses a YAML anchor or alias (line {_line(event)}), which a "
                "personas file does not need",
                where=path,
                fix="write each name and persona out",
            )
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise BadInput(
                    f"holds more than one YAML document (line {_line(event)})",
                    where=path,
                    fix="keep one mapping of names to personas",
                )
        if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent) and stack:
            top = stack[-1]
            if (
                len(stack) == 1
                and top[0]
                and top[1] % 2 == 0
                and isinstance(event, yaml.ScalarEvent)
            ):
                line = _line(event)
                first = key_lines.get(event.value)
                if first is not None:
                    raise BadInput(
                        f"{event.value!r} is declared on line {first} and again on line {line}",
                        where=path,
                        fix="give each principal one line",
                    )
                key_lines[event.value] = line
            top[1] += 1
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise _too_deep(path)
            stack.append([isinstance(event, yaml.MappingStartEvent), 0])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            stack.pop()
    return key_lines


def _line(event: Any) -> int:
    """The 1-based line an event of the YAML parser starts on (0 when unknown)."""
    mark = getattr(event, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def _too_deep(path: str) -> BadInput:
    return BadInput(
        f"nests deeper than {MAX_JSON_DEPTH} levels (a personas file nests 1)",
        where=path,
        fix=SHAPE_FIX,
    )


# -- the shape ----------------------------------------------------------------------------
def _declarations_in(
    document: Any, key_lines: dict[str, int], path: str
) -> tuple[PersonaLine, ...]:
    if document is None:
        raise BadInput("declares no persona: the file is empty", where=path, fix=SHAPE_FIX)
    if not isinstance(document, dict):
        raise BadInput(
            f"holds {_kind(document)}, not a mapping of names to personas",
            where=path,
            fix=SHAPE_FIX,
        )
    if not document:
        raise BadInput("declares no persona: the mapping is empty", where=path, fix=SHAPE_FIX)
    return tuple(_entries(document, key_lines, path))


def _entries(
    document: dict[Any, Any], key_lines: dict[str, int], path: str
) -> Iterator[PersonaLine]:
    for key, value in document.items():
        name = key if isinstance(key, str) else None
        line = key_lines.get(key) if name is not None else None
        where = _where(path, line)
        if name is None or not name.strip():
            raise BadInput(
                f"the key {key!r} is not the name of a principal",
                where=where,
                fix="quote names YAML reads as something else (numbers, yes/no, null)",
            )
        persona = parse_persona(value)
        if persona is None:
            shown = f"{value!r}, which is not" if isinstance(value, str) else _kind(value) + ", not"
            raise BadInput(
                f"{name!r} is declared {shown} a persona",
                where=where,
                fix=f"declare one of {CHOICES}",
            )
        yield PersonaLine(name.strip(), persona, line)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else f"a {type(value).__name__} ({value!r})"


def _where(path: str, line: int | None) -> str:
    return f"{path}, line {line}" if line else path
