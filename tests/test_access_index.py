"""`diagnose access` answered from the per-principal index (diagnose.app.access_index): the same
answers as the whole snapshot gives, from memory and from the cache file; the cache found by
content, written atomically, never trusted beyond its hashes; --batch on standard input."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synthetic import write
from diagnose.app import DemoSource, SnapshotSource, access, access_question, load, open_book
from diagnose.app.access_cache import MAGIC, cache_dir, index_path
from diagnose.app.questions import access_in
from diagnose.cli import main
from diagnose.errors import BadInput
from diagnose.model.model import Model
from diagnose.render.decision_text import render_decision

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "access"
OPERATIONS = [
    ("Microsoft.MachineLearningServices/workspaces/read", False),
    ("Microsoft.MachineLearningServices/workspaces/hubs/join/action", False),
    ("Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action", True),
    ("Microsoft.Search/searchServices/indexes/documents/read", True),
    ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", True),
    ("Microsoft.Storage/storageAccounts/fileServices/readFileBackupSemantics/action", True),
    ("Microsoft.Storage/storageAccounts/delete", False),
    ("Microsoft.KeyVault/vaults/secrets/getSecret/action", True),
    ("Microsoft.Authorization/roleAssignments/write", False),
]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic hub: groups within groups, deny assignments, PIM, many scopes."""
    return write(
        tmp_path_factory.mktemp("hub") / "hub.json",
        projects=6,
        connections=30,
        resources=60,
        principals=400,
        assignments=2500,
    )


def questions(data: dict[str, Any], count: int, seed: int) -> list[tuple[str, str, str, bool]]:
    rng = random.Random(seed)
    principals = [p["id"] for p in data["principals"]]
    principals += [p["displayName"] for p in data["principals"][:20] if p.get("displayName")]
    principals += ["00000000-aaaa-bbbb-cccc-000000000001"]  # in no list of the snapshot
    scopes = ["/", *(r["id"] for r in data["resources"])]
    scopes += [a["properties"]["scope"] for a in data["roleAssignments"][:200]]
    return [
        (rng.choice(principals), rng.choice(scopes), *rng.choice(OPERATIONS)) for _ in range(count)
    ]


def same_answers(path: Path, asked: list[tuple[str, str, str, bool]]) -> tuple[bool, set[str]]:
    """Ask every question of the whole snapshot and of a book opened now: (whether the book
    answered from its cache file, the outcomes seen)."""
    model = Model(load(SnapshotSource(str(path))).snapshot)
    book = open_book(SnapshotSource(str(path)))
    outcomes = set()
    for principal, scope, operation, data_action in asked:
        question = access_question(principal, scope, operation, data_action=data_action)
        try:
            expected = access_in(model, question)  # as access() on the whole snapshot
        except BadInput as exc:  # an ambiguous or unknown name: the same message
            with pytest.raises(BadInput) as raised:
                book.answer(question)
            assert str(raised.value) == str(exc)
            continue
        found = book.answer(question)
        outcomes.add(found.decision.decision.value)
        assert found.decision.to_json() == expected.decision.to_json(), question
        assert render_decision(found.decision, found.name_of) == render_decision(
            expected.decision, expected.name_of
        )
    book.persist()
    return book.cached, outcomes


def test_the_index_answers_as_the_whole_snapshot_from_memory_and_from_the_cache(
    hub: Path,
) -> None:
    data = json.loads(hub.read_bytes())
    asked = questions(data, 400, seed=3)
    cached, outcomes = same_answers(hub, asked)
    assert not cached and {"allowed", "denied"} <= outcomes  # questions that tell apart
    assert same_answers(hub, asked) == (True, outcomes)


@pytest.mark.parametrize("name", ["hub-group-pim-deny.json", "partial-reads.json"])
def test_every_question_on_the_hand_written_snapshots_answers_the_same(
    tmp_path: Path, name: str
) -> None:
    """Nested groups, PIM, a deny assignment with exclusions, unreadable memberships and
    assignment lists: each principal x each scope x each operation."""
    path = tmp_path / name
    path.write_bytes((FIXTURES / name).read_bytes())
    data = json.loads(path.read_bytes())
    ids = {a["properties"]["principalId"] for a in data["roleAssignments"]}
    ids |= {p["id"] for p in data["principals"]}
    scopes = {r["id"] for r in data["resources"]} | {
        a["properties"]["scope"] for a in data["roleAssignments"]
    }
    asked = [(p, s, o, d) for p in sorted(ids) for s in sorted(scopes) for o, d in OPERATIONS]
    cached, outcomes = same_answers(path, asked)
    assert not cached and len(outcomes) >= 3
    assert same_answers(path, asked) == (True, outcomes)


