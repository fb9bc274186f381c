"""The house's layers, read from the source: every import (module level, in a function, or
under TYPE_CHECKING) of every module in diagnose/ is an edge, and edges only point down.

Top to bottom:

    diagnose.program              the console script: runs the command line and hands it the
                                  terminal UI as its viewer
    diagnose.cli, diagnose.tui,   the front ends, independent of each other
    diagnose.mcpserver
    diagnose.bundle               the support bundle, written from a Diagnosis
    diagnose.app                  the use cases: typed, frozen values in and out
    the core                      every other package: collect, snapshot, model, rbac, engine,
                                  remediation, report, explain, ... (never imports the above)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "diagnose"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("diagnose.program",),
    ("diagnose.cli", "diagnose.tui", "diagnose.mcpserver"),
    ("diagnose.bundle",),
    ("diagnose.app",),
)
"""The layers above the core, top first. A module may import a layer below its own, never one
above it nor a sibling in its own layer."""
FRONT_ENDS = ("diagnose.cli", "diagnose.tui", "diagnose.mcpserver", "diagnose.bundle")
ENTRY_POINT = "diagnose.__main__"
"""`python -m diagnose`: runs the program."""
OWN_COMMAND_LINES = ("diagnose.testing.armserver",)
"""Test tools with a command line of their own (`python -m diagnose.testing.armserver`)."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import statement in the file, wherever it is."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # `from diagnose import cli` imports a package too
                yield f"{module}.{alias.name}", node.lineno


def edges() -> list[tuple[str, str, str]]:
    """(importer, imported, "file:line") for every import of a diagnose module."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for imported, line in imports_of(path):
            if imported == "diagnose" or imported.startswith("diagnose."):
                found.append((importer, imported, f"{path.relative_to(ROOT)}:{line}"))
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_of(module: str) -> int | None:
    """The index in LAYERS of the module's layer; None for the core."""
    for index, layer in enumerate(LAYERS):
        if any(within(module, package) for package in layer):
            return index
    return None


def package_of(module: str) -> str | None:
    return next((p for layer in LAYERS for p in layer if within(module, p)), None)


EDGES = edges()


def test_the_walk_sees_the_imports_it_must_judge() -> None:
    """Guards the test itself: the imports it relies on are found."""
    pairs = {(importer, imported) for importer, imported, _ in EDGES}
    assert ("diagnose.program", "diagnose.tui") in pairs
    assert ("diagnose.program", "diagnose.cli") in pairs
    assert ("diagnose.bundle", "diagnose.app") in pairs
    assert any(within(a, "diagnose.tui") and within(b, "diagnose.app") for a, b in pairs)
    assert any(within(a, "diagnose.app") and within(b, "diagnose.engine") for a, b in pairs)


def test_no_front_end_imports_another() -> None:
    crossing = []
    for importer, imported, where in EDGES:
        source = next((f for f in FRONT_ENDS if within(importer, f)), None)
        target = next((f for f in FRONT_ENDS if within(imported, f)), None)
        if source is None or target is None or source == target:
            continue
        if target == "diagnose.bundle" and source != "diagnose.bundle":
            continue  # the layer below the interactive front ends: judged by the next test
        crossing.append(f"{where}: {importer} imports {imported}")
    assert crossing == []


@pytest.mark.parametrize("layer", range(len(LAYERS)), ids=[" ".join(layer) for layer in LAYERS])
def test_a_layer_imports_only_the_layers_below_it(layer: int) -> None:
    upward = []
    for importer, imported, where in EDGES:
        if layer_of(importer) != layer:
            continue
        target = layer_of(imported)
        if target is None or target > layer:
            continue
        if package_of(imported) == package_of(importer):
            continue  # its own package
        upward.append(f"{where}: {importer} imports {imported}")
    assert upward == []


def test_the_core_imports_no_layer_above_it() -> None:
    """Nothing below the application layer reaches up: not the app, the bundle, a front end."""
    upward = [
        f"{where}: {importer} imports {imported}"
        for importer, imported, where in EDGES
        if layer_of(importer) is None and importer != ENTRY_POINT and layer_of(imported) is not None
    ]
    assert upward == []


def test_the_entry_point_only_runs_the_program() -> None:
    assert {imported for importer, imported, _ in EDGES if importer == ENTRY_POINT} <= {
        "diagnose.program",
        "diagnose.program.run",
    }


def test_front_ends_pass_no_argparse_namespace_below_the_command_line() -> None:
    """argparse belongs to the command line: the app, the bundle, the UI and the core never
    import it (they take the app's typed values)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if within(name, "diagnose.cli") or name in OWN_COMMAND_LINES:
            continue
        found += [
            f"{path.relative_to(ROOT)}:{line}"
            for imported, line in imports_of(path)
            if imported == "argparse"
        ]
    assert found == []
