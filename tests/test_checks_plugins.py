"""Checks from other packages: the `ai_hub_diagnose.checks` entry-point group.

Each test installs a real (if tiny) distribution on sys.path, a module and a `.dist-info` with
its entry_points.txt, so importlib.metadata finds it exactly as it finds a `pip install`ed one.
The built-in checks are not entry points: they are found by scanning diagnose.checks, and a
plug-in that reuses a built-in id is refused.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from diagnose.cli import main
from diagnose.engine import registry
from diagnose.engine.registry import ENTRY_POINT_GROUP, load_checks
from diagnose.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "checks" / "HUB001" / "fail.json"
ANA = next(
    p["id"]
    for p in json.loads(FIXTURE.read_text(encoding="utf-8"))["principals"]
    if p.get("displayName") == "Ana Alvarez"
)

PLUGIN = '''
from diagnose.engine.api import ErrorText, Operation, Requirement, Severity, check

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
AUDIT_DENIED = ErrorText(
    "ContosoAuditDenied", "ContosoAuditDenied: the auditor cannot see ...", "Contoso audit tool",
    "the auditor has no role on the hub", "assign Reader on the hub to the auditor",
    r"ContosoAuditDenied")


@check(id="{id}", title="Auditors can read every hub", severity=Severity.MEDIUM,
       scenario="Audit", docs=("https://contoso.example/wiki/audit",), explains=(AUDIT_DENIED,))
def auditors_read_hubs(ctx):
    """
    What it checks: the audit user holds Microsoft.MachineLearningServices/workspaces/read on
    every hub.

    Why it matters: audits fail when a hub is invisible to the auditors.

    How to fix: assign Reader on the hub to the audit user.
    """
    auditor = ctx.principal("{auditor}", "User")
    for hub in ctx.hubs:
        yield Requirement(
            principal=auditor, resource=hub,
            operations=(Operation.action("Microsoft.MachineLearningServices/workspaces/read"),),
            because="audits every hub", roles=(READER,))


NOT_A_CHECK = 42
'''.replace("{auditor}", ANA)


Install = Callable[..., None]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """install(module_source, entry_points) puts a distribution `contoso-checks` on sys.path."""
    created: list[str] = []

    def installer(source: str, entries: dict[str, str], module: str = "contoso_checks") -> None:
        (tmp_path / f"{module}.py").write_text(source, encoding="utf-8")
        info = tmp_path / "contoso_checks-1.0.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: contoso-checks\nVersion: 1.0\n", encoding="utf-8"
        )
        lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{k} = {v}" for k, v in entries.items())]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        created.append(module)
        monkeypatch.syspath_prepend(str(tmp_path))

    yield installer
    for module in created:
        sys.modules.pop(module, None)


def test_a_plugin_check_is_listed_explained_and_run(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install(PLUGIN.replace("{id}", "CTS001"), {"CTS001": "contoso_checks:auditors_read_hubs"})
    checks, errors = load_checks()
    assert errors == []
    assert "CTS001" in [c.id for c in checks] and "HUB001" in [c.id for c in checks]
    assert [c.id for c in checks] == sorted(c.id for c in checks)

    assert main(["checks"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert any(
        line.startswith("CTS001 ") and "Auditors can read every hub" in line
        for line in out.splitlines()
    )
    assert main(["explain-check", "cts001"]) == ExitCode.OK
    assert "audit user holds" in capsys.readouterr().out

    code = main(["--snapshot", str(FIXTURE), "--format", "json", "--select", "CTS001"])
    report = json.loads(capsys.readouterr().out)
    assert code == ExitCode.FINDINGS and report["target"]["checks"] == ["CTS001"]
    [finding] = report["findings"]
    assert finding["checkId"] == "CTS001" and finding["status"] == "fail"
    assert finding["remediations"][0]["roleName"] == "Reader"


def test_a_plugin_reusing_a_builtin_id_is_refused(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install(PLUGIN.replace("{id}", "HUB001"), {"HUB001": "contoso_checks:auditors_read_hubs"})
    checks, errors = load_checks()
    [error] = errors
    assert error.entry_point == "HUB001 = contoso_checks:auditors_read_hubs"
    assert "check id HUB001 is already taken" in error.error
    assert "diagnose.checks.hub001_" in error.error
    [hub001] = [c for c in checks if c.id == "HUB001"]
    assert hub001.run.__module__.startswith("diagnose.checks.")
    assert main(["checks"]) == ExitCode.OK
    assert (
        "could not load check HUB001 = contoso_checks:auditors_read_hubs" in capsys.readouterr().err
    )


def test_a_broken_plugin_does_not_hide_the_others(install: Install) -> None:
    install(
        PLUGIN.replace("{id}", "CTS002"),
        {
            "CTS002": "contoso_checks:auditors_read_hubs",
            "CTS003": "contoso_checks:NOT_A_CHECK",
            "CTS004": "contoso_checks_missing:anything",
        },
    )
    checks, errors = load_checks()
    assert "CTS002" in {c.id for c in checks}
    problems = {e.entry_point.split(" ", 1)[0]: e.error for e in errors}
    assert set(problems) == {"CTS003", "CTS004"}
    assert "is not a check" in problems["CTS003"]
    assert "ModuleNotFoundError" in problems["CTS004"]


def test_a_builtin_module_without_a_check_or_that_fails_is_a_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scanning imports every module of the package that does not start with `_`."""
    package = tmp_path / "fake_builtin_checks"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "cts005_fine.py").write_text(PLUGIN.replace("{id}", "CTS005"), encoding="utf-8")
    (package / "cts006_forgot_the_decorator.py").write_text("X = 1\n", encoding="utf-8")
    (package / "cts007_broken.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    (package / "_shared.py").write_text("raise RuntimeError('never imported')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "BUILTIN_PACKAGE", "fake_builtin_checks")
    try:
        checks, errors = load_checks()
    finally:
        for name in [m for m in sys.modules if m.startswith("fake_builtin_checks")]:
            del sys.modules[name]
    assert [c.id for c in checks] == ["CTS005"]
    problems = {e.entry_point: e.error for e in errors}
    assert set(problems) == {
        "fake_builtin_checks.cts006_forgot_the_decorator",
        "fake_builtin_checks.cts007_broken",
    }
    assert "defines no check" in problems["fake_builtin_checks.cts006_forgot_the_decorator"]
    assert problems["fake_builtin_checks.cts007_broken"] == "RuntimeError: boom"


def test_diagnose_explain_recognises_the_error_texts_a_plugin_declares(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "ContosoAuditDenied: the auditor cannot see hub-fixture"
    assert main(["explain", text]) == ExitCode.FINDINGS  # not recognised before
    capsys.readouterr()
    install(PLUGIN.replace("{id}", "CTS008"), {"CTS008": "contoso_checks:auditors_read_hubs"})
    assert main(["explain", text, "--snapshot", str(FIXTURE)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert out.startswith("Recognised: ContosoAuditDenied (Contoso audit tool)")
    assert "Related findings (CTS008):" in out and "FAIL CTS008:" in out
