"""`diagnose explain` where no role helps (network, DNS, refused keys), from the text alone
(without a snapshot), from standard input, and for storage URLs and principals named by UPN."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.demo import load_demo

SUB = "6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-contoso-ai"
HUB = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub-contoso"
OID = "11111111-2222-3333-4444-555555555555"

NO_ROLE_MESSAGES = {
    "dns": (
        "HTTPSConnectionPool(host='aoai-contoso.openai.azure.com', port=443): Max retries "
        "exceeded (Caused by NameResolutionError: Failed to resolve "
        "'aoai-contoso.openai.azure.com' ([Errno -2] Name or service not known))"
    ),
    "getaddrinfo": "socket.gaierror: [Errno 11001] getaddrinfo failed",
    "public access": (
        '{"error":{"code":"403","message":"Public access is disabled. Please configure '
        'private endpoint."}}'
    ),
    "private endpoint": "Traffic is not from an approved private endpoint.",
    "firewall": "Access denied due to Virtual Network/Firewall rules.",
    "storage firewall": (
        "ErrorCode:AuthorizationFailure This request is not authorized to perform this "
        "operation. https://stcontosodata.blob.core.windows.net/docs"
    ),
    "key disabled": "(AuthenticationTypeDisabled) Key based authentication is disabled.",
    "shared key": "KeyBasedAuthenticationNotPermitted: Key based authentication is not permitted",
    "token audience": (
        "Azure.RequestFailedException: Status: 401 (Unauthorized) Access token is missing, "
        "invalid, audience is incorrect (https://ai.azure.com), or have expired."
    ),
    "policy deny": (
        "(RequestDisallowedByPolicy) Resource 'hub-contoso' was disallowed by policy. Reasons: "
        "'Azure Machine Learning workspaces should disable public network access'."
    ),
    "storage credential": (
        "AuthenticationFailed: Server failed to authenticate the request. Make sure the value of "
        "Authorization header is formed correctly including the signature."
    ),
    "expired token": "ExpiredAuthenticationToken: The access token expiry UTC time '...'",
    "wrong key": (
        '{"error":{"code":"401","message":"Access denied due to invalid subscription key or '
        "wrong API endpoint. Make sure to provide a valid key for an active subscription and "
        'use a correct regional API endpoint for your resource."}}'
    ),
}


def run(capsys: Any, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def demo_upn(name: str) -> tuple[str, str]:
    entry = next(p for p in load_demo().data["principals"] if p["displayName"] == name)
    return entry["id"], entry["userPrincipalName"]


@pytest.mark.parametrize("name", sorted(NO_ROLE_MESSAGES))
@pytest.mark.parametrize("source", [(), ("--demo",)])
def test_no_role_fixes_a_network_dns_or_key_refusal(capsys: Any, name: str, source: tuple) -> None:
    text = NO_ROLE_MESSAGES[name]
    code, out = run(capsys, "explain", text, *source)
    assert code == 0
    assert "az role assignment create" not in out
    assert "No role assignment fixes this message" in " ".join(out.split())
    _, raw = run(capsys, "explain", text, *source, "--json")
    answer = json.loads(raw)
    assert answer["noRoleFixes"] is True
    assert answer["textOnly"] is None and answer["finding"] is None
    kinds = {r["kind"] for f in answer["related"] for r in f["remediations"]}
    assert not kinds & {"roleAssignment", "activateEligible"}, kinds


def test_a_storage_data_role_error_is_not_taken_for_the_firewall(capsys: Any) -> None:
    text = (
        "ErrorCode:AuthorizationPermissionMismatch This request is not authorized to perform "
        "this operation using this permission. AuthorizationFailure"
    )
    _, raw = run(capsys, "explain", text, "--json")
    assert json.loads(raw)["pattern"]["name"] == "AuthorizationPermissionMismatch"


def test_permission_denied_from_the_text_alone_names_the_role_with_placeholders(
    capsys: Any,
) -> None:
    code, out = run(
        capsys, "explain", "PermissionDenied: Principal does not have access to API/Operation."
    )
    assert code == 0
    flat = " ".join(out.split())
    assert "least role: Cognitive Services OpenAI User" in flat
    assert "--assignee-object-id '<principal-object-id>'" in out
    assert "/providers/Microsoft.CognitiveServices/accounts/<account-name>" in out
    assert "replace the <placeholders> (principal and scope)" in flat
    assert "--snapshot FILE" in flat


def test_authorization_failed_from_the_text_alone_uses_what_the_message_names(
    capsys: Any,
) -> None:
    scope = f"{RG}/providers/Microsoft.Search/searchServices/srch-contoso"
    text = (
        f"AuthorizationFailed: The client 'x@contoso.com' with object id '{OID}' does not have "
        f"authorization to perform action 'Microsoft.Search/searchServices/read' over scope "
        f"'{scope}' or the scope is invalid."
    )
    _, raw = run(capsys, "explain", text, "--json")
    fix = json.loads(raw)["textOnly"]
    assert fix["principal"] == OID and fix["scope"] == scope
    assert fix["roleName"] == "Reader" and fix["placeholders"] == []
    assert f"--assignee-object-id '{OID}'" in fix["azureCli"] and scope in fix["azureCli"]


def test_a_foundry_message_naming_a_upn_from_the_text_alone(capsys: Any) -> None:
    text = (
        "The principal `ana@contoso.com` lacks the required data action "
        "`Microsoft.CognitiveServices/accounts/AIServices/agents/write` to perform "
        "`POST /api/projects/p/assistants` operation."
    )
    _, raw = run(capsys, "explain", text, "--json")
    fix = json.loads(raw)["textOnly"]
    assert fix["roleName"] == "Foundry User"
    assert fix["principal"] == "<object-id-of-ana@contoso.com>"
    assert fix["placeholders"] == ["principal", "scope"]


@pytest.mark.parametrize(
    ("url", "role"),
    [
        (
            "https://stcontosoai.file.core.windows.net/code-share/flow",
            "Storage File Data Privileged Contributor",
        ),
        ("https://stcontosoai.blob.core.windows.net/data/a.pdf", "Storage Blob Data Reader"),
    ],
)
def test_a_storage_url_names_the_account_and_the_kind_of_data_role(
    capsys: Any, url: str, role: str
) -> None:
    text = (
        "ErrorCode:AuthorizationPermissionMismatch This request is not authorized to perform "
        f"this operation using this permission. {url}"
    )
    _, raw = run(capsys, "explain", text, "--json")
    answer = json.loads(raw)
    assert answer["extracted"]["storage account"] == "stcontosoai"
    assert answer["textOnly"]["roleName"] == role
    assert answer["textOnly"]["scope"].endswith("/Microsoft.Storage/storageAccounts/stcontosoai")


def test_with_a_snapshot_a_storage_url_narrows_the_findings_to_that_account(capsys: Any) -> None:
    text = (
        "ErrorCode:AuthorizationPermissionMismatch This request is not authorized to perform "
        "this operation using this permission. https://stcontosoai.file.core.windows.net/code"
    )
    _, raw = run(capsys, "explain", text, "--demo", "--json")
    related = json.loads(raw)["related"]
    assert related
    assert {f["resource"].rsplit("/", 1)[-1] for f in related} == {"stcontosoai"}


def test_a_principal_named_by_upn_is_found_in_the_snapshot(capsys: Any) -> None:
    object_id, upn = demo_upn("Ana Lopez")
    text = (
        f"The principal `{upn}` lacks the required data action "
        "`Microsoft.CognitiveServices/accounts/AIServices/agents/write` to perform "
        "`POST /api/projects/p/assistants` operation."
    )
    _, raw = run(capsys, "explain", text, "--demo", "--json")
    assert json.loads(raw)["principal"]["id"] == object_id


def test_a_permission_already_held_points_away_from_a_new_assignment(capsys: Any) -> None:
    object_id, _ = demo_upn("Ana Lopez")
    text = (
        f"AuthorizationFailed: The client 'ana' with object id '{object_id}' does not have "
        "authorization to perform action 'Microsoft.MachineLearningServices/workspaces/read' "
        f"over scope '{HUB}' or the scope is invalid."
    )
    code, out = run(capsys, "explain", text, "--demo")
    assert code == 0
    flat = " ".join(out.split())
    assert "holds the permission" in flat and "no new assignment will help" in flat
    assert "another identity making the call" in flat
    assert "az role assignment create" not in out


def test_the_message_can_come_from_standard_input(capsys: Any, monkeypatch: Any) -> None:
    text = "PermissionDenied: Principal does not have access to API/Operation."
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out = run(capsys, "explain", "-")
    assert code == 0 and "PermissionDenied (Azure OpenAI)" in out


def test_a_whole_log_on_standard_input_is_bad_input(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x" * (1024 * 1024 + 1))))
    assert main(["explain", "-"]) == 2
    assert "longer than 1024 KiB" in capsys.readouterr().err


def test_a_search_403_from_an_api_key_only_service_gets_no_role(capsys: Any) -> None:
    text = "403 Forbidden: https://srch-contoso.search.windows.net/indexes?api-version=2024-07-01"
    code, out = run(capsys, "explain", text, "--demo")
    assert code == 0 and "az role assignment create" not in out
    assert "accepts API keys only" in " ".join(out.split())
    _, raw = run(capsys, "explain", text, "--demo", "--json")
    answer = json.loads(raw)
    assert answer["noRoleFixes"] is True
    assert "CFG001" in {f["checkId"] for f in answer["related"]}
    kinds = {r["kind"] for f in answer["related"] for r in f["remediations"]}
    assert "configuration" in kinds and not kinds & {"roleAssignment", "activateEligible"}


def test_a_principal_named_by_e_mail_is_found_in_the_snapshot(capsys: Any, tmp_path: Any) -> None:
    """Foundry tools print a user's mail where it differs from the UPN."""
    from diagnose.snapshot import parse_snapshot

    data = load_demo().data
    object_id, _ = demo_upn("Ana Lopez")
    entry = next(p for p in data["principals"] if p["id"] == object_id)
    entry["mail"] = "ana@contoso.example"
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps(parse_snapshot(data, "<demo>").data), encoding="utf-8")
    text = (
        "The principal `ana@contoso.example` lacks the required data action "
        "`Microsoft.CognitiveServices/accounts/AIServices/agents/write` to perform "
        "`POST /api/projects/p/assistants` operation."
    )
    _, raw = run(capsys, "explain", text, "--snapshot", str(snapshot), "--json")
    assert json.loads(raw)["principal"]["id"] == object_id


