"""Fixes rendered as Azure CLI, PowerShell, Bicep and Terraform.

Golden tests pin the exact forms; property tests feed hostile names into every field that
reaches a command and check that (a) the bash passes `bash -n` and, run with `az` replaced by a
function that prints its arguments, gives back exactly the intended arguments with no side
effect; (b) the Terraform parses with python-hcl2 and its strings unescape to the originals;
(c) the PowerShell and Bicep literals un-quote, by the reference rules in test_quoting, to the
originals, and no value escapes its literal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import hcl2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnose.engine.api import Remediation
from diagnose.remediation.commands import commands_for
from diagnose.remediation.quoting import identifier
from diagnose.remediation.roles import activation_request_name
from diagnose.remediation.targets import RESOURCE_TYPES, target_of
from tests.test_quoting import (
    HOSTILE,
    PS_QUOTES,
    bicep_string,
    hcl_unquote,
    ps_single,
    ps_unquote,
)

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-ai"
SEARCH = f"{RG}/providers/Microsoft.Search/searchServices/srch-ai"
AOAI = f"{RG}/providers/Microsoft.CognitiveServices/accounts/aoai"
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/stai"
HUB = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub"
PROJECT = f"{RG}/providers/Microsoft.CognitiveServices/accounts/found/projects/p1"
MG = "/providers/Microsoft.Management/managementGroups/mg-corp"
PRINCIPAL = "9f2c1a7e-1111-4222-8333-444455556666"
ROLE = "1407120a-92aa-4202-b7e9-c0e197c71c8f"
SUMMARY = "Grant Search Index Data Reader to the AOAI identity"
ROLE_ID = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ROLE}"
TEMPLATE = "--template-file main.bicep"

MARK_DIR = str(Path(tempfile.gettempdir()) / f"diagnose-pwned-{os.getpid()}-{uuid.uuid4().hex}")
"""Hostile strings try to create files here (and in the working directory, which is here).
Created by the fixture below only while this module's tests run."""


@pytest.fixture(scope="module", autouse=True)
def _mark_dir():
    Path(MARK_DIR).mkdir()
    yield
    shutil.rmtree(MARK_DIR, ignore_errors=True)


def role(
    scope: str, principal_type: str | None = "ServicePrincipal", **changes: Any
) -> Remediation:
    fields = {
        "kind": "roleAssignment",
        "summary": SUMMARY,
        "principal_id": PRINCIPAL,
        "principal_type": principal_type,
        "role_definition_id": ROLE,
        "role_name": "Search Index Data Reader",
        "scope": scope,
    }
    fields.update(changes)
    return Remediation(**fields)


def config(resource: str, setting: str, value: Any, summary: str = "Fix it") -> Remediation:
    return Remediation(
        kind="configuration", summary=summary, resource=resource, setting=setting, value=value
    )


def command_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith(("#", "//"))]


# --------------------------------------------------------------------------------------------
# Golden: roleAssignment at each scope level


def test_role_assignment_on_a_resource_golden():
    commands = commands_for(role(SEARCH))
    target = identifier("target", "srch-ai", SEARCH)
    symbol = identifier("ra", "Search Index Data Reader", PRINCIPAL, ROLE, SEARCH)
    assert target == "target_srch_ai_e4e8197131"
    assert symbol == "ra_search_index_data_reader_f2db00038c"
    assert commands.azure_cli == (
        f"# {SUMMARY}\n"
        f"az role assignment create --assignee-object-id '{PRINCIPAL}' "
        f"--assignee-principal-type 'ServicePrincipal' --role '{ROLE}' --scope '{SEARCH}'\n"
    )
    assert commands.powershell == (
        f"# {SUMMARY}\n"
        f"New-AzRoleAssignment -ObjectId '{PRINCIPAL}' -RoleDefinitionId '{ROLE}' "
        f"-Scope '{SEARCH}' -ObjectType 'ServicePrincipal'\n"
    )
    assert (
        commands.bicep
        == f"""// {SUMMARY}
// Save as main.bicep and deploy:
// az deployment group create --subscription '{SUB}' --resource-group 'rg-ai' {TEMPLATE}

resource {target} 'Microsoft.Search/searchServices@2025-05-01' existing = {{
  name: 'srch-ai'
}}

resource {symbol} 'Microsoft.Authorization/roleAssignments@2022-04-01' = {{
  name: guid({target}.id, '{PRINCIPAL}', '{ROLE}')
  scope: {target}
  properties: {{
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{ROLE}')
    principalId: '{PRINCIPAL}'
    principalType: 'ServicePrincipal'
  }}
}}
"""
    )
    assert (
        commands.terraform
        == f"""# {SUMMARY}
resource "azurerm_role_assignment" "{symbol}" {{
  scope              = "{SEARCH}"
  role_definition_id = "{ROLE_ID}"
  principal_id       = "{PRINCIPAL}"
  principal_type     = "ServicePrincipal"
}}
"""
    )


def test_role_assignment_on_a_child_resource_declares_the_nested_type():
    commands = commands_for(role(PROJECT, "User"))
    target = identifier("target", "p1", PROJECT)
    assert (
        f"resource {target} 'Microsoft.CognitiveServices/accounts/projects@2025-09-01' "
        "existing = {\n  name: 'found/p1'\n}"
    ) in commands.bicep
    assert f"  scope: {target}\n" in commands.bicep
    assert f"--scope '{PROJECT}'" in commands.azure_cli
    assert "--assignee-principal-type 'User'" in commands.azure_cli
    assert f'scope              = "{PROJECT}"' in commands.terraform


def test_role_assignment_on_a_resource_group():
    commands = commands_for(role(RG))
    assert command_lines(commands.azure_cli) == [
        f"az role assignment create --assignee-object-id '{PRINCIPAL}' "
        f"--assignee-principal-type 'ServicePrincipal' --role '{ROLE}' --scope '{RG}'"
    ]
    assert "targetScope" not in commands.bicep
    assert "existing" not in commands.bicep
    assert "scope:" not in commands.bicep
    assert f"name: guid(resourceGroup().id, '{PRINCIPAL}', '{ROLE}')" in commands.bicep
    assert (
        f"// az deployment group create --subscription '{SUB}' --resource-group 'rg-ai' "
        "--template-file main.bicep"
    ) in commands.bicep
    assert (
        f'role_definition_id = "/subscriptions/{SUB}/providers/Microsoft.Authorization/'
        f'roleDefinitions/{ROLE}"'
    ) in commands.terraform


def test_role_assignment_on_a_subscription():
    commands = commands_for(role(f"/subscriptions/{SUB}"))
    assert commands.bicep.count("targetScope = 'subscription'") == 1
    assert f"name: guid(subscription().id, '{PRINCIPAL}', '{ROLE}')" in commands.bicep
    assert (
        f"roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions',"
        f" '{ROLE}')"
    ) in commands.bicep
    assert (
        f"// az deployment sub create --subscription '{SUB}' --location eastus "
        "--template-file main.bicep"
    ) in commands.bicep
    assert f"--scope '/subscriptions/{SUB}'" in commands.azure_cli


