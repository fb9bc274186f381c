"""Proof of one fix: it is applied to a copy of the snapshot and the requirement (or check)
re-run; it is proven alone when the finding disappears (a Cosmos DB SQL role assignment: when,
besides, the Cosmos DB evaluator says the data actions it must grant are granted). Whether the
report calls it `verified` is the whole-plan check's answer (diagnose.remediation.whole_plan):
every step applied together, every check run again."""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from diagnose.arm.scopes import subscription_of
from diagnose.engine.api import Remediation, RemediationKind, Requirement
from diagnose.engine.requirements import evaluate
from diagnose.model.authorization import Assignment
from diagnose.model.model import Model
from diagnose.model.roles import RoleDefinition
from diagnose.rbac.cosmos import CosmosEvaluator
from diagnose.rbac.evaluator import Evaluator
from diagnose.remediation.cosmos import CosmosSqlGrant
from diagnose.remediation.roles import CustomRole

_ROLE_KINDS = (RemediationKind.ROLE_ASSIGNMENT, RemediationKind.ACTIVATE_ELIGIBLE)
"""The kinds that add a role assignment once applied."""
PROOF_NAMESPACE = uuid.UUID("5d1c3f8e-6a57-4c3b-9a43-2f0e4d1b7c21")


_PROOF_PREFIX = PROOF_NAMESPACE.bytes
"""PROOF_NAMESPACE's bytes (UUID.bytes makes them anew at each call)."""


def uuid5_text(namespace: bytes, name: str) -> str:
    """`str(uuid.uuid5(uuid.UUID(bytes=namespace), name))`, made once per proven fix: the
    same SHA-1 of the namespace and the name, its version and variant bits set as RFC 4122
    says, without building a UUID object (7 us a call against 2 us;
    tests/test_plan_shortcuts.py compares the two)."""
    digest = bytearray(hashlib.sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def role_assignment_object(
    principal_id: str, principal_type: str | None, role_id: str, scope: str
) -> dict[str, Any]:
    """The ARM object Azure would hold once the fix is applied."""
    name = uuid5_text(_PROOF_PREFIX, f"{scope.lower()}|{principal_id}|{role_id}")
    subscription = subscription_of(scope.lower())
    prefix = f"/subscriptions/{subscription}" if subscription else ""
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/"
            f"{role_id}",
            "principalId": principal_id,
            "principalType": principal_type,
            "scope": scope,
        },
    }


def assignments_for(remediations: list[Remediation]) -> list[dict[str, Any]]:
    """Role assignment objects for the fixes that create or activate one."""
    objects = []
    for fix in remediations:
        if fix.kind in _ROLE_KINDS and fix.role_definition_id and fix.principal_id and fix.scope:
            objects.append(
                role_assignment_object(
                    fix.principal_id, fix.principal_type, fix.role_definition_id, fix.scope
                )
            )
    return objects


def definitions_for(remediations: list[Remediation]) -> list[dict[str, Any]]:
    """The custom role definitions (ARM shape) the fixes create before assigning them."""
    found = []
    for fix in remediations:
        if fix.kind in _ROLE_KINDS and CustomRole.from_arm(fix.value) is not None:
            found.append(fix.value)
    return found


def prove_requirement(
    requirement: Requirement,
    remediations: list[Remediation],
    evaluator: Evaluator,
    roles: Sequence[RoleDefinition] | None = None,
) -> bool:
    """Whether the requirement is met once these fixes are in place (a custom role a fix
    creates is added to the copy's role definitions; `roles`: those definitions, already
    parsed from the fixes' values by the caller, else parsed here)."""
    objects = assignments_for(remediations)
    if not objects:
        return False
    if roles is None:
        roles = [RoleDefinition.from_arm(d, "snapshot") for d in definitions_for(remediations)]
    authz = evaluator.authz.with_assignments([Assignment.from_arm(o) for o in objects], roles)
    return evaluate(requirement, evaluator.derived(authz)).met


def patched_model(model: Model, resource_id: str, setting: str, value: Any) -> Model | None:
    """A copy of the model with one resource property changed, or None if the resource or
    path is not there to change."""
    resource = model.resource(resource_id)
    if resource is None:
        return None
    raw = copy.deepcopy(resource.raw)
    set_property(raw, setting, value)
    return model.with_resource(raw)


def set_property(raw: dict[str, Any], setting: str, value: Any) -> None:
    """Set a property path (`properties.authType`) in a resource's JSON, making the missing
    objects on the way."""
    node: Any = raw
    parts = setting.split(".")
    for part in parts[:-1]:
        child = node.get(part) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = copy.deepcopy(value)


def prove_configuration(
    model: Model, fix: Remediation, still_failing: Callable[[Model], bool]
) -> bool:
    if not fix.resource or not fix.setting or fix.setting == "denyAssignment":
        return False
    patched = patched_model(model, fix.resource, fix.setting, fix.value)
    return patched is not None and not still_failing(patched)


def cosmos_grant(fix: Remediation) -> CosmosSqlGrant | None:
    """The Cosmos DB SQL role assignment a fix makes, None when it makes none (another kind,
    or one that lacks what it needs)."""
    if fix.kind != RemediationKind.COSMOS_SQL_ROLE_ASSIGNMENT:
        return None
    if not (fix.principal_id and fix.role_definition_id and fix.scope and fix.resource):
        return None
    try:
        return CosmosSqlGrant.of(fix)
    except ValueError:
        return None


def cosmos_assignments_for(remediations: list[Remediation]) -> list[dict[str, Any]]:
    """The SQL role assignment objects (ARM shape, children of their Cosmos DB accounts) the
    fixes make."""
    return [grant.arm() for grant in map(cosmos_grant, remediations) if grant is not None]


def prove_cosmos(model: Model, fix: Remediation, still_failing: Callable[[Model], bool]) -> bool:
    """Whether a Cosmos DB SQL role assignment does what it is for: added to a copy of the
    snapshot, the Cosmos DB evaluator says its principal holds every data action the fix names
    (`value.dataActions`) where they are needed (`value.neededAt`, else its own scope), granted
    and not unknown, and the check no longer reports the finding."""
    grant = cosmos_grant(fix)
    if grant is None or not grant.data_actions or model.cosmos.account(grant.account.raw) is None:
        return False
    patched = model.with_resource(grant.arm())
    evaluator = CosmosEvaluator(patched.cosmos, patched.authorization.directory)
    decisions = evaluator.check_all(
        grant.principal, grant.account.raw, grant.needed_at, grant.data_actions
    )
    return all(d.allowed for d in decisions) and not still_failing(patched)
