"""The core's layers, read from the source with `ast`: no module imports another at module
level in a cycle, and from the ARM vocabulary up to the report each layer imports only the
layers below it.

Bottom to top (`CORE_LAYERS`):

    foundation   diagnose's own top-level modules (errors, secrets, outfile, ...), the ARM
                 vocabulary (diagnose.arm), the role and operation catalog, and the one
                 definition of unsafe characters (diagnose.safe)
    snapshot     the snapshot format: reading and validating it
    collect      live collection, which writes snapshots   |  model: a snapshot indexed
    rbac         the evaluator
    render       decisions as text
    engine       checks run over the model, requirements evaluated
    checks       the built-in checks (plug-ins of the engine)
    remediation  the plan step: fixes chosen, proven, rendered
    report       the report built from a run

Packages in one layer are independent of each other (collect and model never import each
other). The application layer and the front ends stand above the report; their rules are in
tests/test_layers.py, and a layer added to `CORE_LAYERS` is checked here as well.

An edge is an import of a diagnose module: `from a.b import c` is an edge to the module a.b.c
when there is one, else to a.b. Each edge is one of three kinds, listed separately: made when
the module is imported (module level), when a function runs (function level), or only for the
type checker (under `if TYPE_CHECKING:`). Only module-level edges can form an import cycle that
breaks at import time; layers are judged on every edge.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("diagnose",)
"""The source trees read; a top-level checks package would be listed here."""

FOUNDATION = (
    "diagnose.__init__",
    "diagnose.errors",
    "diagnose.exitcodes",
    "diagnose.inputlimits",
    "diagnose.jsonable",
    "diagnose.secrets",
    "diagnose.bulk",
    "diagnose.byidentity",
    "diagnose.outfile",
    "diagnose.arm",
    "diagnose.catalog",
    "diagnose.safe",
)
CORE_LAYERS: tuple[tuple[str, ...], ...] = (
    FOUNDATION,
    ("diagnose.snapshot",),
    ("diagnose.collect", "diagnose.model"),
    ("diagnose.rbac",),
    ("diagnose.render",),
    ("diagnose.engine",),
    ("diagnose.checks",),
    ("diagnose.remediation",),
    ("diagnose.report",),
)
"""Bottom first. A module may import its own package and the layers below its own; the
foundation's small modules may also import each other."""

MODULE, FUNCTION, TYPE_ONLY = "module level", "function level", "type checking only"


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    kind: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.imported} ({self.kind})"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = source_files()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([base] if base else [])])
    return [
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
        for alias in node.names
    ]


def edges_of(importer: str, path: Path) -> Iterator[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST, kind: str) -> Iterator[Edge]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for imported in _imported(child, importer, is_package):
                    if imported.split(".")[0] in PACKAGES:
                        yield Edge(
                            importer, imported, kind, f"{path.relative_to(ROOT)}:{child.lineno}"
                        )
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, FUNCTION)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for statement in child.body:
                    yield from visit(
                        ast.Module([statement], []), TYPE_ONLY if kind == MODULE else kind
                    )
                for statement in child.orelse:
                    yield from visit(ast.Module([statement], []), kind)
            else:
                yield from visit(child, kind)

    yield from visit(tree, MODULE)


EDGES = [edge for name, path in MODULES.items() for edge in edges_of(name, path)]


def within(module: str, prefix: str) -> bool:
    if prefix.endswith(".__init__"):
        return module == prefix.removesuffix(".__init__")
    return module == prefix or module.startswith(prefix + ".")


def place_of(module: str) -> tuple[int, str] | None:
    """(layer index, the prefix that places it) for the longest prefix that matches."""
    found = [
        (len(prefix), index, prefix)
        for index, layer in enumerate(CORE_LAYERS)
        for prefix in layer
        if within(module, prefix)
    ]
    if not found:
        return None
    _, index, prefix = max(found)
    return index, prefix


