"""`--principal P` ("why can't P ...?") and `--personas FILE` through the command line and the
application layer: how a principal is named, every way a personas file can be wrong (one
message, exit 2), and the personas in every report format."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from diagnose.app import DemoSource, DiagnoseOptions, LiveOptions, LiveSource, diagnose
from diagnose.app import diagnosis as app_diagnosis
from diagnose.app.diagnosis import rediagnose
from diagnose.cli import main
from diagnose.errors import BadInput
from diagnose.report.schema import schema as report_schema

CHEN = "cf95c68a-43bf-5b4f-8740-afe7c420fa60"
ANA = "f0d9487d-24b5-54ee-bd12-10f6e9c7c9fb"
DATA_SCIENCE = "3a59c84a-f7be-5c02-8ef1-ae6657f556c9"
DEVELOPERS = "37d73938-30bf-5abf-b35f-8e11d122d95a"
CON = ("--select", "CON")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def report_of(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code in (0, 1), err
    report = json.loads(out)
    jsonschema.Draft7Validator(report_schema()).validate(report)
    return report


def one_error(capsys, *argv: str) -> str:
    """The run ends with exit 2 and one line on stderr, no traceback."""
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("diagnose: error: "), err
    assert "Traceback" not in err
    return lines[0]


def ambiguous_snapshot(tmp_path: Path) -> Path:
    """The demo with two users named Eve Martin."""
    text = resources.files("diagnose.demo").joinpath("demo_hub.json").read_text("utf-8")
    data = json.loads(text)
    for principal in data["principals"]:
        if principal["displayName"] == "Dana Smith":
            principal["displayName"] = "Eve Martin"
    path = tmp_path / "twins.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- --principal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [CHEN, CHEN.upper(), "chen.wei@contoso.com", "Chen Wei", "chen wei"]
)
def test_principal_by_object_id_upn_or_display_name(capsys, name: str) -> None:
    report = report_of(capsys, "--demo", *CON, "--principal", name)
    assert report["target"]["focus"] == [{"id": CHEN, "type": "User", "displayName": "Chen Wei"}]
    people = [f for f in report["findings"] if f["affectedPrincipals"]]
    assert people, "Chen, a builder by declaration, misses the connections' data roles"
    assert all(a["id"] == CHEN for f in people for a in f["affectedPrincipals"])
    assert all(
        f["persona"]["persona"] == "builder" and f["persona"]["declared"] == "--principal"
        for f in people
    )
    assert report["summary"]["byPersona"]["builder"] == len(people)


def test_principal_makes_a_reader_a_builder_and_leaves_everyone_else_out(capsys) -> None:
    """Chen holds nothing on the projects (a reader at most), so the whole run asks nothing of
    him; asked about, he is a builder and the others are gone."""
    everyone = report_of(capsys, "--demo", *CON)
    assert all(a["id"] != CHEN for f in everyone["findings"] for a in f["affectedPrincipals"])
    assert "focus" not in everyone["target"] and "personas" not in everyone["target"]
    focused = report_of(capsys, "--demo", *CON, "--principal", "Chen Wei")
    assert any(f["status"] == "fail" for f in focused["findings"] if f["affectedPrincipals"])


def test_principal_is_repeatable_and_each_principal_counts_once(capsys) -> None:
    report = report_of(
        capsys, "--demo", *CON, "--principal", "Chen Wei", "--principal", ANA,
        "--principal", "chen.wei@contoso.com",
    )  # fmt: skip
    assert [p["id"] for p in report["target"]["focus"]] == [CHEN, ANA]
    concerned = {a["id"] for f in report["findings"] for a in f["affectedPrincipals"]}
    assert concerned == {CHEN, ANA}


def test_an_unknown_principal_is_exit_2_with_one_message(capsys) -> None:
    line = one_error(capsys, "--demo", "--principal", "Nobody Here")
    assert "--principal 'Nobody Here' is neither an object id nor a name in the snapshot" in line


def test_an_ambiguous_principal_is_exit_2_naming_the_candidates(capsys, tmp_path) -> None:
    line = one_error(
        capsys, "--snapshot", str(ambiguous_snapshot(tmp_path)), "--principal", "Eve Martin"
    )
    assert "--principal 'Eve Martin' matches several principals" in line
    assert "6dd9fb46-6134-5753-90d4-e6067144b5d7" in line  # both ids, to pick one
    assert "4599ed30-ce7b-5f88-a2eb-f37cf8ec929d" in line


def test_an_empty_principal_is_exit_2(capsys) -> None:
    assert "--principal needs a principal" in one_error(capsys, "--demo", "--principal", " ")


def test_creator_messages_name_creator(capsys) -> None:
    """Before, an unknown --creator was reported as an unknown --principal."""
    line = one_error(capsys, "--demo", "--creator", "Nobody Here")
    assert "--creator 'Nobody Here'" in line and "--principal" not in line


def test_rediagnose_keeps_the_focus_and_the_personas(tmp_path) -> None:
    personas = tmp_path / "p.yaml"
    personas.write_text("Ana Lopez: reader\n", encoding="utf-8")
    options = DiagnoseOptions(select=("CON",), principals=("Chen Wei",), personas=str(personas))
    first = diagnose(DemoSource(), options)
    again = rediagnose(first)
    assert again.options == first.options
    assert again.declarations == first.declarations
    assert [p.id for p in again.declarations.focus] == [CHEN]
    assert dict(again.declarations.personas) == {ANA: "reader"}


# -- --personas ---------------------------------------------------------------------------

YAML = """\
# who is what here
grp-ai-developers: builder          # a group's display name
ana.lopez@contoso.com: reader       # a user principal name
3a59c84a-f7be-5c02-8ef1-ae6657f556c9: Administrator   # an object id; any case
"""
JSON = json.dumps(
    {
        "grp-ai-developers": "builder",
        "ana.lopez@contoso.com": "reader",
        DATA_SCIENCE: "administrator",
    }
)


@pytest.mark.parametrize(("name", "text"), [("p.yaml", YAML), ("p.yml", YAML), ("p.json", JSON)])
def test_personas_from_json_or_yaml_win_over_the_roles(capsys, tmp_path, name, text) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = report_of(capsys, "--demo", *CON)
    assert any(a["id"] == ANA for f in before["findings"] for a in f["affectedPrincipals"])
    report = report_of(capsys, "--demo", *CON, "--personas", str(path))
    assert report["target"]["personas"] == f"--personas {name}"
    people = {a["id"]: a["persona"] for f in report["findings"] for a in f["affectedPrincipals"]}
    assert ANA not in people, "declared a reader: nothing she lacks is a finding"
    assert people.get(DATA_SCIENCE) in (None, "administrator")
    judged = {f["principal"]["id"]: f["persona"] for f in report["findings"] if "persona" in f}
    declared = [p for i, p in judged.items() if i in (DEVELOPERS, DATA_SCIENCE)]
    assert declared and all(p["declared"] == f"--personas {name}" for p in declared)
    assert all(p["evidence"][0]["declared"] == f"--personas {name}" for p in declared)
    inferred = [p for i, p in judged.items() if i not in (DEVELOPERS, DATA_SCIENCE)]
    assert all("declared" not in p and p["evidence"][0]["roleName"] for p in inferred)
    failing = [
        f for f in report["findings"]
        if f["status"] == "fail" and any(a["id"] == DATA_SCIENCE for a in f["affectedPrincipals"])
    ]  # fmt: skip
    assert failing == [], "an administrator missing data roles is warned, never failed"


def test_a_group_declared_makes_its_members_that_persona(tmp_path) -> None:
    from diagnose.app.personas import declarations
    from diagnose.engine.personas import Personas
    from diagnose.model.model import Model
    from diagnose.rbac.evaluator import Evaluator

    path = tmp_path / "p.yaml"
    path.write_text("grp-ai-developers: administrator\n", encoding="utf-8")
    run = diagnose(DemoSource(), DiagnoseOptions(select=("CON",)))
    model: Model = run.model
    declared = declarations(model, personas_file=str(path))
    assert declared is not None and declared.source == "--personas p.yaml"
    personas = Personas(model, Evaluator(model.authorization), declared)
    ben = model.authorization.directory.get("704ac2e4-5c6e-5587-97c3-bda22b4c22c6")
    assert ben is not None and "37d73938-30bf-5abf-b35f-8e11d122d95a" in ben.member_of
    project = next(p for hub in model.hubs for p in model.projects_of(hub))
    from diagnose.engine.api import PrincipalRef

    judged = personas.classify(PrincipalRef(ben.id, "User", ben.display_name), project)
    assert judged.persona.value == "administrator" and judged.declared == "--personas p.yaml"


def _personas_error(capsys, tmp_path, name: str, content: str | bytes, *extra: str) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return one_error(capsys, "--demo", "--personas", str(path), *extra)


PROBLEMS = [
    ("p.yaml", "Ana Lopez: builder\nBen Carter: [reader\n", "not valid YAML"),
    ("p.json", '{"Ana Lopez": "builder",\n "Ben Carter": }', "not valid JSON"),
    (
        "p.yaml",
        "Ana Lopez: builder\nBen Carter: builders\n",
        "line 2: 'Ben Carter' is declared 'builders', which is not a persona",
    ),
    (
        "p.yaml",
        "Ana Lopez: serviceIdentity\n",
        "line 1: 'Ana Lopez' is declared 'serviceIdentity', which is not a persona",
    ),
    (
        "p.json",
        '{\n "Ana Lopez": "builder",\n "Nobody Here": "reader"\n}',
        "line 3: the principal 'Nobody Here' is neither an object id nor a name",
    ),
    (
        "p.yaml",
        "Ana Lopez: builder\nNobody Here: reader\n",
        "line 2: the principal 'Nobody Here' is neither an object id nor a name",
    ),
    ("p.yaml", "- Ana Lopez\n- builder\n", "holds a list, not a mapping of names to personas"),
    ("p.json", '"builder"', "holds a str ('builder'), not a mapping of names to personas"),
    (
        "p.yaml",
        "Ana Lopez:\n  persona: builder\n",
        "line 1: 'Ana Lopez' is declared a mapping, not a persona",
    ),
    ("p.yaml", "Ana Lopez:\n", "line 1: 'Ana Lopez' is declared nothing, not a persona"),
    ("p.yaml", "123: builder\n", "the key 123 is not the name of a principal"),
    ("p.yaml", "# nothing yet\n", "declares no persona: the file is empty"),
    ("p.json", "{}", "declares no persona: the mapping is empty"),
    (
        "p.yaml",
        "Ana Lopez: builder\nana.lopez@contoso.com: reader\n",
        "line 2: 'ana.lopez@contoso.com' is declared reader here and builder as 'Ana Lopez' "
        "on line 1",
    ),
    (
        "p.yaml",
        "Ana Lopez: builder\nAna Lopez: reader\n",
        "'Ana Lopez' is declared on line 1 and again on line 2",
    ),
    (
        "p.json",
        '{"Ana Lopez": "builder",\n"Ana Lopez": "reader"}',
        "'Ana Lopez' is declared twice (first on line 1)",
    ),
    (
        "p.yaml",
        "{Ana Lopez: builder, Ana Lopez: reader}\n",
        "'Ana Lopez' is declared on line 1 and again on line 1",
    ),
    ("p.yaml", "a: &x builder\nb: *x\n", "uses a YAML anchor or alias (line 1)"),
    (
        "p.yaml",
        "Ana Lopez: builder\n---\nBen Carter: reader\n",
        "holds more than one YAML document",
    ),
    ("p.yaml", b"Ana Lopez: builder\n\xff\xfe\n", "is not UTF-8 text"),
    ("p.yaml", "a: " + "[" * 300 + "]" * 300 + "\n", "nests deeper than 200 levels"),
    ("p.json", '{"a": ' + "[" * 300 + "]" * 300 + "}", "nests deeper than 200 levels"),
]
"""(file name, content, what the one line says)."""


@pytest.mark.parametrize(("name", "content", "expected"), PROBLEMS)
def test_every_problem_with_the_personas_file_is_one_message_and_exit_2(
    capsys, tmp_path, name, content, expected
) -> None:
    line = _personas_error(capsys, tmp_path, name, content)
    assert expected in line, line
    assert str(tmp_path / name) in line, "the message names the file"


def test_a_syntax_error_names_its_line(capsys, tmp_path) -> None:
    line = _personas_error(capsys, tmp_path, "p.yaml", "Ana Lopez: builder\nBen: [reader\nx: y\n")
    assert "not valid YAML" in line and ("line 3" in line or "line 4" in line), line
    line = _personas_error(capsys, tmp_path, "p.json", '{"Ana Lopez": "builder",\n "Ben": }')
    assert "at line 2 column" in line, line


def test_an_ambiguous_name_in_the_personas_file_is_exit_2(capsys, tmp_path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("Eve Martin: builder\n", encoding="utf-8")
    line = one_error(
        capsys, "--snapshot", str(ambiguous_snapshot(tmp_path)), "--personas", str(path)
    )
    assert "line 1: the principal 'Eve Martin' matches several principals" in line


def test_a_missing_file_or_a_directory_is_exit_2(capsys, tmp_path) -> None:
    line = one_error(capsys, "--demo", "--personas", str(tmp_path / "nowhere.yaml"))
    assert "nowhere.yaml: no such file" in line
    line = one_error(capsys, "--demo", "--personas", str(tmp_path))
    assert "is a directory" in line


def test_the_personas_file_is_read_within_the_input_limit(capsys, tmp_path) -> None:
    line = _personas_error(
        capsys, tmp_path, "p.yaml", "Ana Lopez: builder\n" * 100, "--max-input-bytes", "1K"
    )
    assert "larger than the input limit of 1K (--max-input-bytes)" in line


def test_a_device_that_never_ends_is_read_only_to_the_limit(capsys) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    line = one_error(capsys, "--demo", "--personas", "/dev/zero", "--max-input-bytes", "4K")
    assert "larger than the input limit of 4K" in line


def test_a_bad_personas_file_fails_before_a_live_collection(tmp_path, monkeypatch) -> None:
    def no_collection(*args: object, **kwargs: object) -> None:
        raise AssertionError("collected before reading the personas file")

    monkeypatch.setattr(app_diagnosis, "load", no_collection)
    path = tmp_path / "p.yaml"
    path.write_text("Ana Lopez: builders\n", encoding="utf-8")
    source = LiveSource(LiveOptions(hub="hub-contoso"))
    with pytest.raises(BadInput, match="not a persona"):
        diagnose(source, DiagnoseOptions(personas=str(path)))


# -- the personas in every format ---------------------------------------------------------


def test_the_json_report_validates_with_persona_and_affected_principals(capsys) -> None:
    report = report_of(capsys, "--demo")
    findings = report["findings"]
    with_persona = [f for f in findings if "persona" in f]
    several = [f for f in findings if len(f.get("affectedPrincipals", [])) > 1]
    assert with_persona and several, "the demo has both, so the schema is exercised"
    assert all(f["persona"]["evidence"][0]["roleName"] for f in with_persona)
    assert set(report["summary"]["byPersona"]) == {"builder", "administrator", "reader"}
    broken = json.loads(json.dumps(report))
    broken["findings"][findings.index(with_persona[0])]["persona"]["persona"] = "superuser"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(report_schema()).validate(broken)
    broken = json.loads(json.dumps(report))
    broken["findings"][findings.index(several[0])]["affectedPrincipals"][0].pop("id")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(report_schema()).validate(broken)


def test_the_schema_command_documents_persona_and_affected_principals(capsys) -> None:
    _, out, _ = run(capsys, "schema", "report")
    printed = json.loads(out)
    finding = printed["definitions"]["finding"]["properties"]
    assert finding["persona"] == {"$ref": "#/definitions/persona"}
    assert finding["affectedPrincipals"]["description"]
    assert "persona" not in printed["definitions"]["finding"]["required"]
    assert "affectedPrincipals" not in printed["definitions"]["finding"]["required"]
    assert printed["definitions"]["persona"]["description"]
    assert printed["definitions"]["personaName"]["enum"] == [
        "reader", "builder", "administrator", "serviceIdentity"
    ]  # fmt: skip
    assert "focus" in printed["properties"]["target"]["properties"]
    assert "byPersona" in printed["properties"]["summary"]["properties"]


def test_text_and_markdown_say_who_and_whom(capsys) -> None:
    _, text, _ = run(capsys, "--demo", "--no-tui")
    flat = " ".join(text.split())
    # Ana Lopez, Owner on the hub, administers it: her warnings stand apart from the builders'
    # failures, which the two builder groups share.
    assert "who: builder (Contributor at project 'proj-docs')" in flat
    assert "who: administrator (Owner at hub 'hub-contoso')" in flat
    assert "affects 2: group grp-ai-developers (builder), group grp-data-science (builder)" in flat
    _, markdown, _ = run(capsys, "--demo", "--format", "markdown")
    assert "- Who: builder (Contributor at project 'proj\\-docs')" in markdown or (
        "- Who: builder (Contributor at project 'proj-docs')" in markdown
    )
    assert "- Affects 2: group grp" in markdown


def test_a_focused_text_report_says_so(capsys) -> None:
    _, text, _ = run(capsys, "--demo", "--no-tui", "--principal", "Chen Wei")
    assert "focus (--principal): user Chen Wei: only its requirements" in " ".join(text.split())
    _, markdown, _ = run(capsys, "--demo", "--format", "markdown", "--principal", "Chen Wei")
    assert "Focus (\\-\\-principal)" in markdown or "Focus (--principal)" in markdown


def test_sarif_results_carry_persona_and_affected_principals(capsys) -> None:
    _, out, _ = run(capsys, "--demo", "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    judged = [r["properties"]["persona"] for r in results if "persona" in r["properties"]]
    assert judged and all(p["reason"] and p["persona"] for p in judged)
    assert any(p["reason"].startswith("builder (") for p in judged)
    several = [
        r["properties"]["affectedPrincipals"]
        for r in results
        if len(r["properties"].get("affectedPrincipals", [])) > 1
    ]
    assert several and all({"id", "type", "displayName"} <= set(a) for a in several[0])
