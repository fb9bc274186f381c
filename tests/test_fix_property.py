"""Property: on random hubs, every verified fix really clears its finding when applied to the
snapshot as Azure would hold it, and every generated command parses in bash with hostile
names.

The fix is applied here independently of the engine's own proof: a role assignment becomes a
real ARM object appended to roleAssignments, a configuration change a patch of the resource's
JSON, and the whole snapshot is parsed and diagnosed again from scratch."""

from __future__ import annotations

import copy
import subprocess
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import parse_snapshot
from tests import arm

HOSTILE = [
    "$(touch /tmp/pwned-diag)",
    "a'b",
    'c"d',
    "e`id`f",
    "g;h&&i|j",
    "k\nl",
    "m\rn",
    "${HOME}",
    "%{x}",
    "o\u2019p",
    "q\\r",
    "plain",
]
ROLES = [
    arm.READER,
    arm.CONTRIBUTOR,
    arm.OWNER,
    arm.AZURE_AI_DEVELOPER,
    arm.OPENAI_USER,
    arm.SEARCH_INDEX_DATA_READER,
    arm.SEARCH_INDEX_DATA_CONTRIBUTOR,
    arm.SEARCH_SERVICE_CONTRIBUTOR,
    arm.STORAGE_BLOB_DATA_READER,
    arm.STORAGE_BLOB_DATA_CONTRIBUTOR,
    arm.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
    arm.AI_INFERENCE_DEPLOYMENT_OPERATOR,
]


@st.composite
def hubs(draw) -> dict:
    name = lambda: draw(st.sampled_from(HOSTILE)).replace("/", "_")  # noqa: E731
    suffix = draw(st.integers(0, 10**6))
    rg = f"/subscriptions/{arm.SUB}/resourceGroups/rg-{suffix}{name()}"
    p = f"{rg}/providers"
    hub = f"{p}/Microsoft.MachineLearningServices/workspaces/hub{name()}"
    aoai = f"{p}/Microsoft.CognitiveServices/accounts/aoai{name()}"
    search = f"{p}/Microsoft.Search/searchServices/srch{name()}"
    storage = f"{p}/Microsoft.Storage/storageAccounts/st{name()}"
    mis = {rid: str(uuid.uuid4()) for rid in (hub, aoai, search)}

    def identity(rid: str) -> Any:
        return arm.system_identity(mis[rid]) if draw(st.booleans()) or rid == hub else None

    projects = [
        f"{p}/Microsoft.MachineLearningServices/workspaces/proj{i}{name()}"
        for i in range(draw(st.integers(1, 2)))
    ]
    resources = [
        arm.subscription(),
        arm.resource(
            hub,
            "Microsoft.MachineLearningServices/workspaces",
            kind="Hub",
            identity=identity(hub),
            properties={
                "storageAccount": storage,
                "systemDatastoresAuthMode": draw(st.sampled_from(["identity", "accesskey"])),
            },
        ),
        arm.resource(
            aoai,
            "Microsoft.CognitiveServices/accounts",
            kind="OpenAI",
            identity=identity(aoai),
            properties={
                "customSubDomainName": draw(st.sampled_from(["", "sub"])),
                "disableLocalAuth": draw(st.booleans()),
            },
        ),
        arm.resource(
            search,
            "Microsoft.Search/searchServices",
            identity=identity(search),
            properties={
                "authOptions": draw(st.sampled_from([{"apiKeyOnly": {}}, {"aadOrApiKey": {}}]))
            },
        ),
        arm.resource(
            storage,
            "Microsoft.Storage/storageAccounts",
            properties={"allowSharedKeyAccess": draw(st.booleans())},
        ),
    ]
    for project in projects:
        resources.append(
            arm.resource(
                project,
                "Microsoft.MachineLearningServices/workspaces",
                kind="Project",
                properties={"hubResourceId": hub},
            )
        )
    for index, (category, target) in enumerate(
        [("AzureOpenAI", aoai), ("CognitiveSearch", search), ("AzureBlob", storage)]
    ):
        if draw(st.booleans()):
            owner = draw(st.sampled_from([hub, *projects]))
            resources.append(
                {
                    "id": f"{owner}/connections/c{index}{name()}",
                    "name": f"c{index}",
                    "type": "Microsoft.MachineLearningServices/workspaces/connections",
                    "properties": {
                        "category": category,
                        "authType": draw(st.sampled_from(["AAD", "ApiKey"])),
                        "target": "https://example",
                        "isSharedToAll": True,
                        "metadata": {"ResourceId": target},
                    },
                }
            )
    users = [str(uuid.uuid4()) for _ in range(draw(st.integers(1, 3)))]
    group = str(uuid.uuid4())
    principals = [
        arm.principal(u, "User", name(), [group] if draw(st.booleans()) else []) for u in users
    ]
    principals.append(arm.principal(group, "Group", name(), []))
    principals += [arm.principal(mi, "ServicePrincipal", name(), []) for mi in mis.values()]
    scopes = [rg, hub, aoai, search, storage, *projects]
    assignments = []
    for _ in range(draw(st.integers(1, 8))):
        who = draw(st.sampled_from([*users, group]))
        assignments.append(
            arm.role_assignment(
                draw(st.sampled_from(scopes)),
                who,
                draw(st.sampled_from(ROLES)),
                principal_type="Group" if who == group else "User",
            )
        )
    return arm.build(resources=resources, roleAssignments=assignments, principals=principals)


