"""Rules some checks add on top of plain evaluation: only built-in roles can create hubs, and
a resource a check needs that was not collected gives `unknown`, never a silent pass."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from diagnose.engine.api import Cause, Status
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import parse_snapshot
from tests import arm

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def findings(data: dict, check_id: str):
    checks = [c for c in load_checks()[0] if c.id == check_id]
    model = Model(parse_snapshot(data, "<test>"))
    creator = (data.get("target") or {}).get("creator")
    return Engine(model, creator=creator, fixes=FixPlan).run(checks).findings


def test_a_custom_role_cannot_make_a_hub_creator():
    data = fixture("HUB004/pass")
    creator = data["target"]["creator"]
    assert findings(data, "HUB004") == ()
    # Give the creator the same writes through a custom role instead of the built-in one.
    custom = arm.custom_role(
        "Hub Builder",
        actions=[
            "Microsoft.Storage/storageAccounts/write",
            "Microsoft.KeyVault/vaults/write",
            "Microsoft.CognitiveServices/accounts/write",
            "Microsoft.MachineLearningServices/workspaces/write",
        ],
    )
    changed = copy.deepcopy(data)
    for assignment in changed["roleAssignments"]:
        if assignment["properties"]["principalId"] == creator:
            assignment["properties"]["roleDefinitionId"] = custom["id"]
    changed["roleDefinitions"].append(custom)
    [finding] = findings(changed, "HUB004")
    assert finding.status is Status.FAIL and finding.cause is Cause.MISSING_ROLE
    assert "custom role" in finding.message
    [fix] = finding.remediations
    # The narrowest built-in role with these four writes (issue 11: by actions, not by name).
    assert fix.role_definition_id == "b78c5d69-af96-48a3-bf8d-a8b4d589de94" and fix.verified
    assert fix.role_name == "Azure AI Administrator"


def test_a_registry_that_was_not_collected_is_unknown_for_acr001():
    data = fixture("ACR001/fail")
    registry = next(
        r
        for r in data["resources"]
        if r["type"].lower() == "microsoft.containerregistry/registries"
    )
    data["resources"].remove(registry)
    [finding] = findings(data, "ACR001")
    assert finding.status is Status.UNKNOWN and finding.cause is Cause.UNREADABLE
    assert finding.resource == registry["id"]


def test_a_key_vault_that_was_not_collected_is_unknown_for_cmk003():
    data = fixture("CMK003/fail")
    hub = next(r for r in data["resources"] if r.get("kind") == "Hub")
    vault_id = hub["properties"]["encryption"]["keyVaultProperties"]["keyVaultArmId"]
    data["resources"] = [r for r in data["resources"] if r["id"] != vault_id]
    statuses = {(f.status, f.cause) for f in findings(data, "CMK003")}
    assert statuses == {(Status.UNKNOWN, Cause.UNREADABLE)}