@pytest.mark.parametrize(
    ("audience", "scope"),
    [
        ("https://cognitiveservices.azure.com", "https://cognitiveservices.azure.com/.default"),
        ("https://ai.azure.com", "https://ai.azure.com/.default"),
    ],
)
def test_a_token_for_the_wrong_audience_names_the_audience_and_the_scope_to_ask_for(
    capsys: Any, audience: str, scope: str
) -> None:
    text = (
        "Unauthorized. Access token is missing, invalid, audience is incorrect "
        f"({audience}), or have expired."
    )
    code, raw = run(capsys, "explain", text, "--json")
    answer = json.loads(raw)
    assert code == 0 and answer["noRoleFixes"] is True
    assert answer["extracted"] == {"audience": audience}
    assert scope in " ".join(answer["pattern"]["fix"].split())
    assert set(answer["pattern"]["checks"]) == {"CFG003", "CON001"}


def test_a_key_refused_as_invalid_is_not_taken_for_keys_disabled(capsys: Any) -> None:
    """A wrong or rotated key (401 'invalid subscription key') is not the resource refusing
    keys (AuthenticationTypeDisabled): the fixes differ (use the current key vs move to Entra
    ID), and neither is a role."""
    _, raw = run(capsys, "explain", NO_ROLE_MESSAGES["wrong key"], "--json")
    answer = json.loads(raw)
    assert answer["pattern"]["name"] == "Invalid API key or wrong endpoint"
    assert "current key" in answer["pattern"]["fix"]


