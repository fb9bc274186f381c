"""Issue 11 corrections to CMK002, ACR001 and HUB004, and the "Who needs it" section of CMK001,
CMK002, CMK003, ACR001, HUB004, IDN001, IDN002, INS001, FPA001 and STG002.

- CMK002: only a hub that keeps its customer-managed-key data in the subscription (not
  service-side) needs its user-assigned identity to write Storage, Search and Cosmos DB
  accounts; the fix is never Contributor; a hub that does not say which is unknown.
- ACR001: only the identity the hub pulls with (its primary user-assigned identity; the
  system identity, which gets AcrPull automatically, when it names none).
- HUB004: the actions this hub's creation needs, from its own settings (private endpoints, a
  user-assigned identity), judged by actions, not role names.

Each scenario starts from a fixture the generator writes (scripts/make_check_fixtures.py) and
changes the one setting it is about, so the rule is tested apart from the fixture set.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from diagnose.engine.api import Cause, Finding, Status
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation.plan import FixPlan
from diagnose.snapshot import parse_snapshot
from tests import arm

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "checks"
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
MINE = ("CMK001", "CMK002", "CMK003", "ACR001", "HUB004")
MINE += ("IDN001", "IDN002", "INS001", "FPA001", "STG002")

Data = dict[str, Any]


def fixture(name: str) -> Data:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def findings(data: Data, check_id: str) -> list[Finding]:
    checks = [c for c in load_checks()[0] if c.id == check_id]
    model = Model(parse_snapshot(copy.deepcopy(data), "<test>"))
    creator = (data.get("target") or {}).get("creator")
    result = Engine(model, creator=creator, fixes=FixPlan).run(checks)
    assert not result.check_errors, result.check_errors
    return list(result.findings)


def hub(data: Data) -> Data:
    return next(r for r in data["resources"] if r.get("kind") == "Hub")


def principal_id(data: Data, name: str) -> str:
    return next(p["id"] for p in data["principals"] if p.get("displayName") == name)


def grant(data: Data, scope: str, principal: str, role: str) -> None:
    data["roleAssignments"].append(
        arm.role_assignment(scope, principal, role, principal_type="User")
    )


def drop_grants(data: Data, principal: str) -> None:
    data["roleAssignments"] = [
        a for a in data["roleAssignments"] if a["properties"]["principalId"] != principal
    ]


def resource_group(resource_id: str) -> str:
    return "/" + "/".join(resource_id.strip("/").split("/")[:4])


# -- CMK002: service-side or in the subscription -------------------------------------------------
def cmk_hub_without_writes() -> Data:
    """A CMK hub whose user-assigned identity has no write on the resource group, saying nothing
    of where its encrypted data lives."""
    data = fixture("CMK002/fail")
    properties = hub(data)["properties"]
    properties.pop("enableServiceSideCMKEncryption", None)
    properties.pop("serviceProvisionedResourceGroup", None)
    return data


def test_cmk002_service_side_encryption_needs_no_write_of_the_identity() -> None:
    data = cmk_hub_without_writes()
    hub(data)["properties"]["enableServiceSideCMKEncryption"] = True
    assert findings(data, "CMK002") == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("enableServiceSideCMKEncryption", False),
        ("serviceProvisionedResourceGroup", "azureml-rg-hub-fixture_0a1b2c3d"),
    ],
    ids=["service-side-off", "managed-resource-group"],
)
def test_cmk002_data_in_the_subscription_needs_the_writes_and_never_proposes_contributor(
    setting: str, value: object
) -> None:
    data = cmk_hub_without_writes()
    hub(data)["properties"][setting] = value
    [finding] = findings(data, "CMK002")
    assert finding.status is Status.FAIL and finding.cause is Cause.MISSING_ROLE
    assert finding.remediations, finding.message
    proposed = {fix.role_definition_id for fix in finding.remediations}
    assert arm.CONTRIBUTOR not in proposed and arm.OWNER not in proposed, proposed
    first = finding.remediations[0]
    assert first.role_definition_id == AZURE_AI_ADMINISTRATOR and first.verified
    assert "custom role" in finding.message


def test_cmk002_a_hub_that_does_not_say_where_its_data_lives_is_unknown() -> None:
    [finding] = findings(cmk_hub_without_writes(), "CMK002")
    assert finding.status is Status.UNKNOWN and finding.cause is Cause.UNREADABLE
    assert not finding.remediations
    assert "enableServiceSideCMKEncryption" in finding.message


def test_cmk002_an_identity_holding_the_writes_is_fine_whatever_the_mode() -> None:
    data = fixture("CMK002/pass")
    properties = hub(data)["properties"]
    properties.pop("enableServiceSideCMKEncryption", None)
    properties.pop("serviceProvisionedResourceGroup", None)
    assert findings(data, "CMK002") == []


# -- ACR001: the identity the hub pulls with ---------------------------------------------------
def with_second_identity(data: Data) -> str:
    """Attach a second user-assigned identity (no role anywhere) to the hub; its principal id."""
    identity_id = resource_group(hub(data)["id"]) + (
        "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-second"
    )
    second = arm.guid("services-b:id-second")
    data["principals"].append(arm.principal(second, "ServicePrincipal", "id-second", []))
    hub(data)["identity"]["userAssignedIdentities"][identity_id] = {
        "principalId": second,
        "clientId": arm.guid("services-b:id-second-client"),
    }
    return second


def test_acr001_asks_only_the_primary_user_assigned_identity() -> None:
    data = fixture("ACR001/pass")
    with_second_identity(data)
    assert findings(data, "ACR001") == []


def test_acr001_the_primary_identity_without_acrpull_fails() -> None:
    data = fixture("ACR001/fail")
    with_second_identity(data)
    [finding] = findings(data, "ACR001")
    assert finding.status is Status.FAIL
    assert finding.principal is not None
    primary = hub(data)["properties"]["primaryUserAssignedIdentity"]
    assert (
        finding.principal.id
        == hub(data)["identity"]["userAssignedIdentities"][primary]["principalId"]
    )
    assert finding.remediations[0].role_definition_id == arm.ACR_PULL


def test_acr001_a_hub_pulling_with_its_system_identity_asks_nothing() -> None:
    """Without a primary user-assigned identity the hub uses its system identity, which gets
    AcrPull automatically: the user-assigned one is not asked to pull."""
    data = fixture("ACR001/fail")
    del hub(data)["properties"]["primaryUserAssignedIdentity"]
    assert findings(data, "ACR001") == []


def test_acr001_several_identities_and_no_primary_one_is_unknown() -> None:
    data = fixture("ACR001/fail")
    del hub(data)["properties"]["primaryUserAssignedIdentity"]
    hub(data)["identity"]["type"] = "UserAssigned"
    hub(data)["identity"].pop("principalId", None)
    with_second_identity(data)
    [finding] = findings(data, "ACR001")
    assert finding.status is Status.UNKNOWN and not finding.remediations


# -- HUB004: the actions this hub's creation needs ---------------------------------------------
def ai_administrator_creator() -> Data:
    """The basic public hub, its creator holding Azure AI Administrator (not Contributor) on
    the resource group."""
    data = fixture("HUB004/pass")
    creator = data["target"]["creator"]
    drop_grants(data, creator)
    grant(data, resource_group(hub(data)["id"]), creator, AZURE_AI_ADMINISTRATOR)
    data["roleDefinitions"].append(arm.builtin_role(AZURE_AI_ADMINISTRATOR))
    return data


def test_hub004_azure_ai_administrator_covers_a_basic_public_hub() -> None:
    assert findings(ai_administrator_creator(), "HUB004") == []


def test_hub004_a_private_endpoint_needs_its_write() -> None:
    data = ai_administrator_creator()
    endpoint = resource_group(hub(data)["id"]) + "/providers/Microsoft.Network/privateEndpoints/pe"
    hub(data)["properties"]["privateEndpointConnections"] = [
        {"name": "pe", "properties": {"privateEndpoint": {"id": endpoint}}}
    ]
    [finding] = findings(data, "HUB004")
    assert finding.status is Status.FAIL
    assert "Microsoft.Network/privateEndpoints/write" in finding.message
    assert "Owner or Contributor" in finding.message


def test_hub004_a_user_assigned_identity_needs_the_assign_action() -> None:
    data = ai_administrator_creator()
    data_with_identity = fixture("ACR001/pass")
    identity = hub(data_with_identity)["identity"]
    identity_id = next(iter(identity["userAssignedIdentities"]))
    data["resources"] += [r for r in data_with_identity["resources"] if r["id"] == identity_id]
    data["principals"] += [
        p
        for p in data_with_identity["principals"]
        if p["id"] == identity["userAssignedIdentities"][identity_id]["principalId"]
    ]
    hub(data)["identity"] = copy.deepcopy(identity)
    hub(data)["properties"]["primaryUserAssignedIdentity"] = identity_id
    [finding] = findings(data, "HUB004")
    assert finding.status is Status.FAIL
    assert "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action" in finding.message
    assert finding.resource.lower() == identity_id.lower()


def test_hub004_the_fix_for_a_basic_hub_is_the_narrowest_role_not_contributor() -> None:
    """Azure AI Developer cannot create hubs; the four writes a basic hub needs come with Azure
    AI Administrator, whose actions are a subset of Contributor's."""
    [finding] = findings(fixture("HUB004/fail"), "HUB004")
    assert finding.status is Status.FAIL
    first = finding.remediations[0]
    assert first.role_definition_id == AZURE_AI_ADMINISTRATOR and first.verified


# -- Who needs it ------------------------------------------------------------------------------
@pytest.mark.parametrize("check_id", MINE)
def test_who_needs_it_says_who_and_what_is_a_failure_or_a_warning(check_id: str) -> None:
    info = next(c for c in load_checks()[0] if c.id == check_id)
    text = info.sections.get("Who needs it", "")
    assert len(text.split()) >= 25, f"{check_id}: {text!r}"
    assert "failure" in text or "warning" in text, text
