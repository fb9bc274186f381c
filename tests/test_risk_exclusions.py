"""A role's risk with exclusions (notActions, notDataActions): risk._measure tests only the
operations some exclusion matches, operation by operation; every other operation an allowed
pattern matches is granted. Checked against the per-operation reference for every built-in
role with exclusions, and for roles whose blocks grant what another block excludes."""

from __future__ import annotations

from bisect import bisect_left

import pytest

from diagnose.catalog import builtin_role_definitions, provider_operations
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.matching import block_pattern
from diagnose.rbac.patterns import compile_glob, glob_matches
from diagnose.remediation.risk import Risk, Tier, _measure, tier_of


def reference(role: RoleDefinition, provider: str) -> Risk:
    """Every operation of the provider's catalog an allowed pattern matches, each tested with
    block_pattern (the measure before it skipped the tests)."""
    control, data_ops = provider_operations()[provider]
    counts = [0] * len(Tier)
    notable = []
    for data, operations in ((False, control), (True, data_ops)):
        matched = set()
        for pattern in role.patterns(data):
            glob = compile_glob(pattern)
            low = bisect_left(operations, glob[0])
            high = bisect_left(operations, glob[0] + "\U0010ffff", low)
            matched.update(op for op in operations[low:high] if glob_matches(glob, op))
        for operation in sorted(matched):
            if block_pattern(role.blocks, operation, data) is None:
                continue
            tier = tier_of(operation, data)
            counts[tier] += 1
            if tier >= Tier.ESCALATION:
                notable.append(operation)
    return Risk(tuple(counts), tuple(sorted(notable)))


def _providers(role: RoleDefinition) -> list[str]:
    """The catalogued providers a role's patterns name (a few large ones for `*`)."""
    known = provider_operations()
    named = set()
    for block in role.blocks:
        for data in (False, True):
            for pattern in (*block.allows(data), *block.excludes(data)):
                head = pattern.strip().split("/", 1)[0].lower()
                named.update(
                    ("microsoft.authorization", "microsoft.storage", "microsoft.keyvault")
                    if "*" in head
                    else [head]
                )
    return sorted(p for p in named if p in known)


def _excluding() -> list[RoleDefinition]:
    roles = [RoleDefinition.from_arm(d, "catalog") for d in builtin_role_definitions()]
    return [r for r in roles if any(b.not_actions or b.not_data_actions for b in r.blocks)]


def _custom(name: str, *blocks: dict[str, list[str]]) -> RoleDefinition:
    return RoleDefinition.from_arm(
        {
            "id": f"/providers/Microsoft.Authorization/roleDefinitions/{name}",
            "name": name,
            "properties": {"roleName": name, "type": "CustomRole", "permissions": list(blocks)},
        },
        "snapshot",
    )


CUSTOM = [
    # one block excludes the secrets, another grants listKeys back
    _custom(
        "11111111-0000-0000-0000-000000000001",
        {"actions": ["Microsoft.Storage/*"], "notActions": ["Microsoft.Storage/*/listKeys/action"]},
        {"actions": ["Microsoft.Storage/storageAccounts/listKeys/action"]},
    ),
    # an exclusion that matches nothing granted, and one with a star in the middle
    _custom(
        "11111111-0000-0000-0000-000000000002",
        {
            "actions": ["Microsoft.KeyVault/vaults/*"],
            "notActions": ["Microsoft.Storage/*", "Microsoft.KeyVault/*/write"],
            "dataActions": ["Microsoft.KeyVault/vaults/*"],
            "notDataActions": ["Microsoft.KeyVault/vaults/secrets/*"],
        },
    ),
]


def test_there_are_builtin_roles_with_exclusions_to_check():
    assert len(_excluding()) > 10


@pytest.mark.parametrize("role", _excluding() + CUSTOM, ids=lambda r: r.name)
def test_a_measure_with_exclusions_is_the_per_operation_one(role: RoleDefinition):
    providers = _providers(role)
    assert providers, role.name
    for provider in providers:
        assert _measure(role, provider) == reference(role, provider), (role.name, provider)


def test_the_custom_roles_exclude_something():
    """The second block's listKeys is granted back: the reference counts it as a secret."""
    first = reference(CUSTOM[0], "microsoft.storage")
    assert "microsoft.storage/storageaccounts/listkeys/action" in first.notable
    assert (
        reference(CUSTOM[1], "microsoft.keyvault").counts
        != _measure_without_exclusions(CUSTOM[1], "microsoft.keyvault").counts
    )


def _measure_without_exclusions(role: RoleDefinition, provider: str) -> Risk:
    plain = RoleDefinition.from_arm(
        {
            "id": f"/providers/Microsoft.Authorization/roleDefinitions/{role.id}",
            "name": role.id,
            "properties": {
                "roleName": role.name,
                "permissions": [
                    {"actions": list(b.actions), "dataActions": list(b.data_actions)}
                    for b in role.blocks
                ],
            },
        },
        "snapshot",
    )
    return reference(plain, provider)
