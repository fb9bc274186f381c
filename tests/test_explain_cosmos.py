"""`diagnose explain` on a Cosmos DB 5301 refusal with a snapshot: the caller's Cosmos DB SQL
role assignments of the account the message names, evaluated at the resource it names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.demo import load_demo

ACCOUNT = "cosmos-contoso-agents"
READ_METADATA = "Microsoft.DocumentDB/databaseAccounts/readMetadata"
CREATE_ITEM = "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/create"


def project_identity() -> str:
    project = next(
        r
        for r in load_demo().data["resources"]
        if r["type"] == "Microsoft.CognitiveServices/accounts/projects"
    )
    return project["identity"]["principalId"]


def refusal(account: str, principal: str, action: str, resource: str) -> str:
    return (
        "Response status code does not indicate success: Forbidden (403); Substatus: 5301; "
        f"Reason: (Request blocked by Auth {account} : Request is blocked because principal "
        f"[{principal}] does not have required RBAC permissions to perform action [{action}] "
        f"on resource [{resource}]. Learn more: https://aka.ms/cosmos-native-rbac.)"
    )


def explain(capsys: Any, text: str) -> dict[str, Any]:
    code = main(["explain", text, "--demo", "--json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_a_refusal_on_the_account_is_denied_and_the_database_fix_is_said_not_to_cover_it(
    capsys: Any,
) -> None:
    answer = explain(capsys, refusal(ACCOUNT, project_identity(), READ_METADATA, "/"))
    decision = answer["decision"]
    assert decision["decision"] == "denied" and decision["dataAction"] is True
    assert decision["scope"].endswith(f"/databaseAccounts/{ACCOUNT}")
    assert any(f["checkId"] == "AGT002" for f in answer["related"])
    assert any(
        note.startswith("AGT002's fix") and "does not cover" in note for note in answer["notes"]
    )


def test_a_refusal_inside_the_agent_database_is_what_the_agent_check_fixes(capsys: Any) -> None:
    resource = "dbs/enterprise_memory/colls/thread-message-store/docs/0a1b"
    answer = explain(capsys, refusal(ACCOUNT, project_identity(), CREATE_ITEM, resource))
    decision = answer["decision"]
    assert decision["decision"] == "denied"
    # an item's path is evaluated at its container: no SQL role assignment goes lower
    assert decision["scope"].endswith("/dbs/enterprise_memory/colls/thread-message-store")
    assert not any("does not cover" in note for note in answer["notes"])


def test_a_refusal_the_snapshot_says_is_granted_points_away_from_roles(capsys: Any) -> None:
    """The project's identity holds Data Contributor on agents_archive: a refusal there is
    propagation, another identity or another tenant, not a missing role."""
    resource = "dbs/agents_archive/colls/threads"
    code = main(["explain", refusal(ACCOUNT, project_identity(), CREATE_ITEM, resource), "--demo"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "ALLOWED" in out and "no new assignment will help" in out


@pytest.mark.parametrize(
    "account", ["cosmos-elsewhere", None], ids=["an account not in the snapshot", "no account"]
)
def test_without_the_named_account_in_the_snapshot_nothing_is_evaluated(
    capsys: Any, account: str | None
) -> None:
    text = refusal(account or "", project_identity(), READ_METADATA, "/")
    if account is None:
        text = text.replace("Request blocked by Auth  : ", "")
    answer = explain(capsys, text)
    assert answer["pattern"]["name"].startswith("Cosmos DB: request blocked by RBAC")
    assert answer["decision"] is None


def test_a_denied_refusal_gets_the_least_built_in_sql_role_proven_at_its_database(
    capsys: Any,
) -> None:
    resource = "dbs/enterprise_memory/colls/thread-message-store"
    answer = explain(capsys, refusal(ACCOUNT, project_identity(), READ_METADATA, resource))
    fix = answer["finding"]["remediations"][0]
    assert fix["kind"] == "cosmosSqlRoleAssignment" and fix["verified"] is True
    # readMetadata alone: the Reader, not the Contributor; on the database, not one container
    assert fix["roleName"] == "Cosmos DB Built-in Data Reader"
    assert fix["scope"].endswith(f"/databaseAccounts/{ACCOUNT}/dbs/enterprise_memory")
    assert "--scope '/dbs/enterprise_memory'" in fix["commands"]["azureCli"]
    # AGT002's fix covers this request and the writes after it: the note says to prefer it
    assert any(note.startswith("AGT002's fix") and "covers" in note for note in answer["notes"])


def test_a_refused_write_gets_the_contributor(capsys: Any) -> None:
    resource = "dbs/agents_memory_v2/colls/threads"
    answer = explain(capsys, refusal(ACCOUNT, project_identity(), CREATE_ITEM, resource))
    fix = answer["finding"]["remediations"][0]
    assert fix["roleName"] == "Cosmos DB Built-in Data Contributor" and fix["verified"] is True
    # an ordinary database: the named container, not the whole database
    assert fix["scope"].endswith("/dbs/agents_memory_v2/colls/threads")
    assert "--scope '/dbs/agents_memory_v2/colls/threads'" in fix["commands"]["azureCli"]


def test_another_identitys_fix_is_never_offered_for_the_caller(capsys: Any) -> None:
    """AGT002's fix is for the project's identity: beside a user's refusal in the same
    database it would not let the user in, so no note points at it."""
    user = next(p["id"] for p in load_demo().data["principals"] if p["displayName"] == "Chen Wei")
    resource = "dbs/enterprise_memory/colls/thread-message-store"
    answer = explain(capsys, refusal(ACCOUNT, user, READ_METADATA, resource))
    assert answer["decision"]["decision"] == "denied"
    assert answer["finding"]["remediations"][0]["principalId"] == user
    assert not any("AGT002's fix" in note for note in answer["notes"])


def test_a_related_fix_on_another_cosmos_account_is_not_weighed():
    """The notes compare a related fix with the refused resource only on the account the
    message names: moved to another account, AGT002's fix says nothing about this refusal."""
    from dataclasses import replace

    from diagnose.explain.explain import _cosmos_fixes_elsewhere, explain_error
    from diagnose.model.model import Model

    snapshot = load_demo()
    explanation = explain_error(refusal(ACCOUNT, project_identity(), READ_METADATA, "/"), snapshot)
    model = Model(snapshot)
    assert _cosmos_fixes_elsewhere(explanation, model)  # same account: the note is there
    elsewhere = [
        replace(
            finding,
            remediations=tuple(
                replace(
                    fix,
                    resource=(fix.resource or "").replace(ACCOUNT, "cosmos-other"),
                    scope=(fix.scope or "").replace(ACCOUNT, "cosmos-other"),
                )
                for fix in finding.remediations
            ),
        )
        for finding in explanation.related
    ]
    assert _cosmos_fixes_elsewhere(replace(explanation, related=elsewhere), model) == []
