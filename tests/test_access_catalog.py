"""`diagnose access` takes operations as Azure writes them and scopes as Azure takes them (issue
16): every catalogued operation on its flag is answered (`:` in names included), the wrong
plane and a misspelt name are refused with the right flag or a suggestion, and built-in roles
decide as a plain reading of their definitions says."""

from __future__ import annotations

import json
import random
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from diagnose.app import DemoSource, access_question, open_book
from diagnose.arm.scopes import ScopeTree, scope_key
from diagnose.catalog import builtin_role_definitions
from diagnose.catalog.lookup import (
    CatalogEntry,
    _entries,
    bounded_distance,
    find_operation,
    similar_operations,
)
from diagnose.cli import main
from diagnose.errors import BadInput
from diagnose.model.model import Model
from diagnose.rbac import Evaluator, Outcome
from tests import arm

DEMO_PRINCIPAL = "Ana Lopez"
SUB = f"/subscriptions/{arm.SUB}"
RESOURCE = f"{arm.RG}/providers/Microsoft.CognitiveServices/accounts/ai"
DEMO_RESOURCE = (
    "/subscriptions/6c2e3a1d-4b5f-4e8a-9c7d-1f0e2d3c4b5a/resourceGroups/rg-contoso-ai/"
    "providers/Microsoft.CognitiveServices/accounts/aoai-contoso"
)
COLON_OPERATIONS = [
    "Microsoft.CognitiveServices/accounts/FormRecognizer/documentmodels:analyze/action",
    "Microsoft.CognitiveServices/accounts/ContentSafety/text:detectjailbreak/action",
    "Microsoft.CognitiveServices/accounts/ComputerVision/models/:cancel/action",
]


def catalog() -> list[CatalogEntry]:
    return list(_entries().values())


def test_the_catalog_has_what_the_issue_names() -> None:
    names = {e.name for e in catalog()}
    assert set(COLON_OPERATIONS) <= names
    assert sum(":" in name for name in names) >= 26
    assert len(names) > 2500


def test_every_catalogued_operation_is_answered_on_its_flag() -> None:
    """The whole catalog, one question per operation and plane it is listed in: none refused
    (the `:` names used to be 'not an operation name')."""
    book = open_book(DemoSource())
    outcomes: dict[str, int] = {}
    for entry in catalog():
        for data_action in (False, True):
            if not entry.in_plane(data_action):
                continue
            question = access_question(
                DEMO_PRINCIPAL, DEMO_RESOURCE, entry.name, data_action=data_action
            )
            assert question.note is None, entry.name
            decision = book.answer(question).decision
            outcomes[decision.decision.value] = outcomes.get(decision.decision.value, 0) + 1
    assert sum(outcomes.values()) == len(catalog()) + 1  # one operation is in both planes
    # Ana is Owner: every control-plane operation, no data action
    assert outcomes == {"allowed": 1075, "denied": 1687}


def test_every_operation_of_one_plane_asked_in_the_other_names_the_right_flag() -> None:
    for entry in catalog():
        if entry.control and entry.data:
            continue
        with pytest.raises(BadInput) as raised:
            access_question(DEMO_PRINCIPAL, RESOURCE, entry.name, data_action=not entry.data)
        right = "--data-action" if entry.data else "--action"
        assert f"ask with {right}" in str(raised.value) and "--force-plane" in str(raised.value)


@pytest.mark.parametrize("operation", COLON_OPERATIONS)
def test_the_command_takes_colon_operations(
    capsys: pytest.CaptureFixture[str], operation: str
) -> None:
    code = main(
        [
            "access",
            "--demo",
            "--principal",
            DEMO_PRINCIPAL,
            "--scope",
            RESOURCE,
            "--data-action",
            operation,
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 1 and err == ""
    assert json.loads(out)["operation"] == operation


def test_the_catalog_is_looked_up_in_any_case() -> None:
    entry = find_operation(COLON_OPERATIONS[0].upper())
    assert entry is not None and entry.name == COLON_OPERATIONS[0] and entry.data
    both = find_operation("microsoft.keyvault/vaults/keys/read")
    assert both is not None and both.control and both.data


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Microsoft.Storage/storageAccounts/blobServices/containers/blob/read", "blobs/read"),
        ("Microsoft.Search/searchServices/indexes/document/read", "documents/read"),
        (
            "Microsoft.CognitiveServices/accounts/ContentSafety/text:detectjailbrak/action",
            "text:detectjailbreak/action",
        ),
    ],
)
def test_did_you_mean_finds_the_nearest_names(typed: str, meant: str) -> None:
    found = similar_operations(typed)
    assert found and found[0].name.endswith(meant)


def test_bounded_distance_is_levenshtein_within_its_bound() -> None:
    rng = random.Random(5)
    alphabet = "ab/:"
    for _ in range(500):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        exact = _levenshtein(a, b)
        for bound in range(0, 6):
            assert bounded_distance(a, b, bound) == (exact if exact <= bound else None), (a, b)


def _levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        new = [i]
        for j, y in enumerate(b, 1):
            new.append(min(row[j] + 1, new[j - 1] + 1, row[j - 1] + (x != y)))
        row = new
    return row[-1]


# -- built-in roles against a plain reading of their definitions ----------------------------


def _matches(pattern: str, operation: str) -> bool:
    """Azure's wildcard: '*' any run of characters, '/' included; case-insensitive; whole."""
    regex = ".*".join(re.escape(part) for part in pattern.lower().split("*"))
    return re.fullmatch(regex, operation.lower()) is not None


