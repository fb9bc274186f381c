"""scripts/update_catalog.py regenerates the package data from Azure's own listings: fed
`az role definition list` and `az provider operation show` output that hold what the package
ships, it writes exactly the shipped files."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "diagnose" / "catalog"


def load_script():
    spec = importlib.util.spec_from_file_location(
        "update_catalog", ROOT / "scripts" / "update_catalog.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def az_role_list(shipped: dict) -> list[dict]:
    """The shipped roles as `az role definition list` prints them (flat, not ARM-shaped)."""
    flat = []
    for role in shipped["value"]:
        properties = role["properties"]
        item = {
            "roleName": properties["roleName"],
            "name": role["name"],
            "id": role["id"],
            "description": properties["description"],
            "roleType": properties["type"],
            "assignableScopes": properties["assignableScopes"],
            "permissions": properties["permissions"],
            "createdOn": properties["createdOn"],
            "updatedOn": properties["updatedOn"],
        }
        if properties.get("formerRoleNames"):
            item["formerRoleNames"] = properties["formerRoleNames"]
        flat.append(item)
    return flat


def az_provider_operations(shipped: dict, folder: Path) -> list[Path]:
    by_provider: dict[str, list[dict]] = {}
    for plane, data in (("controlPlane", False), ("dataPlane", True)):
        for name in shipped[plane]:
            by_provider.setdefault(name.split("/", 1)[0], []).append(
                {"name": name, "isDataAction": data, "displayName": name}
            )
    paths = []
    for provider, operations in by_provider.items():
        path = folder / f"{provider}.json"
        path.write_text(
            json.dumps(
                {
                    "name": provider,
                    "operations": operations[:1],
                    "resourceTypes": [{"name": "all", "operations": operations[1:]}],
                }
            )
        )
        paths.append(path)
    return paths


def test_regenerating_from_az_listings_reproduces_the_shipped_catalog(tmp_path):
    shipped_roles = json.loads((CATALOG / "builtin_roles.json").read_text(encoding="utf-8"))
    shipped_ops = json.loads((CATALOG / "operations.json").read_text(encoding="utf-8"))
    roles = tmp_path / "roles.json"
    roles.write_text(json.dumps(az_role_list(shipped_roles)), encoding="utf-8")
    operations = az_provider_operations(shipped_ops, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    code = load_script().main(
        [
            "--roles",
            str(roles),
            "--operations",
            *map(str, operations),
            "--source",
            shipped_roles["source"],
            "--out",
            str(out),
        ]
    )
    assert code == 0
    for name in ("builtin_roles.json", "operations.json"):
        assert (out / name).read_text(encoding="utf-8") == (CATALOG / name).read_text(
            encoding="utf-8"
        ), name


def test_a_listing_without_a_role_the_tool_needs_is_refused(tmp_path, capsys):
    shipped_roles = json.loads((CATALOG / "builtin_roles.json").read_text(encoding="utf-8"))
    listing = [r for r in az_role_list(shipped_roles) if r["roleName"] != "Reader"]
    roles = tmp_path / "roles.json"
    roles.write_text(json.dumps(listing), encoding="utf-8")
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps({"name": "Microsoft.X", "operations": [], "resourceTypes": []}))
    code = load_script().main(
        ["--roles", str(roles), "--operations", str(ops), "--out", str(tmp_path)]
    )
    assert code == 1 and "Reader" in capsys.readouterr().err
    assert not (tmp_path / "builtin_roles.json").exists()
