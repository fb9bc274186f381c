"""The README is the front door: keep it true to the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from diagnose.cli import main
from diagnose.cli.parser import build_parser
from diagnose.engine.registry import load_checks

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


EXAMPLE_IDS = {"CTS001", "ABC001"}
"""Ids in examples: the third-party check the README shows, the scaffold's command line."""


def test_the_readme_points_to_the_check_list_instead_of_copying_it():
    """`diagnose checks` and `explain-check` are the list (a new check edits no README); the
    README's family table names only prefixes that checks have."""
    assert "`diagnose checks`" in README and "`diagnose explain-check ID`" in README
    families = re.findall(r"^\| ([A-Z]{2,5}) \|", README, re.MULTILINE)
    areas = {c.area for c in load_checks()[0]}
    assert families and set(families) <= areas
    assert not re.findall(r"^\| [A-Z]{2,5}\d{3} \|", README, re.MULTILINE), "a copied check table"


def test_every_check_id_the_readme_mentions_exists():
    registered = {c.id for c in load_checks()[0]}
    mentioned = set(re.findall(r"\b[A-Z]{3}\d{3}\b", README)) - EXAMPLE_IDS
    assert mentioned and mentioned <= registered, mentioned - registered
    assert not EXAMPLE_IDS & registered


def test_every_flag_is_documented():
    parser = build_parser()
    flags = {o for a in parser._actions for o in a.option_strings if o.startswith("--")}
    for sub in parser._subparsers._group_actions[0].choices.values():
        flags |= {o for a in sub._actions for o in a.option_strings if o.startswith("--")}
    flags -= {"--help", "--version"}
    missing = sorted(f for f in flags if f not in README)
    assert not missing, f"README does not mention {missing}"


def test_ci_runs_the_readme_install_and_test_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[test]"' in README and '-e ".[test]"' in ci
    test_command = "python -m pytest -q -n 2"
    assert test_command in README and test_command in ci


def test_the_access_example_of_the_readme_runs(capsys):
    block = README[README.index('diagnose access --demo --principal "Ana Lopez"') :]
    command = block[: block.index("```")].replace("\\\n", " ")
    argv = re.findall(r'"[^"]*"|\S+', command)[1:]
    argv = [a.strip('"') for a in argv]
    assert main(argv) == 1  # Ana is Owner, which grants no data actions
    assert "Owner" in capsys.readouterr().out


