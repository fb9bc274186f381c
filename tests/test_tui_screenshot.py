"""scripts/make_tui_screenshot.py writes an SVG screenshot of the terminal UI on the demo (the
README's tour shows docs/tui.svg)."""

from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_tui_screenshot.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_tui_screenshot", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_writes_an_svg_of_the_ui_on_the_demo(tmp_path: Path, capsys) -> None:
    target = tmp_path / "shots" / "tui.svg"
    assert _script().main(["--output", str(target), "--size", "100x30"]) == 0
    text = target.read_text(encoding="utf-8")
    root = ElementTree.fromstring(text)  # well-formed XML
    assert root.tag.endswith("svg")
    words = " ".join("".join(root.itertext()).replace("\xa0", " ").split())
    assert "diagnose --demo" in words  # the window title
    assert "hub-contoso" in words and "CON001" in words
    assert "Fix 1 of 2" in words  # the selected finding's fix is in the picture
    assert str(target) in capsys.readouterr().out


def test_the_script_refuses_a_check_without_findings(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no NOPE001 finding"):
        _script().main(["--output", str(tmp_path / "x.svg"), "--check", "NOPE001"])
    assert not (tmp_path / "x.svg").exists()


def test_the_readme_screenshot_is_an_svg() -> None:
    root = ElementTree.parse(ROOT / "docs" / "tui.svg").getroot()
    assert root.tag.endswith("svg")
