"""The fix languages are a registry: one module each, found by scanning the package, and every
list of languages (report JSON and its schema, Markdown, the TUI) comes from it. Fix kinds are
one enum, which the schema's enum matches."""

from __future__ import annotations

import dataclasses
import pkgutil
import sys
import textwrap

import pytest

from diagnose.engine.api import Commands, Remediation, RemediationKind
from diagnose.jsonable import to_jsonable
from diagnose.remediation import languages
from diagnose.remediation.commands import commands_for
from diagnose.remediation.languages import fix_languages, language_named
from diagnose.report.schema import schema

V1_KEYS = ["azureCli", "powershell", "bicep", "terraform"]
"""The report's `commands` keys in report v1, in the order the JSON writes them."""

SEARCH = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
    "Microsoft.Search/searchServices/srch"
)
GRANT = Remediation(
    kind=RemediationKind.ROLE_ASSIGNMENT,
    summary="Grant a role",
    principal_id="p1",
    principal_type="User",
    role_definition_id="r1",
    scope=SEARCH,
)


@pytest.fixture
def fresh_registry():
    """The registry rebuilt for one test and rebuilt again after it."""
    fix_languages.cache_clear()
    yield
    fix_languages.cache_clear()


def test_every_module_of_the_package_is_a_language_in_order():
    modules = {
        m.name for m in pkgutil.iter_modules(languages.__path__) if not m.name.startswith("_")
    }
    found = fix_languages()
    assert {language.render.__module__.rsplit(".", 1)[-1] for language in found} == modules
    assert [language.order for language in found] == sorted(language.order for language in found)
    assert [language.key for language in found if language.key in V1_KEYS] == V1_KEYS
    assert [language.name for language in found][:4] == ["cli", "powershell", "bicep", "terraform"]
    assert language_named("bicep").comment == "//"
    with pytest.raises(KeyError):
        language_named("cobol")


def test_commands_hold_one_text_per_language_in_registry_order():
    commands = commands_for(GRANT)
    assert list(commands) == [language.key for language in fix_languages()]
    assert list(to_jsonable(commands)) == list(commands)
    assert commands.azure_cli == commands["azureCli"]
    assert commands.azure_cli.startswith("# Grant a role\naz role assignment create ")
    assert commands["terraform"].count('resource "azurerm_role_assignment"') == 1


def test_commands_are_read_only_and_compare_by_content():
    commands = commands_for(GRANT)
    with pytest.raises(AttributeError):
        commands.azure_cli = "rm -rf /"  # type: ignore[misc]
    with pytest.raises(TypeError):
        commands["azureCli"] = "rm -rf /"  # type: ignore[index]
    with pytest.raises(AttributeError):
        _ = commands.cobol
    assert commands == commands_for(GRANT)
    assert hash(commands) == hash(commands_for(GRANT))
    assert commands != Commands({**commands, "bicep": ""})


def test_report_schema_lists_the_registry_languages():
    definition = schema()["definitions"]["commands"]
    keys = [language.key for language in fix_languages()]
    assert definition["required"] == keys
    assert list(definition["properties"]) == keys


def test_report_schema_lists_the_fix_kinds():
    kind = schema()["definitions"]["remediation"]["properties"]["kind"]
    assert kind["enum"] == [member.value for member in RemediationKind]


def test_fix_kinds_serialise_as_their_names():
    assert to_jsonable(GRANT)["kind"] == "roleAssignment"
    assert RemediationKind.CONFIGURATION == "configuration"


def test_plan_script_numbers_each_fix_under_a_comment_of_its_language():
    grant = dataclasses.replace(GRANT, commands=commands_for(GRANT), verified=True)
    unrendered = Remediation(
        kind=RemediationKind.CONFIGURATION,
        summary="Set\n  it",
        resource=SEARCH,
        setting="x",
        value=1,
    )
    script = language_named("bicep").plan_script([grant, unrendered])
    assert script.startswith("// 1/2 (verified): Grant a role\n// Grant a role\n")
    assert script.endswith("\n\n// 2/2 (NOT verified): Set it\n// (no command)\n")
    assert language_named("cli").plan_script([]) == ""


def test_a_new_language_is_one_module(tmp_path, monkeypatch, fresh_registry):
    """A module dropped into the package's path becomes a language of every fix."""
    (tmp_path / "shout.py").write_text(
        textwrap.dedent("""
        from diagnose.remediation.languages import FixLanguage

        LANGUAGE = FixLanguage(
            name="shout", key="shout", label="Shout", description="the fix, loudly",
            fence="text", comment="!", order=99, render=lambda fix: fix.summary.upper() + "\\n")
    """),
        encoding="utf-8",
    )
    monkeypatch.setattr(languages, "__path__", [*languages.__path__, str(tmp_path)])
    try:
        assert [language.key for language in fix_languages()] == [*V1_KEYS, "shout"]
        commands = commands_for(GRANT)
        assert commands.shout == "GRANT A ROLE\n"
        assert list(to_jsonable(commands)) == [*V1_KEYS, "shout"]
    finally:
        sys.modules.pop(f"{languages.__name__}.shout", None)


def test_a_module_without_a_language_is_refused(tmp_path, monkeypatch, fresh_registry):
    (tmp_path / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "_private.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.setattr(languages, "__path__", [*languages.__path__, str(tmp_path)])
    try:
        with pytest.raises(TypeError, match="helpers defines no LANGUAGE"):
            fix_languages()
    finally:
        for name in ("helpers", "_private"):
            sys.modules.pop(f"{languages.__name__}.{name}", None)


def test_two_languages_cannot_share_a_key(tmp_path, monkeypatch, fresh_registry):
    (tmp_path / "again.py").write_text(
        textwrap.dedent("""
        from diagnose.remediation.languages import FixLanguage

        LANGUAGE = FixLanguage(
            name="again", key="bicep", label="Again", description="", fence="", comment="#",
            order=99, render=lambda fix: "")
    """),
        encoding="utf-8",
    )
    monkeypatch.setattr(languages, "__path__", [*languages.__path__, str(tmp_path)])
    try:
        with pytest.raises(ValueError, match="share a key"):
            fix_languages()
    finally:
        sys.modules.pop(f"{languages.__name__}.again", None)


def test_front_ends_derive_their_language_lists():
    from diagnose.report.markdown import _commands
    from diagnose.tui.app import KEYS, DiagnoseApp
    from diagnose.tui.commands import PALETTE
    from diagnose.tui.data import LANGUAGES

    found = fix_languages()
    assert tuple((lang.name, lang.label, lang.key) for lang in found) == LANGUAGES
    assert [entry for entry in PALETTE if entry[0].startswith("Show ")] == [
        (f"Show {lang.label}", lang.description, f"language('{lang.name}')") for lang in found
    ]
    assert [
        (b.key, b.action, b.description)
        for b in DiagnoseApp.BINDINGS
        if b.action.startswith("language(")
    ] == [
        (str(number), f"language('{lang.name}')", lang.label)
        for number, lang in enumerate(found, 1)
    ]
    assert ("1 2 3 4", "Azure CLI, PowerShell, Bicep, Terraform") in KEYS
    markdown = "\n".join(_commands(commands_for(GRANT))).splitlines()
    assert [line for line in markdown if line.startswith("```") and line != "```"] == [
        f"```{lang.fence}" for lang in found
    ]
    assert [line for line in markdown if line in {f"{lang.label}:" for lang in found}] == [
        f"{lang.label}:" for lang in found
    ]
