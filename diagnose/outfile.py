"""Every file the tool writes goes through here: reports (`-o`), snapshots (`collect -o`,
`--save-snapshot`), support bundles (`--bundle`) and redaction maps (`--redaction-map`), from
the command line and from the terminal UI.

What happens depends on what the path names, as with a shell redirect (`> FILE`):

- `-`: standard output.
- A regular file, or nothing yet: a temporary file beside it (in the same folder, so the
  rename stays on one file system) is written, flushed, fsync'ed and renamed over it
  (os.replace). A reader never sees half a file, and a failed write leaves the old file as it
  was: the temporary file is removed on every failure path (a write error, Ctrl-C, a failed
  rename). Private files (snapshots, bundles, redaction maps: they describe a tenant) get
  mode 0600. Reports get what a shell redirect gives them: a new one 0666 minus the umask, a
  replaced one keeps its mode (and, when we run as root, its owner). Replacing needs write
  permission on the file, as a redirect does. A file with other hard links gets a new inode:
  its other names keep the old content.
- Something else that exists (a character or block device such as /dev/null or a terminal, a
  FIFO, `/dev/stdout`, `/dev/fd/N`): opened and written in place, never renamed over. A FIFO
  blocks until a reader opens its other end, as a redirect does. A regular file reached
  through `/dev/stdout` or `/dev/fd/N` is appended to (it is what the shell opened for us).
- A symbolic link is followed as a redirect follows it: the link stays, its target gets the
  bytes (atomically when the target is a regular file, the temporary file beside the
  target); a dangling link's target is created.
- A folder, a missing folder, a path we may not write: BadInput (exit 2, one line).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import io
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterator
from typing import IO, cast

from diagnose.errors import BadInput

__all__ = ["check_writable", "open_output", "write_bytes", "write_text"]

STANDARD_OUTPUT = "-"
MAX_LINKS = 40  # as the Linux kernel's limit on links followed in one lookup
# The folders whose entries are this process's open files (/dev/stdout -> /proc/self/fd/1).
_FD_FOLDER = re.compile(r"/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/fd|/dev/fd")


@dataclasses.dataclass(frozen=True)
class _Target:
    given: str  # the path as the user gave it, for messages
    where: str  # "--flag PATH" or PATH, for messages
    path: str  # where the bytes go, links followed
    replace: bool  # a regular file or a new one: temporary file + rename
    existing: os.stat_result | None


def check_writable(path: str | os.PathLike[str], flag: str | None = None) -> None:
    """BadInput unless path can be written; cheap, for checking before a long run."""
    _locate(os.fspath(path), flag)


def write_text(
    path: str | os.PathLike[str], text: str, *, private: bool = False, flag: str | None = None
) -> None:
    """Write text (UTF-8) to path, or to standard output for `-`."""
    if os.fspath(path) == STANDARD_OUTPUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    # Before opening: a character that cannot be encoded must not cost a half-written file.
    write_bytes(path, text.encode("utf-8", errors="backslashreplace"), private=private, flag=flag)


def write_bytes(
    path: str | os.PathLike[str], data: bytes, *, private: bool = False, flag: str | None = None
) -> None:
    with open_output(path, private=private, flag=flag) as stream:
        stream.write(data)


@contextlib.contextmanager
def open_output(
    path: str | os.PathLike[str], *, private: bool = False, flag: str | None = None
) -> Iterator[IO[bytes]]:
    """A binary stream to write path's new content to; the content is in place when the
    `with` block ends without an exception, and the old content untouched when it raises.

    private: mode 0600 (snapshots, bundles, redaction maps). flag names the option the path
    came from in error messages. Raises BadInput for a path that cannot be written, or when
    writing fails (OSError); other exceptions pass through, after the clean-up.
    """
    text = os.fspath(path)
    if text == STANDARD_OUTPUT:
        with _standard_output(flag) as stream:
            yield stream
        return
    target = _locate(text, flag)
    opener = _replacing if target.replace else _in_place
    with opener(target, private) as stream:
        yield stream


@contextlib.contextmanager
def _standard_output(flag: str | None) -> Iterator[IO[bytes]]:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # standard output replaced by a text-only stream (a test, an embedder)
        raise BadInput(
            "standard output takes text only here",
            where=flag or STANDARD_OUTPUT,
            fix="give a file name",
        )
    sys.stdout.flush()  # what was printed before comes first
    yield _sequential(buffer)
    buffer.flush()  # a BrokenPipeError (| head) reaches the command line, which expects it


@contextlib.contextmanager
def _replacing(target: _Target, private: bool) -> Iterator[IO[bytes]]:
    folder, name = os.path.split(target.path)
    temporary, handle = _create_temporary(folder, name, private, target)
    try:
        with os.fdopen(handle, "wb") as stream:
            _set_owner_and_mode(stream.fileno(), target.existing, private)
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target.path)
    except BaseException as exc:  # Ctrl-C included: never leave the temporary file behind
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise _cannot_write(exc, target) from None
        raise
    _sync_folder(folder)


@contextlib.contextmanager
def _in_place(target: _Target, private: bool) -> Iterator[IO[bytes]]:
    flags = os.O_WRONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    if target.existing is not None and stat.S_ISREG(target.existing.st_mode):
        flags |= os.O_APPEND  # /dev/stdout redirected to a file: add to what is there
    try:
        handle = os.open(target.path, flags)  # blocks on a FIFO until a reader opens it
    except OSError as exc:
        raise _cannot_write(exc, target) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            yield _sequential(stream)
            stream.flush()
    except OSError as exc:
        raise _cannot_write(exc, target) from None


class _Sequential(io.RawIOBase):
    """Bytes written in order, with no going back: a device or a FIFO cannot seek, /dev/null
    pretends to (and a zip written there comes out wrong), a file opened for appending
    ignores it. zipfile then writes a data descriptor after each member instead."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._stream.write(data)
        return memoryview(data).nbytes

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:  # the stream belongs to the caller (standard output stays open)
        self.flush()
        super().close()


