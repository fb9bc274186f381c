"""Reference data shipped with the tool: a subset of Azure's built-in role definitions and the
operation catalogs of the providers an AI Foundry hub touches. Regenerate both with
scripts/update_catalog.py. Loaded on first use, never at import."""

from __future__ import annotations

import json
from functools import cache
from typing import Any


def read_json(name: str) -> Any:
    """One of the catalog's files, decoded. Read through the package's loader (as
    importlib.resources would, from a wheel, a zip or a folder): importlib.resources itself
    imports zipfile, tempfile and shutil, a tenth of what `diagnose access` takes to answer
    from its cached index."""
    import pkgutil

    data = pkgutil.get_data(__package__, name)
    if data is None:
        raise FileNotFoundError(f"{__package__}/{name}")
    return json.loads(data)


@cache
def builtin_role_definitions() -> tuple[dict[str, Any], ...]:
    """Built-in role definitions in the ARM wire shape."""
    return tuple(read_json("builtin_roles.json")["value"])


@cache
def operation_planes() -> dict[str, frozenset[str]]:
    """Lower-cased operation names by plane: {"control": ..., "data": ...}."""
    data = read_json("operations.json")
    return {
        "control": frozenset(op.lower() for op in data["controlPlane"]),
        "data": frozenset(op.lower() for op in data["dataPlane"]),
    }


@cache
def catalog_providers() -> frozenset[str]:
    planes = operation_planes()
    return frozenset(op.split("/", 1)[0] for op in planes["control"] | planes["data"])


@cache
def provider_operations() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Lower-cased provider namespace -> its (control-plane, data-plane) operations, lower-cased
    and sorted: what a wildcard expands to at a scope where that provider is present."""
    planes = operation_planes()
    found: dict[str, tuple[list[str], list[str]]] = {}
    for index, plane in enumerate(("control", "data")):
        for operation in planes[plane]:
            found.setdefault(operation.split("/", 1)[0], ([], []))[index].append(operation)
    return {
        provider: (tuple(sorted(control)), tuple(sorted(data)))
        for provider, (control, data) in found.items()
    }


def plane_warning(operation: str, data_action: bool) -> str | None:
    """A warning when the catalogs put an operation in the other plane, or do not know it.

    Only a warning: the catalogs lag behind Azure.
    """
    planes = operation_planes()
    lowered = operation.lower()
    asked, other = ("data", "control") if data_action else ("control", "data")
    if lowered in planes[asked]:
        return None
    flag = {"data": "--data-action", "control": "--action"}
    if lowered in planes[other]:
        kind = "a data action" if other == "data" else "a control-plane action"
        return (
            f"the provider operation catalogs list {operation} as {kind}; did you mean "
            f"{flag[other]}? (answered as asked: catalogs can lag behind Azure)"
        )
    provider = lowered.split("/", 1)[0]
    if provider in catalog_providers():
        return (
            f"{operation} is not in the {operation.split('/', 1)[0]} operation catalog: "
            "check the spelling (it may also be newer than the catalog)"
        )
    return None
