"""What a snapshot says about a key vault's access-policy refusal ("does not have secrets get
permission on key vault 'v'"): whether that vault uses access policies at all, and whether one
of them already gives the caller, or a group it counts as, the permission the message names.
No role is involved (roles grant nothing on the data of an access-policy vault), so the answer
is a note, with the access policy to add as a command when none gives it."""

from __future__ import annotations

import shlex
from typing import Any

from diagnose.model.access_policies import access_policy_grant, is_compound
from diagnose.model.model import Model
from diagnose.model.resources import KEY_VAULT

CLI_FLAGS = {
    "secrets": "--secret-permissions",
    "keys": "--key-permissions",
    "certificates": "--certificate-permissions",
    "storage": "--storage-permissions",
}
"""The permission kinds a message names, and the `az keyvault set-policy` option of each."""


def access_policy_notes(model: Model, extracted: dict[str, str]) -> list[str]:
    """Notes on the vault and permission a message names (none when it names neither)."""
    vault_name, permission = extracted.get("vault"), extracted.get("permission")
    if not vault_name or not permission:
        return []
    kind, _, written = permission.partition(" ")
    kind, verb = kind.lower(), written.lower()
    vaults = [v for v in model.of_type(KEY_VAULT) if v.name.lower() == vault_name.lower()]
    if len(vaults) != 1:
        where = "is not" if not vaults else "is more than one vault"
        return [
            f"key vault '{vault_name}' {where} in the snapshot: its access policies were not "
            "checked"
        ]
    vault = vaults[0]
    if vault.prop("enableRbacAuthorization") is True:
        return [
            f"in this snapshot key vault '{vault.name}' uses Azure RBAC, not access policies: "
            "the message came before the switch or from another vault; its data roles decide "
            "now (a Key Vault ForbiddenByRbac message names the data action)"
        ]
    principal = extracted.get("principal")
    if not principal:
        return [
            f"the message names no object id: the access policies of '{vault.name}' were "
            "not matched against a caller"
        ]
    membership = model.authorization.directory.closure(principal)
    policies = [p for p in vault.prop("accessPolicies") or () if isinstance(p, dict)]
    giving = [p for p in policies if _gives(p, kind, verb, membership.via)]
    direct = [p for p in giving if not is_compound(p)]
    if direct:
        holders = ", ".join(sorted({str(p.get("objectId")) for p in direct}))
        return [
            f"in this snapshot an access policy of '{vault.name}' already gives {permission} "
            f"to {holders} ({principal} or a group it counts as): look instead at the "
            "identity that made the call, its tenant, or a policy changed since the snapshot"
        ]
    lines = [
        f"in this snapshot none of the {len(policies)} access policies of '{vault.name}' gives "
        f"{permission} to {principal} (or to a group it counts as)"
        + (
            " (one does only through an application acting for it: a compound identity)"
            if giving
            else ""
        )
    ]
    if not membership.complete:
        lines[0] += "; its group memberships are not all known, so a group's policy may give it"
    flag = CLI_FLAGS.get(kind)
    if flag is not None and verb:
        command = " ".join(
            shlex.quote(part)
            for part in (
                "az", "keyvault", "set-policy", "--name", vault.name,
                "--object-id", principal, flag, written,
            )
        )  # fmt: skip
        lines.append(f"to add the access policy it needs: {command}")
    return lines


def _gives(policy: dict[str, Any], kind: str, verb: str, ids: dict[str, Any]) -> bool:
    holder, names = access_policy_grant(policy, kind)
    return holder in ids and (verb in names or "all" in names)
