"""Putting text where the user can paste it: the system clipboard when a clipboard tool can
reach it, else the terminal's clipboard (OSC 52) when the terminal is likely to honour it, else
a new file in the working directory. Whichever worked is said, so "copied" is never a guess.

No Textual here: the UI passes a function that emits OSC 52, and tests pass the environment
(PATH, DISPLAY, ...) and the platform.

Each clipboard tool is asked for only where it can work (pbcopy on macOS, clip.exe on Windows
and WSL, wl-copy with WAYLAND_DISPLAY, xclip or xsel with DISPLAY), found on PATH, run without
a shell, fed on stdin and given a few seconds: a tool that hangs (an X server that does not
answer) must not freeze the UI for long, and the next way is tried.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

TIMEOUT = 3.0
"""Seconds a clipboard tool gets before the next way is tried."""
FILE_STEM = "diagnose-clipboard"
MAX_FILES = 1000

SYSTEM, TERMINAL, FILE = "system", "terminal", "file"


@dataclass(frozen=True)
class Tool:
    """A clipboard tool: the program, its arguments, and how it wants the text encoded."""

    program: str
    args: tuple[str, ...] = ()
    encoding: str = "utf-8"

    @property
    def name(self) -> str:
        return self.program


@dataclass(frozen=True)
class Copied:
    """Where the text went: SYSTEM (by a tool), TERMINAL (OSC 52) or FILE (path)."""

    how: str
    tool: str = ""
    path: str = ""

    @property
    def message(self) -> str:
        """What happened, in words for a notification."""
        if self.how == SYSTEM:
            return f"to the system clipboard ({self.tool})"
        if self.how == TERMINAL:
            return (
                "to the terminal's clipboard (OSC 52); your terminal may not honour it: "
                "if pasting gives nothing, no clipboard tool was found"
            )
        return f"into the file {self.path} (no clipboard was reachable)"


def platform() -> str:
    """sys.platform (a function, so tests can pretend to be another one)."""
    return sys.platform


def _wsl(env: Mapping[str, str]) -> bool:
    return bool(env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP"))


def tools(env: Mapping[str, str], system: str) -> list[Tool]:
    """The clipboard tools worth trying here, best first (found on PATH or not)."""
    if system == "darwin":
        return [Tool("pbcopy")]
    # clip.exe reads the console's code page unless given UTF-16 with a byte order mark
    clip = Tool("clip.exe", encoding="utf-16")
    if system in ("win32", "cygwin"):
        return [clip]
    found = []
    if env.get("WAYLAND_DISPLAY"):
        found.append(Tool("wl-copy"))
    if env.get("DISPLAY"):
        found += [
            Tool("xclip", ("-selection", "clipboard")),
            Tool("xsel", ("--clipboard", "--input")),
        ]
    if _wsl(env):
        found.append(clip)
    return found


def _run(path: str, tool: Tool, text: str, env: Mapping[str, str]) -> bool:
    try:
        # the output is not read: xclip and wl-copy leave a child serving the selection, which
        # would hold a pipe open until the timeout
        done = subprocess.run(
            [path, *tool.args],
            input=text.encode(tool.encoding),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(env),
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, UnicodeError):
        return False
    return done.returncode == 0


def copy_to_system(text: str, env: Mapping[str, str], system: str) -> str | None:
    """The name of the tool that took the text, None when none could."""
    for tool in tools(env, system):
        path = shutil.which(tool.program, path=env.get("PATH", ""))
        if path and _run(path, tool, text, env):
            return tool.name
    return None


_OSC52_TERMINALS = ("kitty", "alacritty", "foot", "wezterm", "ghostty", "contour", "rio")
_OSC52_PROGRAMS = ("iterm.app", "wezterm", "vscode", "ghostty", "tabby", "hyper", "warpterminal")


def terminal_honours_osc52(env: Mapping[str, str]) -> bool:
    """Whether the terminal is likely to honour an OSC 52 clipboard write: one known to
    (Windows Terminal, iTerm2, kitty, WezTerm, ...). Apple's Terminal, GNOME's (VTE) and
    xterm's default ignore it; inside tmux or screen the outer terminal is unknown and tmux
    drops it by default."""
    if env.get("TMUX") or env.get("STY"):
        return False
    if env.get("WT_SESSION") or env.get("KITTY_WINDOW_ID") or env.get("WEZTERM_EXECUTABLE"):
        return True
    term = env.get("TERM", "").lower()
    program = env.get("TERM_PROGRAM", "").lower()
    return any(name in term for name in _OSC52_TERMINALS) or program in _OSC52_PROGRAMS


def write_new_file(text: str, folder: str, stem: str = FILE_STEM) -> str:
    """Write text to a file in folder that did not exist (stem.txt, stem-2.txt, ...), complete
    or not at all, and return its path. An existing file is never replaced: the text is
    written to a temporary file that is then hard-linked under the new name, which fails when
    the name is taken (a file system without hard links gets an exclusive create instead)."""
    data = text.encode("utf-8")
    handle, temporary = tempfile.mkstemp(prefix=f".{stem}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        for number in range(1, MAX_FILES + 1):
            name = f"{stem}.txt" if number == 1 else f"{stem}-{number}.txt"
            path = os.path.join(folder, name)
            try:
                os.link(temporary, path)
            except FileExistsError:
                continue
            except OSError:  # no hard links here
                try:
                    with open(path, "xb") as stream:
                        stream.write(data)
                except FileExistsError:
                    continue
            return os.path.abspath(path)
        raise FileExistsError(f"{stem}.txt to {stem}-{MAX_FILES}.txt all exist in {folder}")
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def copy_text(
    text: str,
    *,
    osc52: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    system: str | None = None,
    folder: str | None = None,
) -> Copied:
    """Put text on the system clipboard, else the terminal's (osc52 emits it), else into a
    new file in folder (the working directory). Raises OSError when even the file fails."""
    env = os.environ if env is None else env
    system = platform() if system is None else system
    tool = copy_to_system(text, env, system)
    if tool is not None:
        return Copied(SYSTEM, tool=tool)
    if terminal_honours_osc52(env):
        osc52(text)
        return Copied(TERMINAL)
    return Copied(FILE, path=write_new_file(text, folder or os.getcwd()))
