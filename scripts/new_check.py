#!/usr/bin/env python3
"""Scaffold a new check: three new paths, and no existing file edited.

    python scripts/new_check.py --id ABC001 --title "The hub's identity can read its logs"

writes
    diagnose/checks/abc001_<words of the title>.py  the check: its docs fields (title, severity,
                                                    scenario, docs link, the four docstring
                                                    sections) and an example body
    fixtures/checks/ABC001/                         fail.json and pass.json: a small snapshot of
                                                    its own, without and with the grant
    tests/test_check_abc001.py                      the check on those fixtures, through the
                                                    engine with every other check

The check is listed by `diagnose checks` at once (built-in checks are found by scanning
diagnose/checks) and the suite passes as scaffolded. The example it starts from, "the hub's
managed identity can read the Log Analytics workspaces in the hub's resource group", is a
placeholder to replace with your scenario, in the three files together (see CONTRIBUTING.md).
It states nothing on the demo hub, which has no Log Analytics workspace, so the golden reports
stay as they are until your check reports on the demo.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any, NoReturn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from diagnose.errors import BadInput  # noqa: E402
from diagnose.snapshot import dump_snapshot, parse_snapshot  # noqa: E402
from tests import arm  # noqa: E402

ID_FORM = re.compile(r"^[A-Z]{3}\d{3}$")
TITLE_MAX = 80
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "and",
        "or",
        "its",
        "their",
        "can",
        "is",
        "are",
        "be",
        "s",
    }
)
COLLECTED_AT = "2026-06-01T12:00:00Z"
AZURE_AI_ADMINISTRATOR = "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
TEMPLATE = Path(__file__).resolve().parent / "new_check_templates"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise BadInput(
            message, fix='python scripts/new_check.py --id ABC001 --title "What it checks"'
        )


# -- input -----------------------------------------------------------------------------------
def check_id(value: str) -> str:
    normal = value.strip().upper()
    if not ID_FORM.match(normal):
        raise BadInput(
            f"{value!r} is not a check id",
            where="--id",
            fix="three capital letters (the family) and three digits, e.g. ABC001",
        )
    return normal


def check_title(value: str) -> str:
    title = " ".join(value.split()) if "\n" not in value and "\r" not in value else ""
    if not title:
        raise BadInput(
            "the title is empty or spans several lines",
            where="--title",
            fix="one line saying what holds when all is well, e.g. \"The hub's "
            'identity can read its logs"',
        )
    if any(unicodedata.category(c).startswith("C") for c in title):
        raise BadInput(
            "the title holds control or invisible characters",
            where="--title",
            fix="type it as plain text",
        )
    if len(title) > TITLE_MAX:
        raise BadInput(
            f"the title has {len(title)} characters",
            where="--title",
            fix=f"keep it to {TITLE_MAX}; the docstring says the rest",
        )
    if not title[0].isupper():
        raise BadInput(
            f"{title!r} does not start with a capital letter",
            where="--title",
            fix="start it with a capital letter, as `diagnose checks` lists titles",
        )
    return title


def slug(title: str) -> str:
    """A function and module name from the title's first meaningful words."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", re.sub(r"'s\b|'", "", plain))
    kept = [w for w in words if w not in STOPWORDS][:4] or ["check"]
    name = "_".join(kept)[:40].strip("_")
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"check_{name}"
    return name


def taken(root: Path, check: str) -> str | None:
    """Why the id cannot be used, or None."""
    checks = root / "diagnose" / "checks"
    for path in sorted(checks.glob("*.py")):
        if path.stem.startswith(check.lower() + "_"):
            return f"{path.relative_to(root)} exists"
        if re.search(rf"""\bid\s*=\s*["']{check}["']""", path.read_text(encoding="utf-8")):
            return f"{path.relative_to(root)} declares it"
    if root.resolve() == REPO:
        from diagnose.engine.registry import load_checks

        if check in {c.id for c in load_checks()[0]}:
            return "an installed plug-in registers it"
    return None


# -- what is written ---------------------------------------------------------------------------
class Names:
    def __init__(self, check: str, title: str) -> None:
        self.check, self.title, self.function = check, title, slug(title)
        self.lower = check.lower()
        self.module = f"{self.lower}_{self.function}"
        self.subscription = arm.guid(f"{check}:subscription")
        self.group = f"/subscriptions/{self.subscription}/resourceGroups/rg-{self.lower}"
        providers = f"{self.group}/providers"
        self.hub = f"{providers}/Microsoft.MachineLearningServices/workspaces/hub-{self.lower}"
        self.logs = f"{providers}/Microsoft.OperationalInsights/workspaces/log-{self.lower}"
        self.hub_identity = arm.guid(f"{check}:hub-identity")
        self.owner = arm.guid(f"{check}:owner")

    def fill(self, template: str) -> str:
        values = {
            "ID": self.check,
            "id": self.lower,
            "TITLE": repr(self.title),
            "FUNCTION": self.function,
            "HUB": f"hub-{self.lower}",
            "LOGS": f"log-{self.lower}",
        }
        return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)