def test_the_code_is_ruff_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is in the test extra: pip install -e '.[test]'"
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _command(after: str) -> list[str]:
    """The arguments of the README's command line that starts with `after`."""
    block = README[README.index(after) :]
    command = block[: block.index("```")].replace("\\\n", " ")
    return [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', command)[1:]]


def test_the_personas_example_of_the_readme_runs(capsys, tmp_path, monkeypatch):
    """The example file, written where the example command reads it: its declarations win
    (Ana, an Owner, is declared a reader and leaves the connection findings) and the findings
    say where their personas come from."""
    import json

    start = README.index("```yaml\n# personas.yaml")
    example = README[start + len("```yaml\n") : README.index("```", start + 3)]
    (tmp_path / "personas.yaml").write_text(example, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = _command("diagnose --demo --personas personas.yaml")
    assert argv == ["--demo", "--personas", "personas.yaml"]
    assert main([*argv, "--json"]) == 1  # the demo hub has failures
    report = json.loads(capsys.readouterr().out)
    assert report["target"]["personas"] == "--personas personas.yaml"
    people = [f for f in report["findings"] if f["checkId"].startswith("CON")]
    assert people and all(
        a["displayName"] != "Ana Lopez" for f in people for a in f["affectedPrincipals"]
    )
    # The file names the hub's people; the demo's Foundry builders keep their roles' personas.
    named = {"grp-ai-developers", "grp-ml-leads", "grp-data-science"}
    personas = [(f["principal"]["displayName"], f["persona"]) for f in people if "persona" in f]
    personas += [(a["displayName"], a) for f in people for a in f["affectedPrincipals"]]
    declared = [p for name, p in personas if name in named]
    assert declared and all(p["declared"] == "--personas personas.yaml" for p in declared)
    assert all("declared" not in p for name, p in personas if name not in named)
    assert main(argv) == 1
    assert "(declared by --personas personas.yaml)" in capsys.readouterr().out


def test_the_principal_example_of_the_readme_runs(capsys):
    argv = _command('diagnose --demo --principal "Chen Wei"')
    assert argv == ["--demo", "--principal", "Chen Wei"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "focus (--principal): user Chen Wei" in out
    assert "Chen Wei, a builder (declared by --principal)" in " ".join(out.split())


def test_the_readme_check_example_has_every_section_explain_check_prints():
    """The plug-in example is what people copy: its docstring has all of SECTION_TITLES, "Who
    needs it" included, and the README never says a check has only three sections."""
    import ast

    from diagnose.engine.api import SECTION_TITLES, parse_sections

    start = README.index("```python\n# contoso_checks/tags.py")
    source = README[start + len("```python\n") : README.index("```", start + 3)]
    [function] = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    sections = parse_sections(ast.get_docstring(function) or "", "README CTS001")
    assert list(sections) == list(SECTION_TITLES)
    assert not re.search(r"\bthree sections\b", README, re.IGNORECASE)


def test_the_fix_plan_example_of_the_readme_runs(capsys, tmp_path, monkeypatch):
    """The example writes one Terraform configuration, exactly what the TUI copies."""
    import hcl2

    from diagnose.app import DemoSource, diagnose, export_plan

    monkeypatch.chdir(tmp_path)
    argv = _command("diagnose fix-plan --demo --as terraform")
    assert argv == ["fix-plan", "--demo", "--as", "terraform", "--output-file", "main.tf"]
    assert main(argv) == 0
    written = (tmp_path / "main.tf").read_text(encoding="utf-8")
    assert written == export_plan(diagnose(DemoSource()), "terraform").text
    assert hcl2.loads(written)["resource"]
    assert "diagnose: fix plan:" in capsys.readouterr().err


def test_the_explain_stdin_example_of_the_readme_runs(capsys, monkeypatch):
    import io

    [line] = [ln for ln in README.splitlines() if ln.endswith("| diagnose explain -")]
    message = re.match(r'echo "([^"]+)" \| diagnose explain -$', line).group(1)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(message.encode() + b"\n")))
    assert main(["explain", "-"]) == 0
    out = capsys.readouterr().out
    assert "Recognised: PermissionDenied" in out and "least role:" in out


def test_the_explain_example_of_the_readme_is_recognised_on_the_demo(capsys):
    """The README's first `explain` example is a real message of the demo hub: recognised, the
    access it names evaluated (DENIED), a verified fix for the caller, HUB001 related."""
    [line] = [ln for ln in README.splitlines() if ln.startswith('diagnose explain "Authorization')]
    argv = _command(line)
    assert argv[-1] == "--demo"
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Recognised: AuthorizationFailed" in out
    assert "DENIED: Eve Martin" in out
    assert "Assign Reader to user Eve Martin on hub 'hub-contoso'" in out
    assert "FAIL HUB001" in out


def test_an_elided_object_id_still_finds_the_caller_by_the_client_name(capsys):
    """Tickets often carry messages with the object id cut out: the client's UPN is enough."""
    [line] = [ln for ln in README.splitlines() if ln.startswith('diagnose explain "Authorization')]
    argv = _command(line)
    argv[1] = re.sub(r"object id '[^']+'", "object id '...'", argv[1])
    assert "'...'" in argv[1]
    assert main(argv) == 0
    assert "DENIED: Eve Martin" in capsys.readouterr().out


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)


def test_two_lines_do_the_whole_set_up_and_ci_runs_exactly_the_second():
    """Quick start: one line installs and runs the demo, one installs the test extras and runs
    the tests; `.ci/run` runs that second line verbatim (so the README cannot drift from CI)."""
    first, second = (block.strip() for block in _bash_blocks()[:2])
    assert "\n" not in first and "\n" not in second
    assert first.startswith("python3 -m venv .venv && ") and first.endswith("diagnose --demo")
    assert "pip install -e . " in first
    assert 'pip install -e ".[test]"' in second and second.endswith("python -m pytest -q -n 2")
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci.splitlines()


def test_the_five_minute_tour_covers_demo_hub_support_and_ci_with_a_screenshot():
    """Issue 16's tour: the demo, a real hub, a snapshot shared with support, CI with a SARIF
    upload, and the UI's picture (made by scripts/make_tui_screenshot.py); its commands run in
    tests/test_readme_examples.py like every other example."""
    tour = README[README.index("## A five-minute tour") : README.index("## Commands")]
    for part in ("diagnose --demo", "--hub hub-ai", "--bundle ticket.zip --redact", "-o sarif"):
        assert part in tour, part
    assert "github/codeql-action/upload-sarif" in tour
    [image] = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", tour)
    svg = (ROOT / image).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and "hub-contoso" in svg.replace("&#160;", " ")
