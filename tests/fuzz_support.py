"""Strategies for tests/test_fuzz.py: hostile and broken snapshots and bundles, made by
mutating the demo hub (a realistic snapshot, so most mutations reach the checks) and the real
support bundle the CLI writes for it."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from diagnose.cli import main

DEMO = json.loads(
    (Path(__file__).resolve().parent.parent / "diagnose" / "demo" / "demo_hub.json").read_text(
        "utf-8"
    )
)
HUB = DEMO["target"]["hub"]
PRINCIPAL_IDS = [p["id"] for p in DEMO["principals"]]
PRINCIPAL_NAMES = [p["displayName"] for p in DEMO["principals"]]
RESOURCE_IDS = [r["id"] for r in DEMO["resources"]]
OPERATIONS = [
    ("Microsoft.MachineLearningServices/workspaces/read", False),
    ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", True),
    ("Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action", True),
    ("Microsoft.Search/searchServices/indexes/documents/read", True),
    ("Microsoft.Authorization/roleAssignments/write", False),
]
FORMATS = ("text", "json", "markdown", "sarif")

HOSTILE_STRINGS = [
    "",
    " ",
    "/",
    "//",
    "*",
    "**/*",
    "/subscriptions/",
    "/subscriptions/*/resourceGroups",
    "\x1b[2J\x1b[31mred",
    "\u202egnp.exe",
    "\u200b",
    "\x00",
    "\r\n",
    "\ud800",
    "\udfff",
    "a" * 5000,
    "$(touch /tmp/pwned)",
    "'; echo pwned #",
    "%s%n%x",
    "{}",
    "[]",
    "null",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "| rm -rf ~",
    "`id`",
    "\\",
    '"',
    "Microsoft.Authorization/*",
    "*/read",
    "Microsoft.*",
    "x" * 300 + "*" * 300,
    "AccountKey=" + "A" * 86 + "==",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln",
    "00000000-0000-0000-0000-000000000000",
    HUB,
    HUB.upper(),
    HUB + "/",
]
HOSTILE_NUMBERS = [
    0,
    -1,
    1,
    2**31,
    2**63,
    2**64 + 1,
    -(2**70),
    10**400,
    1.5,
    -0.0,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
]

scalars = (
    st.none()
    | st.booleans()
    | st.sampled_from(HOSTILE_NUMBERS)
    | st.integers(-(2**66), 2**66)
    | st.floats()
    | st.sampled_from(HOSTILE_STRINGS)
    | st.sampled_from(PRINCIPAL_IDS + RESOURCE_IDS)
    | st.text(max_size=40)
)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


hostile_values = st.one_of(
    scalars,
    st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["id", "properties", "type", "name", "principalId", "scope", "x"]),
                inner,
                max_size=3,
            )
        ),
        max_leaves=6,
    ),
    st.sampled_from([[], {}, [[]], [{}], {"": None}]),
    st.integers(150, 260).map(nested),
)


def _locations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _locations(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _locations(child, (*path, index))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn, base: dict[str, Any] | None = None) -> Any:
    """The demo snapshot with a few changes at random places: keys deleted, values replaced
    by other types or hostile text, items duplicated, keys added."""
    document = copy.deepcopy(base if base is not None else DEMO)
    if draw(st.integers(0, 30)) == 0:
        return draw(hostile_values)  # not even an object
    for _ in range(draw(st.integers(1, 4))):
        places = _locations(document)[1:]
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = draw(
            st.sampled_from(["delete", "replace", "same type", "same type", "duplicate", "add"])
        )
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(hostile_values)
        elif action == "same type":  # more likely to pass the schema and reach the checks
            parent[last] = draw(_same_type(parent[last]))
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        elif isinstance(parent[last], dict):
            parent[last][draw(st.sampled_from(["id", "x", "properties", "principalId"]))] = draw(
                hostile_values
            )
    return document


def _same_type(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, str):
        return st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=40)
    if isinstance(value, bool) or value is None:
        return st.none() | st.booleans()
    if isinstance(value, int | float):
        return st.sampled_from(HOSTILE_NUMBERS) | st.integers()
    if isinstance(value, list):
        return st.lists(st.sampled_from(HOSTILE_STRINGS + PRINCIPAL_IDS), max_size=4) | st.just(
            value + value
        )
    return st.just({key: None for key in value}) | st.just({})


def encode(document: Any, ascii_only: bool) -> bytes:
    """JSON as a careless writer would produce it: NaN and Infinity allowed, lone surrogates
    escaped (ensure_ascii) or refused by UTF-8."""
    try:
        text = json.dumps(document, ensure_ascii=ascii_only, allow_nan=True)
    except (ValueError, RecursionError):
        text = json.dumps({"schemaVersion": 1})
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def damaged_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """data truncated, with bytes flipped, inserted or removed."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["truncate", "flip", "insert", "remove"]))
        if action == "truncate":
            del data[at:]
        elif action == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"NaN",
                        b"-Infinity",
                        b"1e400",
                        b'"\\ud800"',
                        b"[" * 300,
                        b"{",
                        b"\x00",
                        b"\xff\xfe",
                        b"\xed\xa0\x80",
                        b",",
                        b'"',
                        b"\\",
                    ]
                )
                | st.binary(max_size=8)
            )
        else:
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """diagnose.cli.main in this process; asserts the run ended as a run may end."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    if currently_in_test_context():  # what the statistics show (--hypothesis-show-statistics)
        event(f"{'report' if argv[0].startswith('-') else argv[0]}: exit {code}")
    assert code in (0, 1, 2, 3), (code, err.getvalue()[-2000:])
    assert "Traceback" not in err.getvalue(), err.getvalue()[-2000:]
    if code == 2:
        lines = err.getvalue().strip().splitlines()
        assert lines and lines[-1].startswith("diagnose: error: "), err.getvalue()[-2000:]
    return code, out.getvalue(), err.getvalue()


@st.composite
def commands(draw: st.DrawFn, path: str) -> list[str]:
    """A command that reads the snapshot at path: a report, an access question, an explain."""
    kind = draw(st.sampled_from(["report", "report", "access", "explain"]))
    if kind == "report":
        argv = ["--snapshot", path, "--format", draw(st.sampled_from(FORMATS))]
        if draw(st.booleans()):
            argv.append("--strict")
        if draw(st.integers(0, 4)) == 0:
            argv += ["--creator", draw(st.sampled_from(PRINCIPAL_IDS + PRINCIPAL_NAMES))]
        if draw(st.integers(0, 4)) == 0:
            argv += ["--project", draw(st.sampled_from(["proj-chat", "PROJ-DOCS", "nope"]))]
        if draw(st.integers(0, 4)) == 0:
            argv += ["--fail-on", draw(st.sampled_from(["warn", "unknown", "info", "never"]))]
        return argv
    principal = draw(st.sampled_from(PRINCIPAL_IDS + PRINCIPAL_NAMES[:3]))
    scope = draw(st.sampled_from(RESOURCE_IDS))
    operation, data_action = draw(st.sampled_from(OPERATIONS))
    if kind == "access":
        return [
            "access",
            "--snapshot",
            path,
            "--principal",
            principal,
            "--scope",
            scope,
            "--data-action" if data_action else "--action",
            operation,
            *(["--json"] if draw(st.booleans()) else []),
        ]
    text = (
        f"The client 'someone@contoso.com' with object id '{principal}' does not have "
        f"authorization to perform action '{operation}' over scope '{scope}' or the scope "
        "is invalid."
    )
    return ["explain", text, "--snapshot", path, *(["--json"] if draw(st.booleans()) else [])]


# -- bundles ---------------------------------------------------------------------------------


def demo_bundle(folder: Path) -> dict[str, bytes]:
    """The members of the support bundle `diagnose --demo --bundle` writes, in order."""
    path = folder / "demo-bundle.zip"
    if not path.exists():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["--demo", "--format", "json", "--bundle", str(path)]) == 1
    with zipfile.ZipFile(path) as bundle:
        return {info.filename: bundle.read(info) for info in bundle.infolist()}


def reseal(members: dict[str, bytes]) -> None:
    """Rewrite manifest.json for the members as they are now (a 'consistent' forgery)."""
    files = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in members.items()
        if name != "manifest.json"
    }
    try:
        manifest = json.loads(members.get("manifest.json") or b"{}")
    except ValueError:  # an earlier mutation broke it: start a new one
        manifest = {}
    if not isinstance(manifest, dict):
        manifest = {}
    manifest["files"] = files
    members["manifest.json"] = json.dumps(manifest).encode()


BROKEN_MANIFESTS = [
    b"",
    b"{",
    b"[]",
    b'{"files": []}',
    b'{"files": {"snapshot.json": 1}}',
    b'{"files": {"snapshot.json": {"sha256": 5, "size": "x"}}}',
    b'{"files": {}}',
    b'{"files": {"nope.txt": {"sha256": "00", "size": 1}}}',
    b"[" * 500,
    b'{"files": {"snapshot.json": {"sha256": "ab", "size": 1e400}}}',
]
COMPRESSIONS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]


def write_zip(path: Path, entries: list[tuple[str, bytes]], compression: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": wanted here
        with zipfile.ZipFile(path, "w", compression) as bundle:
            for name, data in entries:
                bundle.writestr(name, data)
