"""`diagnose recheck --hub` end to end against the loopback ARM server: only what the plan
touched is read (its subscription's role and deny assignments, the resource whose setting a
step changes), nothing is written, and the verdicts follow the served state."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from diagnose.testing.armserver import ArmServer
from diagnose.testing.fixtures import load_fixture_set
from diagnose.testing.harness import HUB_BASIC
from tests.e2e.environment import served_env

DIAGNOSE = (
    str(Path(sys.executable).with_name("diagnose"))
    if Path(sys.executable).with_name("diagnose").exists()
    else shutil.which("diagnose") or ""
)
SUB = "/subscriptions/00000000-1111-2222-3333-444444444444"
AOAI = f"{SUB}/resourceGroups/rg-data/providers/Microsoft.CognitiveServices/accounts/aoai-ai"
STORAGE = f"{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stdocsai"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"


def _env(server: ArmServer) -> dict[str, str]:
    return served_env(server)


def _step(step_id: str, order: int, **remediation: object) -> dict[str, object]:
    rem = {
        "principalId": None,
        "principalType": None,
        "roleDefinitionId": None,
        "scope": None,
        "resource": None,
        "setting": None,
        "value": None,
        "summary": step_id,
        **remediation,
    }
    return {"id": step_id, "order": order, "remediation": rem, "fixes": []}


PLAN = [
    _step(  # present in the served state
        "granted",
        1,
        kind="roleAssignment",
        principalId="51b1c41f-1963-5909-9009-6611df6e4eec",
        principalType="ServicePrincipal",
        roleDefinitionId=OPENAI_USER,
        scope=AOAI,
    ),
    _step(  # not (yet) there
        "pending",
        2,
        kind="roleAssignment",
        principalId="aaaaaaaa-0000-4000-8000-000000000001",
        principalType="User",
        roleDefinitionId=OPENAI_USER,
        scope=AOAI,
    ),
    _step(
        "bypass",
        3,
        kind="configuration",
        resource=STORAGE,
        setting="properties.networkAcls.bypass",
        value="AzureServices",
    ),
]


def test_recheck_reads_only_what_the_plan_touched(tmp_path: Path) -> None:
    assert DIAGNOSE, "the diagnose command is not installed (pip install -e .)"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN), encoding="utf-8")
    with ArmServer(load_fixture_set("hub-basic")) as server:
        result = subprocess.run(
            [DIAGNOSE, "recheck", "--plan", str(plan), "--hub", HUB_BASIC,
             "--arm-endpoint", server.url, "--graph-endpoint", server.url, "--json"],
            capture_output=True, text=True, timeout=60, env=_env(server),
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        received = server.requests()
        assert server.non_read_requests() == [] and server.unmatched == []
    assert result.returncode == 3, result.stderr  # one step not yet visible, none failed
    out = json.loads(result.stdout)
    assert {s["id"]: s["status"] for s in out["steps"]} == {
        "granted": "done",
        "pending": "not yet visible",
        "bypass": "done",
    }
    paths = sorted({r.path.split("?")[0] for r in received})
    assert paths == [
        f"{SUB}/resourceGroups/rg-data/providers/Microsoft.Authorization/denyAssignments",
        f"{SUB}/resourceGroups/rg-data/providers/Microsoft.Authorization/roleAssignments",
        STORAGE,
    ]
    # at the steps' resource group: role assignments once, deny assignments unfiltered and
    # atScope(); nothing else is read, nothing twice
    assert len(received) == 4 and out["requests"] == 4
