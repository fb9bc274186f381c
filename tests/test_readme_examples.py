"""Every command example of the README runs, as written, through the installed `diagnose`.

Each ```bash block is run line by line, in order, in a fresh working directory (so a block that
saves a snapshot and then reads it works as it reads). Lines that name a live hub (`--hub NAME`)
run against the loopback HTTPS ARM/Graph server serving the recorded fixture set of that name,
with `--arm-endpoint`/`--graph-endpoint` pointing at it: the only words added to the line. The
quick start's set-up lines are tested in test_readme.py; benchmark lines are measured, not
tested, and only checked to exist.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from diagnose.testing.armserver import ArmServer
from diagnose.testing.fixtures import load_fixture_set
from tests.e2e.environment import clean_env, served_env

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent

LIVE_FIXTURES = {"hub-ai": "hub-lookup", "fdy-ai": "foundry-lookup"}
"""The recorded fixture set that serves each hub name the README's live examples use."""
SCAN_SUBSCRIPTIONS = (
    "00000000-1111-2222-3333-444444444444",
    "55555555-6666-7777-8888-999999999999",
)
"""`diagnose scan` examples run against a generated tenant of six hubs in these subscriptions
(the ones the README names)."""

SET_UP = ("python3 -m venv ", "python -m pytest")
"""Set-up lines: test_readme.py checks them (and that .ci/run runs the test line)."""


def _without_comment(line: str) -> str:
    """The line without its trailing `# comment` (a `#` outside quotes, after a space)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def command_lines(block: str) -> list[str]:
    joined = block.replace("\\\n", " ")
    lines = (_without_comment(line) for line in joined.splitlines())
    return [" ".join(line.split()) if "'" not in line else line for line in lines if line]


def examples() -> list[tuple[str, list[str]]]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    found = []
    for number, block in enumerate(blocks, 1):
        lines = [ln for ln in command_lines(block) if not ln.startswith(SET_UP)]
        if lines:
            found.append((f"block{number}:{lines[0][:40]}", lines))
    return found


EXAMPLES = examples()


def _is_benchmark(line: str) -> bool:
    return line.startswith("python benchmarks/")


def _environment(server: ArmServer | None = None) -> dict[str, str]:
    # The installed command on the path; this checkout's package (tests.e2e.environment).
    env = served_env(server, "readme") if server is not None else clean_env()
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["COLUMNS"] = "100"
    return env


@contextmanager
def _live(line: str, stack: ExitStack) -> Iterator[tuple[str, dict[str, str]]]:
    """The line pointed at the loopback server that serves its hub, and the environment."""
    if line.startswith("diagnose scan"):
        from diagnose.testing.fixtures import FixtureSet
        from diagnose.testing.tenant import SyntheticTenant

        tenant = SyntheticTenant(hubs=6, ids=SCAN_SUBSCRIPTIONS)
        server = stack.enter_context(ArmServer(FixtureSet("scan", []), tenant=tenant))
        endpoints = f"--arm-endpoint {server.url} --graph-endpoint {server.url}"
        yield (
            line.replace("diagnose scan", f"diagnose scan {endpoints}", 1),
            _environment(server),
        )
        assert server.non_read_requests() == [], "a README example wrote to Azure"
        return
    match = re.search(r"--hub\s+(\S+)", line)
    if not match:
        yield line, _environment()
        return
    name = match.group(1)
    assert name in LIVE_FIXTURES, f"no recorded fixture set serves the README's hub {name!r}"
    server = stack.enter_context(ArmServer(load_fixture_set(LIVE_FIXTURES[name])))
    endpoints = f"--arm-endpoint {server.url} --graph-endpoint {server.url} "
    env = _environment(server)
    yield line.replace(match.group(0), endpoints + match.group(0), 1), env
    assert server.non_read_requests() == [], "a README example wrote to Azure"


def _write_example_files(folder: Path) -> None:
    """Files the README shows in full before a command reads them (personas.yaml)."""
    for text, name in re.findall(r"```yaml\n(# ([\w.-]+):.*?)```", README, flags=re.DOTALL):
        (folder / name).write_text(text, encoding="utf-8")


SEEDED_INPUTS = ("snapshot.json", "before.json", "after.json")
"""Files the README's examples read as "yours" (a saved snapshot, two to compare): a block that
reads one it does not write gets the demo hub's snapshot (`after.json`: with the hub identity's
roles on its resource group removed, so that the diff has something to say)."""


def _written_by(lines: list[str], name: str) -> bool:
    pattern = rf"(?:-o|--output-file|--save-snapshot|--bundle|>)\s+{re.escape(name)}(?:\s|$)"
    return any(re.search(pattern, line) for line in lines)


def _seed_inputs(folder: Path, lines: list[str]) -> None:
    import json

    from diagnose.demo import load_demo

    for name in SEEDED_INPUTS:
        if any(name in line for line in lines) and not _written_by(lines, name):
            data = load_demo().data
            if name == "after.json":
                hub_identity = next(
                    p["id"] for p in data["principals"] if p["displayName"] == "hub-contoso"
                )
                data["roleAssignments"] = [
                    a
                    for a in data["roleAssignments"]
                    if a["properties"]["principalId"] != hub_identity
                ]
            (folder / name).write_text(json.dumps(data), encoding="utf-8")


def test_the_readme_has_examples_to_run():
    runnable = [ln for _, lines in EXAMPLES for ln in lines if not _is_benchmark(ln)]
    assert len(runnable) >= 10
    assert any("--hub" in ln for ln in runnable), "no live example found"


@pytest.mark.parametrize(("name", "lines"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_every_readme_example_runs_as_written(name, lines, tmp_path):
    if not shutil.which("bash"):
        pytest.skip("needs bash to run shell lines as written")
    _write_example_files(tmp_path)
    _seed_inputs(tmp_path, lines)
    assignments: list[str] = []  # `NAME=value` lines: the shell keeps them for what follows
    for line in lines:
        if _is_benchmark(line):
            script = ROOT / line.split()[1]
            assert script.is_file(), f"the README runs {script}, which does not exist"
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S+", line):
            assignments.append(line)
            continue
        with ExitStack() as stack, _live(line, stack) as (command, env):
            env["DIAGNOSE_CACHE_DIR"] = str(tmp_path / ".cache")  # access's index: never ~/.cache
            result = subprocess.run(
                ["bash", "-c", "; ".join(["set -o pipefail", *assignments, command])],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
            )
        shown = f"{line}\n--- exit {result.returncode}\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, shown
        # 1 is "findings found" (or "denied"): the examples show hubs with faults; 3 is "only
        # unknowns" (a recheck whose steps are not visible yet). 2, bad input, never.
        assert result.returncode in (0, 1, 3), shown
        assert result.stdout.strip() or list(tmp_path.iterdir()), shown
