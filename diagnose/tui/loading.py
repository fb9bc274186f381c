"""Loading a run in the terminal UI: the collection (or the snapshot read) and the checks run
in a daemon thread while the UI shows their progress, and a re-run goes the same way. A part
of DiagnoseApp (diagnose.tui.app).

A live load reports through the collector's Progress protocol (UiProgress), which posts at
most one pending update at a time, so a busy collection cannot flood the UI's message queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from diagnose.app import DiagnoseOptions, Diagnosis, LiveSource, Source
from diagnose.collect.progress import RequestTally
from diagnose.errors import BadInput
from diagnose.exitcodes import ExitCode
from diagnose.safe import safe_message, safe_text
from diagnose.tui.view import RunView
from diagnose.tui.widgets.findings import FindingsTable

Loader = Callable[[Any], Diagnosis]
"""Given a progress object (stage(text), request_done(entry)), returns a Diagnosis."""


class UiProgress:
    """The collector's Progress protocol, shown in the UI. Called from worker threads: it
    posts (thread-safe) at most one pending update, and the UI reads the latest text."""

    def __init__(self, app: Loading) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._stage = ""
        self._tally = RequestTally()
        self._pending = False

    def __enter__(self) -> UiProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def stage(self, text: str) -> None:
        with self._lock:
            self._stage = text
        self._post()

    def request_done(self, entry: dict[str, Any]) -> None:
        self._tally.record(entry)
        self._post()

    @property
    def text(self) -> str:
        with self._lock:
            self._pending = False
            stage = self._stage
        counts = self._tally.summary()
        return f"{stage}: {counts}" if counts else stage

    def _post(self) -> None:
        with self._lock:
            if self._pending:
                return
            self._pending = True
        self._app.post_message(Progressed(self))


class Progressed(Message):
    """The loading worker made progress (posted from its thread)."""

    def __init__(self, progress: UiProgress) -> None:
        super().__init__()
        self.progress = progress


class Loading(RunView):
    """The first load, its progress and its outcome (a run, bad input, a bug), and re-runs."""

    source: Source | None
    options: DiagnoseOptions
    loader: Loader | None
    busy: bool
    error: BadInput | None
    """Why the first load failed: the app then exits with code 2."""
    crash: BaseException | None
    """A bug in the first load: run_tui re-raises it after the UI is gone."""

    def _loader_of(self, source: Source) -> Loader:
        """Read or collect the source and run the checks, through the application layer; a
        live collection reports to the UI's progress instead of drawing on stderr."""
        from diagnose.app import diagnose

        # the options of the run shown (its focus included) when a live re-run re-collects
        return lambda progress: diagnose(source, self.options, progress=progress)

    def on_progressed(self, message: Progressed) -> None:
        self.set_progress(message.progress.text)

    def set_progress(self, text: str) -> None:
        self.query_one("#progress", Static).update(Text(safe_text(text), end=""))
        if self.diagnosis is not None:
            self.query_one("#top-bar", Static).update(self._top_bar(f"re-running: {text}"))

    @work(exclusive=True, group="load")
    async def _load(
        self, first: bool = False, rerun: Loader | None = None, what: str = "Re-run"
    ) -> None:
        """Load (collect or read, then run the checks) in a daemon thread and wait for it
        here: quitting mid-collection leaves at once instead of waiting for Azure."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        progress = UiProgress(self)
        load = rerun or self.loader
        assert load is not None, "__init__ takes a diagnosis, a source or a loader"

        def settle(result: Any, error: BaseException | None) -> None:
            if done.done():
                return
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(result)

        def target() -> None:
            result, error = None, None
            try:
                result = load(progress)
            except BaseException as exc:  # handed to the UI, which decides
                error = exc
            with contextlib.suppress(RuntimeError):  # the app (and its loop) is gone
                loop.call_soon_threadsafe(settle, result, error)

        threading.Thread(target=target, name="diagnose-load", daemon=True).start()
        try:
            run = await done
        except BadInput as exc:
            self._failed(exc, first, what)
            return
        except Exception as exc:
            self._crashed(exc, first, what)
            return
        self._loaded(run)

    def _loaded(self, run: Diagnosis) -> None:
        self.busy = False
        self.options = run.options  # a focus chosen in the UI stays for the next re-run
        self.query_one(FindingsTable).loading = False
        self._populate(run)
        report = run.report
        if report.collection_errors or report.check_errors:
            self.notify(
                f"The report is partial: {len(report.collection_errors)} read(s) failed "
                f"and {len(report.check_errors)} check(s) could not run; see 'could "
                "not be read' in the hub tree.",
                severity="warning",
                timeout=8,
            )

    def _failed(self, exc: BadInput, first: bool, what: str = "Re-run") -> None:
        self.busy = False
        self.query_one(FindingsTable).loading = False
        if not first:
            self.notify(str(exc), title=f"{what} failed", severity="error", markup=False)
            self.query_one("#top-bar", Static).update(self._top_bar())
            return
        self.error = exc
        message = Text(end="")
        message.append("diagnose: error\n\n", style="bold red")
        message.append(safe_message(str(exc)))
        message.append("\n\nNothing to show. Press q to quit (exit code 2).", style="dim")
        self.query_one("#loading").display = False
        error = self.query_one("#error", Static)
        error.update(message)
        error.display = True

    def _crashed(self, exc: BaseException, first: bool, what: str = "Re-run") -> None:
        self.busy = False
        self.query_one(FindingsTable).loading = False
        if first:
            self.crash = exc
            self.exit(ExitCode.INTERNAL_ERROR, return_code=ExitCode.INTERNAL_ERROR)
            return
        self.query_one("#top-bar", Static).update(self._top_bar())
        self.notify(
            f"{type(exc).__name__}: {exc}",
            title=f"{what} failed (a bug)",
            severity="error",
            markup=False,
        )

    def action_rerun(self) -> None:
        if self.busy or self.diagnosis is None:
            self.notify("Already running.", severity="warning")
            return
        self.busy = True
        self.query_one(FindingsTable).loading = True
        if isinstance(self.source, LiveSource):
            self.query_one("#top-bar", Static).update(self._top_bar("re-collecting"))
            self._load()
        else:
            from diagnose.app import rediagnose

            shown = self.diagnosis
            self.query_one("#top-bar", Static).update(self._top_bar("re-evaluating"))
            self._load(rerun=lambda progress: rediagnose(shown))

    def action_focus_principal(self, principal: str | None = None) -> None:
        """Focus the run on one principal ("why can't P ...?", as --principal P): only its
        requirements, as a builder, and those of the service identities; "" shows everyone
        again. Without a principal, asks for one. The snapshot already read is evaluated
        again (a live hub is not re-collected)."""
        if self.diagnosis is None:
            return
        if principal is None:
            from diagnose.tui.screens.focus import FocusPrompt

            self.push_screen(
                FocusPrompt(self._focus_default(), self._focused_names()), self._focus_on
            )
            return
        self._focus_on(principal)

    def _focus_on(self, principal: str | None) -> None:
        if principal is None or self.diagnosis is None:
            return
        if self.busy:
            self.notify("Already running.", severity="warning")
            return
        from diagnose.app import focus

        principals = (principal,) if principal.strip() else ()
        if principals == () and not self.diagnosis.options.principals:
            return  # everyone is shown already
        self.busy = True
        self.query_one(FindingsTable).loading = True
        shown = self.diagnosis
        state = f"focusing on {principal}" if principals else "showing everyone"
        self.query_one("#top-bar", Static).update(self._top_bar(state))
        self._load(rerun=lambda progress: focus(shown, principals), what="Focus")

    def _focused_names(self) -> str:
        declared = self.diagnosis.declarations if self.diagnosis is not None else None
        return ", ".join(p.label for p in declared.focus) if declared is not None else ""

    def _focus_default(self) -> str:
        """The selected finding's principal (a person, not a service identity), by object
        id: the question is most often about the finding at hand."""
        finding = self.selected_finding
        principal = finding.principal if finding is not None else None
        if principal is None or principal.description:
            return ""
        return str(principal.id)
