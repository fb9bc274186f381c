"""`diagnose fix-plan`: the whole plan as ONE script or template that builds.

Each export of the demo's plan and of fixture plans is checked the way its tool would read it:
the Terraform parses (python-hcl2) with unique resource addresses and every variable declared;
the Bicep has unique symbolic names, balanced braces, brackets and parentheses and declares
every symbol it uses; the az script passes `bash -n`; the PowerShell script passes a tokenizer
(quotes closed, braces balanced, no double-quoted string that would interpolate data). Nothing
the plan holds is dropped: every step appears once, run or kept as comments that say why.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import hcl2
import pytest

from diagnose.app import (
    PLAN_FORMATS,
    DemoSource,
    Diagnosis,
    InputLimits,
    SnapshotSource,
    diagnose,
    export_plan,
    plan_in,
    write_plan,
)
from diagnose.cli import main
from diagnose.cli.parser import PLAN_FORMATS as PARSER_FORMATS
from diagnose.engine.api import Remediation, RemediationKind
from diagnose.exitcodes import ExitCode
from diagnose.remediation.commands import commands_for
from diagnose.remediation.export import EXPORTS, held_back, steps
from diagnose.remediation.roles import CustomRole
from diagnose.report.json_format import report_json
from diagnose.report.model import FindingRef, PlannedFix

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "checks"
OTHER_FIXTURES = (
    "CON002/fail.json",  # two grants on resources of the hub's resource group
    "CMK001/fail.json",  # a grant on a key vault in another resource group
    "NET001/fail-storage.json",  # a setting
    "IDN002/fail.json",  # an unverified removal
    "HUB003/fail-eligible.json",  # a PIM activation
)
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg-one"
SEARCH = f"{RG}/providers/Microsoft.Search/searchServices/srch"
STORAGE = f"{SUB}/resourceGroups/rg-two/providers/Microsoft.Storage/storageAccounts/st"
USER = "11111111-1111-1111-1111-111111111111"
GROUP = "22222222-2222-2222-2222-222222222222"


_RUNS: dict[str, Diagnosis] = {}


def run_of(name: str) -> Diagnosis:
    if name not in _RUNS:
        source = (
            DemoSource() if name == "demo" else SnapshotSource(str(FIXTURES / name), InputLimits())
        )
        _RUNS[name] = diagnose(source)
    return _RUNS[name]


SOURCES = ("demo", *OTHER_FIXTURES)


# -- a plan made by hand: every kind, other scopes, an alternative, hostile text --------------


def _fix(kind: RemediationKind, summary: str, **fields: object) -> Remediation:
    fix = Remediation(kind, summary, verified=True, **fields)  # type: ignore[arg-type]
    return dataclasses.replace(fix, commands=commands_for(fix))


def _item(fix: Remediation, *checks: str) -> PlannedFix:
    refs = tuple(
        FindingRef(f"{index:016x}", check, fix.scope or fix.resource or "", None, fix.verified)
        for index, check in enumerate(checks, 1)
    )
    return PlannedFix(
        id=fix.fix_id,
        order=0,
        stage="role",
        in_claim=True,
        remediation=fix,
        fixes=refs,
        anticipates=(),
        who_can_run=(),
        who_can_run_total=0,
        permission_needed=None,
    )


def grant(principal: str, role: str, scope: str, kind: str = "User", **extra: object):
    return _fix(
        RemediationKind.ROLE_ASSIGNMENT,
        f"Assign {role} to {principal}",
        principal_id=principal,
        principal_type=kind,
        role_definition_id=role,
        role_name="Search Index Data Reader",
        scope=scope,
        **extra,
    )


HOSTILE = "evil\n$(touch /tmp/pwned) `id` ${x} \"'; }} ]] */ <# #>"


def hand_plan() -> list[PlannedFix]:
    role = "1407120a-92aa-4202-b7e9-c0e197c71c8f"
    default = grant(GROUP, role, SEARCH, "Group")
    return [
        _item(default, "CON002"),
        _item(grant(USER, role, SEARCH, alternative_to=default.fix_id), "CON002"),
        _item(grant(USER, role, RG), "HUB002", "HUB002"),
        _item(grant(USER, role, STORAGE), "STG001"),  # another resource group
        _item(grant(USER, role, SUB), "HUB004"),  # the subscription
        _item(
            _fix(
                RemediationKind.ACTIVATE_ELIGIBLE,
                "Activate",
                principal_id=USER,
                principal_type="User",
                role_definition_id=role,
                role_name="Reader",
                scope=SEARCH,
            ),
            "HUB003",
        ),
        _item(
            _fix(
                RemediationKind.CONFIGURATION,
                HOSTILE,
                resource=SEARCH,
                setting="properties.authOptions",
                value={"aadOrApiKey": {"aadAuthFailureMode": "http401WithBearerChallenge"}},
            ),
            "CFG001",
        ),
        _item(
            _fix(
                RemediationKind.CONFIGURATION,
                "Set a thing",
                resource=f"{RG}/providers/Microsoft.Contoso/widgets/w'$(x)",
                setting="properties.thing",
                value=HOSTILE,
            ),
            "NET001",
        ),
        _item(
            dataclasses.replace(
                _fix(
                    RemediationKind.REMOVE_ASSIGNMENT,
                    "Remove",
                    principal_id=USER,
                    role_definition_id=role,
                    scope=SEARCH,
                ),
                verified=False,
            ),
            "IDN002",
        ),
        _item(Remediation(RemediationKind.ROLE_ASSIGNMENT, "No scope", verified=True), "X"),
    ]


# -- what each language's tool would say ------------------------------------------------------


def terraform_addresses(text: str) -> list[str]:
    parsed = hcl2.loads(text)
    addresses = []
    for block in parsed.get("resource", []):
        for kind, named in block.items():
            addresses += [f"{_label(kind)}.{_label(name)}" for name in named]
    declared = {name.strip('"') for block in parsed.get("variable", []) for name in block}
    used = set(re.findall(r"\bvar\.(\w+)", _uncommented(text, "#")))
    assert used <= declared, used - declared
    referred = set(re.findall(r"\b(azurerm_\w+\.\w+)\.", _uncommented(text, "#")))
    assert referred <= set(addresses), referred - set(addresses)
    return addresses


def _label(text: str) -> str:
    return text.strip('"')


def _uncommented(text: str, marker: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(marker))


def bicep_symbols(text: str) -> list[str]:
    """The declared symbolic names, after checking the structure: strings closed, brackets
    balanced, every symbol used declared."""
    code = _bicep_code(text)
    stack: list[str] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for ch in code:
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            assert stack and stack[-1] == pairs[ch], f"unbalanced {ch}"
            stack.pop()
    assert not stack, f"unclosed {stack}"
    declared = re.findall(r"^(?:param|var|resource|module|output)\s+(\w+)", code, re.MULTILINE)
    used = set(re.findall(r"\b((?:principal|target|role)_\w+)\b", code))
    assert used <= set(declared), used - set(declared)
    return declared


def _bicep_code(text: str) -> str:
    """The Bicep with comments dropped and every string emptied (checking escapes)."""
    out: list[str] = []
    index = 0
    while index < len(text):
        ch = text[index]
        if text.startswith("//", index):
            index = text.index("\n", index) if "\n" in text[index:] else len(text)
        elif text.startswith("/*", index):
            index = text.index("*/", index) + 2
        elif ch == "'":
            index += 1
            while text[index] != "'":
                assert text[index] != "\n", "a string runs past its line"
                if text[index] == "\\":
                    index += 1
                assert not text.startswith("${", index), "an interpolation in a string"
                index += 1
            out.append("''")
            index += 1
        else:
            out.append(ch)
            index += 1
    return "".join(out)


def powershell_tokens_ok(text: str) -> None:
    """A PowerShell tokenizer for what the export writes: line comments, single-quoted strings
    ('' escapes), double-quoted strings (only without `$`: data never interpolates), balanced
    (), [] and {}; no here-string and no block comment."""
    stack: list[str] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for number, line in enumerate(text.splitlines(), 1):
        index = 0
        while index < len(line):
            ch = line[index]
            if ch == "#" and (index == 0 or line[index - 1] in " \t;("):
                break  # a comment to the end of the line
            if line.startswith("<#", index) or line.startswith("@'", index):
                raise AssertionError(f"line {number}: a block comment or here-string")
            if ch in "'\u2018\u2019\u201a\u201b":
                index += 1
                while True:
                    assert index < len(line), f"line {number}: an unclosed string"
                    if line[index] in "'\u2018\u2019\u201a\u201b":
                        if index + 1 < len(line) and line[index + 1] in "'\u2018\u2019":
                            index += 2
                            continue
                        break
                    index += 1
            elif ch == '"':
                end = line.index('"', index + 1)
                assert "$" not in line[index:end], f"line {number}: interpolation"
                index = end
            elif ch in "([{":
                stack.append(ch)
            elif ch in pairs:
                assert stack and stack[-1] == pairs[ch], f"line {number}: unbalanced {ch}"
                stack.pop()
            index += 1
    assert not stack, f"unclosed {stack}"


def bash_ok(text: str, tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash, "bash is needed for the syntax check"
    script = tmp_path / "plan.sh"
    script.write_text(text, encoding="utf-8")
    result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def check_builds(language: str, text: str, tmp_path: Path) -> None:
    if language == "az":
        bash_ok(text, tmp_path)
        assert text.startswith("#!/usr/bin/env bash\n") and "\nset -euo pipefail\n" in text
    elif language == "powershell":
        powershell_tokens_ok(text)
        assert text.startswith("#Requires -Modules Az.Accounts")
        assert "\n$ErrorActionPreference = 'Stop'\n" in text
    elif language == "bicep":
        symbols = bicep_symbols(text)
        assert len(symbols) == len(set(symbols)), Counter(symbols).most_common(3)
        assert "\ntargetScope = 'resourceGroup'\n" in text
    else:
        addresses = terraform_addresses(text)
        assert len(addresses) == len(set(addresses)), Counter(addresses).most_common(3)


def every_step_once(plan: Sequence[PlannedFix], text: str, marker: str) -> None:
    for number, item in enumerate(plan, 1):
        header = f"{marker} Step {number}/{len(plan)} [{item.remediation.fix_id}] ("
        assert text.count(header) == 1, header
        for ref in item.fixes:
            assert ref.finding_id in text and ref.check_id in text


# -- the tests ----------------------------------------------------------------------------------


def test_the_formats_of_the_parser_are_the_apps():
    assert PARSER_FORMATS == PLAN_FORMATS == (*EXPORTS, "json")


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("language", EXPORTS)
def test_the_exports_of_the_demo_and_fixtures_build(source, language, tmp_path):
    diagnosis = run_of(source)
    plan = diagnosis.report.fix_plan
    assert plan, f"{source} has no fix plan to export"
    export = export_plan(diagnosis, language)
    check_builds(language, export.text, tmp_path)
    every_step_once(plan, export.text, "//" if language == "bicep" else "#")
    assert export.steps == len(plan) and export.runnable + export.commented == len(plan)
    assert export.text.count("Left as a comment: ") == export.commented
    assert export_plan(run_of(source), language).text == export.text  # deterministic


@pytest.mark.parametrize("language", EXPORTS)
def test_a_hand_made_plan_with_every_kind_builds_and_drops_nothing(language, tmp_path):
    plan = hand_plan()
    export = write_plan(plan, language, hub="hub'$(x)\n")
    check_builds(language, export.text, tmp_path)
    marker = "//" if language == "bicep" else "#"
    every_step_once(plan, export.text, marker)
    assert "touch /tmp/pwned" in export.text  # shown ...
    for line in export.text.splitlines():  # ... only ever as a comment or inside a quoted value
        if "pwned" in line and not line.startswith(marker):
            assert re.search(r"""['"][^'"]*touch /tmp/pwned""", line), line
    text = export.text
    assert "an alternative to step 1 (choose one)" in text
    assert "NOT verified" in text and "this tool cannot write this change" in text
    if language == "az":
        assert export.runnable == 6  # grants x4, the setting, the removal
        assert "only the eligible user can make it" in text
    if language == "bicep":
        assert export.runnable == 2  # the default grant on the search service, the group's
        assert text.count("assigned outside this template's resource group") == 2
        assert "--resource-group 'rg-one'" in text
        assert text.count("principal_") >= 2
    if language == "terraform":
        assert export.runnable == 6  # grants x4, the activation, the known setting
        assert "no API version for Microsoft.Contoso/widgets" in text