def module_cycles() -> list[list[str]]:
    """Strongly connected components of the module-level import graph (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for edge in EDGES:
        if edge.kind == MODULE and edge.imported in graph:
            graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    cycles.append(sorted(component))
    return cycles


# -- the walk itself ------------------------------------------------------------------------------


def test_the_walk_sees_every_kind_of_import() -> None:
    """Guards the test: known imports of each kind, resolved to modules, are found."""
    found = {(e.importer, e.imported, e.kind) for e in EDGES}
    assert ("diagnose.engine.runner", "diagnose.engine.api", MODULE) in found
    assert ("diagnose.remediation.plan", "diagnose.remediation.commands", MODULE) in found
    assert ("diagnose.engine.api", "diagnose.rbac.evaluator", TYPE_ONLY) in found
    assert any(
        kind == FUNCTION and within(imported, "diagnose.catalog")
        for importer, imported, kind in found
        if within(importer, "diagnose.collect")
    )
    assert ("diagnose.collect.collector", "diagnose.collect.apiversions", MODULE) in found
    assert all(
        name in MODULES
        for layer in CORE_LAYERS
        for prefix in layer
        for name in [prefix.removesuffix(".__init__")]
    )


def test_every_package_of_the_core_is_placed() -> None:
    """A new package below the application layer must be given its layer here."""
    subpackages = {
        name.split(".")[1]
        for name in MODULES
        if name.count(".") >= 1 and (ROOT / "diagnose" / name.split(".")[1]).is_dir()
    }
    above_or_aside = {"app", "cli", "tui", "bundle", "explain", "mcpserver", "demo", "testing"}
    placed = {
        name.split(".")[1]
        for name in MODULES
        if place_of(name) is not None and name.count(".") >= 1
    }
    assert subpackages - above_or_aside <= placed


# -- the rules ------------------------------------------------------------------------------------


def test_no_module_level_import_cycle() -> None:
    assert module_cycles() == []


def test_the_import_graph_lists_each_kind_apart() -> None:
    """The graph this test judges, printed on failure: module-level and function-level
    imports counted separately (a function-level import is no way around a layer)."""
    kinds = {
        kind: sum(1 for e in EDGES if e.kind == kind) for kind in (MODULE, FUNCTION, TYPE_ONLY)
    }
    assert kinds[MODULE] > 300 and kinds[FUNCTION] > 10 and kinds[TYPE_ONLY] > 5, kinds


@pytest.mark.parametrize(
    "layer", range(len(CORE_LAYERS)), ids=[" ".join(layer) for layer in CORE_LAYERS]
)
def test_a_core_layer_imports_only_layers_below_it(layer: int) -> None:
    upward = []
    for edge in EDGES:
        source = place_of(edge.importer)
        if source is None or source[0] != layer:
            continue
        target = place_of(edge.imported)
        if target is not None and (
            target[0] < layer or target[1] == source[1] or target[0] == layer == 0
        ):
            continue
        upward.append(str(edge))
    assert upward == []


def test_the_arm_vocabulary_imports_nothing_else_of_the_tool() -> None:
    assert [
        str(e)
        for e in EDGES
        if within(e.importer, "diagnose.arm") and not within(e.imported, "diagnose.arm")
    ] == []


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("diagnose.model", "diagnose.engine"),
        ("diagnose.engine", "diagnose.remediation"),
        ("diagnose.engine", "diagnose.report"),
        ("diagnose.remediation", "diagnose.report"),
        ("diagnose.collect", "diagnose.model"),
        ("diagnose.model", "diagnose.collect"),
        ("diagnose.arm", "diagnose.model"),
    ],
)
def test_named_pairs_of_packages_stay_apart(lower: str, higher: str) -> None:
    """The pairs the layering is for, by name: no edge of any kind from `lower` to
    `higher`."""
    assert [str(e) for e in EDGES if within(e.importer, lower) and within(e.imported, higher)] == []