def index_files() -> list[Path]:
    return sorted(cache_dir().glob("*.idx"))


def ask(path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(
            [
                "access",
                "--snapshot",
                str(path),
                "--principal",
                "0d7e5c1a-3b9f-4a61-9c2e-7f1b2a3c4d02",  # Bob, Owner of the storage account
                "--scope",
                "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ai/"
                "providers/Microsoft.Storage/storageAccounts/sthubcontoso",
                "--action",
                "Microsoft.Storage/storageAccounts/read",
                "--json",
                *extra,
            ]
        )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    path = tmp_path / "snapshot.json"
    path.write_bytes((FIXTURES / "hub-group-pim-deny.json").read_bytes())
    return path


def test_the_cache_is_private_and_found_by_content(snapshot_file: Path, tmp_path: Path) -> None:
    first = ask(snapshot_file)
    assert first[0] == 0 and index_files()
    assert (os.stat(cache_dir()).st_mode & 0o777) == 0o700
    (index,) = index_files()
    assert (os.stat(index).st_mode & 0o777) == 0o600
    # the same content elsewhere: the same index, nothing new written
    copy = tmp_path / "copy.json"
    copy.write_bytes(snapshot_file.read_bytes())
    assert ask(copy) == first and index_files() == [index]
    # changed content at the same path: another index, the new answer
    data = json.loads(snapshot_file.read_bytes())
    data["roleAssignments"] = []
    data["denyAssignments"] = []
    snapshot_file.write_text(json.dumps(data))
    code, out, _ = ask(snapshot_file)
    assert code == 1 and json.loads(out)["decision"] == "denied"
    assert len(index_files()) == 2


def test_a_damaged_index_is_a_miss_and_is_rewritten(snapshot_file: Path) -> None:
    expected = ask(snapshot_file)
    (index,) = index_files()
    good = index.read_bytes()
    for damaged in (
        good[:-5] + b"xxxxx",  # a blob that no longer matches its hash
        good[: len(good) // 2],  # cut short
        good.replace(b'"version"', b'"vErsion"', 1),  # the header no longer matches its hash
        b"not an index at all",
    ):
        index.write_bytes(damaged)
        assert ask(snapshot_file) == expected
        assert index.read_bytes() == good or damaged == good[:-5] + b"xxxxx"
    index.write_bytes(good)
    assert ask(snapshot_file) == expected


def test_a_blob_damaged_after_opening_is_read_again_from_the_snapshot(
    snapshot_file: Path,
) -> None:
    expected = ask(snapshot_file)
    (index,) = index_files()
    good = index.read_bytes()
    # the header verifies; the shared blob (the first, which every answer reads) does not
    at = len(MAGIC) + 8 + 32 + int.from_bytes(good[len(MAGIC) : len(MAGIC) + 8], "big") + 2
    index.write_bytes(good[:at] + b"X" + good[at + 1 :])
    source = SnapshotSource(str(snapshot_file))
    book = open_book(source)
    assert book.cached
    for principal in ("0d7e5c1a-3b9f-4a61-9c2e-7f1b2a3c4d02", "Ada Lovelace"):
        question = access_question(
            principal,
            "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ai",
            "Microsoft.Storage/storageAccounts/read",
            data_action=False,
        )
        want = access(load(source).snapshot, question).decision.to_json()
        assert book.answer(question).decision.to_json() == want
    book.persist()
    assert index.read_bytes() == good
    assert ask(snapshot_file) == expected


def test_a_file_the_cache_did_not_write_is_never_replaced(
    snapshot_file: Path, tmp_path: Path
) -> None:
    """A link planted where the index would go: left alone, and what it points to too."""
    folder = cache_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    expected = ask(snapshot_file, "--no-cache")
    assert index_files() == []
    ask(snapshot_file)
    (index,) = index_files()
    index.unlink()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    index.symlink_to(victim)
    assert ask(snapshot_file) == expected
    assert index.is_symlink() and victim.read_text() == "keep me"


def test_a_cache_directory_others_can_write_is_not_used(
    snapshot_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("DIAGNOSE_CACHE_DIR", str(shared))
    assert ask(snapshot_file)[0] == 0
    assert list(shared.iterdir()) == []


def test_the_cache_directory_follows_the_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIAGNOSE_CACHE_DIR")
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert cache_dir() == Path("/somewhere/cache/ai-hub-diagnose")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "ai-hub-diagnose"
    monkeypatch.setattr("sys.platform", "darwin")
    assert cache_dir() == Path.home() / "Library" / "Caches" / "ai-hub-diagnose"


def test_the_index_is_named_by_content_version_and_format() -> None:
    from diagnose import __version__

    path = index_path(Path("/c"), "ab" * 32, "h1")
    assert path.name == f"{'ab' * 32}.f2.{__version__}.h1.idx"


# -- --batch -------------------------------------------------------------------------------

ADA = "0d7e5c1a-3b9f-4a61-9c2e-7f1b2a3c4d01"
AOAI = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-ai/providers/"
    "Microsoft.CognitiveServices/accounts/aoai-contoso"
)
CHAT = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action"


def batch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, *extra: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code = main(
        ["access", "--snapshot", str(FIXTURES / "hub-group-pim-deny.json"), "--batch", *extra]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_batch_answers_each_line_and_reports_bad_ones(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        "# a comment, then a blank line",
        "",
        f"--principal {ADA} --scope {AOAI} --data-action {CHAT}",
        f'--principal "Ada Lovelace" --scope={AOAI} --action {CHAT}',  # the wrong plane
        json.dumps({"principal": "Bob Owner", "scope": AOAI, "dataAction": CHAT}),
        "--principal nobody",
    ]
    code, out, err = batch(monkeypatch, capsys, "\n".join(lines) + "\n", "--json")
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a.get("decision") or a["line"] for a in answers] == ["allowed", 4, "denied", 6]
    assert "--data-action" in answers[1]["error"]
    assert "needs --scope, --action or --data-action" in answers[3]["error"]
    assert "diagnose: error: line 4: " in err and "diagnose: error: line 6: " in err
    assert code == 2


def test_batch_exit_code_is_the_worst_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    allowed = f"--principal {ADA} --scope {AOAI} --data-action {CHAT}\n"
    assert batch(monkeypatch, capsys, allowed)[0] == 0
    bob = "0d7e5c1a-3b9f-4a61-9c2e-7f1b2a3c4d02"  # Owner: no data actions
    denied = f"--principal {bob} --scope {AOAI} --data-action {CHAT}\n"
    code, out, _ = batch(monkeypatch, capsys, allowed + denied)
    assert code == 1
    assert out.startswith("ALLOWED:") and "\n\nDENIED:" in out
    assert batch(monkeypatch, capsys, "")[0] == 0


def test_batch_reads_the_snapshot_once_and_answers_as_the_single_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = f"--principal {ADA} --scope {AOAI} --data-action {CHAT}"
    _, out, _ = batch(monkeypatch, capsys, line + "\n", "--json")
    single = main(
        [
            "access",
            "--snapshot",
            str(FIXTURES / "hub-group-pim-deny.json"),
            *line.split(),
            "--json",
        ]
    )
    assert single == 0
    assert json.loads(out) == json.loads(capsys.readouterr().out)


def test_demo_questions_need_no_cache() -> None:
    book = open_book(DemoSource())
    assert not book.cached
    book.persist()
    assert index_files() == []


def test_a_bundle_read_despite_its_hashes_warns_every_time_and_needs_the_flag_every_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The index of a bundle read with --ignore-bundle-hashes keeps the warning, and serves
    only a run that gives the flag again."""
    from tests.fuzz_support import demo_bundle
    from tests.test_bundle_hashes import SNAPSHOT_NAME, changed, commands
    from tests.test_bundle_hashes import write as write_bundle

    (tmp_path / "made").mkdir()
    path = write_bundle(
        tmp_path / "bundle.zip", changed(demo_bundle(tmp_path / "made"), SNAPSHOT_NAME)
    )
    argv = [*commands(path)["access"], "--json"]
    answers = []
    for _ in range(2):
        code = main([*argv, "--ignore-bundle-hashes"])
        out, err = capsys.readouterr()
        assert code in (0, 1) and "does not match its SHA-256" in err
        answers.append(out)
    assert len(index_files()) == 1 and answers[0] == answers[1]
    assert main(argv) == 2
    assert "does not match its SHA-256" in capsys.readouterr().err


def test_without_a_home_directory_questions_are_answered_uncached(
    snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = ask(snapshot_file, "--no-cache")
    monkeypatch.delenv("DIAGNOSE_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert ask(snapshot_file) == expected


# -- a changed snapshot is never answered from the index of its old content -----------------

BOB_HOLDS = b'"principalId": "0d7e5c1a-3b9f-4a61-9c2e-7f1b2a3c4d02"'
NOBODY_HOLDS = b'"principalId": "0d7e5c1a-3b9f-4a61-9c2e-7f1b2a3c4d99"'  # the same length


def rewrite_in_place(path: Path, old: bytes, new: bytes) -> None:
    """The same file (inode), the same size, other content: what an editor saving in place or
    a collector overwriting its output leaves."""
    content = path.read_bytes()
    assert old in content and len(old) == len(new)
    with open(path, "r+b") as stream:
        stream.write(content.replace(old, new))


def test_a_rewrite_of_the_same_size_is_answered_from_the_new_content(snapshot_file: Path) -> None:
    code, out, _ = ask(snapshot_file)
    assert code == 0 and json.loads(out)["decision"] == "allowed"
    assert ask(snapshot_file) == (code, out, "")  # from the cache
    before = os.stat(snapshot_file)
    rewrite_in_place(snapshot_file, BOB_HOLDS, NOBODY_HOLDS)
    # even with the modification time put back (cp -p, rsync -t, tar do): the change time
    # still tells
    os.utime(snapshot_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(snapshot_file).st_size == before.st_size
    code, out, _ = ask(snapshot_file)
    assert code == 1 and json.loads(out)["decision"] == "denied"


def test_a_rewrite_within_one_tick_of_the_file_clock_is_not_answered_from_the_old_index(
    snapshot_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system whose times cannot tell two writes apart: no change time (Windows'
    st_ctime is the creation time) and a second write within one tick of the modification
    clock (coarse: a few ms on Linux, 2 s on FAT). The remembered hash of a file changed that
    recently is checked against the content before its index answers."""
    from diagnose.app import access_cache

    def identity(info: os.stat_result) -> list[int]:
        return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns]

    monkeypatch.setattr(access_cache, "file_identity", identity)
    monkeypatch.setattr("diagnose.app.access_index.file_identity", identity)
    tick = os.stat(snapshot_file).st_mtime_ns
    code, out, _ = ask(snapshot_file)
    assert code == 0 and json.loads(out)["decision"] == "allowed"
    rewrite_in_place(snapshot_file, BOB_HOLDS, NOBODY_HOLDS)
    os.utime(snapshot_file, ns=(tick, tick))  # the same tick as the write that was hashed
    code, out, _ = ask(snapshot_file)
    assert code == 1 and json.loads(out)["decision"] == "denied"
    assert ask(snapshot_file) == (code, out, "")  # and the new content's index answers next


def test_indexes_of_an_older_format_are_evicted_with_the_least_recently_used(
    snapshot_file: Path,
) -> None:
    """An index another format wrote is never read again: it counts among the files kept
    (KEEP_INDEXES), so it goes once newer ones are written."""
    from diagnose.app.access_cache import KEEP_INDEXES

    folder = cache_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    old = folder / f"{'ab' * 32}.f1.0.0.1.h1.idx"
    old.write_bytes(b"an index of format 1")
    os.utime(old, ns=(1, 1))
    keep = folder / "notes.txt"  # not an index: left alone
    keep.write_text("mine")
    for _ in range(KEEP_INDEXES):
        snapshot_file.write_bytes(snapshot_file.read_bytes() + b" ")  # another content
        assert ask(snapshot_file)[0] == 0
    assert not old.exists() and keep.exists()
    assert len(index_files()) == KEEP_INDEXES
