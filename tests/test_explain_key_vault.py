"""`diagnose explain` on Key Vault's data-plane refusals: an RBAC vault's ForbiddenByRbac (the
caller, data action and secret or key it names, evaluated against the snapshot, with the least
Key Vault data role) and an access-policy vault's refusal (no role fixes it: the related
check's access policy is the fix, never a role assignment)."""

from __future__ import annotations

import json
from pathlib import Path

from diagnose.cli import main
from diagnose.explain.patterns import recognise

ROOT = Path(__file__).resolve().parent.parent
CMK = ROOT / "fixtures" / "checks" / "CMK001"
HUB_IDENTITY = "d8f1df04-910a-556a-8d52-ee08fc96f5c8"
"""The system identity of hub-fixture, which CMK001's fixtures encrypt with a key in
kv-cmk-fixture."""
VAULT = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-security/providers/"
    "microsoft.keyvault/vaults/kv-cmk-fixture"
)
CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"


def forbidden_by_rbac(principal: str, action: str, resource: str) -> str:
    """The message as Key Vault writes it (the resource id in lower case)."""
    return (
        "(Forbidden) Caller is not authorized to perform action on resource.\r\nIf role "
        "assignments, deny assignments or role definitions were changed recently, please "
        "observe propagation time.\r\nCaller: appid=04b07795-8ddb-461a-bbee-02f9e1bf7b46;"
        f"oid={principal};iss=https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/\r\n"
        f"Action: '{action}'\r\nResource: '{resource}'\r\nAssignment: (not found)\r\n"
        "DenyAssignmentId: null\r\nDecisionReason: null \r\nVault: kv-cmk-fixture;"
        'location=eastus\r\nCode: Forbidden\r\nInner error: {"code":"ForbiddenByRbac"}'
    )


def forbidden_by_policy(principal: str, permission: str) -> str:
    return (
        "(Forbidden) The user, group or application 'appid=04b07795-8ddb-461a-bbee-"
        f"02f9e1bf7b46;oid={principal};numgroups=3;iss=https://sts.windows.net/72f988bf-86f1-"
        f"41af-91ab-2d7cd011db47/' does not have {permission} permission on key vault "
        "'kv-cmk-fixture;location=eastus'. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125287\r\nCode: Forbidden\r\nInner error: "
        '{"code":"ForbiddenByPolicy"}'
    )