def plainly_grants(role: dict[str, Any], operation: str, data: bool) -> bool:
    """Any permission block with the operation in Actions (DataActions) and not in
    NotActions (NotDataActions): subtraction inside one block only."""
    allow, deny = ("dataActions", "notDataActions") if data else ("actions", "notActions")
    return any(
        any(_matches(p, operation) for p in block.get(allow) or ())
        and not any(_matches(p, operation) for p in block.get(deny) or ())
        for block in role["properties"]["permissions"]
    )


@cache
def _role_model() -> tuple[Model, dict[str, str]]:
    """One principal per built-in role, assigned at the resource group."""
    principals, assignments, by_role = [], [], {}
    for role in builtin_role_definitions():
        principal = arm.guid(f"holder:{role['name']}")
        by_role[role["name"]] = principal
        principals.append(arm.principal(principal, name=role["properties"]["roleName"]))
        assignments.append(arm.role_assignment(arm.RG, principal, role["name"]))
    snapshot = arm.load(
        resources=[arm.subscription()], principals=principals, roleAssignments=assignments
    )
    return Model(snapshot), by_role


def test_random_role_and_operation_pairs_decide_as_the_definitions_read() -> None:
    """1,000 random (built-in role, catalogued operation) questions, each asked as the
    command asks it (its catalogued plane, never refused), at a resource below the
    assignment: the evaluator agrees with the plain reading every time."""
    model, by_role = _role_model()
    evaluator = Evaluator(model.authorization)
    roles = list(builtin_role_definitions())
    entries = catalog()
    rng = random.Random(16)
    colon = [e for e in entries if ":" in e.name]
    pairs = [(rng.choice(roles), rng.choice(entries)) for _ in range(950)]
    pairs += [(rng.choice(roles), rng.choice(colon)) for _ in range(50)]
    seen = {True: 0, False: 0}
    for role, entry in pairs:
        data = (entry.data and not entry.control) or (entry.data and rng.random() < 0.5)
        question = access_question(by_role[role["name"]], RESOURCE, entry.name, data_action=data)
        decision = evaluator.check(
            by_role[role["name"]], question.scope, question.operation, data_action=data
        )
        expected = plainly_grants(role, entry.name, data)
        conditioned = any(b.get("condition") for b in role["properties"]["permissions"])
        allowed = {Outcome.ALLOWED, Outcome.CONDITIONAL} if conditioned else {Outcome.ALLOWED}
        if expected:
            assert decision.decision in allowed, (role["properties"]["roleName"], entry.name)
        else:
            assert decision.decision is Outcome.DENIED, (role["properties"]["roleName"], entry.name)
        seen[expected] += 1
    assert seen[True] > 50 and seen[False] > 50


# -- scopes Azure takes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [
        "/",
        arm.management_group_scope(arm.TENANT),
        SUB,
        arm.RG,
        RESOURCE,
        f"{RESOURCE}/projects/p1/connections/c1",
        f"{RESOURCE}/providers/Microsoft.Insights/diagnosticSettings/d",
        f"{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/usages",
        f"{SUB}/providers/Microsoft.Capacity",
        f"{arm.RG}/providers/Microsoft.Storage/storageAccounts",
    ],
)
def test_every_scope_form_azure_takes_is_answered(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scope: str
) -> None:
    """An Owner at the subscription holds Microsoft.CognitiveServices/accounts/read wherever
    it is asked below the subscription (the usages collection used to be exit 2)."""
    owner = arm.guid("owner")
    data = arm.build(
        resources=[arm.subscription()],
        principals=[arm.principal(owner, name="Olga")],
        roleAssignments=[arm.role_assignment(SUB, owner, arm.OWNER)],
    )
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code = main(
        [
            "access",
            "--snapshot",
            str(path),
            "--principal",
            owner,
            "--scope",
            scope,
            "--action",
            "Microsoft.CognitiveServices/accounts/read",
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert "error" not in err
    below = scope_key(scope).startswith(scope_key(SUB))
    assert (code, json.loads(out)["decision"]) == ((0, "allowed") if below else (1, "denied"))


def test_a_provider_level_path_lies_in_its_subscription() -> None:
    tree = ScopeTree.from_chains({arm.SUB: ["mg-ai", arm.TENANT]})
    usages = scope_key(f"{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/usages")
    assert tree.ancestors(usages) == (
        usages,
        scope_key(f"{SUB}/providers/Microsoft.CognitiveServices/locations/eastus"),
        scope_key(SUB),
        scope_key(arm.management_group_scope("mg-ai")),
        scope_key(arm.management_group_scope(arm.TENANT)),
        "/",
    )
    collection = scope_key(f"{arm.RG}/providers/Microsoft.Storage/storageAccounts")
    assert tree.ancestors(collection)[:3] == (collection, scope_key(arm.RG), scope_key(SUB))


@pytest.mark.parametrize(
    "scope",
    ["subscriptions/x", f"{arm.RG}/providers", f"{arm.RG}/providers/A/providers/B/t/n", "/x/y"],
)
def test_only_malformed_paths_are_refused(capsys: pytest.CaptureFixture[str], scope: str) -> None:
    code = main(
        [
            "access",
            "--demo",
            "--principal",
            DEMO_PRINCIPAL,
            "--scope",
            scope,
            "--action",
            "Microsoft.CognitiveServices/accounts/read",
        ]
    )
    assert code == 2 and "--scope" in capsys.readouterr().err
