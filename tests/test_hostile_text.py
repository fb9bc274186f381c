"""Strings from Azure are data in every output. The demo snapshot, with its principals,
resources, roles, descriptions, deny assignment, collectedAt and a collection error renamed
to carry terminal escapes (CSI, OSC 52, C1), bidi overrides and isolates, zero-width and
invisible characters, separators, Textual/Rich markup, HTML, backticks and table pipes, goes
through the real CLI (text, Markdown, SARIF, JSON, access, explain, checks, stderr) and the
terminal UI: nothing of it may reach the output raw, and every name must still be readable."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from diagnose.cli import main
from diagnose.safe import (
    UNSAFE,
    markdown_code,
    markdown_text,
    safe_block,
    safe_json,
    safe_message,
    safe_text,
    sarif_text,
)

CONTROLS = (
    "\x1b[31m\x1b]52;c;ZXZpbA==\x07\x9b1m\u202e\u2066\u200b\u200f\u2060\u2064\ufeff"
    "\u2028\u2029\U000e0041\t\r\x00"
)
MARKUP = (
    "[red]x[/red][@click=app.quit]<script>alert(1)<img src=x onerror=alert(1)>"
    "`tick`|pipe|*a*_b_ &lt; #h"
)
HOSTILE = CONTROLS + MARKUP
"""No `/`: it goes into resource names, which are parts of ARM ids."""
ESCAPED = safe_text(CONTROLS)
SHOWN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cs")


def unsafe_in(text: str, allowed: str = "\n") -> list[str]:
    """Characters a terminal would act on or a reader could not see, by Unicode category
    (an oracle independent of diagnose.safe)."""
    return sorted(
        {
            hex(ord(c))
            for c in text
            if c not in allowed and unicodedata.category(c) in SHOWN_CATEGORIES
        }
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from diagnose.demo import load_demo

    data = load_demo().data
    blob = json.dumps(data)
    for name in ("srch-contoso", "proj-docs"):
        blob = blob.replace(name, json.dumps(name + HOSTILE)[1:-1])
    data = json.loads(blob)
    for principal in data["principals"]:
        if principal.get("displayName"):
            principal["displayName"] += HOSTILE + "</script>"
    data["collectedAt"] += HOSTILE
    for assignment in data["roleAssignments"]:
        assignment["properties"]["description"] = "why" + HOSTILE
    for role in data["roleDefinitions"]:
        role["properties"]["roleName"] += HOSTILE
    for deny in data["denyAssignments"]:
        deny["properties"]["denyAssignmentName"] += HOSTILE
        deny["properties"]["description"] += HOSTILE
    data["errors"].append(
        {
            "scope": data["target"]["hub"] + "/connections/x",
            "operation": "Microsoft.MachineLearningServices/workspaces/connections/read",
            "status": 500,
            "code": "InternalError",
            "message": "failed" + HOSTILE,
        }
    )
    path = tmp_path_factory.mktemp("hostile") / "hostile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    ana = next(p for p in data["principals"] if p["displayName"].startswith("Ana Lopez"))
    return {"path": str(path), "data": data, "ana": ana}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the one definition ------------------------------------------------------------------------


def test_every_control_bidi_invisible_and_separator_character_is_escaped() -> None:
    everything = "".join(
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in SHOWN_CATEGORIES
    )
    shown = safe_text(everything)
    assert unsafe_in(shown, allowed="") == []
    assert safe_text(shown) == shown  # idempotent: a second pass changes nothing
    assert (
        safe_text("\x1b[2J\u202e\u200b\U000e0041\n\t") == "\\x1b[2J\\u202e\\u200b\\U000e0041\\n\\t"
    )
    kept = "Ana López 李 مرحبا 🙂 naïve ' \" \\ [bold] <b>"  # letters and punctuation are kept
    assert safe_text(kept) == kept


def test_safe_block_keeps_line_breaks_only() -> None:
    assert safe_block("a\x1b[31m\r\nb\u2028c\n") == "a\\x1b[31m\nb\\u2028c\n"
    assert (
        safe_message("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl\x1b[2J")
        == "Bearer <removed>\\x1b[2J"
    )


def test_markdown_escapes_html_markup_and_line_starts() -> None:
    assert markdown_text("<script>") == "\\<script\\>"
    assert (
        markdown_text("a|b `c` *d* _e_ [f](g) &amp;")
        == "a\\|b \\`c\\` \\*d\\* \\_e\\_ \\[f\\](g) &amp;amp;"
    )
    assert markdown_text("- item") == "\\- item" and markdown_text("1. item") == "1\\. item"
    assert markdown_text("0.1.0") == "0.1.0"  # not a list marker
    assert markdown_code("a`b") == "``a`b``" and markdown_code("`x`") == "`` `x` ``"
    assert markdown_code("<img src=x>") == "`<img src=x>`"  # code spans show HTML as text


def test_sarif_text_escapes_embedded_link_brackets() -> None:
    assert sarif_text("[x](1)\x1b") == "\\[x\\](1)\\x1b"


def test_safe_json_escapes_losslessly() -> None:
    value = {"name": "a\x9b\u202e\U000e0041\ud800b", "n": [1, "\u2028"]}
    text = safe_json(json.dumps(value, indent=2, ensure_ascii=False))
    assert unsafe_in(text) == [] and json.loads(text) == value


# -- every output of the CLI ---------------------------------------------------------------------


def test_text_report(capsys: pytest.CaptureFixture[str], hostile: dict[str, Any]) -> None:
    _, out, err = run(capsys, "--snapshot", hostile["path"], "--no-tui")
    assert unsafe_in(out + err) == []
    header = " ".join(out.split("\n\n")[0].split())  # wrapped at spaces, never in a word
    assert f"collected 2026-11-20T09:30:00Z{ESCAPED}[red]x[/red]" in header
    assert f"Lopez{ESCAPED}[red]x[/red][@click=app.quit]<script>alert(1)<img" in out
    assert f"failed{ESCAPED}" in out  # the collection error's message


def test_markdown_report_renders_no_html_and_keeps_its_table(
    capsys: pytest.CaptureFixture[str], hostile: dict[str, Any]
) -> None:
    from markdown_it import MarkdownIt

    # Every finding detailed (the default 60 KB would count some instead): each hostile name
    # must be shown, literally.
    argv = ["--snapshot", hostile["path"], "--format", "markdown", "--markdown-limit", "10M"]
    _, out, _ = run(capsys, *argv)
    assert unsafe_in(out) == []
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(out)
    tags = set(re.findall(r"<([a-z][a-z0-9]*)\b", html))
    assert tags <= {
        "h1",
        "h2",
        "h3",
        "p",
        "ul",
        "li",
        "code",
        "pre",
        "strong",
        "em",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "details",
        "summary",
        "a",
    }, tags
    links = set(re.findall(r'<a href="([^"]*)"', html))
    assert all(link.startswith("https://learn.microsoft.com/") for link in links), links
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    _, report, _ = run(capsys, "--snapshot", hostile["path"], "--json")
    findings = json.loads(report)["findings"]
    checks = {f["checkId"] for f in findings}  # the summary table has a row per check
    assert len(findings) > 10 and len(rows) == 1 + len(checks)  # no row broke the table
    assert all(row.count("<td") + row.count("<th") == 7 for row in rows)
    shown = (
        re.sub(r"<[^>]+>", "", html)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )
    name = "Ana Lopez" + safe_text(HOSTILE)
    assert name in shown  # the reader sees the name exactly as the text report shows it
    assert "srch-contoso" + safe_text(HOSTILE) in shown


def test_sarif_report(capsys: pytest.CaptureFixture[str], hostile: dict[str, Any]) -> None:
    _, out, _ = run(capsys, "--snapshot", hostile["path"], "--format", "sarif")
    assert unsafe_in(out) == []
    sarif = json.loads(out)
    results = sarif["runs"][0]["results"]
    messages = [r["message"]["text"] for r in results]
    assert any("Ana Lopez" in m for m in messages)
    for result, message in zip(results, messages, strict=True):
        assert unsafe_in(message, allowed="") == []
        assert not re.search(r"(?<!\\)[\[\]]", message), message  # no embedded link
        location = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert unsafe_in(location, allowed="") == []
    assert (
        sarif["runs"][0]["properties"]["target"]["collectedAt"] == hostile["data"]["collectedAt"]
    )  # property bags keep the data, escaped in JSON only


def test_json_report_keeps_the_data_and_escapes_it(
    capsys: pytest.CaptureFixture[str], hostile: dict[str, Any]
) -> None:
    _, out, _ = run(capsys, "--snapshot", hostile["path"], "--json")
    assert unsafe_in(out) == []
    report = json.loads(out)
    assert report["target"]["collectedAt"] == hostile["data"]["collectedAt"]
    names = {f["principal"]["displayName"] for f in report["findings"] if f["principal"]}
    assert hostile["ana"]["displayName"] in names


def test_access_sentence_and_evidence(
    capsys: pytest.CaptureFixture[str], hostile: dict[str, Any]
) -> None:
    scope = hostile["data"]["target"]["hub"]
    code, out, err = run(
        capsys,
        "access",
        "--snapshot",
        hostile["path"],
        "--principal",
        hostile["ana"]["id"],
        "--scope",
        scope,
        "--action",
        "Microsoft.MachineLearningServices/workspaces/read",
    )
    assert code in (0, 1) and unsafe_in(out + err) == []
    first = out.splitlines()[0]
    assert first.startswith(("ALLOWED: Ana Lopez" + ESCAPED, "DENIED: Ana Lopez" + ESCAPED))
    assert "[red]x[/red]" in first and ESCAPED + MARKUP in out  # the role's name too


def test_ambiguous_principal_error_on_stderr(
    capsys: pytest.CaptureFixture[str], hostile: dict[str, Any], tmp_path: Path
) -> None:
    data = json.loads(json.dumps(hostile["data"]))
    twins = [p for p in data["principals"] if p["type"] == "User"][:2]
    for principal in twins:
        principal["displayName"] = "Twin" + HOSTILE
    path = tmp_path / "twins.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(
        capsys,
        "access",
        "--snapshot",
        str(path),
        "--principal",
        "Twin" + HOSTILE,
        "--scope",
        data["target"]["hub"],
        "--action",
        "Microsoft.MachineLearningServices/workspaces/read",
    )
    assert code == 2 and out == ""
    assert "matches several principals" in err and unsafe_in(err) == []
    assert len(err.strip().splitlines()) == 1 and err.count("Twin" + ESCAPED) >= 2


def test_explain_output(capsys: pytest.CaptureFixture[str], hostile: dict[str, Any]) -> None:
    ana = hostile["ana"]["id"]
    scope = hostile["data"]["target"]["hub"]
    message = (
        f"AuthorizationFailed: The client 'ana@contoso.com' with object id '{ana}' "
        "does not have authorization to perform action "
        f"'Microsoft.MachineLearningServices/workspaces/write' over scope '{scope}' "
        f"or the scope is invalid.{HOSTILE}"
    )
    code, out, err = run(capsys, "explain", "--snapshot", hostile["path"], message)
    assert code == 0 and unsafe_in(out + err) == []
    assert "Recognised: AuthorizationFailed" in out and "Ana Lopez" + ESCAPED in out
    assert not any(line.startswith("  - ") and line[4:5].islower() for line in out.splitlines()), (
        "a wrapped finding must not look like a new list item"
    )


def test_checks_listing_shows_a_plugins_texts_literally(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    import diagnose.engine.registry as registry

    checks, errors = registry.load_checks()
    rogue = dataclasses.replace(checks[0], title="Rogue" + HOSTILE, scenario="s" + CONTROLS)
    monkeypatch.setattr(registry, "load_checks", lambda: ([rogue, *checks[1:]], errors))
    code, out, err = run(capsys, "checks")
    assert code == 0 and unsafe_in(out + err) == []
    assert "Rogue" + ESCAPED + MARKUP in out


def test_error_messages_on_stderr_are_scrubbed_and_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0g="
    missing = tmp_path / f"AccountKey={key};x\x1b[2J.json"
    code, out, err = run(capsys, "--snapshot", str(missing), "--no-tui")
    assert code == 2 and out == ""
    assert key not in err and "AccountKey=<removed>" in err
    assert "\x1b" not in err and unsafe_in(err) == []


# -- the terminal UI ---------------------------------------------------------------------------


def _hostile_run(data: dict[str, Any]) -> Any:
    from diagnose.snapshot import parse_snapshot
    from tests.test_tui_support import demo_args, execute  # the UI tests' way to run

    return execute(demo_args(), snapshot=parse_snapshot(data, "<hostile>"), requests=[])


def test_the_ui_shows_everything_literally(hostile: dict[str, Any]) -> None:
    import asyncio

    from textual.widgets import Input, Select, Static, Tree

    from diagnose.tui.app import DiagnoseApp
    from diagnose.tui.screens.access import AccessScreen
    from diagnose.tui.screens.help import HelpScreen
    from diagnose.tui.widgets.findings import FindingsTable
    from tests.test_tui_support import table_cells

    run_ = _hostile_run(hostile["data"])
    ana = hostile["ana"]["id"]

    def statics(screen: Any) -> list[str]:
        return [str(getattr(w.content, "plain", w.content)) for w in screen.query(Static)]

    def labels(tree: Any) -> list[str]:
        found, stack = [], [tree.root]
        while stack:
            node = stack.pop()
            found.append(node.label.plain)
            stack.extend(node.children)
        return found

    async def drive() -> list[str]:
        app = DiagnoseApp(run_)
        seen: list[str] = []
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            row = next(
                i
                for i, f in enumerate(app.index.findings)
                if f.principal is not None and f.principal.id == ana and f.evidence
            )
            app.query_one(FindingsTable).move_cursor(
                row=app.query_one(FindingsTable).order.index(row)
            )
            await pilot.pause()
            seen += [cell for r in table_cells(app) for cell in r]
            seen += labels(app.query_one(Tree))
            seen += statics(app.screen)
            app.notify("failed" + HOSTILE, title="t" + CONTROLS, markup=False)
            await pilot.pause()
            seen += [n.message + n.title for n in app._notifications]
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            seen += statics(app.screen)
            await pilot.press("escape")
            await pilot.press("a")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, AccessScreen)
            screen.query_one("#access-principal", Select).value = ana
            screen.query_one("#access-scope", Select).value = hostile["data"]["target"]["hub"]
            screen.query_one(
                "#access-operation", Input
            ).value = "Microsoft.MachineLearningServices/workspaces/read"
            await pilot.press("ctrl+r")
            await pilot.pause()
            seen += statics(screen)
            seen += [str(label) for label, _ in screen._principals]
            seen.append(app.export_screenshot())
            assert app.is_running  # the [@click=app.quit] in names did nothing
        return seen

    seen = asyncio.run(drive())
    everything = "\n".join(seen)
    assert unsafe_in(everything) == []
    assert "Ana Lopez" + ESCAPED + MARKUP in everything  # table cell, tree, detail
    assert "srch-contoso" + ESCAPED + MARKUP in everything
    answer = next(text for text in seen if text.startswith(("ALLOWED: Ana", "DENIED: Ana")))
    assert answer.startswith(("ALLOWED: Ana Lopez" + ESCAPED, "DENIED: Ana Lopez" + ESCAPED))
    assert "failed" + ESCAPED in everything  # the notification
    assert "\x1b" not in everything and UNSAFE.search(everything.replace("\n", "")) is None


def test_snapshot_warnings_on_stderr_are_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A warning quotes what it is about (here the bundle's own path, which holds a terminal
    escape): shown as data. The bundle's snapshot was edited after it was written, so reading
    it with --ignore-bundle-hashes warns."""
    import zipfile

    original = tmp_path / "demo.zip"
    assert run(capsys, "--demo", "--format", "json", "--bundle", str(original))[0] == 1
    with zipfile.ZipFile(original) as bundle:
        members = {info.filename: bundle.read(info) for info in bundle.infolist()}
    snapshot = json.loads(members["snapshot.json"])
    snapshot["collectedAt"] = "2020-01-01T00:00:00Z"
    members["snapshot.json"] = json.dumps(snapshot).encode()
    edited = tmp_path / f"edited{CONTROLS.replace(chr(0), '')}.zip"
    with zipfile.ZipFile(edited, "w") as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    code, _, err = run(capsys, "--snapshot", str(edited), "--ignore-bundle-hashes", "--no-tui")
    assert code in (0, 1, 3) and "diagnose: warning:" in err
    assert "edited" + safe_text(CONTROLS.replace(chr(0), "")) in err and unsafe_in(err) == []
