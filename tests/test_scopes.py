"""Scope keys and ancestry: segment-wise, case-insensitive, management groups included.

diagnose.arm.scopes works on keys for speed; the tests at the end hold it to the grammar of
diagnose.arm.ids, and to the old scope checker (tests/old_arm_parsers.py) on every fixture id.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diagnose.arm.ids import ResourceId, build, parse
from diagnose.arm.scopes import (
    ROOT,
    ScopeTree,
    is_management_group,
    level_of,
    management_group_key,
    resource_group_key,
    scope_key,
    scope_problem,
    segments_of,
    structural_parent,
    subscription_of,
)
from tests import arm
from tests import old_arm_parsers as old
from tests.test_arm_ids import FIXTURE_IDS, garbage, resource_ids

SUB = arm.SUB
RG = arm.RG
SA = f"{RG}/providers/Microsoft.Storage/storageAccounts/sthub"
CONTAINER = f"{SA}/blobServices/default/containers/prompts"
SEARCH = f"{RG}/providers/Microsoft.Search/searchServices/srch"
INDEX = f"{SEARCH}/indexes/products"
ACCOUNT = f"{RG}/providers/Microsoft.CognitiveServices/accounts/foundry"
FOUNDRY_PROJECT = f"{ACCOUNT}/projects/proj1"
HUB = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub"
HUB_PROJECT = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/hub-project"
CONNECTION = f"{HUB}/connections/aoai"


def tree(**chains: list[str]) -> ScopeTree:
    return ScopeTree.from_chains(chains or {SUB: ["mg-ai", "mg-corp", arm.TENANT]})


def key(scope: str) -> str:
    return scope_key(scope)


def test_scope_key_ignores_case_and_stray_slashes() -> None:
    assert key(f"/subscriptions/{SUB}/resourceGroups/RG-AI/") == key(RG)
    assert key(f"//subscriptions/{SUB.upper()}//resourcegroups/rg-ai") == key(RG)
    assert key("/") == ROOT == key("") == key("  /  ")
    assert key(RG).startswith("/") and not key(RG).endswith("/")


def test_sibling_with_common_prefix_is_not_an_ancestor() -> None:
    t = tree()
    prod = f"/subscriptions/{SUB}/resourceGroups/rg-ai-prod"
    assert not t.covers(key(RG), key(prod))
    assert not t.covers(key(RG), key(f"{prod}/providers/Microsoft.Storage/storageAccounts/s"))
    assert not t.covers(key(prod), key(SA))
    # a storage account whose name extends another's is not its child either
    assert not t.covers(key(SA), key(f"{SA}2"))
    assert t.covers(key(RG), key(SA))


def test_ancestors_of_a_child_resource_reach_the_root_through_management_groups() -> None:
    t = tree()
    assert t.ancestors(key(CONTAINER)) == (
        key(CONTAINER),
        key(f"{SA}/blobServices/default"),
        key(SA),
        key(RG),
        key(f"/subscriptions/{SUB}"),
        management_group_key("mg-ai"),
        management_group_key("mg-corp"),
        management_group_key(arm.TENANT),
        ROOT,
    )


def test_ancestry_is_case_insensitive() -> None:
    t = tree()
    upper = CONTAINER.upper().replace("/PROVIDERS/", "/providers/")
    assert t.covers(key(RG.upper()), key(upper))
    assert t.covers(key(arm.management_group_scope("MG-AI")), key(upper))


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (INDEX, SEARCH),
        (FOUNDRY_PROJECT, ACCOUNT),
        (f"{FOUNDRY_PROJECT}/connections/c", FOUNDRY_PROJECT),
        (CONNECTION, HUB),
        (f"{SA}/blobServices/default", SA),
        (f"{SA}/providers/Microsoft.Insights/diagnosticSettings/d", SA),
        (SA, RG),
        (RG, f"/subscriptions/{SUB}"),
        (f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/p", f"/subscriptions/{SUB}"),
    ],
)
def test_child_resources_inherit_from_their_parent(child: str, parent: str) -> None:
    assert structural_parent(key(child)) == key(parent)
    assert tree().covers(key(parent), key(child))
    assert not tree().covers(key(child), key(parent))


def test_a_hub_project_is_not_a_child_of_its_hub() -> None:
    t = tree()
    assert not t.covers(key(HUB), key(HUB_PROJECT))
    assert not t.covers(key(HUB_PROJECT), key(HUB))
    assert t.ancestors(key(HUB_PROJECT))[1] == key(RG)


def test_management_group_parents_come_from_the_chain() -> None:
    t = tree()
    mg = management_group_key("mg-ai")
    assert t.ancestors(mg) == (
        mg,
        management_group_key("mg-corp"),
        management_group_key(arm.TENANT),
        ROOT,
    )
    assert is_management_group(key(arm.management_group_scope("Mg-Ai")))
    assert not is_management_group(key(f"{arm.management_group_scope('x')}/providers/A.B/c/d"))


def test_a_management_group_not_in_the_chain_does_not_cover() -> None:
    t = tree()
    assert not t.covers(management_group_key("mg-other"), key(SA))
    # a management group whose name extends one in the chain is another group
    assert not t.covers(management_group_key("mg-ai-prod"), key(SA))


def test_unknown_management_groups_are_reported_not_guessed() -> None:
    t = ScopeTree.from_chains({})
    assert not t.knows_management_groups(key(SA))
    assert t.ancestors(key(f"/subscriptions/{SUB}")) == (key(f"/subscriptions/{SUB}"), ROOT)
    # an empty chain is a chain that was not collected: every subscription has a root group
    assert not ScopeTree.from_chains({SUB: []}).knows_management_groups(key(SA))
    assert tree().knows_management_groups(key(SA))
    assert ScopeTree.from_chains({}).knows_management_groups(arm.management_group_scope("x"))


def test_subscriptions_each_use_their_own_chain() -> None:
    other = "99999999-1111-2222-3333-444444444444"
    t = ScopeTree.from_chains({SUB: ["mg-a", "root"], other: ["mg-b", "root"]})
    assert management_group_key("mg-a") in t.ancestors(key(SA))
    assert management_group_key("mg-b") not in t.ancestors(key(SA))
    assert management_group_key("mg-b") in t.ancestors(key(f"/subscriptions/{other}/x/y"))


def test_malformed_chains_with_a_cycle_end() -> None:
    other = "99999999-1111-2222-3333-444444444444"
    t = ScopeTree.from_chains({SUB: ["a", "b"], other: ["b", "a"]})
    ancestors = t.ancestors(key(SA))
    assert ancestors[-1] == ROOT
    assert len(ancestors) == len(set(ancestors))
    mg_ancestors = t.ancestors(management_group_key("a"))
    assert len(mg_ancestors) == len(set(mg_ancestors))


@pytest.mark.parametrize(
    ("scope", "level"),
    [
        ("/", "root"),
        (arm.management_group_scope("mg"), "management group"),
        (f"/subscriptions/{SUB}", "subscription"),
        (RG, "resource group"),
        (SA, "resource"),
        (CONTAINER, "child resource"),
        (FOUNDRY_PROJECT, "child resource"),
        (f"{SA}/providers/Microsoft.Insights/diagnosticSettings/d", "child resource"),
    ],
)
def test_level_of(scope: str, level: str) -> None:
    assert level_of(key(scope)) == level


def test_subscription_and_resource_group_of_a_scope() -> None:
    assert subscription_of(key(CONTAINER)) == SUB
    assert subscription_of(key(arm.management_group_scope("mg"))) is None
    assert resource_group_key(key(CONTAINER)) == key(RG)
    assert resource_group_key(key(f"/subscriptions/{SUB}")) is None


@pytest.mark.parametrize(
    "scope",
    [
        "/",
        RG,
        SA,
        CONTAINER,
        FOUNDRY_PROJECT,
        CONNECTION,
        arm.management_group_scope("mg"),
        f"/subscriptions/{SUB}",
        f"{SA}/providers/Microsoft.Insights/diagnosticSettings/d",
        # provider-level paths Azure takes as scopes (issue 16): a collection, a namespace
        f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus/usages",
        f"{RG}/providers/Microsoft.Storage/storageAccounts",
        f"/subscriptions/{SUB}/providers/Microsoft.Capacity",
        "/providers/Microsoft.Marketplace",
        f"{CONTAINER}/providers/Microsoft.Insights/diagnosticSettings",
    ],
)
def test_well_formed_scopes(scope: str) -> None:
    assert scope_problem(scope) is None


@pytest.mark.parametrize(
    ("scope", "says"),
    [
        ("subscriptions/x", "starts with '/'"),
        ("/subscriptions", "subscription id"),
        (f"/subscriptions/{SUB}/resourceGroups", "resource group name"),
        (f"{RG}/Microsoft.Storage/storageAccounts/s", "expected 'providers'"),
        (f"{RG}/providers/Microsoft.Storage/providers/B/t/n", "pairs"),
        (f"{RG}/providers/A/t/n/providers", "namespace"),
        (f"{RG}/providers", "namespace"),
        ("/tenants/x", "unexpected segment"),
    ],
)
def test_malformed_scopes_say_what_is_wrong(scope: str, says: str) -> None:
    problem = scope_problem(scope)
    assert problem is not None and says in problem


def test_the_model_keeps_the_old_import_path_for_checks() -> None:
    """Checks of other packages import diagnose.model.scopes: it re-exports this module."""
    from diagnose.model import scopes as model_scopes

    assert model_scopes.scope_key is scope_key and model_scopes.ScopeTree is ScopeTree


# -- the key functions follow the grammar, and read as the old ones did ------------------------


def _old_split_at_a_name(key: str) -> bool:
    """Whether a 'providers' stands where the new grammar reads a name: after an odd number of
    type/name segments. The old checker split a part there (see test_arm_ids)."""
    segments = segments_of(key)
    index = 2 if segments[:1] == ["subscriptions"] else 0
    index += 2 if segments[index : index + 1] == ["resourcegroups"] and index else 0
    count: int | None = None
    while index < len(segments):
        if segments[index] == "providers" and (count is None or count % 2 == 0):
            count, index = 0, index + 2
            continue
        if segments[index] == "providers":
            return True
        count = (count or 0) + 1
        index += 1
    return False


def assert_scope_functions_as_before(text: str) -> None:
    key = scope_key(text)
    assert subscription_of(key) == old.subscription_of(key), text
    assert resource_group_key(key) == old.resource_group_key(key), text
    if not _old_split_at_a_name(key):
        # The old checker refused a path ending with a namespace or a collection; Azure takes
        # it as a scope (issue 16), so now only what the grammar cannot read is refused.
        parsed = parse(key)
        if parsed is not None and parsed.parts and not parsed.parts[-1].complete:
            assert scope_problem(text) is None, text
        else:
            assert scope_problem(text) == old.scope_problem(text), text


@pytest.mark.parametrize("text", FIXTURE_IDS)
def test_fixture_scopes_read_as_before(text: str) -> None:
    assert_scope_functions_as_before(text)
    assert level_of(scope_key(text)) == old.level_of(scope_key(text))


@settings(max_examples=600)
@given(st.one_of(garbage.map(lambda text: "/" + text), resource_ids().map(build)))
def test_generated_scopes_read_as_before(text: str) -> None:
    assert_scope_functions_as_before(text)


@settings(max_examples=500)
@given(resource_ids())
def test_level_of_follows_the_grammar(resource_id: ResourceId) -> None:
    """On every id (the old word, unless 'providers' is a name in it, see test_arm_ids)."""
    key = scope_key(build(resource_id))
    assume(parse(key) is not None)
    names = [
        resource_id.subscription,
        resource_id.resource_group,
        *(n for p in resource_id.parts for n in (p.namespace, *p.names)),
    ]
    if not any((n or "").strip().lower() == "providers" for n in names):
        assert level_of(key) == old.level_of(key), key


def test_a_text_that_is_no_id_is_a_scope_not_a_resource() -> None:
    """The old word came from counting segments after the first 'providers' of anything."""
    bad = f"/subscriptions/{SUB}/whatever/providers/A/t/n"
    assert parse(bad) is None and scope_problem(bad) is not None
    assert level_of(scope_key(bad)) == "scope"
    assert old.level_of(scope_key(bad)) == "resource"
    named = f"{RG}/providers/Microsoft.Storage/storageAccounts/providers"
    assert scope_problem(named) is None and level_of(scope_key(named)) == "resource"


@settings(max_examples=500)
@given(resource_ids(complete=True))
def test_structural_parent_is_the_parent_id(resource_id: ResourceId) -> None:
    text = build(resource_id)
    assume(text == text.strip() and scope_key(text) == text.lower())
    parent = resource_id.parent
    assert structural_parent(scope_key(text)) == (
        build(parent).lower() if parent is not None else None
    )
    assert (level_of(scope_key(text)) == "management group") == is_management_group(scope_key(text))