def test_bicep_names_assignments_with_the_single_fix_seed():
    """guid(<scope>, <principal>, <role>) as the single-fix template: deploying both, or the
    plan twice, makes one assignment."""
    text = write_plan(hand_plan(), "bicep").text
    [param] = re.findall(r"^param (principal_\w+) string = '2222", text, re.MULTILINE)
    assert re.search(
        rf"name: guid\(target_srch_\w+\.id, {param}, '1407120a-92aa-4202-b7e9-c0e197c71c8f'\)",
        text,
    )
    assert "name: guid(resourceGroup().id, principal_" in text


def test_terraform_addresses_come_from_fix_ids():
    plan = hand_plan()
    addresses = terraform_addresses(write_plan(plan, "terraform").text)
    assert f"azurerm_role_assignment.ra_search_index_data_reader_{plan[0].remediation.fix_id}" in (
        addresses
    )
    # another run, another order: the same change keeps its address
    again = terraform_addresses(write_plan(list(reversed(plan)), "terraform").text)
    assert set(again) == set(addresses)


def test_as_json_is_the_reports_fix_plan():
    diagnosis = run_of("demo")
    written = json.loads(export_plan(diagnosis, "json").text)
    assert written == json.loads(json.dumps(report_json(diagnosis.report)["fixPlan"]))


