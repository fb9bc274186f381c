"""Every declared runtime dependency is imported by the package, and the Azure SDKs declared
for a service are the ones its reads go through (not named in a versions listing only)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from diagnose.testing.fixtures import load_fixture_set
from diagnose.testing.harness import collect_replayed

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "diagnose"
VERSIONS_LISTING = PACKAGE / "bundle" / "environment.py"
"""Names every library in a string, to record its version: naming is not using."""

IMPORT_NAMES = {
    "azure-identity": "azure.identity",
    "azure-core": "azure.core",
    "azure-mgmt-core": "azure.mgmt.core",
    "azure-mgmt-authorization": "azure.mgmt.authorization",
    "azure-mgmt-cognitiveservices": "azure.mgmt.cognitiveservices",
    "azure-mgmt-search": "azure.mgmt.search",
    "azure-mgmt-cosmosdb": "azure.mgmt.cosmosdb",
    "azure-mgmt-resourcegraph": "azure.mgmt.resourcegraph",
    "requests": "requests",
    "certifi": "certifi",
    "textual": "textual",
    "rich": "rich",
    "fastjsonschema": "fastjsonschema",
    "jsonschema": "jsonschema",
    "orjson": "orjson",
    "pyyaml": "yaml",
    "mcp": "mcp",
}
"""Distribution -> the module it provides."""


def declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = []
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert name is not None, requirement
        names.append(re.sub(r"[-_.]+", "-", name.group(0)).lower())
    return names


def imported_modules() -> set[str]:
    """Every absolute module the package imports (outside the versions listing)."""
    modules: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if path == VERSIONS_LISTING:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module)
                modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_every_declared_dependency_is_imported_by_the_package():
    modules = imported_modules()
    unmapped = [name for name in declared() if name not in IMPORT_NAMES]
    assert unmapped == [], f"add the module each provides to IMPORT_NAMES: {unmapped}"
    unused = [
        name
        for name in declared()
        if not any(
            m == IMPORT_NAMES[name] or m.startswith(IMPORT_NAMES[name] + ".") for m in modules
        )
    ]
    assert unused == [], f"declared but never imported (use them or drop them): {unused}"


def test_the_import_walk_sees_what_it_should():
    """The walk itself: an import inside a function counts, a string does not."""
    modules = imported_modules()
    assert "azure.mgmt.cognitiveservices" in modules  # imported inside a method
    assert "yaml" in modules
    assert not any(m.startswith("azure.mgmt.nonexistent") for m in modules)


# -- the reads go through the SDK that models them ---------------------------------------
AUTHORIZATION_PATH = re.compile(
    r"/providers/Microsoft\.Authorization/"
    r"(roleAssignments|denyAssignments|roleEligibilityScheduleInstances|roleDefinitions)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def hub_calls():
    _, replay = collect_replayed(load_fixture_set("hub-basic"))
    assert replay.unmatched == []
    return [c for c in replay.calls if "management.azure.com" in c.request.url]


def _agent(call) -> str:
    return call.request.headers["User-Agent"]


def test_authorization_reads_go_through_azure_mgmt_authorization(hub_calls):
    reads = [c for c in hub_calls if AUTHORIZATION_PATH.search(c.request.path_url)]
    kinds = {AUTHORIZATION_PATH.search(c.request.path_url).group(1) for c in reads}
    assert kinds == {
        "roleAssignments",
        "denyAssignments",
        "roleEligibilityScheduleInstances",
        "roleDefinitions",
    }
    for call in reads:
        assert _agent(call).startswith("ai-hub-diagnose/"), _agent(call)
        assert " azsdk-python-mgmt-authorization/" in _agent(call), call.request.url


def test_search_services_are_read_through_azure_mgmt_search(hub_calls):
    reads = [c for c in hub_calls if "/Microsoft.Search/searchServices/" in c.request.path_url]
    assert reads
    for call in reads:
        assert " azsdk-python-mgmt-search/" in _agent(call), call.request.url


def test_hub_workspaces_stay_direct_reads(hub_calls):
    """No current SDK models hubs and their connections at our api-version: they are read
    with the ARM client, which names no SDK."""
    workspaces = [c for c in hub_calls if "/Microsoft.MachineLearningServices/" in c.request.url]
    assert workspaces
    assert all("azsdk-python" not in _agent(c) for c in workspaces)


def test_authorization_lists_build_no_models(monkeypatch):
    """The SDK pages the listings, but the snapshot keeps Azure's JSON: building a model of
    each of a subscription's (thousands of) assignments would be wasted work."""
    from azure.mgmt.authorization.v2020_10_01 import models as eligibility_models
    from azure.mgmt.authorization.v2022_04_01 import models

    built: list[str] = []
    for model in (
        models.RoleAssignment,
        models.DenyAssignment,
        eligibility_models.RoleEligibilityScheduleInstance,
    ):
        original = model.__init__

        def counting(self, *args, _original=original, **kwargs):
            built.append(type(self).__name__)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(model, "__init__", counting)
    collection, replay = collect_replayed(load_fixture_set("hub-basic"))
    assert replay.unmatched == [] and collection.snapshot.data["roleAssignments"]
    assert built == []


def test_a_support_bundle_records_the_version_of_every_declared_dependency():
    """environment.json lists the versions support needs: exactly the declared dependencies
    (a dependency added to pyproject.toml without it would go unrecorded)."""
    from diagnose.bundle.environment import PACKAGES

    assert sorted(name.lower() for name in PACKAGES) == sorted(declared())
