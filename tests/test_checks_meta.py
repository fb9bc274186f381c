"""The check catalog: registration, ids, documentation, and the commands that show and pick
checks (`diagnose checks`, `diagnose explain-check ID`, --select/--ignore)."""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from pathlib import Path

import pytest

from diagnose.cli import main
from diagnose.engine.api import OPTIONAL_SECTIONS, SECTION_TITLES, CheckInfo, parse_sections
from diagnose.engine.registry import (
    BUILTIN_PACKAGE,
    ENTRY_POINT_GROUP,
    builtin_module_names,
    checks_defined_in,
    load_checks,
    select_checks,
)
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parent.parent
CHECKS_DIR = ROOT / "diagnose" / "checks"
FIXTURE = ROOT / "fixtures" / "checks" / "HUB001" / "fail.json"
ID_FORM = re.compile(r"^[A-Z]{2,5}\d{3}$")


def check_modules() -> set[str]:
    return {p.stem for p in CHECKS_DIR.glob("*.py") if not p.stem.startswith("_")}


def registered() -> list[CheckInfo]:
    checks, errors = load_checks()
    assert not errors, errors
    return checks


CHECK_IDS = [c.id for c in registered()]


# -- registration: the built-in package, scanned -----------------------------------------------
def test_every_builtin_module_defines_one_check_named_after_it() -> None:
    names = builtin_module_names()
    assert {n.removeprefix(BUILTIN_PACKAGE + ".") for n in names} == check_modules()
    for name in names:
        found = checks_defined_in(importlib.import_module(name))
        assert len(found) == 1, f"{name} defines {len(found)} checks"
        assert name.rsplit(".", 1)[-1].startswith(found[0].id.lower() + "_"), name


def test_the_registry_is_the_builtin_package_without_any_entry_point() -> None:
    """Built-in checks are found by scanning diagnose.checks: none is an entry point, so a new
    module is a new check without reinstalling (the group is for other packages' checks)."""
    builtin = sorted(
        c.id
        for name in builtin_module_names()
        for c in checks_defined_in(importlib.import_module(name))
    )
    assert builtin == CHECK_IDS
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    assert ENTRY_POINT_GROUP not in project.get("entry-points", {})
    assert not (ROOT / "checks").exists(), "the built-in checks live in diagnose/checks"


def test_ids_are_unique_and_well_formed() -> None:
    assert CHECK_IDS and len(CHECK_IDS) == len(set(CHECK_IDS))
    for check_id in CHECK_IDS:
        assert ID_FORM.match(check_id), check_id
    assert sorted(CHECK_IDS) == CHECK_IDS


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_docstring_has_every_section(check_id: str) -> None:
    """Every built-in check has all of SECTION_TITLES, in order, "Who needs it" included (only
    a plug-in may leave that one out), and "Who needs it" says what makes a shortfall a
    failure or a warning."""
    info = next(c for c in registered() if c.id == check_id)
    sections = parse_sections(info.run.__doc__ or "", check_id)
    missing = [title for title in SECTION_TITLES if title not in sections]
    assert not missing, f"{check_id}: the docstring lacks the section(s) {missing}"
    assert list(sections) == list(SECTION_TITLES), f"{check_id}: sections out of order"
    assert re.search(r"\bfail|\bwarn", sections["Who needs it"], re.IGNORECASE), (
        f"{check_id}: 'Who needs it' does not say what is a failure or a warning"
    )
    assert sections == info.sections
    for title, text in sections.items():
        assert len(text.split()) >= 4, f"{check_id}: '{title}' says too little: {text!r}"
        assert not any(other + ":" in text for other in SECTION_TITLES), (check_id, title)
    assert info.title and info.scenario and info.title[0].isupper()


def test_a_plugin_may_leave_out_only_the_optional_sections() -> None:
    """Plug-ins written before "Who needs it" still load; the other sections stay required."""
    three = "\n".join(
        f"{t}: four words of text." for t in SECTION_TITLES if t not in OPTIONAL_SECTIONS
    )
    assert list(parse_sections(three, "plug-in")) == [
        t for t in SECTION_TITLES if t not in OPTIONAL_SECTIONS
    ]
    with pytest.raises(ValueError, match="How to fix"):
        parse_sections(three.rsplit("\n", 1)[0], "plug-in")


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_docs_links_are_https(check_id: str) -> None:
    info = next(c for c in registered() if c.id == check_id)
    assert info.docs, f"{check_id} links no documentation"
    for link in info.docs:
        assert re.match(r"^https://[a-z0-9.-]+\.[a-z]{2,}/\S*$", link), link


# -- diagnose checks / explain-check -------------------------------------------------------------
def test_diagnose_checks_lists_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks"]) == ExitCode.OK
    out = capsys.readouterr().out
    for info in registered():
        line = next((ln for ln in out.splitlines() if ln.startswith(info.id + " ")), None)
        assert line is not None, f"{info.id} is not listed"
        assert info.title in line and info.severity.value in line
    assert f"{len(CHECK_IDS)} checks." in out


def test_diagnose_checks_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "--json"]) == ExitCode.OK
    listed = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in listed] == CHECK_IDS
    for item, info in zip(listed, registered(), strict=True):
        assert item["whatItChecks"] == info.sections["What it checks"]
        assert item["whyItMatters"] == info.sections["Why it matters"]
        assert item["howToFix"] == info.sections["How to fix"]
        assert item["docs"] == list(info.docs)
        assert [e["name"] for e in item["explains"]] == [t.name for t in info.explains]