def test_role_assignment_on_a_management_group():
    commands = commands_for(role(MG))
    assert "targetScope = 'managementGroup'" in commands.bicep
    assert f"name: guid(managementGroup().id, '{PRINCIPAL}', '{ROLE}')" in commands.bicep
    assert (
        f"roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', '{ROLE}')"
    ) in commands.bicep
    assert (
        "// az deployment mg create --management-group-id 'mg-corp' --location eastus "
        "--template-file main.bicep"
    ) in commands.bicep
    assert (
        f'role_definition_id = "/providers/Microsoft.Authorization/roleDefinitions/{ROLE}"'
        in commands.terraform
    )
    assert f"-Scope '{MG}'" in commands.powershell


def test_role_assignment_on_an_unknown_resource_type_guesses_no_api_version():
    scope = f"{RG}/providers/Microsoft.Web/sites/app"
    commands = commands_for(role(scope))
    assert "Microsoft.Web/sites@<api-version>" in commands.bicep
    # Every line of the Bicep is a comment: nothing deployable pretends to know the type.
    assert command_lines(commands.bicep) == []
    assert "//   scope: target" in commands.bicep
    assert f"--scope '{scope}'" in commands.azure_cli


def test_role_assignment_without_principal_type_leaves_it_out():
    commands = commands_for(role(SEARCH, None))
    assert "--assignee-principal-type" not in commands.azure_cli
    assert "-ObjectType" not in commands.powershell
    assert "principalType" not in commands.bicep
    assert "principal_type" not in commands.terraform


def test_role_assignment_accepts_a_full_role_definition_id():
    full = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ROLE}"
    assert commands_for(role(SEARCH, role_definition_id=full)) == commands_for(role(SEARCH))


def test_a_value_starting_with_a_dash_cannot_become_an_option():
    commands = commands_for(role(RG, principal_id="-h"))
    assert "--assignee-object-id='-h'" in commands.azure_cli
    assert "-ObjectId '-h'" in commands.powershell


@pytest.mark.parametrize("kind", ["roleAssignment", "activateEligible", "removeAssignment"])
@pytest.mark.parametrize("missing", ["principal_id", "role_definition_id", "scope"])
def test_role_kinds_need_their_fields(kind, missing):
    with pytest.raises(ValueError, match=missing):
        commands_for(dataclasses.replace(role(SEARCH, kind=kind), **{missing: None}))


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown remediation kind"):
        commands_for(Remediation(kind="reboot", summary="x"))


def test_output_is_deterministic():
    remediation = role(SEARCH)
    assert commands_for(remediation) == commands_for(remediation)


# --------------------------------------------------------------------------------------------
# Golden: activateEligible


def test_activation_request_name_is_a_stable_uuid5():
    name = activation_request_name(PRINCIPAL, ROLE, SEARCH)
    assert uuid.UUID(name).version == 5
    assert name == activation_request_name(PRINCIPAL.upper(), ROLE, SEARCH.lower())
    assert name != activation_request_name(PRINCIPAL, ROLE, RG)


def test_activate_eligible_golden():
    remediation = role(SEARCH, kind="activateEligible", summary="Activate it")
    commands = commands_for(remediation)
    request = activation_request_name(PRINCIPAL, ROLE, SEARCH)
    role_id = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ROLE}"
    body = (
        '{"properties":{"principalId":"'
        + PRINCIPAL
        + '","roleDefinitionId":"'
        + role_id
        + '","requestType":"SelfActivate","justification":"Activated to resolve an access '
        'failure found by ai-hub-diagnose","scheduleInfo":{"expiration":{"type":'
        '"AfterDuration","duration":"PT8H"}}}}'
    )
    assert commands.azure_cli == (
        "# Activate it\n"
        "# PIM self-activation for 8 hours: run it signed in as the eligible user.\n"
        "# If Azure answers that the request already exists, use a new GUID as its name.\n"
        f"az rest --method put --url 'https://management.azure.com{SEARCH}/providers/"
        f"Microsoft.Authorization/roleAssignmentScheduleRequests/{request}"
        f"?api-version=2020-10-01' --body '{body}'\n"
    )
    assert command_lines(commands.powershell) == [
        f"New-AzRoleAssignmentScheduleRequest -Name '{request}' -Scope '{SEARCH}' "
        f"-PrincipalId '{PRINCIPAL}' -RoleDefinitionId '{role_id}' -RequestType SelfActivate "
        "-Justification 'Activated to resolve an access failure found by ai-hub-diagnose' "
        "-ExpirationType AfterDuration -ExpirationDuration PT8H"
    ]
    target = identifier("target", "srch-ai", SEARCH)
    assert "resource activate_search_index_data_reader_" in commands.bicep
    assert (
        "'Microsoft.Authorization/roleAssignmentScheduleRequests@2020-10-01' = {" in commands.bicep
    )
    assert f"  name: '{request}'\n  scope: {target}\n" in commands.bicep
    assert "    requestType: 'SelfActivate'\n" in commands.bicep
    assert "        type: 'AfterDuration'\n        duration: 'PT8H'\n" in commands.bicep
    assert 'resource "azurerm_pim_active_role_assignment" "activate_' in commands.terraform
    assert f'  role_definition_id = "{role_id}"' in commands.terraform
    assert "      duration_hours = 8\n" in commands.terraform
    assert "AdminAssign" in commands.terraform


@pytest.mark.parametrize(
    ("scope", "target_scope", "role_expression", "role_id"),
    [
        (PROJECT, None, "subscriptionResourceId", ROLE_ID),
        (RG, None, "subscriptionResourceId", ROLE_ID),
        (f"/subscriptions/{SUB}", "subscription", "subscriptionResourceId", ROLE_ID),
        (
            MG,
            "managementGroup",
            "tenantResourceId",
            f"/providers/Microsoft.Authorization/roleDefinitions/{ROLE}",
        ),
    ],
)
def test_activate_at_every_level(scope, target_scope, role_expression, role_id):
    commands = commands_for(role(scope, kind="activateEligible"))
    request = activation_request_name(PRINCIPAL, ROLE, scope)
    assert (
        f"--url 'https://management.azure.com{scope}/providers/Microsoft.Authorization/"
        f"roleAssignmentScheduleRequests/{request}?api-version=2020-10-01'" in commands.azure_cli
    )
    assert f'"roleDefinitionId":"{role_id}"' in commands.azure_cli
    assert f"-RoleDefinitionId '{role_id}'" in commands.powershell
    assert (f"targetScope = '{target_scope}'" in commands.bicep) == (target_scope is not None)
    assert f"    roleDefinitionId: {role_expression}(" in commands.bicep
    assert f'  role_definition_id = "{role_id}"' in commands.terraform


def test_activate_at_resource_group_needs_no_scope_property():
    commands = commands_for(role(RG, kind="activateEligible"))
    assert "scope:" not in commands.bicep
    assert "targetScope" not in commands.bicep


# --------------------------------------------------------------------------------------------
# Golden: removeAssignment


ASSIGNMENT = f"{SEARCH}/providers/Microsoft.Authorization/roleAssignments/a1b2"


