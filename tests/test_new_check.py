"""scripts/new_check.py: a new check is three new paths, no existing file edited, and the suite
passes right after scaffolding.

The scaffold runs in a temporary copy of the repository (its packages, tests, fixtures, scripts
and the files the tests read); then, in that copy and in fresh processes (so the copy's
`diagnose` is the one imported, and nothing is reinstalled): `diagnose checks`, the new
fixtures through the real engine, and the test files that derive from the registry.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import pytest

from diagnose.engine.api import SECTION_TITLES, parse_sections

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("diagnose", "tests", "fixtures", "scripts", ".ci", "docs", "pyproject.toml", "README.md")
TITLE = "The hub's identity can read its Log Analytics workspaces"
NEW = {
    "diagnose/checks/zzz001_hub_identity_read_log.py",
    "fixtures/checks/ZZZ001",
    "tests/test_check_zzz001.py",
}
REGISTRY_SUITES = (
    "tests/test_check_zzz001.py",
    "tests/test_checks_fixtures.py",
    "tests/test_checks_meta.py",
    "tests/test_report_golden.py",
    "tests/test_report_ids.py",
    "tests/test_readme.py",
    "tests/test_explain.py",
)


def copy_repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "__snapshots__")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copy2(source, root / name)
    return root


def contents(root: Path) -> dict[str, str]:
    """Every path under root (directories as ""), files with a hash of their bytes."""
    found: dict[str, str] = {}
    for path in root.rglob("*"):
        if "__pycache__" in path.parts:
            continue
        key = path.relative_to(root).as_posix()
        found[key] = "" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run(root: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *argv],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_scaffolded_check_is_three_new_paths_and_the_suite_passes(tmp_path: Path) -> None:
    root = copy_repository(tmp_path)
    before = contents(root)
    made = run(root, "scripts/new_check.py", "--id", "ZZZ001", "--title", TITLE)
    assert made.returncode == 0, made.stderr
    after = contents(root)

    added = set(after) - set(before)
    tops = {p for p in added if str(Path(p).parent) not in added}
    assert tops == NEW, "the scaffold writes exactly three new paths"
    assert {k: v for k, v in after.items() if k in before} == before, "an existing file changed"
    assert {p for p in added if p.startswith("fixtures/")} == {
        "fixtures/checks/ZZZ001",
        "fixtures/checks/ZZZ001/fail.json",
        "fixtures/checks/ZZZ001/pass.json",
    }

    where = run(root, "-c", "import diagnose; print(diagnose.__file__)")
    assert where.stdout.strip() == str(root / "diagnose" / "__init__.py"), where.stderr
    listing = run(root, "-m", "diagnose", "checks")
    assert listing.returncode == 0 and listing.stderr == "", listing.stderr
    line = next(ln for ln in listing.stdout.splitlines() if ln.startswith("ZZZ001 "))
    assert TITLE in line and "medium" in line

    for variant, code, statuses in (("fail", 1, ["fail"]), ("pass", 0, [])):
        report = run(
            root,
            "-m",
            "diagnose",
            "--snapshot",
            f"fixtures/checks/ZZZ001/{variant}.json",
            "--format",
            "json",
        )
        assert report.returncode == code, report.stderr
        findings = json.loads(report.stdout)["findings"]
        assert [f["status"] for f in findings] == statuses, findings
        assert all(f["checkId"] == "ZZZ001" for f in findings)

    lint = run(root, "-m", "ruff", "check", *sorted(NEW))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    junit = tmp_path / "suites.xml"
    suites = run(
        root,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={junit}",
        *REGISTRY_SUITES,
        "-k",
        "not ruff_clean",
        timeout=240,
    )
    assert suites.returncode == 0, suites.stdout[-4000:] + suites.stderr[-2000:]
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    ran = [(c.get("classname", ""), c.get("name", "")) for c in cases]
    assert sorted(name for where, name in ran if where == "tests.test_check_zzz001") == [
        "test_applying_the_fix_to_the_arm_objects_clears_the_finding[ZZZ001/fail]",
        "test_check_on_fixture[ZZZ001/fail]",
        "test_check_on_fixture[ZZZ001/pass]",
        "test_the_check_has_a_fail_and_a_pass_fixture_and_each_failing_one_an_expectation",
    ]
    assert any(
        "ZZZ001/pass" in name for where, name in ran if where == "tests.test_checks_fixtures"
    ), "its pass fixture, for every check"


# -- bad input: one line, exit 2, nothing written --------------------------------------------
@pytest.fixture
def new_check() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("new_check", ROOT / "scripts" / "new_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture
def small_root(tmp_path: Path) -> Path:
    """A checkout with one check, HUB001, and nothing else the scaffold would touch."""
    checks = tmp_path / "diagnose" / "checks"
    checks.mkdir(parents=True)
    (checks / "hub001_members_read_hub.py").write_text('@check(id="HUB001")\n', encoding="utf-8")
    (checks / "_common.py").write_text('X = "ABC123"\n', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--id", "zz1", "--title", TITLE], "--id: 'zz1' is not a check id"),
        (["--id", "ABCD001", "--title", TITLE], "--id: 'ABCD001' is not a check id"),
        (["--id", "HUB001", "--title", TITLE], "the id HUB001 is taken"),
        (["--id", "hub001", "--title", TITLE], "the id HUB001 is taken"),
        (["--id", "ZZZ001", "--title", "  "], "--title: the title is empty"),
        (["--id", "ZZZ001", "--title", "lower case"], "does not start with a capital letter"),
        (["--id", "ZZZ001", "--title", "Two\nlines"], "spans several lines"),
        (["--id", "ZZZ001", "--title", "A" * 81], "the title has 81 characters"),
        (["--id", "ZZZ001", "--title", "Evil\u202etitle"], "control or invisible characters"),
        (["--id", "ZZZ001"], "the following arguments are required: --title"),
        (["--id", "ZZZ001", "--title", TITLE, "--root", "nowhere"], "holds no diagnose/checks"),
    ],
    ids=[
        "short",
        "four-letters",
        "taken",
        "taken-lower-case",
        "empty-title",
        "lower-case-title",
        "two-lines",
        "long-title",
        "bidi-title",
        "no-title",
        "no-checkout",
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str],
    says: str,
    new_check: ModuleType,
    small_root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if "--root" not in argv:
        argv = [*argv, "--root", str(small_root)]
    before = contents(tmp_path)
    assert new_check.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("new_check.py: error: ")
    assert says in captured.err
    assert "Traceback" not in captured.err
    assert contents(tmp_path) == before


def test_an_id_a_check_module_declares_is_taken(
    new_check: ModuleType, small_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (small_root / "diagnose" / "checks" / "abc002_named_otherwise.py").write_text(
        '@check(id="ABC003", title="x")\n', encoding="utf-8"
    )
    assert new_check.main(["--id", "ABC003", "--title", TITLE, "--root", str(small_root)]) == 2
    assert "abc002_named_otherwise.py declares it" in capsys.readouterr().err


def test_the_scaffolded_docstring_has_every_section_who_needs_it_included(
    new_check: ModuleType, small_root: Path
) -> None:
    """The scaffold's docstring has the four sections `diagnose explain-check` prints, "Who
    needs it" among them (a built-in check must have it: tests/test_checks_meta.py)."""
    (small_root / "tests").mkdir()
    module, _, _ = new_check.scaffold(small_root, "ZZZ001", TITLE)
    tree = ast.parse(module.read_text(encoding="utf-8"))
    [function] = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    sections = parse_sections(ast.get_docstring(function) or "", "ZZZ001")
    assert list(sections) == list(SECTION_TITLES)
    assert all(len(text.split()) >= 4 for text in sections.values()), sections


def test_the_function_and_module_name_come_from_the_title(new_check: ModuleType) -> None:
    assert new_check.slug(TITLE) == "hub_identity_read_log"
    assert new_check.slug("3 roles for the class") == "check_3_roles_class"
    assert new_check.slug("Über alles") == "uber_alles"
    assert new_check.slug("A") == "check"
