"""What the UI does with a run, beyond showing it: copy the selected fix or the whole fix plan
to the clipboard, export the report, write a support bundle, open the access check. A part of
DiagnoseApp (diagnose.tui.app).

Exports render through the report format registry and bundles are written by diagnose.bundle,
both into files the user names in a prompt; every outcome is told in a notification.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from typing import Any

from textual import work

from diagnose.app import Diagnosis, plan_in
from diagnose.errors import BadInput
from diagnose.tui.clipboard import Copied
from diagnose.tui.data import LANGUAGES
from diagnose.tui.screens.bundle import BundleRequest
from diagnose.tui.view import RunView
from diagnose.tui.widgets.detail import DetailPane

ERROR_TIMEOUT = 12.0
"""Seconds a failure stays on screen: longer than Textual's 5, it has to be read and acted on."""


class Actions(RunView):
    """Copy, export, bundle and access: the actions that take the run somewhere else."""

    argv: list[str]
    """The command line, recorded in the support bundles."""
    last_copy: Copied | None
    """Where the last copy went (tests, and the next copy's message)."""

    def _from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is gone
            self.call_from_thread(callback, *args, **kwargs)

    def _language_title(self, tab: str) -> str:
        return next(title for key, title, _ in LANGUAGES if key == tab)

    def action_copy_fix(self) -> None:
        if not self._need_run():
            return
        detail = self.query_one(DetailPane)
        fix = detail.fix
        text = detail.fix_text()
        if fix is None or not text:
            self.notify("The selected finding has no fix to copy.", severity="warning")
            return
        state = "verified" if fix.verified else "NOT verified"
        self.copy_out(text, f"the {self._language_title(detail.language)} fix ({state})")

    def action_copy_plan(self) -> None:
        diagnosis = self._need_run()
        if diagnosis is None:
            return
        plan = diagnosis.report.fix_plan
        if not plan:
            self.notify("The fix plan is empty: nothing to change.", severity="warning")
            return
        language = self.query_one(DetailPane).language
        hub = str(diagnosis.report.target.get("hubName") or "")
        try:
            export = plan_in(plan, language, hub=hub)
        except BadInput as exc:
            self.notify(str(exc), severity="warning")
            return
        verified = sum(1 for item in plan if item.remediation.verified)
        self.copy_out(
            export.text,
            f"the fix plan ({len(plan)} changes, {verified} verified, "
            f"{self._language_title(language)}; {export.commented} left as comments "
            "that say why)",
        )

    def copy_out(self, text: str, what: str) -> None:
        """Copy text where it can be pasted (diagnose.tui.clipboard) and say where it went.
        The app's own clipboard (what its inputs paste) gets it at once; the system
        clipboard is tried in a thread, since a clipboard tool may take a while."""
        self._clipboard = text
        self._copy_worker(text, what)

    @work(thread=True, group="copy")
    def _copy_worker(self, text: str, what: str) -> None:
        from diagnose.tui.clipboard import FILE, copy_text

        def osc52(data: str) -> None:
            self._from_thread(self.copy_to_clipboard, data)

        try:
            copied = copy_text(text, osc52=osc52)
        except OSError as exc:
            self._from_thread(
                self.notify,
                f"Could not copy {what}: no clipboard was reachable and writing a file "
                f"failed: {exc}",
                title="Copy failed",
                severity="error",
                markup=False,
                timeout=ERROR_TIMEOUT,
            )
            return
        self.last_copy = copied
        self._from_thread(
            self.notify,
            f"Copied {what} {copied.message}.",
            severity="warning" if copied.how == FILE else "information",
            timeout=8 if copied.how == FILE else 4,
            markup=False,
        )

    @staticmethod
    def _file_stem(diagnosis: Diagnosis) -> str:
        name = str(diagnosis.report.target.get("hubName") or "hub")
        return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "hub"

    def action_export(self, fmt: str = "json") -> None:
        diagnosis = self._need_run()
        if diagnosis is None:
            return
        from diagnose.tui.screens.prompt import EXTENSIONS, PathPrompt

        default = f"diagnose-report-{self._file_stem(diagnosis)}{EXTENSIONS[fmt]}"
        self.push_screen(
            PathPrompt(
                "Export the report",
                default,
                [("JSON", "json"), ("Markdown", "markdown")],
                fmt,
                button="Export",
            ),
            self._export_to,
        )

    def _export_to(self, answer: tuple[str, str] | None) -> None:
        if answer is None:
            return
        path, fmt = answer
        self.export(path, fmt)

    def export(self, path: str, fmt: str) -> bool:
        """Write the report as JSON or Markdown; says what happened in a notification."""
        from diagnose.outfile import write_text
        from diagnose.report.formats import render_report

        assert self.diagnosis is not None  # export is an action that needs a run
        try:
            write_text(_typed_path(path), render_report(self.diagnosis.report, fmt))
        except (BadInput, OSError) as exc:
            self.notify(
                str(exc),
                title="Export failed",
                severity="error",
                markup=False,
                timeout=ERROR_TIMEOUT,
            )
            return False
        self.notify(f"Wrote the {fmt} report to {path}", markup=False, timeout=4)
        return True

    def action_bundle(self) -> None:
        diagnosis = self._need_run()
        if diagnosis is None:
            return
        from diagnose.tui.screens.bundle import BundlePrompt

        default = f"diagnose-bundle-{self._file_stem(diagnosis)}.zip"
        self.push_screen(BundlePrompt(default), self._bundle_to)

    def _bundle_to(self, request: BundleRequest | None) -> None:
        if request is None or self.diagnosis is None:
            return
        try:
            _typed_path(request.path)  # "-": said at once, no thread needed
        except BadInput as exc:
            self.notify(
                str(exc),
                title="Bundle failed",
                severity="error",
                markup=False,
                timeout=ERROR_TIMEOUT,
            )
            return
        self._write_bundle(request, self.diagnosis)

    @work(thread=True, group="bundle")
    def _write_bundle(self, request: BundleRequest, diagnosis: Diagnosis) -> None:
        """In a thread (a bundle re-renders every report); quitting waits for the zip."""
        from diagnose.bundle import write_bundle

        try:
            write_bundle(
                _typed_path(request.path),
                diagnosis,
                argv=self.argv,
                redact=request.redact,
                redaction_map=request.redaction_map,
            )
        except (BadInput, OSError) as exc:
            self._from_thread(
                self.notify,
                str(exc),
                title="Bundle failed",
                severity="error",
                markup=False,
                timeout=ERROR_TIMEOUT,
            )
            return
        except Exception as exc:  # a bug in the bundle writer: say so, keep the session
            self._from_thread(
                self.notify,
                f"{type(exc).__name__}: {exc} (a bug in ai-hub-diagnose; please report it)",
                title="Bundle failed",
                severity="error",
                markup=False,
                timeout=ERROR_TIMEOUT,
            )
            return
        what = "redacted support bundle" if request.redact else "support bundle (NOT redacted)"
        message = f"Wrote the {what} to {request.path}"
        if request.redaction_map:
            message += f"; the redaction map (keep it private) to {request.redaction_map}"
        self._from_thread(self.notify, message, markup=False, timeout=12)

    def action_access(self) -> None:
        if not self._need_run():
            return
        from diagnose.tui.screens.access import AccessScreen

        finding = self.selected_finding
        options: dict[str, Any] = {}
        if finding is not None and finding.evidence:
            decision = finding.evidence[0]
            options = {
                "principal": decision.principal,
                "scope": decision.scope,
                "operation": decision.operation,
                "data_action": decision.data_action,
            }
        elif finding is not None:
            options = {
                "principal": finding.principal.id if finding.principal else None,
                "scope": finding.resource,
            }
        self.push_screen(AccessScreen(self.diagnosis, **options))


def _typed_path(path: str) -> str:
    """A path typed in the UI. `-` would mean standard output, which the UI is drawing on."""
    if path.strip() == "-":
        raise BadInput("standard output is the screen here", where="-", fix="give a file name")
    return os.path.expanduser(path)