def _sequential(stream: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], _Sequential(stream))


def _locate(text: str, flag: str | None) -> _Target:
    """Where the bytes for text go, following symbolic links as open(2) would, or BadInput."""
    where = f"{flag} {text}" if flag else text
    if text == STANDARD_OUTPUT:
        return _Target(text, where, text, False, None)
    if not text.strip():
        raise BadInput(
            "needs a file name",
            where=flag or "output",
            fix=f"e.g. {flag or '-o'} report.txt, or - for standard output",
        )
    current = os.path.join(os.getcwd(), os.path.expanduser(text))
    for _ in range(MAX_LINKS):
        folder, name = os.path.split(current)
        if name in ("", ".", ".."):
            raise BadInput(
                "names a folder, not a file", where=where, fix="give a file name inside the folder"
            )
        folder = os.path.realpath(folder)
        current = os.path.join(folder, name)
        if _FD_FOLDER.fullmatch(folder):  # /dev/stdout, /dev/fd/N: one of our open files
            return _Target(text, where, current, False, _stat(current, folder, where))
        try:
            link = os.readlink(current)
        except FileNotFoundError:
            break
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # it exists and is not a link
                break
            raise _unusable(exc, folder, where) from None
        current = os.path.join(folder, link)  # an absolute link replaces the folder
    else:
        raise BadInput(
            "too many levels of symbolic links",
            where=where,
            fix="point the path at a file, not at a loop of links",
        )
    existing = _stat(current, folder, where)
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise BadInput(
            "is a folder, not a file",
            where=where,
            fix=f"give a file name, e.g. {os.path.join(text, _example(flag))}",
        )
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        return _Target(text, where, current, False, existing)  # device, FIFO, socket
    if not (
        os.access(folder, os.W_OK | os.X_OK) and (existing is None or os.access(current, os.W_OK))
    ):
        raise BadInput(
            "cannot be written (permission denied)",
            where=where,
            fix="choose a path you can write to",
        )
    return _Target(text, where, current, True, existing)


def _stat(path: str, folder: str, where: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        if not os.path.isdir(folder):
            raise BadInput(
                f"the folder {folder} does not exist",
                where=where,
                fix="create the folder first, or choose another path",
            ) from None
        return None
    except OSError as exc:
        raise _unusable(exc, folder, where) from None


def _unusable(exc: OSError, folder: str, where: str) -> BadInput:
    if isinstance(exc, NotADirectoryError):
        return BadInput(
            f"{folder} is not a folder", where=where, fix="choose a path inside an existing folder"
        )
    if isinstance(exc, PermissionError):
        return BadInput(
            "cannot be written (permission denied)",
            where=where,
            fix="choose a path you can write to",
        )
    return BadInput(f"cannot be written ({exc.strerror or exc})", where=where)


def _cannot_write(exc: OSError, target: _Target) -> BadInput:
    return BadInput(
        f"cannot write the file ({exc.strerror or exc})",
        where=target.where,
        fix="check the path, the free space and the permissions",
    )


def _create_temporary(folder: str, name: str, private: bool, target: _Target) -> tuple[str, int]:
    """A new file beside the target, created by us (O_EXCL). A report's gets 0666 minus the
    umask, as a redirect's new file would; reading the umask instead would race with the UI's
    writer thread."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = os.path.join(folder, f".{name[:100]}.{secrets.token_hex(4)}.tmp")
        try:
            return temporary, os.open(temporary, flags, 0o600 if private else 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise _cannot_write(exc, target) from None
    raise BadInput("cannot create a temporary file beside it", where=target.where)


def _set_owner_and_mode(handle: int, existing: os.stat_result | None, private: bool) -> None:
    if (
        existing is not None
        and hasattr(os, "fchown")
        and os.geteuid() == 0
        and ((existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()))
    ):
        os.fchown(handle, existing.st_uid, existing.st_gid)  # root keeps the owner's file theirs
    if private:
        os.fchmod(handle, 0o600)
    elif existing is not None:
        os.fchmod(handle, stat.S_IMODE(existing.st_mode) & 0o777)


def _sync_folder(folder: str) -> None:
    """Make the rename durable. Some file systems refuse fsync on a folder; the file's own
    bytes are already on disk then, so that refusal is not an error worth reporting."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _example(flag: str | None) -> str:
    return {
        "--bundle": "support.zip",
        "--redaction-map": "redaction-map.json",
        "--save-snapshot": "snapshot.json",
    }.get(flag or "", "report.txt")