def explain(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["explain", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


UNWRAP = "Microsoft.KeyVault/vaults/keys/unwrap/action"


def test_forbidden_by_rbac_names_the_caller_the_data_action_and_the_key():
    found = recognise(forbidden_by_rbac(HUB_IDENTITY, UNWRAP, f"{VAULT}/keys/hub-key"))
    assert found is not None
    pattern, extracted = found
    assert pattern.name == "Key Vault ForbiddenByRbac" and pattern.data_action is True
    assert extracted == {
        "principal": HUB_IDENTITY,
        "operation": UNWRAP,
        "scope": f"{VAULT}/keys/hub-key",
    }
    assert set(pattern.checks) == {"CMK001", "CMK003"}


def test_forbidden_by_rbac_against_a_vault_without_the_grant_gives_the_least_data_role(capsys):
    code, answer = explain(
        capsys,
        forbidden_by_rbac(HUB_IDENTITY, UNWRAP, f"{VAULT}/keys/hub-key"),
        "--snapshot",
        str(CMK / "fail.json"),
    )
    assert code == 0
    assert answer["decision"]["decision"] == "denied"
    fixes = answer["finding"]["remediations"]
    assert fixes[0]["roleDefinitionId"].endswith(CRYPTO_SERVICE_ENCRYPTION_USER)
    assert fixes[0]["verified"] is True
    assert fixes[0]["principalId"] == HUB_IDENTITY
    # a key the snapshot does not list is still named by its type
    assert "on microsoft.keyvault/vaults/keys 'hub-key'" in fixes[0]["summary"]
    # CMK001 says the same of the hub's identity, with the same role
    related = [f for f in answer["related"] if f["checkId"] == "CMK001"]
    assert related and related[0]["status"] == "fail"


def test_forbidden_by_rbac_where_the_snapshot_shows_the_grant_says_it_is_held(capsys):
    code, answer = explain(
        capsys,
        forbidden_by_rbac(HUB_IDENTITY, UNWRAP, f"{VAULT}/keys/hub-key"),
        "--snapshot",
        str(CMK / "pass.json"),
    )
    assert code == 0
    assert answer["decision"]["decision"] == "allowed"
    assert not (answer["finding"] or {}).get("remediations")


def test_forbidden_by_rbac_from_the_text_alone_reads_secrets_with_secrets_user(capsys):
    secret = f"{VAULT}/secrets/search-admin-key"
    code, answer = explain(
        capsys,
        forbidden_by_rbac(
            HUB_IDENTITY, "Microsoft.KeyVault/vaults/secrets/getSecret/action", secret
        ),
    )
    assert code == 0 and answer["noRoleFixes"] is False
    assert answer["textOnly"]["roleId"].endswith(SECRETS_USER)
    assert answer["textOnly"]["scope"] == secret and answer["textOnly"]["placeholders"] == []


def test_forbidden_by_rbac_without_its_details_is_recognised_without_a_guess(capsys):
    code, answer = explain(capsys, '(Forbidden) Code: Forbidden. {"code":"ForbiddenByRbac"}')
    assert code == 0 and answer["pattern"]["name"] == "Key Vault ForbiddenByRbac"
    assert answer["extracted"] == {} and answer["textOnly"] is None


def test_an_access_policy_refusal_offers_no_role_and_the_check_gives_the_policy(capsys):
    code, answer = explain(
        capsys,
        forbidden_by_policy(HUB_IDENTITY, "keys unwrapKey"),
        "--snapshot",
        str(CMK / "fail-access-policy.json"),
    )
    assert code == 0
    assert answer["pattern"]["name"] == "Key Vault ForbiddenByPolicy (access policies)"
    assert answer["extracted"] == {
        "principal": HUB_IDENTITY,
        "permission": "keys unwrapKey",
        "vault": "kv-cmk-fixture",
    }
    assert answer["noRoleFixes"] is True and answer["finding"] is None
    related = [f for f in answer["related"] if f["checkId"] == "CMK001"]
    assert related and related[0]["status"] == "fail"
    kinds = {fix["kind"] for finding in answer["related"] for fix in finding["remediations"]}
    assert kinds == {"configuration"}  # the access policy, never a role assignment
    policy = related[0]["remediations"][0]
    assert policy["setting"] == "properties.accessPolicies"
    assert any(
        entry["objectId"] == HUB_IDENTITY and "unwrapKey" in entry["permissions"]["keys"]
        for entry in policy["value"]
    )


def test_an_access_policy_refusal_from_the_text_alone_offers_no_role(capsys):
    code, answer = explain(capsys, forbidden_by_policy(HUB_IDENTITY, "secrets get"))
    assert code == 0 and answer["noRoleFixes"] is True and answer["textOnly"] is None
    assert "access policies" in " ".join(answer["notes"])


def test_the_old_access_policy_wording_is_recognised_too():
    found = recognise("Access denied. Caller was not found on any access policy.")
    assert found is not None and found[0].name == "Key Vault ForbiddenByPolicy (access policies)"


POLICY_HOLDER = "3f1bed64-bae5-5d70-9a04-39b4cef2e913"
"""The one access policy of kv-cmk-fixture in CMK001's access-policy fixtures: keys get, list."""


def _notes(capsys, principal: str, permission: str, snapshot: str) -> list[str]:
    _, answer = explain(
        capsys, forbidden_by_policy(principal, permission), "--snapshot", str(CMK / snapshot)
    )
    return answer["notes"]


def test_no_policy_for_the_caller_gives_the_access_policy_to_add_as_a_command(capsys):
    notes = _notes(capsys, HUB_IDENTITY, "keys unwrapKey", "fail-access-policy.json")
    assert any(
        "none of the 1 access policies of 'kv-cmk-fixture' gives keys unwrapKey to "
        f"{HUB_IDENTITY}" in note
        for note in notes
    )
    assert (
        "to add the access policy it needs: az keyvault set-policy --name kv-cmk-fixture "
        f"--object-id {HUB_IDENTITY} --key-permissions unwrapKey"
    ) in notes


def test_a_policy_that_gives_the_permission_is_named_and_no_policy_is_proposed(capsys):
    notes = _notes(capsys, POLICY_HOLDER, "keys get", "fail-access-policy.json")
    assert any(f"already gives keys get to {POLICY_HOLDER}" in note for note in notes)
    assert not any("set-policy" in note for note in notes)


def test_a_policy_of_the_caller_without_that_permission_does_not_count(capsys):
    notes = _notes(capsys, POLICY_HOLDER, "keys unwrapKey", "fail-access-policy.json")
    assert any("none of the 1 access policies" in note for note in notes)
    assert any("--key-permissions unwrapKey" in note for note in notes)


def test_a_vault_now_on_azure_rbac_is_said_to_be(capsys):
    notes = _notes(capsys, HUB_IDENTITY, "secrets get", "fail.json")
    assert any("uses Azure RBAC, not access policies" in note for note in notes)
    assert not any("set-policy" in note for note in notes)


def test_a_vault_the_snapshot_lacks_is_not_guessed(capsys):
    _, answer = explain(
        capsys,
        forbidden_by_policy(HUB_IDENTITY, "secrets get").replace("kv-cmk-fixture", "kv-other"),
        "--snapshot",
        str(CMK / "fail-access-policy.json"),
    )
    assert any("'kv-other' is not in the snapshot" in note for note in answer["notes"])
    assert not any("set-policy" in note for note in answer["notes"])


def test_the_command_quotes_what_the_message_says(capsys, tmp_path):
    """Every value from the message reaches the shell quoted (a vault name is data)."""
    from diagnose.explain.access_policies import access_policy_notes
    from diagnose.model.model import Model
    from diagnose.snapshot import load_snapshot

    model = Model(load_snapshot(CMK / "fail-access-policy.json"))
    notes = access_policy_notes(
        model,
        {"vault": "kv-cmk-fixture", "permission": "keys get;rm", "principal": HUB_IDENTITY},
    )
    assert notes[-1].endswith("--key-permissions 'get;rm'")
