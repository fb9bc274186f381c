#!/usr/bin/env python3
"""Regenerate the package data in diagnose/catalog/ from Azure's own listings.

    az role definition list --custom-role-only false > roles.json
    for p in Microsoft.Authorization Microsoft.CognitiveServices ...; do
        az provider operation show --namespace "$p" > "ops/$p.json"; done
    python scripts/update_catalog.py --roles roles.json --operations ops/*.json

`--roles` takes `az role definition list` output (a JSON list of flat definitions), the ARM
list wire format (`{"value": [...]}`), or an object with a "roles" list. Only the built-in roles
named in KEPT_ROLES are shipped: the ones the checks, the remediation planner and the tests use.
The tool prefers the definitions it collects from the tenant; these are the fallback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "diagnose" / "catalog"

# Keyed by id, never by name: names change (Azure AI User became Foundry User).
KEPT_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
    "64702f94-c441-49e6-a78b-ef80e0188fee": "Azure AI Developer",
    "3afb7f49-54cb-416e-8c09-6dc049efa503": "Azure AI Inference Deployment Operator",
    "b78c5d69-af96-48a3-bf8d-a8b4d589de94": "Azure AI Administrator",
    "53ca6127-db72-4b80-b1b0-d745d6d5456d": "Foundry User",
    "c883944f-8b7b-4483-af10-35834be79c4a": "Foundry Owner",
    "e47c6f54-e4a2-4754-9501-8e0985b135e1": "Foundry Account Owner",
    "eadc314b-1a2d-4efa-be10-5d325db5065e": "Foundry Project Manager",
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": "Cognitive Services OpenAI User",
    "a001fd3d-188f-4b5d-821b-7da978bf7442": "Cognitive Services OpenAI Contributor",
    "a97b65f3-24c7-4388-baec-2e87135dc908": "Cognitive Services User",
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68": "Cognitive Services Contributor",
    "1407120a-92aa-4202-b7e9-c0e197c71c8f": "Search Index Data Reader",
    "8ebe5a00-799e-43f5-93ac-243d3dce84a7": "Search Index Data Contributor",
    "7ca78c08-252a-4471-8644-bb5ff32d4ba0": "Search Service Contributor",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "b8eda974-7b85-4f76-af95-65846b26df6d": "Storage File Data Privileged Reader",
    "69566ab7-960f-475b-8e7c-b3118f30c6bd": "Storage File Data Privileged Contributor",
    "0c867c2a-1d8c-454a-a3db-ab2ea1bdc8bb": "Storage File Data SMB Share Contributor",
    "aba4ae5f-2193-4029-9191-0cb91df5e314": "Storage File Data SMB Share Reader",
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": "Key Vault Crypto Officer",
    "e147488a-f6f5-4113-8e2d-b22465e65bf6": "Key Vault Crypto Service Encryption User",
    "21090545-7ca7-4776-b22c-e363652d74d2": "Key Vault Reader",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "12338af0-0e69-4776-bea7-57ae8d297424": "Key Vault Crypto User",
    "f25e0fa2-a7c8-4377-a976-54943a77a395": "Key Vault Contributor",
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "8311e382-0749-4cb8-b61a-304f252e45ec": "AcrPush",
    "f1a07417-d97a-45cb-824c-7a7467783830": "Managed Identity Operator",
    "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59": "Managed Identity Contributor",
    "f6c7c914-8db3-469d-8ca1-694a8f32e121": "AzureML Data Scientist",
    "ae349356-3a1b-4a5e-921d-050484c6347e": "Application Insights Component Contributor",
    "92aaf0da-9dab-42b6-94a3-d43ce8d16293": "Log Analytics Contributor",
    "749f88d5-cbae-40b8-bcfc-e573ddc772fa": "Monitoring Contributor",
    "eed3b665-ab3a-47b6-8f48-c9382fb1dad6": "Foundry Agent Consumer",
    "230815da-be43-4aae-9cb4-875f7bd000aa": "Cosmos DB Operator",
    "5bd9cd88-fe45-4216-938b-f97437e15450": "DocumentDB Account Contributor",
    "fbdf93bf-df7d-467e-a4d2-9458aa1360c8": "Cosmos DB Account Reader Role",
    "b556d68e-0be0-4f35-a333-ad7ee1ce17ea": "Azure AI Enterprise Network Connection Approver",
    "73c42c96-874c-492b-b04d-ab87d138a893": "Log Analytics Reader",
    "3b03c2da-16b3-4a49-8834-0f8130efdd3b": "Log Analytics Data Reader",
    "43d0d8ad-25c7-4714-9337-8ba259a9fe05": "Monitoring Reader",
    "4d97b98b-1d4f-4787-a291-c67834d212e7": "Network Contributor",
}


def read_roles(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("value", data.get("roles"))
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a list of role definitions")
    return data


def to_arm(role: dict) -> dict:
    """A role definition in the ARM wire shape, whichever shape it came in."""
    if "properties" in role:
        return role
    properties = {
        "roleName": role["roleName"],
        "type": role.get("roleType", "BuiltInRole"),
        "description": role.get("description", ""),
        "assignableScopes": role.get("assignableScopes", ["/"]),
        "permissions": role["permissions"],
        "createdOn": role.get("createdOn"),
        "updatedOn": role.get("updatedOn"),
    }
    if role.get("formerRoleNames"):
        properties["formerRoleNames"] = role["formerRoleNames"]
    return {
        "id": role["id"],
        "name": role["name"],
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": properties,
    }


def read_operations(paths: list[Path]) -> dict[str, list[str]]:
    control: set[str] = set()
    data: set[str] = set()
    for path in paths:
        provider = json.loads(path.read_text(encoding="utf-8"))
        operations = list(provider.get("operations") or [])
        for resource_type in provider.get("resourceTypes") or []:
            operations.extend(resource_type.get("operations") or [])
        for operation in operations:
            (data if operation.get("isDataAction") else control).add(operation["name"])
    return {"controlPlane": sorted(control), "dataPlane": sorted(data)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", type=Path, required=True)
    parser.add_argument("--operations", type=Path, nargs="+", required=True)
    parser.add_argument(
        "--source",
        default="az role definition list",
        help="where the listings came from, recorded in the catalog",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=CATALOG,
        help="the folder to write to (default: diagnose/catalog)",
    )
    args = parser.parse_args(argv)

    by_id = {to_arm(r)["name"].lower(): to_arm(r) for r in read_roles(args.roles)}
    missing = sorted(set(KEPT_ROLES) - set(by_id))
    if missing:
        print(
            "missing roles: " + ", ".join(f"{KEPT_ROLES[m]} ({m})" for m in missing),
            file=sys.stderr,
        )
        return 1
    kept = sorted((by_id[i] for i in KEPT_ROLES), key=lambda r: r["properties"]["roleName"])
    (args.out / "builtin_roles.json").write_text(
        json.dumps({"source": args.source, "value": kept}, indent=1) + "\n", encoding="utf-8"
    )
    operations = read_operations(args.operations)
    document = {**operations, "source": "az provider operation show"}
    (args.out / "operations.json").write_text(
        json.dumps(document, indent=0) + "\n", encoding="utf-8"
    )
    print(
        f"kept {len(kept)} roles; {len(operations['controlPlane'])} control-plane and "
        f"{len(operations['dataPlane'])} data-plane operations"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