def flat(text: str) -> str:
    """Text with its line wrapping undone (textwrap also breaks lines after a hyphen)."""
    return " ".join(re.sub(r"-\n\s+", "-", text).split())


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_explain_check_prints_the_sections(
    check_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    info = next(c for c in registered() if c.id == check_id)
    assert main(["explain-check", check_id.lower()]) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith(f"{check_id}: {info.title}")
    for title in SECTION_TITLES:
        assert f"\n{title}:\n" in out
        assert flat(info.sections[title]) in flat(out)
    for link in info.docs:
        assert link in out
    assert ("Error messages it explains" in out) == bool(info.explains)
    for text in info.explains:
        assert flat(f"{text.name} ({text.where}): {text.example}") in flat(out)


def test_explain_check_of_an_unknown_id_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain-check", "XYZ999"]) == ExitCode.BAD_INPUT
    assert "XYZ999" in capsys.readouterr().err


# -- --select / --ignore ---------------------------------------------------------------------
def checks_run(capsys: pytest.CaptureFixture[str], *flags: str) -> list[str]:
    code = main(["--snapshot", str(FIXTURE), "--format", "json", *flags])
    captured = capsys.readouterr()
    assert code in (ExitCode.OK, ExitCode.FINDINGS), captured.err
    report = json.loads(captured.out)
    ran = [str(check_id) for check_id in report["target"]["checks"]]
    assert {f["checkId"] for f in report["findings"]} <= set(ran)
    return ran


def with_prefix(*prefixes: str) -> list[str]:
    """The registered ids with one of these prefixes (at least two each, so a prefix is tested
    as a prefix): the expected selections follow the registry, not a copy of it."""
    for prefix in prefixes:
        assert len([c for c in CHECK_IDS if c.startswith(prefix)]) >= 2, prefix
    return [c for c in CHECK_IDS if c.startswith(prefixes)]


def test_select_by_id_and_by_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks_run(capsys, "--select", "HUB001") == ["HUB001"]
    assert checks_run(capsys, "--select", "con") == with_prefix("CON")
    assert checks_run(capsys, "--select", "HUB001,OYD", "--select", "CFG002") == sorted(
        ["CFG002", "HUB001", *with_prefix("OYD")]
    )


def test_ignore_by_id_and_by_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    ran = checks_run(capsys, "--ignore", "OYD,HUB001")
    assert ran == [c for c in CHECK_IDS if not c.startswith("OYD") and c != "HUB001"]
    assert checks_run(capsys, "--select", "CON", "--ignore", "CON004") == [
        c for c in with_prefix("CON") if c != "CON004"
    ]


def test_selected_check_still_finds_its_problem(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--snapshot", str(FIXTURE), "--format", "json", "--select", "HUB001"])
    report = json.loads(capsys.readouterr().out)
    assert code == ExitCode.FINDINGS
    assert [(f["checkId"], f["status"]) for f in report["findings"]] == [("HUB001", "fail")]
    code = main(["--snapshot", str(FIXTURE), "--format", "json", "--ignore", "HUB001"])
    report = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK and report["findings"] == []


@pytest.mark.parametrize(
    "flags",
    [["--select", "XYZ999"], ["--ignore", "XYZ"], ["--select", "HUB001,NOPE1"]],
    ids=["select-id", "ignore-prefix", "select-one-of-two"],
)
def test_unknown_id_is_bad_input(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--snapshot", str(FIXTURE), "--format", "json", *flags]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert "matches no check" in captured.err
    assert captured.out == ""


def test_select_checks_matches_whole_prefixes_case_insensitively() -> None:
    checks = registered()
    assert [c.id for c in select_checks(checks, ["oyd00"], [])] == with_prefix("OYD00")
    assert [c.id for c in select_checks(checks, [" cmk001 , CMK003 "], [])] == ["CMK001", "CMK003"]
    assert select_checks(checks, [], []) == checks
    with pytest.raises(BadInput):
        select_checks(checks, ["HUB0010"], [])


def test_creator_checks_run_only_with_creator(capsys: pytest.CaptureFixture[str]) -> None:
    """The creator fixtures carry their --creator in target.creator; the command line takes it
    by object id or by a name found in the snapshot."""
    path = ROOT / "fixtures" / "checks" / "HUB004" / "fail.json"
    creator = json.loads(path.read_text(encoding="utf-8"))["target"]["creator"]
    for who in (creator, "Cara Creator"):
        code = main(
            [
                "--snapshot",
                str(path),
                "--format",
                "json",
                "--select",
                "HUB004,INS001",
                "--creator",
                who,
            ]
        )
        report = json.loads(capsys.readouterr().out)
        assert code == ExitCode.FINDINGS
        assert {(f["checkId"], f["principal"]["id"]) for f in report["findings"]} == {
            ("HUB004", creator),
            ("INS001", creator),
        }
    # Without --creator, selecting only checks about the creator would check nothing: refused.
    code = main(["--snapshot", str(path), "--format", "json", "--select", "HUB004"])
    captured = capsys.readouterr()
    assert code == ExitCode.BAD_INPUT and captured.out == ""
    assert "--select HUB004 does nothing without --creator" in captured.err