@pytest.mark.parametrize(
    "text",
    [
        NO_ROLE_MESSAGES["policy deny"],
        NO_ROLE_MESSAGES["expired token"],
        NO_ROLE_MESSAGES["token audience"],
    ],
    ids=["policy deny", "expired token", "token audience"],
)
def test_a_refusal_decided_apart_from_roles_lists_no_role_findings(capsys: Any, text: str) -> None:
    """A policy deny comes after the roles passed, an expired or misdirected token before any
    is looked at: the declaring checks' role findings (a PIM eligibility, a missing data role)
    would only distract from the fix, so none are listed; the checks still are."""
    code, raw = run(capsys, "explain", text, "--demo", "--json")
    answer = json.loads(raw)
    assert code == 0 and answer["noRoleFixes"] is True
    assert answer["related"] == [] and answer["pattern"]["checks"]


def test_a_no_role_refusal_about_the_snapshots_own_state_still_lists_its_findings(
    capsys: Any,
) -> None:
    """Keys refused by the resource: CFG002's finding names the connection that still sends
    them, which is the fix's subject (no role offered in it)."""
    _, raw = run(capsys, "explain", NO_ROLE_MESSAGES["key disabled"], "--demo", "--json")
    related = json.loads(raw)["related"]
    assert any(f["checkId"] == "CFG002" for f in related)


def test_the_text_only_answer_promises_only_what_a_snapshot_would_add(capsys: Any) -> None:
    """A role text: the decision, the least role and the findings; a no-role text whose
    checks' findings bear on it: those findings, no role; a policy deny or a token: nothing a
    snapshot would add, so no promise."""
    _, raw = run(
        capsys,
        "explain",
        "PermissionDenied: Principal does not have access to API/Operation.",
        "--json",
    )
    assert any("least role checked against" in n for n in json.loads(raw)["notes"])
    _, raw = run(capsys, "explain", NO_ROLE_MESSAGES["key disabled"], "--json")
    notes = json.loads(raw)["notes"]
    assert any("related checks found" in n and "without any role" in n for n in notes)
    assert not any("least role" in n for n in notes)
    for name in ("policy deny", "expired token"):
        _, raw = run(capsys, "explain", NO_ROLE_MESSAGES[name], "--json")
        assert not any("--snapshot" in n for n in json.loads(raw)["notes"])
