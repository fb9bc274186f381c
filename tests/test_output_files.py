"""Every file the tool writes (diagnose/outfile.py), through the real command line: atomic
regular files, 0600 for what describes a tenant, devices and FIFOs written in place, symbolic
links followed as a shell redirect follows them, `-` for standard output, clear exit-2 errors,
and no temporary file left behind on any failure.

No test writes to a /dev path: the "device" cases use a pseudo-terminal this test opens, a
FIFO and (as root) a copy of the null device made in tmp_path.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import io
import json
import os
import select
import stat
import subprocess
import sys
import threading
import tty
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import diagnose.bundle
from diagnose.cli import main
from diagnose.collect.result import Collection
from diagnose.demo import load_demo
from diagnose.snapshot import dump_snapshot

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file semantics")
DIAGNOSE = Path(sys.executable).with_name("diagnose")
HUB = "hub-contoso"


def leftovers(folder: Path) -> list[str]:
    """Temporary files (.NAME.XXXXXXXX.tmp) the writer may have left in folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def fake_collection(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Live collection replaced by the demo snapshot (the collector has its own tests): what
    is under test is where the collected snapshot is written. Returns the collected hubs."""
    collected: list[str] = []

    def collect_live(settings: Any, progress: Any = None) -> Collection:
        collected.append(settings.hub.name or settings.hub.id)
        return Collection(load_demo(), [], 1)

    monkeypatch.setattr("diagnose.collect.collect_live", collect_live)
    return collected


def cli(*argv: str) -> int:
    """main(argv) with stdout and stderr swallowed (the tests that read them use capsys)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(list(argv))


def demo_json() -> bytes:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--demo", "--json"]) == 1
    return out.getvalue().encode()


# Each way of writing a private file: the argv writing to target (tmp: a folder for the
# other files the command writes).
PRIVATE: dict[str, Callable[[str, Path], list[str]]] = {
    "--bundle": lambda t, tmp: ["--demo", "--json", "--bundle", t],
    "--redaction-map": lambda t, tmp: [
        "--demo",
        "--json",
        "--bundle",
        str(tmp / "b.zip"),
        "--redact",
        "--redaction-map",
        t,
    ],
    "--save-snapshot": lambda t, tmp: ["--hub", HUB, "--json", "--save-snapshot", t],
    "collect --output-file": lambda t, tmp: ["collect", "--hub", HUB, "--output-file", t],
}


def check_content(flag: str, path: Path) -> None:
    if flag == "--bundle":
        with zipfile.ZipFile(path) as bundle:
            assert "manifest.json" in bundle.namelist()
    elif flag == "--redaction-map":
        assert json.loads(path.read_bytes())["format"] == "ai-hub-diagnose redaction map"
    else:
        assert path.read_text(encoding="utf-8") == dump_snapshot(load_demo().data)


@pytest.mark.parametrize("flag", PRIVATE)
def test_a_file_that_describes_a_tenant_is_written_0600_even_under_a_loose_umask(
    flag: str, tmp_path: Path, fake_collection: list[str]
) -> None:
    new, old = tmp_path / "new.out", tmp_path / "old.out"
    old.write_bytes(b"the previous content")
    old.chmod(0o644)
    before = old.stat().st_ino
    with umask(0):
        for target in (new, old):
            assert cli(*PRIVATE[flag](str(target), tmp_path)) in (0, 1)
            check_content(flag, target)
            assert mode(target) == 0o600
    assert old.stat().st_ino != before  # renamed into place, not rewritten where it was
    assert leftovers(tmp_path) == []


def test_a_report_gets_the_umask_mode_and_a_replaced_one_keeps_its_mode(tmp_path: Path) -> None:
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    old.write_text("old")
    old.chmod(0o640)
    with umask(0o027):
        assert cli("--demo", "--json", "--output-file", str(new)) == 1
        assert cli("--demo", "--json", "--output-file", str(old)) == 1
    assert mode(new) == 0o640 and mode(old) == 0o640
    assert new.read_bytes() == old.read_bytes() == demo_json()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("flag", ["--output-file", *PRIVATE])
def test_a_failed_rename_leaves_the_old_file_and_no_temporary_file(
    flag: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_collection: list[str],
) -> None:
    target = tmp_path / "out.file"
    target.write_text("keep me")
    argv = (
        ["--demo", "--json", "--output-file", str(target)]
        if flag == "--output-file"
        else PRIVATE[flag](str(target), tmp_path)
    )

    def refuse(source: Any, destination: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "replace", refuse)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("diagnose: error: ")
    assert "cross-device" in err and "Traceback" not in err
    assert target.read_text() == "keep me"
    assert leftovers(tmp_path) == []


def test_a_full_disk_while_writing_is_exit_2_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(handle: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    assert main(["--demo", "--json", "--output-file", str(tmp_path / "r.json")]) == 2
    assert "No space left" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_the_bundle_is_written_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "support.zip"
    target.write_bytes(b"the previous bundle")
    seen: list[str] = []

    def interrupted(stream: Any, members: dict[str, bytes]) -> None:
        stream.write(b"PK half a zip")
        stream.flush()
        seen.extend(leftovers(tmp_path))  # the temporary file exists while writing
        raise KeyboardInterrupt

    monkeypatch.setattr(diagnose.bundle, "write_zip", interrupted)
    # No garbage collection while the interrupt travels: a collection started by its traceback
    # would run Hypothesis's gc callback with the exception pending, which reports it there.
    gc.disable()
    try:
        code = cli("--demo", "--json", "--bundle", str(target))
    finally:
        gc.enable()
    assert code == 130
    assert len(seen) == 1 and seen[0].startswith(".support.zip.")
    assert target.read_bytes() == b"the previous bundle"
    assert leftovers(tmp_path) == []


def read_all_in_thread(path: Path) -> tuple[threading.Thread, bytearray]:
    """A reader of the FIFO at path, as `cat FIFO` would be."""
    received = bytearray()

    def read() -> None:
        with open(path, "rb") as stream:
            received.extend(stream.read())

    reader = threading.Thread(target=read, daemon=True)  # blocked forever if never written
    reader.start()
    return reader, received


@pytest.mark.parametrize("kind", ["report", "bundle"])
def test_a_fifo_is_written_in_place(kind: str, tmp_path: Path) -> None:
    """Writing a FIFO waits for its reader, as a shell redirect does; here one is there."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader, received = read_all_in_thread(fifo)
    flag = "--output-file" if kind == "report" else "--bundle"
    extra = ["--output-file", str(tmp_path / "r.json")] if kind == "bundle" else []
    assert cli("--demo", "--json", flag, str(fifo), *extra) == 1
    reader.join(timeout=30)
    assert not reader.is_alive()
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert leftovers(tmp_path) == []
    if kind == "report":
        assert bytes(received) == demo_json()
    else:  # an unseekable stream still gets a zip that reads back, manifest and all
        with zipfile.ZipFile(io.BytesIO(bytes(received))) as bundle:
            assert bundle.testzip() is None
            assert json.loads(bundle.read("report.json")) == json.loads(demo_json())


def drain(master: int, until_quiet: float) -> bytes:
    chunks = []
    while select.select([master], [], [], until_quiet)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed and everything has been read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_character_device_is_written_in_place_never_replaced(tmp_path: Path) -> None:
    """The terminal of a pseudo-terminal pair is a character device we own: it gets the
    report, and stays a device. (`-o /dev/null` used to replace /dev/null with a file.)"""
    master, terminal = os.openpty()
    tty.setraw(terminal)  # bytes as written, no \n -> \r\n
    path = os.ttyname(terminal)
    received = bytearray()
    done = threading.Event()

    def read() -> None:  # a terminal's buffer is small: read while the report is written
        while not done.is_set():
            received.extend(drain(master, 0.05))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert cli("--demo", "--json", "--output-file", path) == 1
        assert stat.S_ISCHR(os.stat(path).st_mode)
    finally:
        done.set()
        reader.join(timeout=10)
        received.extend(drain(master, 0.2))
        os.close(terminal)
        os.close(master)
    assert bytes(received) == demo_json()
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # and nothing here touched the real one


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_copy_of_the_null_device_survives_being_the_output(tmp_path: Path) -> None:
    """The reported bug exactly (`-o /dev/null` as root), on a null device made in tmp_path."""
    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("no CAP_MKNOD here")
    for argv in (["--output-file", str(null)], ["--bundle", str(null)]):
        assert cli("--demo", "--json", *argv) == 1
        assert stat.S_ISCHR(null.lstat().st_mode) and null.lstat().st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_dev_stdout_appends_to_what_the_shell_opened(tmp_path: Path) -> None:
    """`diagnose -o /dev/stdout >> log`: the log is kept, the report added after it."""
    log = tmp_path / "log.txt"
    log.write_bytes(b"earlier lines\n")
    with log.open("ab") as stdout:
        done = subprocess.run(
            [str(DIAGNOSE), "--demo", "--json", "--output-file", "/dev/stdout"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert log.read_bytes() == b"earlier lines\n" + demo_json()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.txt"]


@pytest.mark.parametrize("private", [False, True])
def test_a_symlink_stays_and_its_target_gets_the_bytes_atomically(
    private: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    target = there / "real.out"
    target.write_text("old")
    link = here / "link.out"
    link.symlink_to(os.path.relpath(target, here))
    renamed: list[tuple[str, str]] = []
    replace = os.replace

    def recording(source: Any, destination: Any) -> None:
        renamed.append((os.fspath(source), os.fspath(destination)))
        replace(source, destination)

    monkeypatch.setattr(os, "replace", recording)
    argv = [
        "--demo",
        "--json",
        *(
            ["--bundle", str(link), "--output-file", str(tmp_path / "r.json")]
            if private
            else ["--output-file", str(link)]
        ),
    ]
    assert cli(*argv) == 1
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "there", "real.out")
    if private:
        check_content("--bundle", target)
        assert mode(target) == 0o600
    else:
        assert target.read_bytes() == demo_json()
    into_target = [
        source for source, destination in renamed if destination == os.path.realpath(target)
    ]
    assert len(into_target) == 1  # one rename, from beside the target (not beside the link)
    assert Path(into_target[0]).parent == Path(os.path.realpath(there))
    assert leftovers(here) == leftovers(there) == []


@pytest.mark.parametrize("flag", ["--output-file", "--bundle"])
def test_a_dangling_symlink_gets_its_target_created(flag: str, tmp_path: Path) -> None:
    link, target = tmp_path / "link", tmp_path / "sub" / "created"
    target.parent.mkdir()
    link.symlink_to(target)
    extra = ["--output-file", str(tmp_path / "r.json")] if flag == "--bundle" else []
    with umask(0o022):
        assert cli("--demo", "--json", flag, str(link), *extra) == 1
    assert link.is_symlink() and os.readlink(link) == str(target)
    if flag == "--output-file":
        assert target.read_bytes() == demo_json() and mode(target) == 0o644
    else:
        check_content("--bundle", target)
        assert mode(target) == 0o600
    assert leftovers(tmp_path) == leftovers(target.parent) == []


def test_a_symlink_loop_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert main(["--demo", "--json", "--output-file", str(tmp_path / "a")]) == 2
    assert "symbolic links" in capsys.readouterr().err
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_dash_is_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_collection: list[str]
) -> None:
    assert main(["--demo", "--json", "--output-file", "-"]) == 1
    assert capsys.readouterr().out.encode() == demo_json()
    assert main(["collect", "--hub", HUB, "--output-file", "-"]) == 0
    assert capsys.readouterr().out == dump_snapshot(load_demo().data)
    assert list(tmp_path.iterdir()) == []


def test_a_bundle_to_dash_is_a_zip_on_standard_output(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert (
        main(["--demo", "--json", "--output-file", str(tmp_path / "r.json"), "--bundle", "-"]) == 1
    )
    with zipfile.ZipFile(io.BytesIO(capsysbinary.readouterr().out)) as bundle:
        assert bundle.testzip() is None and "snapshot.json" in bundle.namelist()


UNWRITABLE: dict[str, Callable[[Path], str]] = {
    "a folder": str,
    "a path ending in /": lambda tmp: f"{tmp / 'new'}/",
    "a missing folder": lambda tmp: str(tmp / "no-such-folder" / "out.file"),
    "inside a file": lambda tmp: str(tmp / "a-file" / "out.file"),
}


@pytest.mark.parametrize("case", UNWRITABLE)
@pytest.mark.parametrize("flag", ["--output-file", *PRIVATE])
def test_a_path_that_cannot_be_a_file_is_exit_2_before_any_work(
    flag: str,
    case: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_collection: list[str],
) -> None:
    (tmp_path / "a-file").write_text("x")
    path = UNWRITABLE[case](tmp_path)
    argv = (
        ["--demo", "--json", "--output-file", path]
        if flag == "--output-file"
        else PRIVATE[flag](path, tmp_path)
    )
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("diagnose: error: ")
    assert f"{flag.split()[-1]} {path}:" in err and "Traceback" not in err
    assert fake_collection == []  # refused before collecting
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions")
@pytest.mark.parametrize("flag", ["--output-file", "--bundle"])
def test_a_read_only_folder_is_exit_2(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert main(["--demo", "--json", flag, str(folder / "out")]) == 2
        assert "permission denied" in capsys.readouterr().err
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(stat.S_IRWXU)


def test_the_terminal_ui_writes_through_the_same_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The UI's export (e) and bundle (b): a symbolic link is followed, the bundle is 0600,
    and `-` (standard output, which the UI draws on) is refused with a notification."""
    from textual.widgets import Input

    from diagnose.tui.app import DiagnoseApp
    from tests.test_tui_support import demo_run, sync

    target, link, bundle = tmp_path / "real.json", tmp_path / "link.json", tmp_path / "b.zip"
    link.symlink_to(target)
    app = DiagnoseApp(demo_run(), argv=["--demo"])

    async def drive() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            for key, path in (("e", link), ("b", bundle), ("e", "-"), ("b", "-")):
                await pilot.press(key)
                await pilot.pause()
                app.screen.query_one("#prompt-path", Input).value = str(path)
                await pilot.press("enter")
                await app.workers.wait_for_complete()
                await pilot.pause()
            refused.extend(
                str(n.message)
                for n in app._notifications
                if "standard output is the screen" in str(n.message)
            )

    refused: list[str] = []
    with umask(0):
        sync(drive)()
    assert link.is_symlink() and json.loads(target.read_bytes())["findings"]
    check_content("--bundle", bundle)
    assert mode(bundle) == 0o600
    assert len(refused) == 2 and capsys.readouterr().out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.zip", "link.json", "real.json"]


def test_collect_dash_o_file_still_writes_the_snapshot_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_collection: list[str]
) -> None:
    """collect writes one format, so its -o keeps naming the file (scripts use it)."""
    target = tmp_path / "snapshot.json"
    assert main(["collect", "--hub", HUB, "-o", str(target)]) == 0
    err = capsys.readouterr().err
    assert f"--output-file {target}" in err and "note" in err
    assert target.read_text(encoding="utf-8") == dump_snapshot(load_demo().data)
    assert mode(target) == 0o600
