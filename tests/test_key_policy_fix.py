"""The access policy a CMK001 / CMK003 fix writes: the missing key permissions added to the
principal's own entry (Key Vault keeps one per identity), a new entry only when it has none,
every other entry untouched."""

from __future__ import annotations

import json
from typing import Any

from diagnose.engine.api import RemediationKind
from tests.checks_support import FIXTURES, own, run_data


def fix_value(check_id: str, variant: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    data = json.loads((FIXTURES / check_id / f"{variant}.json").read_text(encoding="utf-8"))
    [finding] = own(run_data(data), check_id)
    [fix] = [r for r in finding.remediations if r.kind == RemediationKind.CONFIGURATION]
    vault = next(r for r in data["resources"] if r["id"].lower() == fix.resource.lower())
    return vault["properties"]["accessPolicies"], fix.value


def test_the_missing_permissions_join_the_principals_own_entry():
    before, after = fix_value("CMK003", "fail-access-policy")
    assert len(after) == len(before)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    [(old, new)] = changed
    assert new["objectId"] == old["objectId"] and new["tenantId"] == old["tenantId"]
    assert new["permissions"]["keys"] == ["get", "list", "create", "delete", "purge"]
    assert new["permissions"]["secrets"] == old["permissions"]["secrets"]


def test_a_principal_without_an_entry_gets_one_and_a_compound_entry_is_left_alone():
    before, after = fix_value("CMK001", "fail-access-policy-compound")
    assert after[: len(before)] == before  # the compound entry stays as it is
    [added] = after[len(before) :]
    assert "applicationId" not in added
    assert added["objectId"] == before[0]["objectId"]
    assert added["permissions"] == {"keys": ["get", "wrapKey", "unwrapKey"]}


def fix_of(check_id: str, variant: str):
    data = json.loads((FIXTURES / check_id / f"{variant}.json").read_text(encoding="utf-8"))
    [finding] = own(run_data(data), check_id)
    [fix] = [r for r in finding.remediations if r.kind == RemediationKind.CONFIGURATION]
    return fix


def test_the_commands_set_this_principals_key_permissions_never_the_whole_list():
    """az keyvault set-policy / Set-AzKeyVaultAccessPolicy merge into the vault's policies as
    they are when the command runs: an entry added since the snapshot is kept, where writing
    the snapshot's list back (az resource update --set properties.accessPolicies=...) would
    drop it."""
    fix = fix_of("CMK003", "fail-access-policy")
    assert fix.verified and fix.commands is not None
    cli = fix.commands.azure_cli
    assert "az keyvault set-policy --name 'kv-cmk-fixture'" in cli
    assert f"--object-id '{fix.principal_id}'" in cli
    assert "--key-permissions 'get' 'list' 'create' 'delete' 'purge'" in cli
    assert "accessPolicies" not in cli and "az resource update" not in cli
    ps = fix.commands.powershell
    assert "Set-AzKeyVaultAccessPolicy -VaultName 'kv-cmk-fixture'" in ps
    assert "-PermissionsToKeys 'get','list','create','delete','purge'" in ps
    assert "Set-AzResource" not in ps