def _key(finding) -> tuple:
    operations = tuple(op["name"] for op in finding.details.get("operations", []))
    return (
        finding.check_id,
        finding.resource.lower(),
        finding.principal.id if finding.principal else "",
        finding.cause,
        operations,
    )


def _diagnose(data: dict):
    checks, _ = load_checks()
    return Engine(Model(parse_snapshot(data)), fixes=FixPlan).run(checks)


def _apply(data: dict, fixes: list) -> dict:
    fixed = copy.deepcopy(data)
    for fix in fixes:
        if fix.kind in ("roleAssignment", "activateEligible"):
            fixed["roleAssignments"].append(
                arm.role_assignment(
                    fix.scope,
                    fix.principal_id,
                    fix.role_definition_id,
                    principal_type=fix.principal_type or "User",
                    name=str(uuid.uuid4()),
                )
            )
        elif fix.kind == "configuration":
            target = next(r for r in fixed["resources"] if r["id"].lower() == fix.resource.lower())
            node = target
            *path, last = fix.setting.split(".")
            for part in path:
                node = node.setdefault(part, {})
            node[last] = copy.deepcopy(fix.value)
    return fixed


def _alternatives(finding) -> list[list]:
    """Role fixes of one finding work together (one plan); configuration fixes are
    alternatives, each enough on its own. A fix that is an alternative to another (a custom
    role instead of a built-in one) is not part of the default plan."""
    verified = [f for f in finding.remediations if f.verified and f.alternative_to is None]
    roles = [f for f in verified if f.kind in ("roleAssignment", "activateEligible")]
    return ([roles] if roles else []) + [[f] for f in verified if f.kind == "configuration"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hubs())
def test_verified_fixes_clear_their_findings_and_commands_parse(data):
    result = _diagnose(data)
    commands = []
    for finding in result.findings:
        commands += [f.commands.azure_cli for f in finding.remediations if f.commands]
        for fixes in _alternatives(finding):
            after = _diagnose(_apply(data, fixes))
            assert _key(finding) not in {_key(f) for f in after.findings}, (
                f"{finding.check_id}: the verified fix {[f.summary for f in fixes]} did not "
                f"clear '{finding.message}'"
            )
    if commands:
        script = "\n".join(commands) + "\n"
        checked = subprocess.run(
            ["bash", "-n"], input=script, capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr + script