def test_remove_assignment_by_id():
    commands = commands_for(
        role(
            SEARCH,
            kind="removeAssignment",
            resource=ASSIGNMENT,
            summary="Remove the orphaned assignment.",
        )
    )
    assert commands.azure_cli == (
        f"# Remove the orphaned assignment.\naz role assignment delete --ids '{ASSIGNMENT}'\n"
    )
    assert command_lines(commands.powershell) == [
        f"Remove-AzRoleAssignment -ObjectId '{PRINCIPAL}' -RoleDefinitionId '{ROLE}' "
        f"-Scope '{SEARCH}'"
    ]
    assert command_lines(commands.bicep) == []
    assert command_lines(commands.terraform) == []
    assert f"the assignment {ASSIGNMENT}" in commands.terraform


def test_remove_assignment_without_its_id():
    commands = commands_for(role(SEARCH, kind="removeAssignment"))
    assert command_lines(commands.azure_cli) == [
        f"az role assignment delete --assignee '{PRINCIPAL}' --role '{ROLE}' --scope '{SEARCH}'"
    ]


# --------------------------------------------------------------------------------------------
# Golden: configuration


NAME_GROUP = f"--name 'srch-ai' --resource-group 'rg-ai' --subscription '{SUB}'"


def test_search_auth_options():
    value = {"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}}
    commands = commands_for(config(SEARCH, "properties.authOptions", value))
    assert command_lines(commands.azure_cli) == [
        f"az search service update {NAME_GROUP} --auth-options aadOrApiKey "
        "--aad-auth-failure-mode http401WithBearerChallenge"
    ]
    assert command_lines(commands.powershell) == [
        f"Set-AzSearchService -ResourceId '{SEARCH}' -AuthOption AadOrApiKey "
        "-AadAuthFailureMode Http401WithBearerChallenge"
    ]
    assert (
        "  properties: {\n    authOptions: {\n      aadOrApiKey: {\n"
        "        aadAuthFailureMode: 'http401WithBearerChallenge'\n"
    ) in commands.bicep
    assert "'Microsoft.Search/searchServices@2025-05-01' = {\n  name: 'srch-ai'\n" in commands.bicep
    assert 'resource "azurerm_search_service"' in commands.terraform
    assert "  local_authentication_enabled = true\n" in commands.terraform
    assert '  authentication_failure_mode  = "http401WithBearerChallenge"\n' in commands.terraform


def test_search_auth_options_http403():
    value = {"aadOrApiKey": {"aadAuthFailureMode": "http403"}}
    commands = commands_for(config(SEARCH, "properties.authOptions", value))
    assert "--aad-auth-failure-mode http403" in commands.azure_cli
    assert "-AadAuthFailureMode Http403" in commands.powershell


@pytest.mark.parametrize(
    ("resource", "cli", "ps"),
    [
        (
            AOAI,
            [
                f"az cognitiveservices account identity assign --name 'aoai' --resource-group "
                f"'rg-ai' --subscription '{SUB}'"
            ],
            [
                f"Set-AzContext -Subscription '{SUB}' | Out-Null",
                "Set-AzCognitiveServicesAccount -ResourceGroupName 'rg-ai' -Name 'aoai' "
                "-IdentityType SystemAssigned",
            ],
        ),
        (
            SEARCH,
            [f"az search service update {NAME_GROUP} --identity-type SystemAssigned"],
            [f"Set-AzSearchService -ResourceId '{SEARCH}' -IdentityType SystemAssigned"],
        ),
        (
            HUB,
            [
                f"az rest --method patch --url 'https://management.azure.com{HUB}"
                '?api-version=2024-10-01\' --body \'{"identity":{"type":"SystemAssigned"}}\''
            ],
            [
                f"Invoke-AzRestMethod -Method PATCH -Path '{HUB}?api-version=2024-10-01' "
                '-Payload \'{"identity":{"type":"SystemAssigned"}}\''
            ],
        ),
    ],
)
def test_system_assigned_identity(resource, cli, ps):
    commands = commands_for(config(resource, "identity.type", "SystemAssigned"))
    assert command_lines(commands.azure_cli) == cli
    assert command_lines(commands.powershell) == ps
    assert "  identity: {\n    type: 'SystemAssigned'\n  }\n" in commands.bicep
    assert '  identity {\n    type = "SystemAssigned"\n  }\n' in commands.terraform


def test_disable_local_auth_false():
    cognitive = commands_for(config(AOAI, "properties.disableLocalAuth", False))
    assert command_lines(cognitive.azure_cli) == [
        f"az resource update --ids '{AOAI}' --set 'properties.disableLocalAuth=false'"
    ]
    assert command_lines(cognitive.powershell)[1] == (
        "Set-AzCognitiveServicesAccount -ResourceGroupName 'rg-ai' -Name 'aoai' "
        "-DisableLocalAuth $false"
    )
    assert "  local_auth_enabled  = true\n" in cognitive.terraform
    assert "    disableLocalAuth: false\n" in cognitive.bicep
    search = commands_for(config(SEARCH, "properties.disableLocalAuth", False))
    assert command_lines(search.azure_cli) == [
        f"az search service update {NAME_GROUP} --disable-local-auth false"
    ]
    assert command_lines(search.powershell) == [
        f"Set-AzSearchService -ResourceId '{SEARCH}' -DisableLocalAuth $false"
    ]
    assert "  local_authentication_enabled = true\n" in search.terraform


def test_allow_shared_key_access():
    commands = commands_for(config(STORAGE, "properties.allowSharedKeyAccess", True))
    assert command_lines(commands.azure_cli) == [
        f"az storage account update --name 'stai' --resource-group 'rg-ai' --subscription "
        f"'{SUB}' --allow-shared-key-access true"
    ]
    assert command_lines(commands.powershell) == [
        f"Set-AzContext -Subscription '{SUB}' | Out-Null",
        "Set-AzStorageAccount -ResourceGroupName 'rg-ai' -Name 'stai' -AllowSharedKeyAccess $true",
    ]
    assert "  shared_access_key_enabled = true\n" in commands.terraform
    assert "    allowSharedKeyAccess: true\n" in commands.bicep


@pytest.mark.parametrize(
    ("resource", "api"),
    [
        (f"{HUB}/connections/aoai", "2024-10-01"),
        (
            f"{RG}/providers/Microsoft.CognitiveServices/accounts/found/connections/aoai",
            "2025-09-01",
        ),
        (f"{PROJECT}/connections/aoai", "2025-09-01"),
    ],
)
def test_connection_to_entra_id(resource, api):
    value = {"authType": "AAD", "category": "AzureOpenAI"}
    commands = commands_for(config(resource, "properties", value))
    body = '{"properties":{"authType":"AAD","category":"AzureOpenAI"}}'
    assert command_lines(commands.azure_cli) == [
        f"az rest --method patch --url 'https://management.azure.com{resource}"
        f"?api-version={api}' --body '{body}'"
    ]
    assert command_lines(commands.powershell) == [
        f"Invoke-AzRestMethod -Method PATCH -Path '{resource}?api-version={api}' -Payload '{body}'"
    ]
    assert 'resource "azapi_update_resource"' in commands.terraform
    assert f'  resource_id = "{resource}"\n' in commands.terraform
    assert '      authType = "AAD"\n      category = "AzureOpenAI"\n' in commands.terraform
    assert "    authType: 'AAD'\n    category: 'AzureOpenAI'\n" in commands.bicep


def test_connection_auth_type_alone():
    resource = f"{HUB}/connections/aoai"
    commands = commands_for(config(resource, "properties.authType", "AAD"))
    assert '--body \'{"properties":{"authType":"AAD"}}\'' in commands.azure_cli


@pytest.mark.parametrize(
    ("resource", "setting", "cli", "ps"),
    [
        (
            AOAI,
            "properties.networkAcls.bypass",
            [
                f"az resource update --ids '{AOAI}' --set "
                "'properties.networkAcls.bypass=\"AzureServices\"'"
            ],
            [
                f"$resource = Get-AzResource -ResourceId '{AOAI}' -ExpandProperties",
                "$resource.'properties'.'networkAcls'.'bypass' = ConvertFrom-Json "
                "'\"AzureServices\"'",
                "$resource | Set-AzResource -Force",
            ],
        ),
        (
            STORAGE,
            "properties.networkAcls.bypass",
            [
                "az storage account update --name 'stai' --resource-group 'rg-ai' --subscription "
                f"'{SUB}' "
                "--bypass AzureServices"
            ],
            [
                f"Set-AzContext -Subscription '{SUB}' | Out-Null",
                "Update-AzStorageAccountNetworkRuleSet -ResourceGroupName 'rg-ai' -Name 'stai' "
                "-Bypass AzureServices",
            ],
        ),
        (
            SEARCH,
            "properties.networkRuleSet.bypass",
            [
                f"az resource update --ids '{SEARCH}' "
                "--set 'properties.networkRuleSet.bypass=\"AzureServices\"'"
            ],
            [f"Set-AzSearchService -ResourceId '{SEARCH}' -Bypass AzureServices"],
        ),
    ],
)
def test_trusted_services_bypass(resource, setting, cli, ps):
    commands = commands_for(config(resource, setting, "AzureServices"))
    assert command_lines(commands.azure_cli) == cli
    assert command_lines(commands.powershell) == ps
    assert "bypass: 'AzureServices'" in commands.bicep
    assert "AzureServices" in commands.terraform


def test_storage_bypass_terraform_is_a_list():
    commands = commands_for(config(STORAGE, "properties.networkAcls.bypass", "AzureServices"))
    assert '  network_rules {\n    bypass = ["AzureServices"]\n' in commands.terraform
    assert "whole bypass list" in commands.azure_cli


def test_storage_bypass_keeps_logging_and_metrics():
    value = "AzureServices, Logging, Metrics"
    commands = commands_for(config(STORAGE, "properties.networkAcls.bypass", value))
    assert command_lines(commands.azure_cli) == [
        f"az storage account update --name 'stai' --resource-group 'rg-ai' --subscription "
        f"'{SUB}' --bypass AzureServices Logging Metrics"
    ]
    assert command_lines(commands.powershell)[1] == (
        "Update-AzStorageAccountNetworkRuleSet -ResourceGroupName 'rg-ai' -Name 'stai' "
        "-Bypass AzureServices,Logging,Metrics"
    )
    assert 'bypass = ["AzureServices", "Logging", "Metrics"]' in commands.terraform
    assert "bypass: 'AzureServices, Logging, Metrics'" in commands.bicep
    odd = commands_for(config(STORAGE, "properties.networkAcls.bypass", "AzureServices, Foo"))
    assert "az resource update" in odd.azure_cli


def test_combined_identity_takes_the_generic_form():
    commands = commands_for(config(AOAI, "identity.type", "SystemAssigned, UserAssigned"))
    assert command_lines(commands.azure_cli) == [
        f"az resource update --ids '{AOAI}' --set 'identity.type=\"SystemAssigned, UserAssigned\"'"
    ]


def test_custom_subdomain_warns_it_is_permanent():
    commands = commands_for(config(AOAI, "properties.customSubDomainName", "aoai-sub"))
    assert command_lines(commands.azure_cli) == [
        f"az cognitiveservices account update --name 'aoai' --resource-group 'rg-ai' "
        f"--subscription '{SUB}' --custom-domain 'aoai-sub'"
    ]
    assert command_lines(commands.powershell)[1] == (
        "Set-AzCognitiveServicesAccount -ResourceGroupName 'rg-ai' -Name 'aoai' "
        "-CustomSubdomainName 'aoai-sub'"
    )
    for text in (commands.azure_cli, commands.powershell, commands.bicep):
        assert "cannot be changed or removed" in text
    assert '  custom_subdomain_name = "aoai-sub"\n' in commands.terraform
    assert "replace the account" in commands.terraform


def test_deny_assignment_is_only_inspected():
    deny = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/denyAssignments/abc"
    commands = commands_for(
        config(deny, "denyAssignment", None, summary="Managed by the Databricks workspace 'dbw'")
    )
    assert command_lines(commands.azure_cli) == [
        f"az rest --method get --url 'https://management.azure.com{deny}?api-version=2022-04-01'"
    ]
    assert command_lines(commands.powershell) == [f"Get-AzDenyAssignment -Id '{deny}'"]
    assert command_lines(commands.bicep) == []
    assert command_lines(commands.terraform) == []
    for text in commands.values():
        assert (
            "# Managed by the Databricks workspace 'dbw'" in text
            or "// Managed by the Databricks workspace 'dbw'" in text
        )


def test_generic_fallback_with_a_known_type():
    vault = f"{RG}/providers/Microsoft.KeyVault/vaults/kv"
    commands = commands_for(config(vault, "properties.enableRbacAuthorization", True))
    assert command_lines(commands.azure_cli) == [
        f"az resource update --ids '{vault}' --set 'properties.enableRbacAuthorization=true'"
    ]
    assert command_lines(commands.powershell) == [
        f"$resource = Get-AzResource -ResourceId '{vault}' -ExpandProperties",
        "$resource.'properties'.'enableRbacAuthorization' = ConvertFrom-Json 'true'",
        "$resource | Set-AzResource -Force",
    ]
    assert command_lines(commands.bicep) == []
    assert "//   properties: {\n//     enableRbacAuthorization: true\n" in commands.bicep
    assert '  type        = "Microsoft.KeyVault/vaults@2023-07-01"\n' in commands.terraform


def test_generic_fallback_with_an_unknown_type_is_commented():
    site = f"{RG}/providers/Microsoft.Web/sites/app"
    commands = commands_for(config(site, "properties.httpsOnly", True))
    assert command_lines(commands.terraform) == []
    assert command_lines(commands.bicep) == []
    assert "Microsoft.Web/sites@<api-version>" in commands.terraform


def test_a_setting_on_the_wrong_type_falls_back_to_generic():
    commands = commands_for(config(STORAGE, "properties.disableLocalAuth", False))
    assert command_lines(commands.azure_cli) == [
        f"az resource update --ids '{STORAGE}' --set 'properties.disableLocalAuth=false'"
    ]
    commands = commands_for(config(SEARCH, "properties.authOptions", {"apiKeyOnly": {}}))
    assert "az resource update" in commands.azure_cli


def test_configuration_needs_resource_and_setting():
    with pytest.raises(ValueError, match="resource"):
        commands_for(config("", "identity.type", "SystemAssigned"))


def test_parse_arm_id_keeps_case():
    parsed = target_of(
        f"/subscriptions/{SUB}/resourcegroups/RG-AI/providers/"
        "microsoft.cognitiveservices/accounts/A/projects/P"
    )
    assert (parsed.level, parsed.resource_group, parsed.name) == ("resource", "RG-AI", "A/P")
    assert parsed.known == RESOURCE_TYPES["microsoft.cognitiveservices/accounts/projects"]
    assert target_of(MG).management_group == "mg-corp"
    assert target_of("not-an-id").level == "other"
    assert target_of(f"{SEARCH}/providers/Microsoft.Insights/diagnosticSettings/x").level == "other"


# --------------------------------------------------------------------------------------------
# Checkers: bash, PowerShell, Bicep, Terraform


_END = "<<end-of-az-call>>"
PRELUDE = "az() { printf '%s\\0' \"$@\"; printf '%s\\0' '" + _END + "'; }\n"


def run_cli(text: str) -> list[list[str]]:
    """Check the script with `bash -n`, run it with `az` printing its arguments, and return the
    argument lists of the calls; fail if anything appeared in the marker directory."""
    syntax = subprocess.run(["bash", "-n"], input=text.encode(), capture_output=True, timeout=20)
    assert syntax.returncode == 0, syntax.stderr.decode()
    result = subprocess.run(
        ["bash", "-c", PRELUDE + text],
        capture_output=True,
        cwd=MARK_DIR,
        stdin=subprocess.DEVNULL,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert list(Path(MARK_DIR).iterdir()) == [], "a hostile name ran a command"
    calls, current = [], []
    for word in result.stdout.decode("utf-8").split("\0")[:-1]:
        if word == _END:
            calls.append(current)
            current = []
        else:
            current.append(word)
    assert current == []
    return calls


def flag(name: str, value: str) -> list[str]:
    return [f"{name}={value}"] if value.startswith("-") else [name, value]


@dataclass(frozen=True)
class UrlOf:
    """Equal to a management URL whose percent-decoded path is `path`."""

    path: str
    api_version: str
    prefix: str = "https://management.azure.com"

    def matches(self, other: object) -> bool:
        if not isinstance(other, str) or not other.startswith(self.prefix):
            return False
        rest = other[len(self.prefix) :]
        if rest.count("?") != 1 or "#" in rest or not rest.isascii() or " " in rest:
            return False
        path, query = rest.split("?")
        return unquote(path) == self.path and query == f"api-version={self.api_version}"

    def __eq__(self, other: object) -> bool:
        return self.matches(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class JsonOf:
    """Equal to a JSON text that parses to `value` (optionally after a `prefix`)."""

    value: Any
    prefix: str = ""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str) or not other.startswith(self.prefix):
            return False
        return json.loads(other[len(self.prefix) :]) == self.value

    __hash__ = None  # type: ignore[assignment]


def ps_words(line: str) -> list[str]:
    """Split a PowerShell command line into words: quoted literals and parenthesised
    expressions stay inside their word; only a space outside them separates words."""
    words, current, index = [], [], 0
    while index < len(line):
        ch = line[index]
        if ch in PS_QUOTES:
            _, end = ps_single(line, index)
            current.append(line[index:end])
            index = end
        elif ch == "(":
            depth, end = 0, index
            while True:
                if line[end] in PS_QUOTES:
                    _, end = ps_single(line, end)
                    continue
                depth += {"(": 1, ")": -1}.get(line[end], 0)
                end += 1
                if depth == 0:
                    break
            current.append(line[index:end])
            index = end
        elif ch == " ":
            if current:
                words.append("".join(current))
                current = []
            index += 1
        else:
            current.append(ch)
            index += 1
    if current:
        words.append("".join(current))
    return words


def ps_value(word: str) -> str:
    return ps_unquote(word) if word[:1] in PS_QUOTES or word.startswith("(") else word


def ps_calls(text: str) -> list[tuple[str, dict[str, str]]]:
    """Each cmdlet call in the PowerShell text: its name and its parameters' values."""
    calls = []
    for line in command_lines(text):
        words = ps_words(line)
        if words[:2] == ["$resource", "="]:
            words = words[2:]
        elif words[0].startswith("$resource."):
            calls.append(
                (
                    "assign",
                    {"path": "\x1f".join(ps_member_path(words[0])), "value": ps_value(words[-1])},
                )
            )
            assert words[1:3] == ["=", "ConvertFrom-Json"] and len(words) == 4
            continue
        if "|" in words:
            head, tail = words[: words.index("|")], words[words.index("|") + 1 :]
            words = tail if head == ["$resource"] else head
        params, index = {}, 1
        while index < len(words):
            name = words[index]
            assert re.fullmatch(r"-[A-Za-z]+", name), f"not a parameter: {name!r}"
            if name == "-ExpandProperties" or name == "-Force":
                params[name] = ""
                index += 1
                continue
            params[name] = ps_value(words[index + 1])
            index += 2
        calls.append((words[0], params))
    return calls


def ps_member_path(word: str) -> list[str]:
    rest, segments = word[len("$resource") :], []
    while rest:
        assert rest[0] == "."
        literal = ps_words(rest[1:])[0] if rest[1] == "(" else None
        if literal is None:
            _, end = ps_single(rest, 1)
            literal = rest[1:end]
        segments.append(ps_unquote(literal))
        rest = rest[1 + len(literal) :]
    return segments


def bicep_tokens(text: str) -> list[tuple[str, str]]:
    """A Bicep lexer for what the renderer writes: comments, strings, identifiers, numbers and
    punctuation. Strings go through the reference un-quoter; a comment ends at a line break."""
    tokens, index = [], 0
    while index < len(text):
        ch = text[index]
        if text.startswith("//", index):
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            body = text[index:end]
            assert "\r" not in body and len(body.splitlines()) == 1
            tokens.append(("comment", body))
            index = end
        elif ch == "'":
            value, index = bicep_string(text, index)
            tokens.append(("string", value))
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, index)
            tokens.append(("ident", match.group()))
            index = match.end()
        elif ch.isdigit():
            match = re.compile(r"[0-9]+").match(text, index)
            tokens.append(("number", match.group()))
            index = match.end()
        elif ch == "\n":
            tokens.append(("newline", ch))
            index += 1
        elif ch == " ":
            index += 1
        elif ch in "{}()[]:,.=@":
            tokens.append(("punct", ch))
            index += 1
        else:
            raise AssertionError(f"unexpected {ch!r} at {index} in Bicep:\n{text}")
    code = [value for kind, value in tokens if kind == "punct"]
    assert code.count("{") == code.count("}") and code.count("(") == code.count(")")
    return tokens


def bicep_property(tokens: list[tuple[str, str]], name: str) -> list[str]:
    """The string values written as `name: '<value>'`."""
    found = []
    for index in range(len(tokens) - 2):
        if (
            tokens[index] == ("ident", name)
            and tokens[index + 1] == ("punct", ":")
            and tokens[index + 2][0] == "string"
        ):
            found.append(tokens[index + 2][1])
    return found


def bicep_call_strings(tokens: list[tuple[str, str]], function: str) -> list[list[str]]:
    calls = []
    for index, token in enumerate(tokens):
        if token == ("ident", function) and tokens[index + 1] == ("punct", "("):
            depth, end = 0, index + 1
            while True:
                depth += {("punct", "("): 1, ("punct", ")"): -1}.get(tokens[end], 0)
                if depth == 0:
                    break
                end += 1
            calls.append([value for kind, value in tokens[index:end] if kind == "string"])
    return calls


def terraform_block(text: str) -> tuple[str, dict[str, Any]]:
    """The one resource block in the Terraform text: its type and attributes (strings
    unescaped by the reference rules)."""
    parsed = hcl2.loads(text)
    resources = parsed.get("resource", [])
    assert len(resources) == 1
    ((resource_type, labelled),) = resources[0].items()
    ((label, attributes),) = labelled.items()
    assert re.fullmatch(r'"[A-Za-z][A-Za-z0-9_]*"', label)
    return resource_type.strip('"'), attributes


def hcl_string(attributes: dict[str, Any], name: str) -> str:
    return hcl_unquote(attributes[name])


# --------------------------------------------------------------------------------------------
# Hostile inputs

MARKER_FRAGMENTS = [
    f"$(touch {MARK_DIR}/pwned)",
    f"`touch {MARK_DIR}/pwned`",
    f"';touch {MARK_DIR}/pwned;'",
    f'";touch {MARK_DIR}/pwned;"',
    f"\ntouch {MARK_DIR}/pwned\n",
    f"&& touch {MARK_DIR}/pwned",
    f"| touch {MARK_DIR}/pwned",
    "$(touch pwned)",
    "`touch pwned`",
    "';touch pwned #",
    "\r\ntouch pwned\r\n",
    "$'\\ntouch pwned'",
    "\u2019; touch pwned; \u2018",
]
FRAGMENTS = [*HOSTILE, *MARKER_FRAGMENTS]
SLASH_FREE = [f for f in FRAGMENTS if "/" not in f]

_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")


def _hostile(fragments: list[str], exclude: str = "") -> st.SearchStrategy[str]:
    chars = (
        _CHARS
        if not exclude
        else st.characters(exclude_categories=("Cs",), exclude_characters="\x00" + exclude)
    )
    return (
        st.lists(
            st.one_of(st.sampled_from(fragments), st.text(chars, max_size=3)),
            min_size=1,
            max_size=5,
        )
        .map("".join)
        .filter(bool)
    )


hostile = _hostile(FRAGMENTS)
hostile_name = _hostile(SLASH_FREE, exclude="/")
"""A name inside an ARM id: anything but '/', which would make it two segments."""

CHECK = settings(max_examples=100, deadline=None)


@st.composite
def scopes(draw: st.DrawFn) -> str:
    level = draw(st.sampled_from(["mg", "sub", "rg", "resource", "child", "unknown", "raw"]))
    sub, group, name = draw(hostile), draw(hostile), draw(hostile)
    base = f"/subscriptions/{sub}/resourceGroups/{group}"
    return {
        "mg": f"/providers/Microsoft.Management/managementGroups/{name}",
        "sub": f"/subscriptions/{sub}",
        "rg": base,
        "resource": f"{base}/providers/Microsoft.Search/searchServices/{name}",
        "child": f"{base}/providers/Microsoft.CognitiveServices/accounts/{sub}/projects/{name}",
        "unknown": f"{base}/providers/Microsoft.Web/sites/{name}",
        "raw": name,
    }[level]


principal_types = st.one_of(
    st.none(), st.sampled_from(["User", "Group", "ServicePrincipal"]), hostile
)


# --------------------------------------------------------------------------------------------
# Property tests: roleAssignment and activateEligible


@CHECK
@given(
    principal=hostile,
    principal_type=principal_types,
    role_id=_hostile(SLASH_FREE, "/"),
    role_name=hostile,
    summary=hostile,
    scope=scopes(),
)
def test_hostile_role_assignment(principal, principal_type, role_id, role_name, summary, scope):
    commands = commands_for(
        Remediation(
            kind="roleAssignment",
            summary=summary,
            principal_id=principal,
            principal_type=principal_type,
            role_definition_id=role_id,
            role_name=role_name,
            scope=scope,
        )
    )

    expected = ["role", "assignment", "create", *flag("--assignee-object-id", principal)]
    if principal_type:
        expected += flag("--assignee-principal-type", principal_type)
    expected += [*flag("--role", role_id), *flag("--scope", scope)]
    assert run_cli(commands.azure_cli) == [expected]

    [(cmdlet, params)] = ps_calls(commands.powershell)
    assert cmdlet == "New-AzRoleAssignment"
    assert params == {
        "-ObjectId": principal,
        "-RoleDefinitionId": role_id,
        "-Scope": scope,
        **({"-ObjectType": principal_type} if principal_type else {}),
    }

    tokens = bicep_tokens(commands.bicep)
    if any(kind != "comment" and kind != "newline" for kind, _ in tokens):
        assert bicep_property(tokens, "principalId") == [principal]
        assert [principal, role_id] in [call[-2:] for call in bicep_call_strings(tokens, "guid")]

    resource_type, attributes = terraform_block(commands.terraform)
    assert resource_type == "azurerm_role_assignment"
    assert hcl_string(attributes, "scope") == scope
    assert hcl_string(attributes, "principal_id") == principal
    assert hcl_string(attributes, "role_definition_id").endswith(f"/roleDefinitions/{role_id}")
    assert set(attributes) - {"__is_block__"} == {
        "scope",
        "role_definition_id",
        "principal_id",
        *(["principal_type"] if principal_type else []),
    }
    if principal_type:
        assert hcl_string(attributes, "principal_type") == principal_type


@CHECK
@given(principal=hostile, role_id=_hostile(SLASH_FREE, "/"), summary=hostile, scope=scopes())
def test_hostile_activation(principal, role_id, summary, scope):
    commands = commands_for(
        Remediation(
            kind="activateEligible",
            summary=summary,
            principal_id=principal,
            role_definition_id=role_id,
            scope=scope,
        )
    )
    request = activation_request_name(principal, role_id, scope)
    parsed = target_of(scope)
    role_path = f"/providers/Microsoft.Authorization/roleDefinitions/{role_id}"
    role_full = (
        f"/subscriptions/{parsed.subscription}{role_path}" if parsed.subscription else role_path
    )
    body = {
        "properties": {
            "principalId": principal,
            "roleDefinitionId": role_full,
            "requestType": "SelfActivate",
            "justification": "Activated to resolve an access failure found by ai-hub-diagnose",
            "scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "PT8H"}},
        }
    }
    url = UrlOf(
        f"{scope.rstrip('/')}/providers/Microsoft.Authorization/"
        f"roleAssignmentScheduleRequests/{request}",
        "2020-10-01",
    )
    assert run_cli(commands.azure_cli) == [
        ["rest", "--method", "put", "--url", url, "--body", JsonOf(body)]
    ]

    [(cmdlet, params)] = ps_calls(commands.powershell)
    assert cmdlet == "New-AzRoleAssignmentScheduleRequest"
    assert (
        params["-Name"],
        params["-Scope"],
        params["-PrincipalId"],
        params["-RoleDefinitionId"],
    ) == (request, scope, principal, role_full)

    tokens = bicep_tokens(commands.bicep)
    if any(kind != "comment" and kind != "newline" for kind, _ in tokens):
        assert bicep_property(tokens, "principalId") == [principal]
        assert bicep_property(tokens, "name")[-1] == request

    resource_type, attributes = terraform_block(commands.terraform)
    assert resource_type == "azurerm_pim_active_role_assignment"
    assert hcl_string(attributes, "scope") == scope
    assert hcl_string(attributes, "principal_id") == principal
    assert hcl_string(attributes, "role_definition_id") == role_full


@CHECK
@given(
    principal=hostile,
    role_id=_hostile(SLASH_FREE, "/"),
    summary=hostile,
    scope=scopes(),
    assignment=st.one_of(st.none(), hostile),
)
def test_hostile_remove_assignment(principal, role_id, summary, scope, assignment):
    commands = commands_for(
        Remediation(
            kind="removeAssignment",
            summary=summary,
            principal_id=principal,
            role_definition_id=role_id,
            scope=scope,
            resource=assignment,
        )
    )
    expected = ["role", "assignment", "delete"]
    expected += (
        flag("--ids", assignment)
        if assignment
        else [*flag("--assignee", principal), *flag("--role", role_id), *flag("--scope", scope)]
    )
    assert run_cli(commands.azure_cli) == [expected]
    assert ps_calls(commands.powershell) == [
        (
            "Remove-AzRoleAssignment",
            {"-ObjectId": principal, "-RoleDefinitionId": role_id, "-Scope": scope},
        )
    ]
    assert all(kind in ("comment", "newline") for kind, _ in bicep_tokens(commands.bicep))
    assert "resource" not in hcl2.loads(commands.terraform)


# --------------------------------------------------------------------------------------------
# Property tests: configuration


@dataclass(frozen=True)
class Target:
    sub: str
    group: str
    name: str
    parent: str
    rid: str
    value: Any


def _names(target: Target) -> list[str]:
    return [
        *flag("--name", target.name),
        *flag("--resource-group", target.group),
        *flag("--subscription", target.sub),
    ]


RGP = "/subscriptions/{sub}/resourceGroups/{group}/providers/"
CONFIG_CASES: list[tuple[str, str, Any, Any, Any]] = [
    # (resource path template, setting, value (None: hostile), expected az args, PS check)
    (
        RGP + "Microsoft.Search/searchServices/{name}",
        "properties.authOptions",
        {"aadOrApiKey": {"aadAuthFailureMode": "http403"}},
        lambda t: [
            "search",
            "service",
            "update",
            *_names(t),
            "--auth-options",
            "aadOrApiKey",
            "--aad-auth-failure-mode",
            "http403",
        ],
        lambda t: [
            (
                "Set-AzSearchService",
                {
                    "-ResourceId": t.rid,
                    "-AuthOption": "AadOrApiKey",
                    "-AadAuthFailureMode": "Http403",
                },
            )
        ],
    ),
    (
        RGP + "Microsoft.CognitiveServices/accounts/{name}",
        "identity.type",
        "SystemAssigned",
        lambda t: ["cognitiveservices", "account", "identity", "assign", *_names(t)],
        lambda t: [
            ("Set-AzContext", {"-Subscription": t.sub}),
            (
                "Set-AzCognitiveServicesAccount",
                {"-ResourceGroupName": t.group, "-Name": t.name, "-IdentityType": "SystemAssigned"},
            ),
        ],
    ),
    (
        RGP + "Microsoft.Search/searchServices/{name}",
        "identity.type",
        "SystemAssigned",
        lambda t: ["search", "service", "update", *_names(t), "--identity-type", "SystemAssigned"],
        lambda t: [
            ("Set-AzSearchService", {"-ResourceId": t.rid, "-IdentityType": "SystemAssigned"})
        ],
    ),
    (
        RGP + "Microsoft.MachineLearningServices/workspaces/{name}",
        "identity.type",
        "SystemAssigned",
        lambda t: [
            "rest",
            "--method",
            "patch",
            "--url",
            UrlOf(t.rid, "2024-10-01"),
            "--body",
            JsonOf({"identity": {"type": "SystemAssigned"}}),
        ],
        lambda t: [
            (
                "Invoke-AzRestMethod",
                {
                    "-Method": "PATCH",
                    "-Path": UrlOf(t.rid, "2024-10-01", prefix=""),
                    "-Payload": JsonOf({"identity": {"type": "SystemAssigned"}}),
                },
            )
        ],
    ),
    (
        RGP + "Microsoft.CognitiveServices/accounts/{name}",
        "properties.disableLocalAuth",
        False,
        lambda t: [
            "resource",
            "update",
            "--ids",
            t.rid,
            "--set",
            "properties.disableLocalAuth=false",
        ],
        lambda t: [
            ("Set-AzContext", {"-Subscription": t.sub}),
            (
                "Set-AzCognitiveServicesAccount",
                {"-ResourceGroupName": t.group, "-Name": t.name, "-DisableLocalAuth": "$false"},
            ),
        ],
    ),
    (
        RGP + "Microsoft.Search/searchServices/{name}",
        "properties.disableLocalAuth",
        False,
        lambda t: ["search", "service", "update", *_names(t), "--disable-local-auth", "false"],
        lambda t: [("Set-AzSearchService", {"-ResourceId": t.rid, "-DisableLocalAuth": "$false"})],
    ),
    (
        RGP + "Microsoft.Storage/storageAccounts/{name}",
        "properties.allowSharedKeyAccess",
        True,
        lambda t: ["storage", "account", "update", *_names(t), "--allow-shared-key-access", "true"],
        lambda t: [
            ("Set-AzContext", {"-Subscription": t.sub}),
            (
                "Set-AzStorageAccount",
                {"-ResourceGroupName": t.group, "-Name": t.name, "-AllowSharedKeyAccess": "$true"},
            ),
        ],
    ),
    (
        RGP + "Microsoft.MachineLearningServices/workspaces/{parent}/connections/{name}",
        "properties",
        None,
        lambda t: [
            "rest",
            "--method",
            "patch",
            "--url",
            UrlOf(t.rid, "2024-10-01"),
            "--body",
            JsonOf({"properties": {"authType": "AAD", "category": t.value["category"]}}),
        ],
        lambda t: [
            (
                "Invoke-AzRestMethod",
                {
                    "-Method": "PATCH",
                    "-Path": UrlOf(t.rid, "2024-10-01", prefix=""),
                    "-Payload": JsonOf(
                        {"properties": {"authType": "AAD", "category": t.value["category"]}}
                    ),
                },
            )
        ],
    ),
    (
        RGP + "Microsoft.CognitiveServices/accounts/{parent}/projects/{parent}/connections/{name}",
        "properties",
        None,
        lambda t: [
            "rest",
            "--method",
            "patch",
            "--url",
            UrlOf(t.rid, "2025-09-01"),
            "--body",
            JsonOf({"properties": {"authType": "AAD", "category": t.value["category"]}}),
        ],
        None,
    ),
    (
        RGP + "Microsoft.CognitiveServices/accounts/{name}",
        "properties.networkAcls.bypass",
        "AzureServices",
        lambda t: [
            "resource",
            "update",
            "--ids",
            t.rid,
            "--set",
            'properties.networkAcls.bypass="AzureServices"',
        ],
        lambda t: [
            ("Get-AzResource", {"-ResourceId": t.rid, "-ExpandProperties": ""}),
            ("assign", {"path": "properties\x1fnetworkAcls\x1fbypass", "value": '"AzureServices"'}),
            ("Set-AzResource", {"-Force": ""}),
        ],
    ),
    (
        RGP + "Microsoft.Storage/storageAccounts/{name}",
        "properties.networkAcls.bypass",
        "AzureServices",
        lambda t: ["storage", "account", "update", *_names(t), "--bypass", "AzureServices"],
        lambda t: [
            ("Set-AzContext", {"-Subscription": t.sub}),
            (
                "Update-AzStorageAccountNetworkRuleSet",
                {"-ResourceGroupName": t.group, "-Name": t.name, "-Bypass": "AzureServices"},
            ),
        ],
    ),
    (
        RGP + "Microsoft.Search/searchServices/{name}",
        "properties.networkRuleSet.bypass",
        "AzureServices",
        lambda t: [
            "resource",
            "update",
            "--ids",
            t.rid,
            "--set",
            'properties.networkRuleSet.bypass="AzureServices"',
        ],
        lambda t: [("Set-AzSearchService", {"-ResourceId": t.rid, "-Bypass": "AzureServices"})],
    ),
    (
        RGP + "Microsoft.CognitiveServices/accounts/{name}",
        "properties.customSubDomainName",
        None,
        lambda t: [
            "cognitiveservices",
            "account",
            "update",
            *_names(t),
            *flag("--custom-domain", t.value),
        ],
        lambda t: [
            ("Set-AzContext", {"-Subscription": t.sub}),
            (
                "Set-AzCognitiveServicesAccount",
                {"-ResourceGroupName": t.group, "-Name": t.name, "-CustomSubdomainName": t.value},
            ),
        ],
    ),
    (
        "/subscriptions/{sub}/providers/Microsoft.Authorization/denyAssignments/{name}",
        "denyAssignment",
        None,
        lambda t: ["rest", "--method", "get", "--url", UrlOf(t.rid, "2022-04-01")],
        lambda t: [("Get-AzDenyAssignment", {"-Id": t.rid})],
    ),
    (
        RGP + "Microsoft.KeyVault/vaults/{name}",
        "properties.enableRbacAuthorization",
        None,
        lambda t: [
            "resource",
            "update",
            "--ids",
            t.rid,
            "--set",
            JsonOf(t.value, prefix="properties.enableRbacAuthorization="),
        ],
        lambda t: [
            ("Get-AzResource", {"-ResourceId": t.rid, "-ExpandProperties": ""}),
            ("assign", {"path": "properties\x1fenableRbacAuthorization", "value": JsonOf(t.value)}),
            ("Set-AzResource", {"-Force": ""}),
        ],
    ),
    (
        RGP + "Microsoft.Web/sites/{name}",
        "properties.siteConfig",
        None,
        lambda t: [
            "resource",
            "update",
            "--ids",
            t.rid,
            "--set",
            JsonOf(t.value, prefix="properties.siteConfig="),
        ],
        None,
    ),
]


@CHECK
@given(
    case=st.sampled_from(range(len(CONFIG_CASES))),
    sub=hostile_name,
    group=hostile_name,
    name=hostile_name,
    parent=hostile_name,
    free=hostile,
    summary=hostile,
)
def test_hostile_configuration(case, sub, group, name, parent, free, summary):
    template, setting, value, cli, ps = CONFIG_CASES[case]
    rid = template.format(sub=sub, group=group, name=name, parent=parent)
    if value is None:
        value = {
            "properties": {"authType": "AAD", "category": free},
            "properties.customSubDomainName": free,
        }.get(setting, {"k": [free, 1, True]})
    target = Target(sub, group, name, parent, rid, value)
    commands = commands_for(
        Remediation(
            kind="configuration", summary=summary, resource=rid, setting=setting, value=value
        )
    )

    assert run_cli(commands.azure_cli) == [cli(target)]
    if ps is not None:
        assert ps_calls(commands.powershell) == ps(target)
    else:
        ps_calls(commands.powershell)

    tokens = bicep_tokens(commands.bicep)
    names = bicep_property(tokens, "name")
    if names:
        assert names == ["/".join(target_of(rid).names)]

    parsed = hcl2.loads(commands.terraform)
    for resource in parsed.get("resource", []):
        ((_, labelled),) = resource.items()
        ((_, attributes),) = labelled.items()
        if "name" in attributes:
            assert hcl_string(attributes, "name") == name
            assert hcl_string(attributes, "resource_group_name") == group
        if "resource_id" in attributes:
            assert hcl_string(attributes, "resource_id") == rid
        if "custom_subdomain_name" in attributes:
            assert hcl_string(attributes, "custom_subdomain_name") == value


# --------------------------------------------------------------------------------------------
# Terraform's own parser and formatter agree with the Terraform we print


def _sample_remediations() -> list[Remediation]:
    samples = [
        role(scope, kind=kind)
        for scope in (
            SEARCH,
            PROJECT,
            RG,
            f"/subscriptions/{SUB}",
            MG,
            f"{RG}/providers/Microsoft.Web/sites/app",
        )
        for kind in ("roleAssignment", "activateEligible", "removeAssignment")
    ]
    samples += [
        config(
            SEARCH, "properties.authOptions", {"aadOrApiKey": {"aadAuthFailureMode": "http403"}}
        ),
        config(AOAI, "identity.type", "SystemAssigned"),
        config(HUB, "identity.type", "SystemAssigned"),
        config(AOAI, "properties.disableLocalAuth", False),
        config(STORAGE, "properties.allowSharedKeyAccess", True),
        config(
            f"{HUB}/connections/c", "properties", {"authType": "AAD", "category": "AzureOpenAI"}
        ),
        config(STORAGE, "properties.networkAcls.bypass", "AzureServices, Logging"),
        config(SEARCH, "properties.networkRuleSet.bypass", "AzureServices"),
        config(AOAI, "properties.customSubDomainName", "aoai-sub"),
        config(
            f"{RG}/providers/Microsoft.KeyVault/vaults/kv",
            "properties.accessPolicies",
            [{"tenantId": "t", "objectId": "o", "permissions": {"keys": ["get"]}}],
        ),
        config(
            f"/subscriptions/{SUB}/providers/Microsoft.Authorization/denyAssignments/d",
            "denyAssignment",
            {"name": "n"},
        ),
    ]
    hostile_name = "x'\"${a}%{b}\n\\$(touch pwned)\u2028"
    samples += [
        role(
            f"{RG}/providers/Microsoft.Search/searchServices/{hostile_name}",
            principal_id=hostile_name,
            summary=hostile_name,
        ),
        config(
            f"{RG}/providers/Microsoft.Storage/storageAccounts/{hostile_name}",
            "properties.allowSharedKeyAccess",
            True,
            summary=hostile_name,
        ),
    ]
    return samples


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_output_is_canonically_formatted(tmp_path):
    for index, remediation in enumerate(_sample_remediations()):
        (tmp_path / f"fix{index}.tf").write_text(
            commands_for(remediation).terraform, encoding="utf-8"
        )
    terraform_dir = str(Path(shutil.which("terraform") or "").parent)
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", "-no-color", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "TF_CLI_CONFIG_FILE": "/dev/null",
            "HOME": str(tmp_path),
            "CHECKPOINT_DISABLE": "1",
            "PATH": f"{terraform_dir}:/usr/bin:/bin",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_sample_renders_in_every_language():
    for remediation in _sample_remediations():
        commands = commands_for(remediation)
        run_cli(commands.azure_cli)
        ps_calls(commands.powershell)
        bicep_tokens(commands.bicep)
        hcl2.loads(commands.terraform)