def test_the_tui_copies_the_same_text_as_the_command():
    diagnosis = run_of("demo")
    hub = diagnosis.report.target["hubName"]
    for tab, export in (("cli", "az"), ("powershell", "powershell"), ("terraform", "terraform")):
        assert plan_in(diagnosis.fix_plan, tab, hub=hub) == export_plan(diagnosis, export)


def test_an_empty_plan_is_a_file_that_says_so(tmp_path):
    for language in EXPORTS:
        export = write_plan([], language)
        check_builds(language, export.text, tmp_path)
        assert "The fix plan is empty" in export.text and export.steps == 0
    assert write_plan([], "json").text == "[]\n"


def test_held_back_names_every_reason():
    found = {step.number: held_back(step) for step in steps(hand_plan())}
    assert found[1] is None and found[3] is None
    assert "alternative to step 1" in (found[2] or "")
    assert found[8] is None and "NOT verified" in (found[9] or "")
    assert "cannot write" in (found[10] or "")


# -- the command line -------------------------------------------------------------------------


def test_fix_plan_writes_to_standard_output_and_to_a_file(capsys, tmp_path):
    assert main(["fix-plan", "--demo", "--as", "terraform"]) == ExitCode.OK
    out, err = capsys.readouterr()
    assert out == export_plan(run_of("demo"), "terraform").text
    assert "diagnose: fix plan: 28 steps" in err or "diagnose: fix plan:" in err
    target = tmp_path / "main.tf"
    assert main(["fix-plan", "--demo", "--as", "terraform", "--output-file", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == out
    assert capsys.readouterr().out == ""


def test_fix_plan_of_a_snapshot_takes_the_main_commands_options(capsys):
    snapshot = str(FIXTURES / "CON002" / "fail.json")
    assert main(["fix-plan", "--snapshot", snapshot, "--as", "json", "--select", "HUB"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["fix-plan", "--snapshot", snapshot, "--as", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["fix-plan", "--demo"],  # no --as
        ["fix-plan", "--as", "az"],  # no source
        ["fix-plan", "--demo", "--as", "yaml"],
        ["fix-plan", "--demo", "--snapshot", "x.json", "--as", "az"],
        ["fix-plan", "--snapshot", "/nonexistent/plan.json", "--as", "az"],
        ["fix-plan", "--demo", "--as", "az", "--output-file", "/nonexistent/dir/plan.sh"],
        ["fix-plan", "--demo", "--as", "az", "--select", "NOPE999"],
    ],
)
def test_bad_input_is_one_message_and_exit_2(argv, capsys):
    assert main(argv) == ExitCode.BAD_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    assert "error:" in err and "Traceback" not in err


def uncomment_step(text: str, number: int, marker: str) -> str:
    """The text with step `number`'s commented block uncommented, as a person choosing it
    would do (its header and reason stay comments)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{marker} Step {number}/"))
    index = start
    while not lines[index].startswith(f"{marker} Left as a comment: "):
        index += 1
    index += 1
    while index < len(lines) and lines[index]:
        line = lines[index]
        lines[index] = line[len(marker) + 1 :] if line.startswith(f"{marker} ") else ""
        index += 1
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("language", ["bicep", "terraform"])
def test_an_alternative_uncommented_builds_in_the_same_file(language, tmp_path):
    """Choose one: the alternative (step 2) is written for this very file, so uncommenting it
    gives a file that still builds, with one more assignment."""
    marker = "//" if language == "bicep" else "#"
    text = write_plan(hand_plan(), language).text
    chosen = uncomment_step(text, 2, marker)
    check_builds(language, chosen, tmp_path)
    if language == "bicep":
        assert len(bicep_symbols(chosen)) == len(bicep_symbols(text)) + 1
    else:
        assert len(terraform_addresses(chosen)) == len(terraform_addresses(text)) + 1


def test_fix_plan_takes_a_live_hub_with_the_main_commands_options():
    from diagnose.app import LiveSource
    from diagnose.cli.inputs import diagnose_options_from, source_from
    from diagnose.cli.parser import build_parser

    argv = ["fix-plan", "--hub", "hub-x", "--resource-group", "rg", "--subscription", "s"]
    args = build_parser().parse_args(
        [*argv, "--as", "bicep", "--principal", "Chen Wei", "--timeout", "30", "--quiet"]
    )
    source = source_from(args)
    assert isinstance(source, LiveSource)
    assert (source.options.hub, source.options.resource_group, source.options.timeout) == (
        "hub-x",
        "rg",
        30,
    )
    assert diagnose_options_from(args).principals == ("Chen Wei",)


def test_an_output_file_of_dash_is_standard_output(capsys):
    assert main(["fix-plan", "--demo", "--as", "json", "--output-file", "-"]) == 0
    assert json.loads(capsys.readouterr().out)


# -- custom roles: created once, then assigned -------------------------------------------------

OTHER = "33333333-3333-3333-3333-333333333333"
SEARCH_CONTRIBUTOR = "7ca78c08-252a-4471-8644-bb5ff32d4ba0"
SHARED_ROLE = CustomRole.for_need([("Microsoft.Search/searchServices/indexes/write", False)], RG)
OWN_ROLE = CustomRole.for_need(
    [("Microsoft.Search/searchServices/indexes/documents/read", True)], RG
)


def custom_grant(principal: str, role: CustomRole, scope: str, kind: str = "User", **extra):
    return _fix(
        RemediationKind.ROLE_ASSIGNMENT,
        f"Create the custom role '{role.name}' and assign it to {principal}",
        principal_id=principal,
        principal_type=kind,
        role_definition_id=role.guid,
        role_name=role.name,
        scope=scope,
        value=role.arm(SUB.rsplit("/", 1)[1]),
        **extra,
    )


def custom_plan() -> list[PlannedFix]:
    """Three steps share one custom role (an alternative and two defaults); one default
    custom-role step has a role of its own."""
    builtin = grant(USER, SEARCH_CONTRIBUTOR, SEARCH)
    return [
        _item(builtin, "OYD002"),
        _item(custom_grant(USER, SHARED_ROLE, SEARCH, alternative_to=builtin.fix_id), "OYD002"),
        _item(custom_grant(GROUP, SHARED_ROLE, SEARCH, "Group"), "OYD002"),
        _item(custom_grant(USER, OWN_ROLE, RG), "CON002"),
        _item(custom_grant(OTHER, SHARED_ROLE, SEARCH), "OYD002"),
    ]


def only_alternatives_plan() -> list[PlannedFix]:
    """Two alternatives share a custom role that no step that runs assigns."""
    first, second = grant(USER, SEARCH_CONTRIBUTOR, SEARCH), grant(OTHER, SEARCH_CONTRIBUTOR, RG)
    return [
        _item(first, "OYD002"),
        _item(custom_grant(USER, SHARED_ROLE, SEARCH, alternative_to=first.fix_id), "OYD002"),
        _item(second, "OYD002"),
        _item(custom_grant(OTHER, SHARED_ROLE, RG, alternative_to=second.fix_id), "OYD002"),
    ]


def role_address(role: CustomRole) -> str:
    return "role_least_privilege_" + role.guid.replace("-", "")


def live_lines(text: str, marker: str) -> str:
    return _uncommented(text, marker)


@pytest.mark.parametrize("language", EXPORTS)
def test_a_custom_role_is_created_once_then_assigned(language, tmp_path):
    """Each distinct custom role is created once, named from its GUID, before the steps that
    assign it; a role one step alone assigns is created in that step's block. (Before, the
    templates assigned a role they never declared, and the scripts created a shared role once
    per step.)"""
    plan = custom_plan()
    text = write_plan(plan, language).text
    check_builds(language, text, tmp_path)
    marker = "//" if language == "bicep" else "#"
    every_step_once(plan, text, marker)
    code = live_lines(text, marker)
    shared, own = role_address(SHARED_ROLE), role_address(OWN_ROLE)
    if language == "terraform":
        addresses = terraform_addresses(text)
        assert sorted(a for a in addresses if a.startswith("azurerm_role_definition.")) == sorted(
            [f"azurerm_role_definition.{shared}", f"azurerm_role_definition.{own}"]
        )
        refs = re.findall(r"role_definition_id = azurerm_role_definition\.(\w+)\.", code)
        assert sorted(refs) == sorted([shared, shared, own])  # steps 3, 5 and 4
        assert f'role_definition_id = "{SHARED_ROLE.guid}"' in code
    elif language == "bicep":
        symbols = bicep_symbols(text)
        definitions = re.findall(
            r"^resource (\w+) 'Microsoft\.Authorization/roleDefinitions@", code, re.MULTILINE
        )
        assert sorted(definitions) == sorted([shared, own]) and shared in symbols
        assert code.count(f"    {shared}\n") == 2 and code.count(f"    {own}\n") == 1  # dependsOn
        assert f"name: '{SHARED_ROLE.guid}'" in code and f"name: '{OWN_ROLE.guid}'" in code
    else:
        create = "az role definition create" if language == "az" else "New-AzRoleDefinition"
        assert code.count(create) == 2  # once per distinct role
        assign = "az role assignment create" if language == "az" else "New-AzRoleAssignment"
        lines = code.splitlines()
        made = [i for i, line in enumerate(lines) if SHARED_ROLE.name in line and create in line]
        if language == "powershell":  # the role's name is in the `if` above its creation
            made = [
                i
                for i, line in enumerate(lines)
                if line.startswith("if (-not (Get-AzRoleDefinition") and SHARED_ROLE.name in line
            ]
        used = [i for i, line in enumerate(lines) if assign in line and SHARED_ROLE.name in line]
        assert len(made) == 1 and len(used) == 2 and made[0] < min(used)
    assert text.count("created once here for steps 2, 3, 5") == 1
    assert write_plan(plan, language).text == text  # deterministic


@pytest.mark.parametrize("language", ["bicep", "terraform"])
def test_an_alternative_that_shares_a_custom_role_uncommented_builds(language, tmp_path):
    """Step 2 assigns the custom role steps 3 and 5 create: uncommented, it builds with one
    more assignment and no second declaration of the role."""
    marker = "//" if language == "bicep" else "#"
    text = write_plan(custom_plan(), language).text
    chosen = uncomment_step(text, 2, marker)
    check_builds(language, chosen, tmp_path)
    if language == "bicep":
        assert len(bicep_symbols(chosen)) == len(bicep_symbols(text)) + 1
    else:
        assert len(terraform_addresses(chosen)) == len(terraform_addresses(text)) + 1


def uncomment_role(text: str, marker: str) -> str:
    """The text with the commented-out block of a shared custom role uncommented."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if "created once here for steps" in line)
    while lines[index].startswith(f"{marker} ") and "Commented out:" not in lines[index - 1]:
        index += 1
    while index < len(lines) and lines[index]:
        line = lines[index]
        lines[index] = line[len(marker) + 1 :] if line.startswith(f"{marker} ") else ""
        index += 1
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("language", EXPORTS)
def test_a_custom_role_only_alternatives_assign_is_left_as_a_comment(language, tmp_path):
    """No step that runs assigns it: the role is not created, its block is commented out, and
    each alternative says to uncomment it too; both uncommented, the output builds."""
    plan = only_alternatives_plan()
    marker = "//" if language == "bicep" else "#"
    text = write_plan(plan, language).text
    check_builds(language, text, tmp_path)
    every_step_once(plan, text, marker)
    code = live_lines(text, marker)
    assert SHARED_ROLE.guid not in code and SHARED_ROLE.name not in code
    assert text.count("created once here for steps 2, 4") == 1
    assert text.count("created once above (commented out): uncomment that block too") == 2
    assert text.count("Left as a comment: ") == write_plan(plan, language).commented == 2
    chosen = uncomment_role(uncomment_step(text, 2, marker), marker)
    check_builds(language, chosen, tmp_path)
    code = live_lines(chosen, marker)
    if language == "terraform":
        assert f"azurerm_role_definition.{role_address(SHARED_ROLE)}" in terraform_addresses(chosen)
    elif language == "bicep":
        assert role_address(SHARED_ROLE) in bicep_symbols(chosen)
    else:
        create = "az role definition create" if language == "az" else "New-AzRoleDefinition"
        assert code.count(create) == 1 and SHARED_ROLE.name in code


@pytest.mark.parametrize("language", ["bicep", "terraform"])
def test_the_demos_custom_role_alternative_uncommented_creates_its_role(language, tmp_path):
    """The demo offers a custom role as an alternative, the one step that assigns it: its
    commented block declares the role too, so uncommented it builds and creates it."""
    plan = run_of("demo").report.fix_plan
    [number] = [  # the hub's (the demo's Foundry project may offer one too)
        n
        for n, item in enumerate(plan, 1)
        if item.remediation.value
        and (item.remediation.kind == RemediationKind.ROLE_ASSIGNMENT)
        and "/resourceGroups/rg-contoso-ai/" in (item.remediation.scope or "")
    ]
    role = CustomRole.from_arm(plan[number - 1].remediation.value)
    assert role is not None and plan[number - 1].remediation.alternative_to
    marker = "//" if language == "bicep" else "#"
    text = export_plan(run_of("demo"), language).text
    assert role.guid not in _uncommented(text, marker)
    chosen = uncomment_step(text, number, marker)
    check_builds(language, chosen, tmp_path)
    if language == "bicep":
        assert role_address(role) in bicep_symbols(chosen)
        assert f"name: '{role.guid}'" in chosen
    else:
        assert f"azurerm_role_definition.{role_address(role)}" in terraform_addresses(chosen)