def baseline(names: Names) -> dict[str, Any]:
    """The check's own small snapshot: one hub, with its managed identity, and one Log Analytics
    workspace beside it; the subscription's Owner, since someone always holds a role there."""
    hub = arm.resource(
        names.hub,
        "Microsoft.MachineLearningServices/workspaces",
        kind="Hub",
        properties={
            "friendlyName": f"Hub of {names.check}",
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled",
        },
        identity=arm.system_identity(names.hub_identity),
    )
    logs = arm.resource(
        names.logs,
        "Microsoft.OperationalInsights/workspaces",
        properties={
            "customerId": arm.guid(f"{names.check}:logs-customer"),
            "retentionInDays": 30,
            "sku": {"name": "PerGB2018"},
            "provisioningState": "Succeeded",
        },
    )
    principals = [
        arm.principal(names.hub_identity, "ServicePrincipal", f"hub-{names.lower}", []),
        arm.principal(
            names.owner, "User", "Olga Owner", [], userPrincipalName="olga.owner@contoso.com"
        ),
    ]
    subscription = f"/subscriptions/{names.subscription}"
    data = arm.build(
        resources=[arm.subscription(names.subscription), hub, logs],
        roleDefinitions=[
            arm.builtin_role(r, names.subscription)
            for r in (arm.OWNER, arm.READER, AZURE_AI_ADMINISTRATOR)
        ],
        roleAssignments=[
            arm.role_assignment(subscription, names.owner, arm.OWNER),
            # What Azure assigns a hub's identity on its resource group (IDN003 checks it).
            arm.role_assignment(
                names.group,
                names.hub_identity,
                AZURE_AI_ADMINISTRATOR,
                principal_type="ServicePrincipal",
            ),
        ],
        principals=principals,
    )
    data["collectedAt"] = COLLECTED_AT
    data["tool"] = {"name": "ai-hub-diagnose", "version": "check-fixtures"}
    data["target"] = {"hub": names.hub, "project": None}
    return data


def fixtures(names: Names) -> dict[str, dict[str, Any]]:
    """fail: the hub's identity has no role on the workspace; pass: Reader on it."""
    fail = baseline(names)
    fail["fixture"] = {
        "check": names.check,
        "variant": "fail",
        "description": "The hub's managed identity holds no role on the Log Analytics "
        "workspace beside the hub.",
    }
    passing = baseline(names)
    passing["roleAssignments"].append(
        arm.role_assignment(
            names.logs, names.hub_identity, arm.READER, principal_type="ServicePrincipal"
        )
    )
    passing["fixture"] = {
        "check": names.check,
        "variant": "pass",
        "description": "The hub's managed identity is Reader on the Log Analytics workspace.",
    }
    return {"fail": fail, "pass": passing}


def scaffold(root: Path, check: str, title: str) -> list[Path]:
    """Write the three paths; refuse (BadInput) before writing anything if one exists."""
    if not (root / "diagnose" / "checks").is_dir():
        raise BadInput(
            f"{root} holds no diagnose/checks",
            where="--root",
            fix="run it in a checkout of ai-hub-diagnose, or point --root at one",
        )
    why = taken(root, check)
    if why:
        raise BadInput(
            f"the id {check} is taken: {why}",
            where="--id",
            fix="`diagnose checks` lists the ids in use; pick the next free one",
        )
    names = Names(check, title)
    module = root / "diagnose" / "checks" / f"{names.module}.py"
    folder = root / "fixtures" / "checks" / check
    test = root / "tests" / f"test_check_{names.lower}.py"
    for path in (module, folder, test):
        if path.exists():
            raise BadInput(
                f"{path.relative_to(root)} exists",
                where="--id",
                fix="pick another id, or remove what an earlier attempt left",
            )
    texts = {
        path: names.fill((TEMPLATE / name).read_text(encoding="utf-8"))
        for path, name in ((module, "check.py.txt"), (test, "test.py.txt"))
    }
    snapshots = {variant: dump_snapshot(data) for variant, data in fixtures(names).items()}
    for variant, text in snapshots.items():
        parse_snapshot(json.loads(text), f"{check}/{variant}")  # a valid snapshot, or stop here
    module.write_text(texts[module], encoding="utf-8")
    folder.mkdir(parents=True)
    for variant, text in snapshots.items():
        (folder / f"{variant}.json").write_text(text, encoding="utf-8")
    test.write_text(texts[test], encoding="utf-8")
    return [module, folder, test]


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="new_check.py", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--id", required=True, help="ABC001: a family of three capital letters, three digits"
    )
    parser.add_argument("--title", required=True, help="one line, what holds when all is well")
    parser.add_argument(
        "--root", type=Path, default=REPO, help="the checkout to write into (default: this one)"
    )
    try:
        args = parser.parse_args(argv)
        written = scaffold(args.root, check_id(args.id), check_title(args.title))
    except BadInput as exc:
        print(f"new_check.py: error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(args.root)}{'/' if path.is_dir() else ''}")
    print(
        "Next: replace the example scenario in the three (check, fixtures, EXPECTED), then "
        f"python -m pytest {written[2].relative_to(args.root)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
