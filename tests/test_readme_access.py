"""The README's `diagnose access` examples run as written (issue 16: every example runs)."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path

import pytest

from diagnose.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_batch_example_of_the_readme_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    start = README.index("RG=/subscriptions/")
    script = README[start : README.index("```", start)]
    assignment, pipeline = script.split("\n", 1)
    rg = assignment.split("=", 1)[1]
    words = shlex.split(pipeline.replace("\\\n", " ").replace("$RG", rg))
    bar = words.index("|")
    printf, command = words[:bar], words[bar + 1 :]
    assert printf[:2] == ["printf", "%s\\n"] and command[:2] == ["diagnose", "access"]
    lines = "".join(line + "\n" for line in printf[2:])
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(command[1:]) == 1  # Ana may assign roles; Chen may not call the model
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["principalName"], a["decision"]) for a in answers] == [
        ("Ana Lopez", "allowed"),
        ("Chen Wei", "denied"),
    ]


def test_the_readme_names_every_access_flag_and_the_cache_variable() -> None:
    for flag in ("--force-plane", "--batch", "--repl", "--no-cache", "DIAGNOSE_CACHE_DIR"):
        assert flag in README
