"""Roles are ranked by what they grant at the scope where they would be assigned: the worst
tier first (secrets > privilege escalation > control-plane write > data write > data read >
control-plane read), then how much; a provider without an operation catalog is ranked by the
verbs of the patterns and labelled so; when every built-in role that covers a need also adds a
secret or escalation, a custom role granting exactly the need is offered beside it (issue 12).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from typing import Any

import pytest

from diagnose.engine.api import Operation, PrincipalRef, Remediation, Requirement
from diagnose.engine.requirements import evaluate
from diagnose.model.model import Model
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.plan import FixPlan
from diagnose.remediation.planner import Planner, ScopeProviders
from diagnose.remediation.risk import Tier, Verbs, tier_of
from diagnose.snapshot import parse_snapshot
from tests import arm

RG = f"/subscriptions/{arm.SUB}/resourceGroups/rg-ai"
SEARCH = f"{RG}/providers/Microsoft.Search/searchServices/srch"
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/st"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv"
ACCOUNT = f"{RG}/providers/Microsoft.CognitiveServices/accounts/ais"
HUB = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub"
COSMOS = f"{RG}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos"
USER = arm.guid("user:dev")

KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
STORAGE_ACCOUNT_CONTRIBUTOR = "17d1049b-9a84-46fb-8f53-869881c3d3ab"
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"


def snapshot_data() -> dict[str, Any]:
    return arm.build(
        resources=[
            arm.subscription(),
            arm.resource(SEARCH, "Microsoft.Search/searchServices"),
            arm.resource(STORAGE, "Microsoft.Storage/storageAccounts", kind="StorageV2"),
            arm.resource(
                VAULT, "Microsoft.KeyVault/vaults", properties={"enableRbacAuthorization": True}
            ),
            arm.resource(ACCOUNT, "Microsoft.CognitiveServices/accounts", kind="AIServices"),
            arm.resource(HUB, "Microsoft.MachineLearningServices/workspaces", kind="Hub"),
            arm.resource(COSMOS, "Microsoft.DocumentDB/databaseAccounts"),
        ],
        principals=[arm.principal(USER, "User", "dev")],
    )


def model_of(data: dict[str, Any]) -> Model:
    return Model(parse_snapshot(copy.deepcopy(data), "<ranking test>"))


@pytest.fixture(scope="module")
def model() -> Model:
    return model_of(snapshot_data())


@pytest.fixture(scope="module")
def planner(model: Model) -> Planner:
    return Planner(Evaluator(model.authorization), ScopeProviders.of(model).at)


def requirement(
    model: Model, scope: str, operations: tuple[Operation, ...], docs: tuple[str, ...] = ()
) -> Requirement:
    resource = model.resource(scope)
    assert resource is not None
    return Requirement(
        principal=PrincipalRef(USER, "User", "dev"),
        resource=resource,
        operations=operations,
        because="needs it for the test",
        roles=docs,
    )


def fixes(model: Model, need: Requirement) -> list[Remediation]:
    evaluator = Evaluator(model.authorization)
    outcome = evaluate(need, evaluator)
    assert not outcome.met
    found, note = FixPlan(model, evaluator).requirement_fixes(need, outcome)
    assert found, note
    return found


def role(model: Model, guid: str) -> RoleDefinition:
    found = model.authorization.role(guid)
    assert found is not None
    return found


def test_tiers_of_operations() -> None:
    assert tier_of("Microsoft.Search/searchServices/listAdminKeys/action", False) is Tier.SECRETS
    assert tier_of("Microsoft.Storage/storageAccounts/listAccountSas/action", False) is (
        Tier.SECRETS
    )
    assert tier_of("Microsoft.KeyVault/vaults/secrets/getSecret/action", True) is Tier.SECRETS
    assert tier_of("Microsoft.Authorization/roleAssignments/write", False) is Tier.ESCALATION
    assert tier_of("Microsoft.KeyVault/vaults/accessPolicies/write", False) is Tier.ESCALATION
    assert tier_of("Microsoft.Search/searchServices/write", False) is Tier.CONTROL_WRITE
    assert tier_of(
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", True
    ) is (Tier.DATA_WRITE)
    assert tier_of("Microsoft.Search/searchServices/indexes/documents/read", True) is (
        Tier.DATA_READ
    )
    assert tier_of("Microsoft.Search/searchServices/read", False) is Tier.CONTROL_READ


def test_owner_is_riskier_than_foundry_user_at_a_foundry_account(
    model: Model, planner: Planner
) -> None:
    owner, user = role(model, arm.OWNER), role(model, arm.FOUNDRY_USER)
    assert planner.rank([owner, user], ACCOUNT) == [user, owner]
    assert planner.risk(owner, ACCOUNT).counts[Tier.ESCALATION] > 0
    assert planner.risk(user, ACCOUNT).counts[Tier.ESCALATION] == 0


def test_reader_beats_search_service_contributor_for_a_control_plane_read(model: Model) -> None:
    need = requirement(
        model,
        SEARCH,
        (Operation.action("Microsoft.Search/searchServices/read"),),
        docs=(arm.SEARCH_SERVICE_CONTRIBUTOR,),
    )
    first = fixes(model, need)[0]
    assert first.role_definition_id == arm.READER, first.summary
    # the docs' role is not chosen, and the fix says why
    assert "the docs name Search Service Contributor" in first.summary
    assert "read the admin keys" in first.summary
    assert "reaches control-plane read" in first.summary


def test_storage_account_contributor_is_riskier_than_storage_blob_data_contributor(
    model: Model, planner: Planner
) -> None:
    account = role(model, STORAGE_ACCOUNT_CONTRIBUTOR)
    blob = role(model, arm.STORAGE_BLOB_DATA_CONTRIBUTOR)
    assert planner.rank([account, blob], STORAGE) == [blob, account]
    assert planner.risk(account, STORAGE).tier is Tier.SECRETS  # listKeys, listAccountSas
    assert not planner.risk(blob, STORAGE).secret_or_escalation
    # nor does the account role win a plain read of the account over Reader
    need = requirement(
        model, STORAGE, (Operation.action("Microsoft.Storage/storageAccounts/read"),)
    )
    assert fixes(model, need)[0].role_definition_id == arm.READER


def test_key_vault_secrets_user_reads_secrets_in_an_rbac_vault(
    model: Model, planner: Planner
) -> None:
    get_secret = Operation.data_action("Microsoft.KeyVault/vaults/secrets/getSecret/action")
    first = fixes(model, requirement(model, VAULT, (get_secret,)))[0]
    assert first.role_definition_id == KEY_VAULT_SECRETS_USER, first.summary
    assert first.verified
    # Key Vault Contributor cannot read them, and can rewrite the access policies
    contributor = role(model, KEY_VAULT_CONTRIBUTOR)
    assert not planner.grants_all(contributor, [get_secret])
    risk = planner.risk(contributor, VAULT)
    assert risk.tier is Tier.ESCALATION
    assert "rewrite the vault's access policies" in risk.adds()


def test_azure_ai_administrator_is_narrower_than_contributor(
    model: Model, planner: Planner
) -> None:
    administrator, contributor = role(model, AZURE_AI_ADMINISTRATOR), role(model, arm.CONTRIBUTOR)
    for scope in (HUB, ACCOUNT, RG):
        assert planner.rank([contributor, administrator], scope) == [administrator, contributor]
    need = requirement(
        model, HUB, (Operation.action("Microsoft.MachineLearningServices/workspaces/write"),)
    )
    assert fixes(model, need)[0].role_definition_id == AZURE_AI_ADMINISTRATOR


def test_a_custom_role_is_offered_when_every_built_in_role_adds_a_secret(model: Model) -> None:
    write = Operation.action("Microsoft.Search/searchServices/indexes/write")
    need = requirement(model, SEARCH, (write,), docs=(arm.SEARCH_SERVICE_CONTRIBUTOR,))
    builtin, custom = fixes(model, need)
    assert builtin.role_definition_id == arm.SEARCH_SERVICE_CONTRIBUTOR
    assert builtin.alternative_to is None and builtin.verified
    assert "reaches secrets" in builtin.summary and "read the admin keys" in builtin.summary
    # the custom role: exactly the need, assignable in the target's resource group only
    assert custom.alternative_to == builtin.fix_id
    assert custom.verified, custom.verification
    assert "read the admin keys" in custom.summary
    assert "At this scope it reaches control-plane write/delete; it grants nothing beyond" in (
        custom.summary
    )
    definition = custom.value
    properties = definition["properties"]
    assert properties["type"] == "CustomRole"
    assert properties["assignableScopes"] == [RG]
    assert properties["permissions"] == [
        {"actions": [write.name], "notActions": [], "dataActions": [], "notDataActions": []}
    ]
    assert definition["name"] == custom.role_definition_id
    # deterministic: the same need in the same group is the same role
    assert fixes(model, need)[1].role_definition_id == custom.role_definition_id
    # applied as Azure would hold it (definition and assignment), the requirement is met
    data = snapshot_data()
    data["roleDefinitions"].append(copy.deepcopy(definition))
    data["roleAssignments"].append(
        arm.role_assignment(custom.scope or "", USER, custom.role_definition_id or "")
    )
    applied = model_of(data)
    assert evaluate(requirement(applied, SEARCH, (write,)), Evaluator(applied.authorization)).met
    # commands in every language create the role, then assign it
    commands = custom.commands
    assert commands is not None
    assert "az role definition create --role-definition" in commands.azure_cli
    assert "az role assignment create" in commands.azure_cli
    assert "New-AzRoleDefinition -InputFile" in commands.powershell
    assert "New-AzRoleAssignment" in commands.powershell
    assert "Microsoft.Authorization/roleDefinitions@" in commands.bicep
    assert f"name: '{definition['name']}'" in commands.bicep
    assert 'resource "azurerm_role_definition"' in commands.terraform
    assert "role_definition_resource_id" in commands.terraform
    assert json.dumps(properties["permissions"][0]["actions"]).replace(" ", "") in (
        commands.azure_cli
    )
    if shutil.which("bash"):
        checked = subprocess.run(
            ["bash", "-n"], input=commands.azure_cli, capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr


def test_custom_role_terraform_parses() -> None:
    hcl2 = pytest.importorskip("hcl2")
    data = snapshot_data()
    model = model_of(data)
    need = requirement(
        model, SEARCH, (Operation.action("Microsoft.Search/searchServices/indexes/write"),)
    )
    custom = fixes(model, need)[1]
    assert custom.commands is not None
    parsed = hcl2.loads(custom.commands.terraform)
    kinds = [next(iter(block)).strip('"') for block in parsed["resource"]]
    assert kinds == ["azurerm_role_definition", "azurerm_role_assignment"]


def test_a_custom_role_is_the_fix_when_no_built_in_role_grants_the_need(model: Model) -> None:
    read = Operation.data_action(
        "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read"
    )
    (only,) = fixes(model, requirement(model, COSMOS, (read,)))
    assert only.alternative_to is None and only.verified, only.verification
    assert only.summary.startswith("No built-in role known to this tool grants")
    permissions = only.value["properties"]["permissions"]
    assert permissions == [
        {"actions": [], "notActions": [], "dataActions": [read.name], "notDataActions": []}
    ]


def test_custom_role_bicep_is_balanced(model: Model) -> None:
    write = Operation.action("Microsoft.Search/searchServices/indexes/write")
    custom = fixes(model, requirement(model, SEARCH, (write,)))[1]
    assert custom.commands is not None
    body = "\n".join(
        line for line in custom.commands.bicep.splitlines() if not line.startswith("//")
    )
    for opening, closing in ("{}", "[]", "()"):
        assert body.count(opening) == body.count(closing)
    symbols = [line.split()[1] for line in body.splitlines() if line.startswith("resource ")]
    assert len(symbols) == len(set(symbols)) == 3  # the target, the role, the assignment


def test_no_custom_role_when_a_built_in_role_adds_no_secret(model: Model) -> None:
    read = Operation.data_action("Microsoft.Search/searchServices/indexes/documents/read")
    found = fixes(model, requirement(model, SEARCH, (read,)))
    assert [f.role_definition_id for f in found] == [arm.SEARCH_INDEX_DATA_READER]
    assert "grants nothing here beyond the need" in found[0].summary


def test_a_provider_without_a_catalog_is_ranked_by_pattern(model: Model, planner: Planner) -> None:
    need = requirement(
        model, COSMOS, (Operation.action("Microsoft.DocumentDB/databaseAccounts/read"),)
    )
    first = fixes(model, need)[0]
    assert first.role_definition_id == arm.READER, first.summary
    assert "ranked by pattern, no operation catalog for microsoft.documentdb (*/read)" in (
        first.summary
    )
    contributor = planner.risk(role(model, arm.CONTRIBUTOR), COSMOS)
    assert dict(contributor.patterns) == {"microsoft.documentdb": Verbs.ALL}
    assert planner.rank([role(model, arm.CONTRIBUTOR), role(model, arm.READER)], COSMOS)[0] == (
        role(model, arm.READER)
    )


def test_labels_never_claim_fewest_permissions(model: Model) -> None:
    needs = [
        (SEARCH, Operation.action("Microsoft.Search/searchServices/read")),
        (
            STORAGE,
            Operation.data_action(
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
            ),
        ),
        (ACCOUNT, Operation.action("Microsoft.CognitiveServices/accounts/read")),
    ]
    for scope, op in needs:
        for fix in fixes(model, requirement(model, scope, (op,))):
            assert "fewest permissions" not in fix.summary
            assert "At this scope it reaches" in fix.summary or fix.alternative_to
