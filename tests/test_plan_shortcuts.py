"""The plan step's short cuts (issue 15): each must give exactly what the long way gives.

- FixPlan copies a fix's fields to give it its commands and proof (Remediation.changed)
  instead of calling dataclasses.replace: the very same Remediation, for every fix a run plans;
- a custom role's canonical JSON is worked out once per role (FixPlan._custom_role) and keys the
  commands memo of every fix that assigns it: it must be the canonical JSON of each such fix's
  value, and the memo must tell two values apart by it;
- a proof names the assignment it adds with proof.uuid5_text, not uuid.uuid5: the same text;
- quoting._has_unsafe answers ASCII text with str.isprintable instead of the pattern: the
  same answer for every character and for text mixing them.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from benchmarks.synthetic import build_foundry, small_hub
from diagnose.engine.api import Remediation, RemediationKind
from diagnose.engine.registry import load_checks
from diagnose.engine.runner import Engine
from diagnose.model.model import Model
from diagnose.remediation import quoting
from diagnose.remediation.commands import commands_for
from diagnose.remediation.plan import FixPlan, _canonical
from diagnose.snapshot import parse_snapshot
from tests import arm


def _planned(data: dict) -> tuple[list[Remediation], list[FixPlan]]:
    plans: list[FixPlan] = []

    def plan(model: Model, evaluator) -> FixPlan:  # type: ignore[no-untyped-def]
        made = FixPlan(model, evaluator)
        plans.append(made)
        return made

    model = Model(parse_snapshot(data))
    result = Engine(model, fixes=plan).run(load_checks()[0])
    return [fix for finding in result.findings for fix in finding.remediations], plans


def test_copy_equals_dataclasses_replace_on_a_runs_fixes() -> None:
    fixes, _ = _planned(small_hub(projects=3, broken=0.3))
    assert len(fixes) > 20  # not vacuous
    for index, fix in enumerate(fixes):
        commands = commands_for(fix)
        changes = {"verified": bool(index % 2) != fix.verified, "verification": f"proof {index}"}
        ours = fix.changed(commands=commands, **changes)
        theirs = dataclasses.replace(fix, commands=commands, **changes)  # type: ignore[arg-type]
        assert type(ours) is type(theirs)
        assert ours == theirs
        assert vars(ours) == vars(theirs)
        assert ours.commands is commands
        assert (fix.verified, fix.verification) != (changes["verified"], changes["verification"])
    with pytest.raises(TypeError):
        fixes[0].changed(commands=commands_for(fixes[0]), no_such_field=1)


def test_a_custom_roles_canonical_json_is_that_of_each_fix_that_assigns_it() -> None:
    fixes, plans = _planned(build_foundry(projects=3, principals=40, assignments=100))
    custom = [f for f in fixes if f.kind is RemediationKind.ROLE_ASSIGNMENT and f.value]
    assert custom  # not vacuous
    canonical = {
        role.guid: text for plan in plans for role, _, _, text in plan._custom_roles.values()
    }
    for fix in custom:
        assert canonical[fix.role_definition_id or ""] == _canonical(fix.value)


def test_the_commands_memo_tells_custom_roles_apart_by_their_canonical_json() -> None:
    """Two fixes alike in every field but their custom role are rendered apart, each keyed
    by the canonical JSON it was given."""
    from diagnose.remediation.roles import CustomRole

    model = Model(parse_snapshot(arm.build(resources=[arm.subscription()])))
    plan = FixPlan(model, Engine(model).evaluator)
    group = f"/subscriptions/{arm.SUB}/resourceGroups/rg-ai"

    def grant(operation: str) -> Remediation:
        role = CustomRole.for_need([(operation, False)], group)
        return Remediation(
            kind=RemediationKind.ROLE_ASSIGNMENT,
            summary="Assign the custom role.",
            principal_id=arm.guid("user:dev"),
            principal_type="User",
            role_definition_id="00000000-0000-0000-0000-000000000001",  # the same for both
            role_name="Least privilege",
            scope=group,
            value=role.arm(arm.SUB),
        )

    read, write = grant("Microsoft.Search/searchServices/read"), grant("Microsoft.Search/x/write")
    first = plan._with_commands(read, _canonical(read.value))
    second = plan._with_commands(write, _canonical(write.value))
    assert first.commands == commands_for(read)
    assert second.commands == commands_for(write)
    assert first.commands != second.commands


_SAMPLES = [
    "",
    "plain text",
    "tab\there",
    "new\nline",
    "del\x7fchar",
    "café",
    "bell\x07",
    "zero\u200bwidth",
    "rtl\u202eoverride",
    "nbsp\u00a0",
    "c1\x85control",
]


def test_has_unsafe_answers_as_the_pattern_for_every_character() -> None:
    for code in itertools.chain(range(0x3000), range(0xFE00, 0x10000)):
        ch = chr(code)
        expected = quoting._UNSAFE.search(ch) is not None
        assert quoting._has_unsafe(ch) is expected, hex(code)
        assert quoting._has_unsafe(f"a{ch}b") is expected, hex(code)
    for left, right in itertools.product(_SAMPLES, repeat=2):
        text = left + right
        assert quoting._has_unsafe(text) is (quoting._UNSAFE.search(text) is not None), text


def test_uuid5_text_is_the_uuid_modules_uuid5() -> None:
    import random
    import uuid

    from diagnose.remediation.proof import PROOF_NAMESPACE, uuid5_text

    rng = random.Random(5)
    alphabet = "abcXYZ019/|-_.é€\u200b\U0001d518"
    names = ["", "a", *("".join(rng.choices(alphabet, k=rng.randrange(80))) for _ in range(500))]
    for namespace in (PROOF_NAMESPACE, uuid.NAMESPACE_URL, uuid.UUID(int=0)):
        for name in names:
            assert uuid5_text(namespace.bytes, name) == str(uuid.uuid5(namespace, name)), name


def test_scope_providers_index_reads_each_key_as_leading_scope_does() -> None:
    """ScopeProviders reads a key's group and subscription once per group (the first four
    segments of the key): the same index as reading every key on its own, for keys of every
    shape (empty segments, no leading '/', short, management groups, case)."""
    from diagnose.arm.ids import build, leading_scope
    from diagnose.remediation.planner import ScopeProviders

    sub, other = "/subscriptions/S1", "/subscriptions/s2"
    keys = [
        f"{sub}/resourcegroups/rg-a/providers/microsoft.search/searchservices/x",
        f"{sub}/resourcegroups/rg-a/providers/microsoft.storage/storageaccounts/y",
        f"{sub}/resourcegroups/rg-b/providers/microsoft.keyvault/vaults/z",
        f"{sub}/resourceGroups/RG-A/providers/microsoft.web/sites/w",
        f"{other}/resourcegroups/rg-a/providers/microsoft.sql/servers/q",
        f"{sub}/providers/microsoft.insights/components/top",
        f"{sub}//resourcegroups/rg-c/providers/microsoft.cdn/profiles/gap",
        f"{sub}//resourcegroups/rg-g/providers/microsoft.cdn/profiles/gap",
        f"/{sub}/resourcegroups/rg-d/providers/microsoft.cache/redis/double",
        "subscriptions/s3/resourcegroups/rg-e/providers/microsoft.network/vnets/rel",
        "other/s3/resourcegroups/rg-e/providers/microsoft.network/vnets/rel",
        "/subscriptions/s4/resourcegroups",
        "/subscriptions/s4/resourcegroups/rg-f",
        "/subscriptions/s5",
        "/providers/microsoft.management/managementgroups/mg/providers/microsoft.x/y/z",
        "/",
        "",
    ]
    resources = [(key, f"microsoft.p{index}/things") for index, key in enumerate(keys)]
    index = ScopeProviders(resources)
    index._index()

    by_group: dict[str, set[str]] = {}
    by_subscription: dict[str, set[str]] = {}
    for key, resource_type in resources:
        provider = resource_type.split("/", 1)[0]
        leading = leading_scope(key)
        if leading.resource_group is not None:
            by_group.setdefault(build(leading).lower(), set()).add(provider)
        if leading.subscription is not None:
            by_subscription.setdefault(leading.subscription.lower(), set()).add(provider)
    assert len(by_group) >= 5 and len(by_subscription) >= 4  # not vacuous
    assert index._by_group == by_group
    assert index._by_subscription == by_subscription


def test_a_proofs_assignment_is_named_by_uuid5() -> None:
    import uuid

    from diagnose.remediation.proof import PROOF_NAMESPACE, role_assignment_object

    scope = f"/subscriptions/{arm.SUB}/resourceGroups/RG-Ai"
    principal, role = arm.guid("user:dev"), arm.READER
    made = role_assignment_object(principal, "User", role, scope)
    expected = str(uuid.uuid5(PROOF_NAMESPACE, f"{scope.lower()}|{principal}|{role}"))
    assert made["name"] == expected
    assert made["id"].endswith(f"/roleAssignments/{expected}")


def test_providers_of_a_model_read_its_resources_when_first_asked() -> None:
    from diagnose.arm.scopes import resource_group_key, subscription_of
    from diagnose.remediation.planner import ScopeProviders

    model = Model(parse_snapshot(small_hub(projects=3, assignments=50)))
    listed = [(r.key, r.type) for r in model.resources.values()]
    scopes = {
        scope
        for key, _ in listed
        for scope in (key, resource_group_key(key), f"/subscriptions/{subscription_of(key)}")
        if scope
    }
    assert any("/resourcegroups/" in s and "/providers/" not in s for s in scopes)
    lazy, eager = ScopeProviders.of(model), ScopeProviders(listed)
    for scope in sorted(scopes):
        assert lazy.at(scope) == eager.at(scope), scope
